// mpdemo queue through the real binary: Full, Empty, the blocked put, stale snapshots.
#include <catch2/catch.hpp>

#include "support/mpdemo_runner.hpp"

using test::count_kind;
using test::run_json;

TEST_CASE("queue: Full and Empty are raised where Python raises them", "[cli][queue]") {
  auto maxsize = GENERATE(1, 3);
  auto r = run_json({"queue", "--maxsize", std::to_string(maxsize), "--speed", "0.05", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["ok"] == true);
  for (const char* c : {"put_nowait_raised_full", "put_timeout_raised_full", "put_blocked_until_get", "fifo_order",
                        "snapshot_went_stale", "get_timeout_raised_empty", "get_nowait_raised_empty"}) {
    INFO(c);
    CHECK(r.check(c)["ok"] == true);
  }
  CHECK(count_kind(r, "queue.full_at_once") == 1);
  CHECK(count_kind(r, "queue.full_after") == 1);
  CHECK(count_kind(r, "queue.empty_at_once") == 1);
  CHECK(count_kind(r, "queue.empty_after") == 1);
  // Items come out in the order they went in: the consumer took item 1, the main process the rest.
  std::vector<int> expected;
  for (int i = 1; i <= maxsize; ++i) expected.push_back(i);
  CHECK(s["fifo_order"].get<std::vector<int>>() == expected);
  // Two checkers saw an item; exactly one got it.
  CHECK(s["checkers_saw_items"] == 2);
  CHECK(s["checkers_got"] == 1);
  CHECK(s["checkers_empty"] == 1);
}

TEST_CASE("queue: the blocked put lasts about as long as the consumer sleeps", "[cli][queue]") {
  // --consumer-delay 1 at --speed 0.2: the consumer gets after 0.2 s. The put
  // cannot return before that; the upper bound is wide for a loaded machine.
  auto r = run_json({"queue", "--consumer-delay", "1", "--speed", "0.2", "--seed", "2"});
  REQUIRE(r.exit_code == 0);
  const double waited = r.summary()["put_waited"].get<double>();
  CHECK(waited >= 0.1);
  CHECK(waited < 5.0);
}
