// The process-basics scenarios through the real binary: spawn, pid,
// isolation, join-timing, lifecycle, fork, daemon. Each test reads the JSON
// events and the summary, and asserts what the lesson says must be seen.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "support/mpdemo_runner.hpp"

using test::run_json;
using test::run_mpdemo;

namespace {

std::vector<nlohmann::json> events_of(const test::RunResult& r, const std::string& kind) {
  std::vector<nlohmann::json> out;
  for (const auto& e : r.events)
    if (e.value("kind", "") == kind) out.push_back(e);
  return out;
}

// Index of the first event matching `pred`, or -1.
template <class Pred>
long index_of(const test::RunResult& r, Pred pred) {
  for (std::size_t i = 0; i < r.events.size(); ++i)
    if (pred(r.events[i])) return static_cast<long>(i);
  return -1;
}

void require_all_checks_held(const test::RunResult& r) {
  INFO(r.err);
  REQUIRE(!r.events.empty());
  INFO(r.summary().dump());
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["ok"] == true);
  for (const auto& c : r.summary()["checks"]) CHECK(c["ok"] == true);
}

}  // namespace

TEST_CASE("spawn: both ways run each child once and start() returns while the child works", "[cli][spawn]") {
  auto per_way = GENERATE(1, 3);
  auto r = run_json({"spawn", "--per-way", std::to_string(per_way), "--speed", "0.05", "--seed", "1"});
  require_all_checks_held(r);
  const auto& s = r.summary();
  const int total = 2 * per_way;
  CHECK(s["scenario"] == "spawn");
  CHECK(s["children"] == total);
  CHECK(s["ran_once"] == total);
  CHECK(events_of(r, "spawn.target_running").size() == static_cast<std::size_t>(per_way));
  CHECK(events_of(r, "spawn.subclass_running").size() == static_cast<std::size_t>(per_way));
  CHECK(events_of(r, "spawn.child_done").size() == static_cast<std::size_t>(total));
  CHECK(events_of(r, "spawn.verdict_no_wait").size() == 1);
  // Which line came first is the scheduler's choice; the run reports it, and
  // the verdict it prints agrees with its own figure.
  const int main_first = s["main_line_first"];
  CHECK(main_first >= 0);
  CHECK(main_first <= total);
  CHECK(events_of(r, main_first == total ? "spawn.verdict_main_first" : "spawn.verdict_child_first").size() == 1);
  // Each child ran under the name and pid that main's Process object has.
  auto started = events_of(r, "spawn.started");
  REQUIRE(started.size() == static_cast<std::size_t>(total));
  for (const auto& st : started) {
    const std::string child = st["child"];
    INFO(child);
    CHECK(st["name"] == "MainProcess");
    long first = index_of(r, [&](const auto& e) {
      return (e["kind"] == "spawn.target_running" || e["kind"] == "spawn.subclass_running") && e["name"] == child;
    });
    REQUIRE(first >= 0);
    CHECK(r.events[static_cast<std::size_t>(first)]["pid"] == st["child_pid"]);
    CHECK(r.events[static_cast<std::size_t>(first)]["ppid"] == st["pid"]);
  }
  // Each child's way shows in its name.
  for (const auto& e : events_of(r, "spawn.target_running")) CHECK(e["name"].get<std::string>().rfind("Target-", 0) == 0);
  for (const auto& e : events_of(r, "spawn.subclass_running")) CHECK(e["name"].get<std::string>().rfind("Subclass-", 0) == 0);
}

TEST_CASE("spawn: the seed fixes the work times", "[cli][spawn]") {
  auto a = run_json({"spawn", "--speed", "0.05", "--seed", "5"});
  auto b = run_json({"spawn", "--speed", "0.05", "--seed", "5"});
  REQUIRE(!a.events.empty());
  REQUIRE(!b.events.empty());
  CHECK(a.summary()["works"] == b.summary()["works"]);
  for (const auto& w : a.summary()["works"]) {
    CHECK(w.get<int>() >= 1);
    CHECK(w.get<int>() <= 4);
  }
  CHECK(run_mpdemo({"spawn", "--work-min", "3", "--work-max", "2"}).exit_code == 2);
  // At --speed 0 the children do no work: nothing to see, and the run says why.
  auto instant = run_mpdemo({"spawn", "--speed", "0"});
  CHECK(instant.exit_code == 2);
  CHECK(instant.err.find("--work-min") != std::string::npos);
}

TEST_CASE("pid: every child's ppid is main's pid in the child and in the process table", "[cli][pid]") {
  auto n = GENERATE(1, 3, 12);
  auto r = run_json({"pid", "--children", std::to_string(n), "--speed", "0.01", "--seed", "1"});
  require_all_checks_held(r);
  const auto& s = r.summary();
  const int main_pid = s["main_pid"];
  CHECK(s["reported"] == n);
  REQUIRE(s["child_pids"].size() == static_cast<std::size_t>(n));
  std::vector<int> pids;
  for (const auto& c : s["child_pids"]) {
    CHECK(c["ppid"] == main_pid);
    pids.push_back(c["pid"]);
  }
  std::sort(pids.begin(), pids.end());
  CHECK(std::adjacent_find(pids.begin(), pids.end()) == pids.end());
  // The events' own headers say the same: the child's getppid() is main.
  auto child_lines = events_of(r, "pid.child");
  CHECK(child_lines.size() == static_cast<std::size_t>(n));
  for (const auto& e : child_lines) CHECK(e["ppid"] == main_pid);
  for (const auto& e : events_of(r, "pid.table")) CHECK(e["table_ppid"] == main_pid);
  auto main_line = events_of(r, "pid.main");
  REQUIRE(main_line.size() == 1);
  CHECK(main_line[0]["pid"] == main_pid);
  CHECK(main_line[0]["ppid"] == s["main_ppid"]);
}

TEST_CASE("isolation: the child's change stays in the child at the same address", "[cli][isolation]") {
  auto r = run_json({"isolation", "--speed", "0.01", "--seed", "1"});
  require_all_checks_held(r);
  const auto& s = r.summary();
  CHECK(s["x_in_main"] == 1000);
  CHECK(s["n_in_main"] == 100);
  CHECK(s["x_in_child"] == 2);
  CHECK(s["n_in_child"] == 0);
  CHECK(s["x_address_main"] == s["x_address_child"]);
  CHECK(s["x_address_main"].get<std::string>().rfind("0x", 0) == 0);
  CHECK_FALSE(s.contains("shared_in_main"));
  auto child = events_of(r, "isolation.child_set");
  REQUIRE(child.size() == 1);
  CHECK(child[0]["x"] == 2);
  CHECK(child[0]["x_address"] == s["x_address_main"]);

  auto shared = run_json({"isolation", "--shared", "--x", "7", "--child-x", "8", "--speed", "0.01", "--seed", "1"});
  require_all_checks_held(shared);
  CHECK(shared.summary()["x_in_main"] == 7);
  CHECK(shared.summary()["shared_in_main"] == 8);

  auto same = run_mpdemo({"isolation", "--x", "5", "--child-x", "5"});
  CHECK(same.exit_code == 2);
  CHECK(same.err.find("--child-x") != std::string::npos);
}

TEST_CASE("join-timing: all-then-join takes the max and one by one the sum and join(timeout) returns early",
          "[cli][join-timing]") {
  auto r = run_json({"join-timing", "--speed", "0.05", "--seed", "1"});
  require_all_checks_held(r);
  const auto& s = r.summary();
  const double max = s["expected_max"], sum = s["expected_sum"];
  CHECK(max == Approx(0.15));
  CHECK(sum == Approx(0.30));
  const double concurrent = s["concurrent_seconds"], serial = s["serial_seconds"];
  CHECK(concurrent >= 0.9 * max);
  CHECK(concurrent < 0.75 * sum);
  CHECK(serial >= 0.9 * sum);
  CHECK(serial > concurrent);
  CHECK(s["alive_after_timeout"] == true);
  // Way 1 joins return at about 1, 2, 3 (scaled); way 2 at about 1, 3, 6.
  auto joins = events_of(r, "join-timing.joined");
  REQUIRE(joins.size() == 6);
  CHECK(joins[2]["at"].get<double>() >= 0.9 * 0.15);
  CHECK(joins[5]["at"].get<double>() >= 0.9 * 0.30);
  auto timeout = events_of(r, "join-timing.timeout_returned");
  REQUIRE(timeout.size() == 1);
  CHECK(timeout[0]["returned"] == false);
  CHECK(timeout[0]["exitcode"] == "None");
}

TEST_CASE("join-timing: sleeps too short or too alike to tell the ways apart are bad usage", "[cli][join-timing]") {
  auto fast = run_mpdemo({"join-timing", "--speed", "0.001"});
  CHECK(fast.exit_code == 2);
  CHECK(fast.err.find("too little to time") != std::string::npos);
  CHECK(run_mpdemo({"join-timing", "--sleeps", "3"}).exit_code == 2);
  auto four = run_json({"join-timing", "--sleeps", "2,2,2,2", "--speed", "0.05", "--seed", "2"});
  require_all_checks_held(four);
  CHECK(four.summary()["sleeps"].size() == 4);
}

TEST_CASE("lifecycle: exitcode None while running then 0 or N or -15 and pid None before start", "[cli][lifecycle]") {
  auto code = GENERATE(3, 7);
  auto r = run_json({"lifecycle", "--exit-code", std::to_string(code), "--speed", "0.01", "--seed", "1"});
  require_all_checks_held(r);
  const auto& s = r.summary();
  CHECK(s["exitcode_normal"] == 0);
  CHECK(s["exitcode_sys_exit"] == code);
  CHECK(s["exitcode_terminated"] == -15);
  CHECK(s["name"] == "task-1");
  auto before = events_of(r, "lifecycle.before_start");
  REQUIRE(before.size() == 1);
  CHECK(before[0]["child_pid"] == "None");
  CHECK(before[0]["exitcode"] == "None");
  CHECK(before[0]["alive"] == false);
  auto running = events_of(r, "lifecycle.running");
  REQUIRE(running.size() == 1);
  CHECK(running[0]["alive"] == true);
  CHECK(running[0]["exitcode"] == "None");
  // Whatever is_alive() said right after terminate(), exactly one of the two
  // truthful lines was printed, and it matches the figure.
  auto still = events_of(r, "lifecycle.terminate_still_alive");
  auto dead = events_of(r, "lifecycle.terminate_already_dead");
  CHECK(still.size() + dead.size() == 1);
  CHECK(s["alive_right_after_terminate"] == !still.empty());
  auto after = events_of(r, "lifecycle.after_terminate");
  REQUIRE(after.size() == 1);
  CHECK(after[0]["alive"] == false);
  CHECK(after[0]["exitcode"] == "-15");
}

TEST_CASE("lifecycle: the name option reaches the child", "[cli][lifecycle]") {
  auto r = run_json({"lifecycle", "--name", "任务1", "--speed", "0", "--seed", "1"});
  require_all_checks_held(r);
  CHECK(r.summary()["name"] == "任务1");
  auto working = events_of(r, "lifecycle.working");
  REQUIRE(working.size() == 1);
  CHECK(working[0]["name"] == "任务1");
}

TEST_CASE("lifecycle: a subclass's name set before the base initialiser is overwritten, on real processes",
          "[cli][lifecycle]") {
  const std::string name = GENERATE(as<std::string>{}, "my-task", "egon");
  std::vector<std::string> args{"lifecycle", "--speed", "0.01", "--seed", "1"};
  if (name != "my-task") args.insert(args.end(), {"--subclass-name", name});
  auto r = run_json(args);
  require_all_checks_held(r);
  // task-1..3 took numbers 1..3, so the object set up fourth is MyProcess-4 (Python: the same).
  CHECK(r.summary()["name_set_before_init"] == "MyProcess-4");
  CHECK(r.summary()["name_set_after_init"] == name);
  auto before = events_of(r, "lifecycle.name_before_init");
  auto after = events_of(r, "lifecycle.name_after_init");
  REQUIRE(before.size() == 1);
  REQUIRE(after.size() == 1);
  CHECK(before[0]["child"] == "MyProcess-4");
  CHECK(after[0]["child"] == name);
  // Each child says the name it runs under, from its own process.
  auto lost = events_of(r, "lifecycle.runs_as_default");
  auto kept = events_of(r, "lifecycle.runs_as_set");
  REQUIRE(lost.size() == 1);
  REQUIRE(kept.size() == 1);
  CHECK(lost[0]["name"] == "MyProcess-4");
  CHECK(kept[0]["name"] == name);
  CHECK(lost[0]["ppid"] == before[0]["pid"]);  // a child of the main process, not the main process
  CHECK(lost[0]["pid"] != before[0]["pid"]);
  CHECK(lost[0]["pid"] != kept[0]["pid"]);

  for (const char* bad : {"", "MyProcess-4"})
    CHECK(test::run_mpdemo({"lifecycle", "--subclass-name", bad, "--speed", "0"}).exit_code == 2);
}

TEST_CASE("fork: returns 0 in the child and the child's pid in the parent", "[cli][fork]") {
  auto rounds = GENERATE(1, 20);
  auto r = run_json({"fork", "--rounds", std::to_string(rounds), "--speed", "0.01", "--seed", "1"});
  require_all_checks_held(r);
  const auto& s = r.summary();
  CHECK(s["parent_first"].get<int>() + s["child_first"].get<int>() == rounds);
  auto in_child = events_of(r, "fork.in_child");
  auto in_parent = events_of(r, "fork.in_parent");
  REQUIRE(in_child.size() == static_cast<std::size_t>(rounds));
  REQUIRE(in_parent.size() == static_cast<std::size_t>(rounds));
  CHECK(events_of(r, "fork.before").size() == static_cast<std::size_t>(rounds));
  for (int i = 0; i < rounds; ++i) {
    const auto& c = in_child[static_cast<std::size_t>(i)];
    CHECK(c["returned"] == 0);
    CHECK(c["ppid"] == s["main_pid"]);
    // The parent's copy of round i got this child's pid.
    bool matched = false;
    for (const auto& p : in_parent)
      matched = matched || (p["round"] == c["round"] && p["returned"] == c["pid"] && p["pid"] == s["main_pid"]);
    CHECK(matched);
  }
  CHECK(events_of(r, "fork.reaped").size() == static_cast<std::size_t>(rounds));
}

TEST_CASE("daemon: cut off when main ends while the worker finishes and no grandchild starts", "[cli][daemon]") {
  auto r = run_json({"daemon", "--speed", "0.05", "--seed", "1"});
  require_all_checks_held(r);
  const auto& s = r.summary();
  CHECK(s["daemon_done"] == false);
  CHECK(s["daemon_steps_done"].get<int>() < 5);
  CHECK(s["worker_done"] == true);
  CHECK(s["grandchild_refused"] == true);
  CHECK(events_of(r, "daemon.done").empty());
  CHECK(events_of(r, "daemon.worker_done").size() == 1);
  auto refused = events_of(r, "daemon.refused");
  REQUIRE(refused.size() == 1);
  CHECK(refused[0]["name"] == "Daemon");
  CHECK(refused[0]["error"].get<std::string>().find("may not start children") != std::string::npos);
  // The worker's "done" comes after main's last line: main waited for it.
  long main_end = index_of(r, [](const auto& e) { return e["kind"] == "daemon.main_ends"; });
  long worker_done = index_of(r, [](const auto& e) { return e["kind"] == "daemon.worker_done"; });
  CHECK(main_end >= 0);
  CHECK(worker_done > main_end);
}

TEST_CASE("daemon: when main outlives the daemon the lesson is not seen and the run says so", "[cli][daemon]") {
  auto r = run_json({"daemon", "--main", "4", "--daemon-steps", "2", "--step", "1", "--speed", "0.05", "--seed", "1"});
  CHECK(r.exit_code == 1);
  CHECK(r.summary()["ok"] == false);
  CHECK(r.check("daemon_cut_off_never_done")["ok"] == false);
  CHECK(r.summary()["daemon_done"] == true);
  CHECK(events_of(r, "daemon.verdict_finished").size() == 1);
  auto instant = run_mpdemo({"daemon", "--speed", "0"});
  CHECK(instant.exit_code == 2);
  CHECK(instant.err.find("too little to see it cut off") != std::string::npos);
}

TEST_CASE("process basics: --help shows an example with the options and --seed", "[cli][help][spawn][pid][isolation][join-timing][lifecycle][fork][daemon]") {
  struct Case {
    const char* name;
    const char* option;
  };
  auto c = GENERATE(Case{"spawn", "--per-way"}, Case{"pid", "--children"}, Case{"isolation", "--shared"},
                    Case{"join-timing", "--sleeps"}, Case{"lifecycle", "--exit-code"}, Case{"fork", "--rounds"},
                    Case{"daemon", "--daemon-steps"});
  auto r = run_mpdemo({c.name, "--help"});
  INFO(c.name);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("Example") != std::string::npos);
  CHECK(r.out.find(std::string("mpdemo ") + c.name) != std::string::npos);
  CHECK(r.out.find(c.option) != std::string::npos);
  CHECK(r.out.find("--seed") != std::string::npos);
  auto explain = run_mpdemo({"explain", c.name, "--lang", "zh"});
  CHECK(explain.exit_code == 0);
  CHECK(explain.out.find("Python") != std::string::npos);
  CHECK(explain.out.find("要点") != std::string::npos);
}
