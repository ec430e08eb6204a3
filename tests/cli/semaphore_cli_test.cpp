// mpdemo semaphore through the real binary: never more singers inside than
// rooms, the rooms filled, everybody in.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "support/mpdemo_runner.hpp"

using test::run_json;

TEST_CASE("semaphore: at most `rooms` inside, and the rooms were filled", "[cli][semaphore]") {
  struct Case {
    int rooms, users;
  };
  auto c = GENERATE(Case{4, 13}, Case{2, 6}, Case{1, 5}, Case{5, 3}, Case{8, 40});
  auto r = run_json({"semaphore", "--rooms", std::to_string(c.rooms), "--users", std::to_string(c.users), "--speed",
                     "0.05", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["peak"] == std::min(c.rooms, c.users));
  CHECK(s["entered"] == c.users);
  CHECK(s["free_at_end"] == c.rooms);
  CHECK(r.check("peak_equals_rooms")["ok"] == true);
  // Every enter event saw at most `rooms` inside, counting itself.
  int enters = 0;
  for (const auto& e : r.events)
    if (e["kind"] == "semaphore.enter") {
      ++enters;
      CHECK(e["inside"].get<int>() <= c.rooms);
      CHECK(e["inside"].get<int>() >= 1);
    }
  CHECK(enters == c.users);
  // More singers than rooms: some had to wait at the door.
  if (c.users > c.rooms) CHECK(s["waited"].get<int>() > 0);
}

TEST_CASE("semaphore: stays of zero length and bad ranges exit 2", "[cli][semaphore][errors]") {
  // Singers who leave at once may never fill the rooms: the run then says the
  // limit was not reached (exit 1) rather than claiming it.
  auto r = run_json({"semaphore", "--users", "30", "--speed", "0", "--seed", "2"});
  const int peak = r.summary()["peak"].get<int>();
  CHECK(peak <= 4);
  CHECK(r.summary()["entered"] == 30);
  CHECK(r.check("everyone_got_in")["ok"] == true);
  CHECK(r.exit_code == (peak == 4 ? 0 : 1));
  auto bad = test::run_mpdemo({"semaphore", "--stay-min", "2", "--stay-max", "1"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--stay-min") != std::string::npos);
  CHECK(test::run_mpdemo({"semaphore", "--rooms", "0"}).exit_code == 2);
}
