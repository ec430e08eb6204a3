// SIGKILL in the middle of a run, of mpdemo itself or of one of its
// children. A killed mpdemo takes every child with it (the kernel does it:
// nothing in mpdemo runs after a SIGKILL) and leaves no temporary file; a
// killed child is reported, with the summary still the last line and each
// check counting what it says.
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/background_run.hpp"
#include "support/mpdemo_runner.hpp"
#include "support/proc_watch.hpp"

namespace {

// Processes whose parent is `parent`, from /proc.
std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    const auto paren = line.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(line.substr(paren + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent && state != 'Z') out.push_back(static_cast<pid_t>(std::stoi(name)));
  }
  return out;
}

// Every descendant of `root` alive now (children, their children, ...).
std::set<pid_t> descendants(pid_t root) {
  std::set<pid_t> found;
  std::vector<pid_t> todo{root};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    for (pid_t c : children_of(p))
      if (found.insert(c).second) todo.push_back(c);
  }
  return found;
}

// Orphans of a killed mpdemo come to this test process, which reaps them:
// the test does not depend on what pid 1 does, and leaves no zombie.
struct AdoptOrphans {
  AdoptOrphans() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
  ~AdoptOrphans() {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  }
};

// Reads events until `pred(event)` holds; false at EOF or after 30 s.
template <class Pred>
bool read_until(test::BackgroundRun& run, Pred pred) {
  for (;;) {
    auto e = run.next_event(30.0);
    if (!e.is_object()) return false;
    if (pred(e)) return true;
  }
}

// The last JSON line of a run that is left to finish.
nlohmann::json read_to_end(test::BackgroundRun& run) {
  nlohmann::json last;
  for (;;) {
    auto e = run.next_event(120.0);
    if (!e.is_object()) return last;
    last = e;
  }
}

// What a run said after a kill, read to its end: the processes named as
// killed and as stopped (part.child_killed, part.child_stopped), and the
// last line (the summary).
struct PartEnds {
  std::vector<std::string> killed, stopped;
  nlohmann::json last;
};
PartEnds read_part_ends(test::BackgroundRun& run) {
  PartEnds ends;
  for (;;) {
    auto e = run.next_event(60.0);
    if (!e.is_object()) return ends;
    if (e["kind"] == "part.child_killed") ends.killed.push_back(e["process"].get<std::string>());
    if (e["kind"] == "part.child_stopped") ends.stopped.push_back(e["process"].get<std::string>());
    ends.last = e;
  }
}

}  // namespace

TEST_CASE("SIGKILL of mpdemo ends every child it started", "[cli][kill]") {
  struct Case {
    std::vector<std::string> args;
    std::size_t children;  // how many to see running before the kill
  };
  // Each would leave children running for seconds or for good: states a
  // spinning and a stopped one, ticket buyers in a 30 s purchase, the
  // echo-server's server listening.
  auto c = GENERATE(Case{{"states", "--interval", "5"}, 3},
                    Case{{"ticket", "--lock", "--buy-min", "30", "--buy-max", "30", "--search-max", "0"}, 5},
                    Case{{"queue-crowd", "--readers-after", "30"}, 5},
                    Case{{"echo-server", "--think", "30"}, 2});
  CAPTURE(c.args[0]);
  AdoptOrphans adopt;
  test::TempDir dir;
  std::vector<std::string> args = c.args;
  for (const char* a : {"--json", "--seed", "3"}) args.push_back(a);
  test::BackgroundRun run(args, dir.path());
  const pid_t main_pid = run.pid;
  std::set<pid_t> seen;
  REQUIRE(test::wait_until(
      [&] {
        run.next_event(0.01);  // keep the pipe drained
        seen = descendants(main_pid);
        return seen.size() >= c.children;
      },
      30.0));
  REQUIRE(::kill(main_pid, SIGKILL) == 0);
  const int status = run.wait_status(30.0);
  CHECK(WIFSIGNALED(status));
  for (pid_t child : seen) {
    CAPTURE(child);
    CHECK(test::wait_until([child] { return test::not_running(child); }, 10.0));
  }
}

TEST_CASE("SIGKILL of mpdemo during file-append leaves no temporary file", "[cli][kill][file-append]") {
  AdoptOrphans adopt;
  test::TempDir dir;
  test::BackgroundRun run({"file-append", "--json", "--delay-max", "30", "--seed", "1"}, dir.path());
  REQUIRE(read_until(run, [](const nlohmann::json& e) { return e["kind"] == "file-append.opened"; }));
  auto files = [&] {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
      names.push_back(entry.path().filename().string());
    return names;
  };
  REQUIRE(files().size() == 1);  // the run's file, being written
  REQUIRE(::kill(run.pid, SIGKILL) == 0);
  run.wait_status(30.0);
  CHECK(test::wait_until([&] { return files().empty(); }, 10.0));
  INFO(files().size());
}

TEST_CASE("a pool worker killed in a task: a failed check says so and the summary is last", "[cli][kill][pool]") {
  test::TempDir dir;
  test::BackgroundRun run({"pool", "--json", "--workers", "2", "--map-tasks", "10", "--tasks", "2", "--work", "20",
                           "--callbacks", "2", "--imap-tasks", "2", "--step", "0", "--seed", "1"},
                          dir.path());
  pid_t worker = 0;
  REQUIRE(read_until(run, [&](const nlohmann::json& e) {
    if (e["kind"] != "pool.work") return false;
    worker = e["pid"].get<pid_t>();
    return true;
  }));
  REQUIRE(::kill(worker, SIGKILL) == 0);
  const nlohmann::json last = read_to_end(run);
  const int status = run.wait_status(30.0);
  INFO(last.dump());
  REQUIRE(last["kind"] == "summary");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(last["ok"] == false);
  nlohmann::json check;
  for (const auto& c : last["checks"])
    if (c["name"] == "every_task_completed") check = c;
  REQUIRE(check.is_object());
  CHECK(check["ok"] == false);
  CHECK(check["value"].dump().find("signal 9") != std::string::npos);
  // The parts after the failed one still ran, on the replacement worker.
  for (const auto& c : last["checks"])
    if (c["name"] == "callbacks_in_main_process" || c["name"] == "imap_in_order") CHECK(c["ok"] == true);
}

TEST_CASE("echo-server: a pool worker killed while serving is not counted beside its replacement",
          "[cli][kill][echo-server]") {
  test::TempDir dir;
  test::BackgroundRun run({"echo-server", "--json", "--mode", "pool", "--workers", "2", "--clients", "5",
                           "--messages", "3", "--think", "0.3", "--stagger", "0", "--seed", "1"},
                          dir.path());
  pid_t worker = 0;
  REQUIRE(read_until(run, [&](const nlohmann::json& e) {
    if (e["kind"] != "echo.serving") return false;
    worker = e["pid"].get<pid_t>();
    return true;
  }));
  REQUIRE(::kill(worker, SIGKILL) == 0);
  const nlohmann::json last = read_to_end(run);
  run.wait_status(30.0);
  INFO(last.dump());
  REQUIRE(last["kind"] == "summary");
  CHECK(last["max_served_at_once"].get<int>() <= 2);
  for (const auto& c : last["checks"])
    if (c["name"] == "at_most_workers_at_once") CHECK(c["ok"] == true);
}

TEST_CASE("crawler: a page whose worker was killed is fetched again, and parsed once", "[cli][kill][crawler]") {
  test::TempDir dir;
  test::BackgroundRun run({"crawler", "--json", "--workers", "2", "--latency", "0.5", "--seed", "1"}, dir.path());
  pid_t worker = 0;
  REQUIRE(read_until(run, [&](const nlohmann::json& e) {
    if (e["kind"] != "crawl.fetching") return false;
    worker = e["pid"].get<pid_t>();
    return true;
  }));
  REQUIRE(::kill(worker, SIGKILL) == 0);
  const nlohmann::json last = read_to_end(run);
  run.wait_status(30.0);
  INFO(last.dump());
  REQUIRE(last["kind"] == "summary");
  CHECK(last["fetches_lost_with_a_worker"] == 1);
  for (const auto& c : last["checks"])
    if (c["name"] == "every_page_parsed_once" || c["name"] == "broken_links_reported_once") CHECK(c["ok"] == true);
}

TEST_CASE("rlock: a producer killed while consumers wait on the Condition ends the run, named",
          "[cli][kill][rlock]") {
  // The consumers wait for items that only the producer would make. Before
  // the lesson joined its parts with join_part, mpdemo waited for them for ever.
  test::TempDir dir;
  test::BackgroundRun run({"rlock", "--json", "--consumers", "3", "--batches", "3", "--pause", "0.3", "--eat", "0",
                           "--seed", "1"},
                          dir.path());
  pid_t producer = 0;
  REQUIRE(read_until(run, [&](const nlohmann::json& e) {
    if (e["kind"] != "rlock.producer_made") return false;
    producer = e["pid"].get<pid_t>();
    return true;
  }));
  REQUIRE(::kill(producer, SIGKILL) == 0);
  const PartEnds ends = read_part_ends(run);
  const auto& [killed, stopped, last] = ends;
  const int status = run.wait_status(30.0);
  INFO(last.dump());
  REQUIRE(last["kind"] == "summary");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(killed == std::vector<std::string>{"Producer"});
  CHECK(stopped.size() == 3);  // every consumer was still waiting for items
  for (const auto& c : last["checks"])
    if (c["name"] == "condition_delivered_every_item") CHECK(c["ok"] == false);
}

TEST_CASE("event: the Light killed while the cars wait for green ends the run, named", "[cli][kill][event]") {
  // The cars wait for a green that only the Light would give. Before the
  // lesson joined its processes with join_lesson_part, mpdemo waited for ever.
  test::TempDir dir;
  test::BackgroundRun run({"event", "--json", "--cars", "3", "--interval", "30", "--arrive-max", "0",
                           "--police-arrive", "0", "--police-timeout", "0.2", "--seed", "1"},
                          dir.path());
  pid_t light = 0;
  int waiting = 0;
  REQUIRE(read_until(run, [&](const nlohmann::json& e) {
    if (e["kind"] == "event.light_start") light = e["pid"].get<pid_t>();
    if (e["kind"] == "event.car_wait") ++waiting;
    return light != 0 && waiting == 3;
  }));
  REQUIRE(::kill(light, SIGKILL) == 0);
  const PartEnds ends = read_part_ends(run);
  const auto& [killed, stopped, last] = ends;
  const int status = run.wait_status(30.0);
  INFO(last.dump());
  REQUIRE(last["kind"] == "summary");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(killed == std::vector<std::string>{"Light"});
  CHECK(stopped.size() == 3);  // the cars, still waiting for green
  for (const auto& c : last["checks"])
    if (c["name"] == "every_car_passed" || c["name"] == "light_stopped") CHECK(c["ok"] == false);
}

TEST_CASE("manager: its server killed mid-run ends the run with a failed line in the run's language",
          "[cli][kill][manager]") {
  test::TempDir dir;
  const std::string err = dir.file("stderr.txt");
  test::BackgroundRun run({"manager", "--json", "--lang", "zh", "--workers", "3", "--delay", "2", "--seed", "1"},
                          dir.path(), err);
  pid_t server = 0;
  REQUIRE(read_until(run, [&](const nlohmann::json& e) {
    if (e["kind"] != "manager.setup") return false;
    server = e["server"].get<pid_t>();
    return true;
  }));
  REQUIRE(::kill(server, SIGKILL) == 0);
  const nlohmann::json last = read_to_end(run);
  const int status = run.wait_status(60.0);
  REQUIRE(last["kind"] == "summary");
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  CHECK(last["checks"][0]["name"] == "run_completed");
  const std::string said = dir.read("stderr.txt");
  INFO(said);
  CHECK(said.find("mpdemo manager：运行失败：") != std::string::npos);
  CHECK(said.find("failed:") == std::string::npos);
}

TEST_CASE("ticket --order: a buyer killed before its first step point ends the run, named", "[cli][kill][steps]") {
  // Seed 4 with --search-max 5: Buyer-1 searches for 4.3 s before its first
  // step point, so the kill finds it there, before it ever reported. Before
  // the fix the driver waited for its report for ever.
  test::TempDir dir;
  const std::string err = dir.file("stderr.txt");
  test::BackgroundRun run({"ticket", "--json", "--buyers", "2", "--order", "1,2,*", "--search-max", "5", "--seed",
                           "4", "--lang", "en"},
                          dir.path(), err);
  pid_t buyer = 0;
  REQUIRE(read_until(run, [&](const nlohmann::json& e) {
    if (e["kind"] != "trace.process_start" || e["name"] != "Buyer-1") return false;
    buyer = e["pid"].get<pid_t>();
    return true;
  }));
  REQUIRE(::kill(buyer, SIGKILL) == 0);
  // Not read to its end: a run that hangs would hold the reader for ever.
  // What is left of its output (a few KB) fits in the pipe.
  const int status = run.wait_status(60.0);
  REQUIRE(status != -1);  // -1: still running after 60 s
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  const std::string said = dir.read("stderr.txt");
  INFO(said);
  CHECK(said.find("Buyer-1 cannot go: it ended before it finished its steps") != std::string::npos);
}
