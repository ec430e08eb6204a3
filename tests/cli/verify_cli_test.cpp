// `mpdemo verify`: the regression suite's entry point runs every scenario's
// argument sets, each lesson holds, and every line has text in both languages.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>
#include <string>

#include "support/mpdemo_runner.hpp"

using test::run_json;
using test::run_mpdemo;

TEST_CASE("verify: every run of every scenario holds and has text in every language", "[cli][verify]") {
  auto r = run_json({"verify"});
  REQUIRE(!r.events.empty());
  const auto& report = r.events.back();
  REQUIRE(report["kind"] == "verify.report");
  std::set<std::string> scenarios;
  int runs = 0;
  for (const auto& e : r.events) {
    if (e["kind"] != "verify.run") continue;
    ++runs;
    scenarios.insert(e["scenario"].get<std::string>());
    INFO(e.dump());
    CHECK(e["ok"] == true);
    CHECK(e["exit_code"] == 0);
    CHECK(e["checks"].get<int>() > 0);
    CHECK(e["checks_held"] == e["checks"]);
    CHECK(e["missing_text"].empty());
  }
  CHECK(report["runs"] == runs);
  CHECK(report["failed"] == 0);
  CHECK(r.exit_code == 0);

  // Every scenario that `list` names was run (the first word of each
  // indented line; the others are headings and hints).
  auto listed = run_mpdemo({"list"});
  REQUIRE(listed.exit_code == 0);
  std::set<std::string> listed_names;
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  ", 0) != 0) continue;
    std::istringstream words(line);
    if (std::string name; words >> name) listed_names.insert(name);
  }
  CHECK(scenarios == listed_names);
}

TEST_CASE("verify --only runs just the named scenarios and refuses unknown ones", "[cli][verify][errors]") {
  auto r = run_json({"verify", "--only", "fork,pid"});
  std::set<std::string> scenarios;
  for (const auto& e : r.events)
    if (e["kind"] == "verify.run") scenarios.insert(e["scenario"].get<std::string>());
  CHECK(scenarios == std::set<std::string>{"fork", "pid"});
  CHECK(r.exit_code == 0);

  auto bad = run_mpdemo({"verify", "--only", "fork,nope"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("nope") != std::string::npos);
}
