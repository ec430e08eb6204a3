// mpdemo flash-sale through the real binary: ten distinct winners, the rest get Full.
#include <catch2/catch.hpp>

#include <set>

#include "support/mpdemo_runner.hpp"

using test::run_json;

TEST_CASE("flash-sale: exactly min(buyers, bands) distinct winners", "[cli][flash-sale]") {
  struct Case {
    int buyers, bands;
  };
  auto c = GENERATE(Case{100, 10}, Case{5, 10}, Case{30, 1});
  auto r = run_json({"flash-sale", "--buyers", std::to_string(c.buyers), "--bands", std::to_string(c.bands), "--speed",
                     "0.05", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  const int winners = std::min(c.buyers, c.bands);
  CHECK(s["ok"] == true);
  CHECK(s["winners"] == winners);
  CHECK(s["full"] == c.buyers - winners);
  const auto ranking = s["ranking"].get<std::vector<int>>();
  CHECK(static_cast<int>(std::set<int>(ranking.begin(), ranking.end()).size()) == winners);

  // The rank lines are 1..winners, in the ranking's order, and each pid is a buyer's.
  std::set<int> buyer_pids;
  std::vector<int> ranked;
  int full_events = 0;
  for (const auto& e : r.events) {
    const std::string kind = e.value("kind", "");
    if (kind == "flash.in" || kind == "flash.full") buyer_pids.insert(e["pid"].get<int>());
    if (kind == "flash.full") ++full_events;
    if (kind == "flash.rank") {
      CHECK(e["rank"] == static_cast<int>(ranked.size()) + 1);
      ranked.push_back(e["winner"].get<int>());
    }
  }
  CHECK(ranked == ranking);
  CHECK(full_events == c.buyers - winners);
  for (int pid : ranking) CHECK(buyer_pids.count(pid) == 1);
}
