// mpdemo manager through the real binary: a Manager dict decremented by many
// processes loses updates without a lock and ends exact with one.
#include <catch2/catch.hpp>

#include <string>

#include "support/mpdemo_runner.hpp"

using test::run_json;

TEST_CASE("manager --lock: the count ends at start - workers", "[cli][manager]") {
  struct Case {
    int workers, count;
  };
  auto c = GENERATE(Case{100, 100}, Case{10, 5}, Case{1, 1});
  auto r = run_json({"manager", "--lock", "--workers", std::to_string(c.workers), "--count", std::to_string(c.count),
                     "--speed", "0.02", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["final"] == c.count - c.workers);
  CHECK(s["lost_updates"] == 0);
  CHECK(s["server_exit_clean"] == true);
  CHECK(r.check("count_exact")["ok"] == true);
  int updates = 0;
  for (const auto& e : r.events)
    if (e["kind"] == "manager.update") {
      ++updates;
      CHECK(e["wrote"].get<int>() == e["read"].get<int>() - 1);
    }
  CHECK(updates == c.workers);
}

TEST_CASE("manager without a lock loses updates at the default delay", "[cli][manager]") {
  auto seed = GENERATE(1, 2);
  auto r = run_json({"manager", "--speed", "0.05", "--seed", std::to_string(seed)});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["final"].get<int>() > 0);
  CHECK(r.summary()["lost_updates"].get<int>() > 0);
  CHECK(r.check("updates_lost")["ok"] == true);
}

TEST_CASE("manager's closing sentence credits the lock only when it was held", "[cli][manager][verdict]") {
  auto one = run_json({"manager", "--workers", "1", "--speed", "0", "--seed", "1"});
  INFO(one.err);
  REQUIRE(one.exit_code == 0);
  CHECK(test::count_kind(one, "manager.verdict_one_worker") == 1);
  CHECK(test::count_kind(one, "manager.verdict_ok") == 0);

  // Two workers at --speed 0 may or may not overlap; whichever happened, the
  // lock that was never there is not given the credit.
  auto two = run_json({"manager", "--workers", "2", "--speed", "0", "--seed", "1"});
  INFO(two.err);
  CHECK(test::count_kind(two, "manager.verdict_ok") == 0);
  CHECK(test::count_kind(two, "manager.verdict_lost") + test::count_kind(two, "manager.verdict_no_race") == 1);
}
