// --compare through the real binary: the scenario runs without and then with
// its fix, same seed; --json carries every run's events and summary and a
// last {"kind": "compare"} line; the console shows one table in the run's
// language; a scenario without a fix, a fix flag given, or an option that
// two runs cannot share is exit 2; a signal mid-comparison leaves nothing.
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/background_run.hpp"
#include "support/mpdemo_runner.hpp"
#include "support/proc_watch.hpp"

namespace {

// The runs' summaries and the compare line of a --compare --json run, with
// what every comparison must show: one seed for all runs, the table's
// figures taken from each run's own summary, ok and the exit status agreeing.
struct Comparison {
  test::RunResult result;
  std::vector<nlohmann::json> summaries;
  nlohmann::json line;
};

Comparison compare_json(std::vector<std::string> args, std::size_t runs) {
  args.insert(args.end(), {"--compare", "--speed", "0.05", "--seed", "5"});
  Comparison c{test::run_json(args), {}, nullptr};
  INFO(c.result.err);
  for (const auto& e : c.result.events)
    if (e.value("kind", "") == "summary") c.summaries.push_back(e);
  REQUIRE(!c.result.events.empty());
  c.line = c.result.summary();
  REQUIRE(c.line.value("kind", "") == "compare");
  REQUIRE(c.summaries.size() == runs);
  REQUIRE(c.line["runs"].size() == runs);
  CHECK(test::count_kind(c.result, "run.start") == static_cast<int>(runs));
  bool all_ok = true;
  for (std::size_t i = 0; i < runs; ++i) {
    const auto& s = c.summaries[i];
    const auto& r = c.line["runs"][i];
    CHECK(s["seed"] == 5);
    CHECK(r["ok"] == s["ok"]);
    CHECK(r["exit_code"] == (s["ok"] == true ? 0 : 1));
    for (auto& [figure, value] : r["figures"].items()) CHECK(value == s.value(figure, nlohmann::json()));
    CHECK(!r.value("outcome", "").empty());
    all_ok = all_ok && s["ok"] == true;
  }
  CHECK(c.line["ok"] == all_ok);
  CHECK(c.result.exit_code == (all_ok ? 0 : 1));
  return c;
}

// Processes whose command line holds `marker` (a run's own temporary path).
int processes_with(const std::string& marker) {
  int found = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream in(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(marker) != std::string::npos && !test::not_running(std::stoi(entry.path().filename())))
      ++found;
  }
  return found;
}

}  // namespace

TEST_CASE("compare: ticket without and with --lock, same seed, every event and one compare line", "[cli][compare]") {
  auto c = compare_json({"ticket", "--buyers", "4"}, 2);
  const auto& runs = c.line["runs"];
  CHECK(runs[0]["args"] == "");
  CHECK(runs[1]["args"] == "--lock");
  CHECK(c.summaries[0]["lock"] == false);
  CHECK(c.summaries[1]["lock"] == true);
  // With the lock exactly one of four buyers gets the one ticket; without it
  // at least one does, and every sale the db lost shows as oversold.
  CHECK(runs[1]["figures"]["sold"] == 1);
  CHECK(runs[1]["figures"]["oversold"] == 0);
  CHECK(runs[0]["figures"]["sold"].get<int>() >= 1);
  CHECK(runs[0]["figures"]["oversold"] == runs[0]["figures"]["sold"].get<int>() - 1);
  CHECK(runs[1]["outcome_kind"] == "ticket.verdict_ok");
  CHECK(c.line["scenario"] == "ticket");
  CHECK(c.line["seed"] == 5);
}

TEST_CASE("compare: ticket on SQLite compares its SQL, naive, in a transaction, atomic", "[cli][compare]") {
  auto c = compare_json({"ticket", "--store", "sqlite", "--buyers", "4"}, 3);
  const auto& runs = c.line["runs"];
  CHECK(runs[0]["args"] == "--sql naive");
  CHECK(runs[1]["args"] == "--sql transaction");
  CHECK(runs[2]["args"] == "--sql atomic");
  for (std::size_t i = 0; i < 3; ++i) CHECK(c.summaries[i]["store"] == "sqlite");
  CHECK(runs[1]["figures"]["sold"] == 1);
  CHECK(runs[2]["figures"]["sold"] == 1);
  CHECK(runs[2]["figures"]["oversold"] == 0);
  CHECK(runs[0]["figures"]["sold"].get<int>() >= 1);
}

TEST_CASE("compare: print-lock's two fixes, file-append's O_APPEND, manager's lock, isolation's shared memory",
          "[cli][compare]") {
  SECTION("print-lock: nothing, --join, --lock") {
    auto c = compare_json({"print-lock"}, 3);
    CHECK(c.line["runs"][1]["args"] == "--join");
    CHECK(c.line["runs"][2]["args"] == "--lock");
    CHECK(c.line["runs"][1]["figures"]["overlaps"] == 0);
    CHECK(c.line["runs"][2]["figures"]["overlaps"] == 0);
    CHECK(c.line["runs"][1]["figures"]["order"] == nlohmann::json::array({1, 2, 3}));
  }
  SECTION("file-append: without O_APPEND first, then with it") {
    auto c = compare_json({"file-append", "--writers", "6"}, 2);
    CHECK(c.line["runs"][0]["args"] == "--no-append");
    CHECK(c.summaries[0]["append"] == false);
    CHECK(c.summaries[1]["append"] == true);
    CHECK(c.line["runs"][1]["figures"]["records"] == 6);
    CHECK(c.line["runs"][1]["figures"]["lost"] == 0);
  }
  SECTION("manager: the lock keeps every decrement") {
    auto c = compare_json({"manager", "--workers", "20", "--count", "30"}, 2);
    CHECK(c.line["runs"][1]["figures"]["final"] == 10);
    CHECK(c.line["runs"][1]["figures"]["lost_updates"] == 0);
    CHECK(c.line["runs"][0]["figures"]["final"].get<int>() >= 10);
  }
  SECTION("isolation: the global stays, the shared value is seen") {
    auto c = compare_json({"isolation", "--x", "5", "--child-x", "8"}, 2);
    CHECK(c.line["runs"][0]["figures"]["x_in_main"] == 5);
    CHECK(c.line["runs"][1]["figures"]["x_in_main"] == 5);
    CHECK(c.line["runs"][0]["figures"]["shared_in_main"].is_null());
    CHECK(!c.line["runs"][1]["figures"]["shared_in_main"].is_null());
  }
}

TEST_CASE("compare: the console shows one table in the run's language", "[cli][compare]") {
  auto en = test::run_mpdemo({"ticket", "--compare", "--speed", "0.05", "--seed", "6", "--lang", "en"});
  INFO(en.out << en.err);
  CHECK(en.exit_code <= 1);
  CHECK(en.out.find("run 1 of 2: no lock") != std::string::npos);
  CHECK(en.out.find("── ticket · without and with the fix, seed 6 ──") != std::string::npos);
  CHECK(std::regex_search(en.out, std::regex("\n +no lock +--lock\n")));
  CHECK(std::regex_search(en.out, std::regex("\n  sold +[1-9][0-9]* +1\n")));
  CHECK(en.out.find("▶ 1 of 5 buyers got a ticket") != std::string::npos);  // the outcome, marked
  CHECK(en.out.find("rerun with: mpdemo ticket") != std::string::npos);
  CHECK(en.out.find("--compare --seed 6") != std::string::npos);
  // Nothing but the table and its progress lines: no event stream, no JSON.
  CHECK(en.out.find("{\"") == std::string::npos);

  auto zh = test::run_mpdemo({"manager", "--compare", "--speed", "0.05", "--seed", "6", "--lang", "zh"});
  INFO(zh.out << zh.err);
  CHECK(zh.exit_code <= 1);
  CHECK(zh.out.find("不加修复与加修复，种子 6") != std::string::npos);
  CHECK(zh.out.find("最终计数") != std::string::npos);
  CHECK(zh.out.find("复现命令：mpdemo manager") != std::string::npos);
}

TEST_CASE("compare: no fix, a fix flag given, or an option two runs cannot share is exit 2", "[cli][compare][errors]") {
  const std::set<std::string> with_fix = {"isolation", "print-lock", "ticket", "file-append", "manager"};
  for (const auto& name : test::scenario_names()) {
    if (with_fix.count(name)) continue;
    auto r = test::run_mpdemo({name, "--compare"});
    INFO(name << "\n" << r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--compare: " + name + " has no fix flag") != std::string::npos);
    CHECK(r.out.empty());
  }
  struct Bad {
    std::vector<std::string> args;
    std::string named;
  };
  const Bad bad[] = {
      {{"ticket", "--compare", "--lock"}, "leave --lock out"},
      {{"print-lock", "--compare", "--join"}, "leave --join out"},
      {{"file-append", "--compare", "--no-append"}, "leave --no-append out"},
      {{"ticket", "--compare", "--store", "sqlite", "--sql", "atomic"}, "leave --sql out"},
      {{"ticket", "--compare", "--predict", "3"}, "--predict cannot go with it"},
      {{"ticket", "--compare", "--timeline", "t.html"}, "--timeline cannot go with it"},
      {{"manager", "--compare", "--record", "r.jsonl"}, "--record cannot go with it"},
      {{"ticket", "--compare", "--step"}, "--step cannot go with it"},
      {{"manager", "--compare", "--order", "1,2"}, "--order cannot go with it"},
  };
  for (const auto& b : bad) {
    auto r = test::run_mpdemo(b.args);
    INFO(b.args[0] << " " << b.args[2] << "\n" << r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(b.named) != std::string::npos);
    CHECK(r.out.empty());
  }
  auto zh = test::run_mpdemo({"join-timing", "--compare", "--lang", "zh"});
  CHECK(zh.exit_code == 2);
  CHECK(zh.err.find("join-timing 没有可以“去掉再加上”的修复选项") != std::string::npos);
  // A bad option found by the run itself ends the comparison with its status.
  auto inside = test::run_mpdemo({"ticket", "--compare", "--buy-min", "3", "--buy-max", "1"});
  CHECK(inside.exit_code == 2);
  CHECK(inside.err.find("--buy-min") != std::string::npos);
}

TEST_CASE("compare: a signal mid-comparison ends the run under way, leaves no process and dies of it",
          "[cli][compare][interrupt]") {
  const int sig = GENERATE(SIGINT, SIGTERM);
  CAPTURE(sig);
  test::TempDir dir;
  // The db's path marks every process of this comparison (buyers are forks
  // of the run, so they carry its command line).
  const std::string db = dir.file("compare-interrupt-db.json");
  test::BackgroundRun run({"ticket", "--compare", "--json", "--buyers", "3", "--search-max", "0", "--buy-min", "30",
                           "--buy-max", "30", "--seed", "1", "--db", db},
                          dir.path());
  int reading = 0;
  while (reading < 3) {  // every buyer of the first run is in its 30 s purchase
    auto e = run.next_event(30.0);
    REQUIRE(e.is_object());
    CHECK(e.value("kind", "") != "compare");
    if (e["kind"] == "ticket.read") ++reading;
  }
  CHECK(processes_with(db) >= 4);  // the run and its three buyers
  REQUIRE(::kill(run.pid, sig) == 0);
  const int status = run.wait_status(30.0);
  REQUIRE(status != -1);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == sig);
  CHECK(test::wait_until([&] { return processes_with(db) == 0; }, 10.0));
  // The second run never started: one run.start only.
  int starts = 0;
  for (auto e = run.next_event(1.0); e.is_object(); e = run.next_event(1.0)) starts += e["kind"] == "run.start";
  CHECK(starts == 0);  // it came before the buyers' reads, already read above
}
