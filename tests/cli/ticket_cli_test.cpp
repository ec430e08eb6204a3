// mpdemo ticket through the real binary: the race, its fix, the summary.
#include <catch2/catch.hpp>

#include "support/mpdemo_runner.hpp"

using test::run_json;
using test::TempDir;

TEST_CASE("ticket --lock sells exactly min(buyers, tickets)", "[cli][ticket]") {
  auto buyers = GENERATE(1, 5, 30);
  auto tickets = GENERATE(0, 1, 7);
  auto seed = GENERATE(1, 2);
  TempDir dir;
  auto r = run_json({"ticket", "--lock", "--buyers", std::to_string(buyers), "--tickets", std::to_string(tickets),
                     "--speed", "0.002", "--seed", std::to_string(seed)},
                    dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["kind"] == "summary");
  CHECK(s["scenario"] == "ticket");
  CHECK(s["ok"] == true);
  CHECK(s["sold"] == std::min(buyers, tickets));
  CHECK(s["remaining"] == tickets - std::min(buyers, tickets));
  CHECK(s["oversold"] == 0);
  CHECK(dir.read("db.json").find(std::to_string(tickets - std::min(buyers, tickets))) != std::string::npos);
}

TEST_CASE("ticket without a lock oversells at the default delays", "[cli][ticket]") {
  TempDir dir;
  // --speed scales the tutorial's delays; their ratio (search <= 1 s, buy >= 1 s) is what
  // makes every buyer read the count before anyone writes, so the race shows at any speed.
  auto r = run_json({"ticket", "--speed", "0.05", "--seed", "3"}, dir.path());
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["oversold"].get<int>() > 0);
  CHECK(r.summary()["sold"].get<int>() > 1);
  CHECK(r.check("race_observed")["ok"] == true);
}

TEST_CASE("ticket --json: every line parses, events carry the header, the summary is last", "[cli][ticket][json]") {
  TempDir dir;
  auto r = run_json({"ticket", "--lock", "--speed", "0.01", "--seed", "4"}, dir.path());
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.events.size() > 5);
  for (std::size_t i = 0; i + 1 < r.events.size(); ++i) {
    const auto& e = r.events[i];
    CHECK(e.contains("t"));
    CHECK(e.contains("pid"));
    CHECK(e.contains("ppid"));
    CHECK(e.contains("name"));
    CHECK(e.contains("kind"));
    CHECK(e["kind"] != "summary");
  }
  const auto& s = r.summary();
  for (const char* k : {"buyers", "tickets", "sold", "remaining", "oversold", "checks", "ok"}) CHECK(s.contains(k));
}

TEST_CASE("ticket scales: 1000 buyers at --speed 0", "[cli][ticket][scale]") {
  TempDir dir;
  auto r = run_json({"ticket", "--lock", "--buyers", "1000", "--tickets", "300", "--speed", "0", "--seed", "5"},
                    dir.path());
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["sold"] == 300);
  CHECK(r.summary()["remaining"] == 0);
  CHECK(r.summary()["elapsed"].get<double>() < 30.0);
}

TEST_CASE("ticket --keep uses the count in the file and --crash-holder is recovered", "[cli][ticket]") {
  TempDir dir;
  dir.write("db.json", "{\"count\": 2}\n");
  auto r = run_json({"ticket", "--lock", "--keep", "--buyers", "4", "--speed", "0.001", "--seed", "6"}, dir.path());
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["tickets"] == 2);
  CHECK(r.summary()["sold"] == 2);

  auto c = run_json({"ticket", "--lock", "--buyers", "4", "--tickets", "4", "--crash-holder", "2", "--speed", "0.001",
                     "--seed", "6"},
                    dir.path());
  REQUIRE(c.exit_code == 0);
  CHECK(c.summary()["crashed"] == 1);
  CHECK(c.summary()["sold"] == 3);
  // Whoever takes the lock next (a buyer, or the main process when the
  // crashed holder was the last) is told that its holder died.
  // The take-over is told once (the core's line), not once more by the buyer.
  CHECK(test::count_kind(c, "core.owner_died") == 1);
  CHECK(c.check("dead_holder_recovered")["ok"] == true);
}

TEST_CASE("a bad db is a clear error (exit 2) and the file is left as it was", "[cli][ticket][errors]") {
  struct Case {
    const char* content;
    const char* says;
  };
  auto c = GENERATE(Case{"{\"count\": 1", "not valid JSON"}, Case{"[1, 2]", "expected a JSON object"},
                    Case{"{\"tickets\": 3}", "no \"count\""}, Case{"{\"count\": -4}", "must be from 0 to"},
                    Case{"{\"count\": 1.5}", "not an integer"}, Case{"{\"count\": \"3\"}", "not an integer"},
                    Case{"", "not valid JSON"});
  TempDir dir;
  dir.write("db.json", c.content);
  auto r = test::run_mpdemo({"ticket", "--keep", "--speed", "0"}, dir.path());
  INFO(r.err);
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("db.json") != std::string::npos);
  CHECK(r.err.find(c.says) != std::string::npos);
  CHECK(dir.read("db.json") == c.content);
}

TEST_CASE("a missing db with --keep, or an unwritable place, is exit 2", "[cli][ticket][errors]") {
  TempDir dir;
  auto missing = test::run_mpdemo({"ticket", "--keep", "--speed", "0"}, dir.path());
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("cannot open") != std::string::npos);
  auto nowhere = test::run_mpdemo({"ticket", "--db", "/nonexistent-dir/db.json", "--speed", "0"}, dir.path());
  CHECK(nowhere.exit_code == 2);
  CHECK(nowhere.err.find("/nonexistent-dir/db.json") != std::string::npos);
}

TEST_CASE("bad usage exits 2 with a message naming the problem", "[cli][errors]") {
  auto unknown = test::run_mpdemo({"tikcet"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("did you mean 'ticket'") != std::string::npos);
  auto bad = test::run_mpdemo({"ticket", "--buyers", "0"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--buyers") != std::string::npos);
  auto combo = test::run_mpdemo({"ticket", "--crash-holder", "1"});
  CHECK(combo.exit_code == 2);
  CHECK(combo.err.find("needs --lock") != std::string::npos);
  auto lang = test::run_mpdemo({"ticket", "--lang", "fr"});
  CHECK(lang.exit_code == 2);
}

TEST_CASE("mpdemo --help lists scenarios, each scenario's --help has an example", "[cli][help]") {
  auto top = test::run_mpdemo({"--help"});
  CHECK(top.exit_code == 0);
  CHECK(top.out.find("ticket") != std::string::npos);
  auto sub = test::run_mpdemo({"ticket", "--help"});
  CHECK(sub.exit_code == 0);
  CHECK(sub.out.find("Example") != std::string::npos);
  CHECK(sub.out.find("--seed") != std::string::npos);
  auto list = test::run_mpdemo({"list"});
  CHECK(list.exit_code == 0);
  CHECK(list.out.find("ticket") != std::string::npos);
}

TEST_CASE("ticket's closing sentence follows what happened and which fix was in force", "[cli][ticket][verdict]") {
  struct Case {
    std::vector<std::string> args;
    const char* verdict;
  };
  auto c = GENERATE(Case{{"--buyers", "1", "--speed", "0.01"}, "ticket.verdict_one_buyer"},
                    Case{{"--buyers", "1", "--speed", "0"}, "ticket.verdict_one_buyer"},
                    Case{{"--tickets", "0", "--speed", "0.01"}, "ticket.verdict_nothing_to_sell"},
                    Case{{"--lock", "--speed", "0.002"}, "ticket.verdict_ok"});
  TempDir dir;
  auto args = c.args;
  args.insert(args.begin(), "ticket");
  args.insert(args.end(), {"--seed", "7"});
  auto r = run_json(args, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(test::count_kind(r, c.verdict) == 1);
  // "The lock made read-wait-write one step" only where a lock was held.
  if (std::string(c.verdict) != "ticket.verdict_ok") CHECK(test::count_kind(r, "ticket.verdict_ok") == 0);
}

TEST_CASE("ticket without a lock at --speed 0 never credits the lock", "[cli][ticket][verdict]") {
  TempDir dir;
  auto r = run_json({"ticket", "--speed", "0", "--seed", "3"}, dir.path());
  INFO(r.err);
  CHECK(test::count_kind(r, "ticket.verdict_ok") == 0);
  CHECK(test::count_kind(r, "ticket.verdict_oversold") + test::count_kind(r, "ticket.verdict_lost") +
            test::count_kind(r, "ticket.verdict_no_race_speed0") ==
        1);
}
