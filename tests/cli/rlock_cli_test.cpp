// mpdemo rlock through the real binary: a Lock taken twice times out, an
// RLock re-enters, a Condition hands every item out once.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/mpdemo_runner.hpp"

using test::run_json;

TEST_CASE("rlock: deadlock by timeout, RLock re-entry, Condition delivery", "[cli][rlock]") {
  struct Case {
    int depth, consumers, batches;
  };
  auto c = GENERATE(Case{3, 3, 3}, Case{5, 4, 4}, Case{1, 1, 1}, Case{2, 6, 2});
  auto r = run_json({"rlock", "--depth", std::to_string(c.depth), "--consumers", std::to_string(c.consumers),
                     "--batches", std::to_string(c.batches), "--speed", "0.05", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["lock_second_acquire"] == "timed out");
  // The timeout is 1 s scaled by 0.05, raised to the 0.05 s floor.
  CHECK(s["lock_waited"].get<double>() >= 0.04);
  std::vector<int> depths;
  for (int d = 1; d <= c.depth; ++d) depths.push_back(d);
  CHECK(s["rlock_depths"] == depths);
  CHECK(s["rlock_other_refused"] == true);
  const int items = c.batches * (c.batches + 1) / 2;
  CHECK(s["items"] == items);
  CHECK(s["items_taken"] == items);
  for (const auto& taker : s["item_takers"]) {
    CHECK(taker.get<int>() >= 1);
    CHECK(taker.get<int>() <= c.consumers);
  }
  for (const char* check : {"deadlock_detected_by_timeout", "rlock_reentry_ok", "condition_delivered_every_item"})
    CHECK(r.check(check)["ok"] == true);

  // The other process got the RLock only after the owner's depth reached 0.
  bool released_all = false, other_got_after = false;
  for (const auto& e : r.events) {
    if (e["kind"] == "rlock.rlock_leave" && e["depth"] == 0) released_all = true;
    if (e["kind"] == "rlock.other_got") other_got_after = released_all;
  }
  CHECK(other_got_after);
}

TEST_CASE("rlock at --speed 0 still shows the deadlock by timeout", "[cli][rlock]") {
  auto r = run_json({"rlock", "--speed", "0", "--seed", "2"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["lock_second_acquire"] == "timed out");
}
