// mpdemo queue-crowd through the real binary: every note read exactly once.
#include <catch2/catch.hpp>

#include <set>

#include "support/mpdemo_runner.hpp"

using test::run_json;

TEST_CASE("queue-crowd: every note is read exactly once", "[cli][queue-crowd]") {
  struct Case {
    int writers, readers, messages, maxsize;
  };
  auto c = GENERATE(Case{10, 10, 1, 3}, Case{4, 3, 5, 1}, Case{2, 7, 2, 2});
  auto r = run_json({"queue-crowd", "--writers", std::to_string(c.writers), "--readers", std::to_string(c.readers),
                     "--messages", std::to_string(c.messages), "--maxsize", std::to_string(c.maxsize), "--speed",
                     "0.05", "--seed", "3"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  const int total = c.writers * c.messages;
  CHECK(s["ok"] == true);
  CHECK(s["messages"] == total);
  CHECK(s["read_once"] == total);
  CHECK(s["lost"] == 0);
  CHECK(s["read_twice"] == 0);
  CHECK(s["left_in_queue"] == 0);

  // The readers' own lines agree: each (writer, seq) pair once.
  std::set<std::pair<int, int>> seen;
  int got = 0;
  for (const auto& e : r.events) {
    if (e.value("kind", "") != "crowd.got") continue;
    ++got;
    seen.insert({e["writer"].get<int>(), e["seq"].get<int>()});
  }
  CHECK(got == total);
  CHECK(static_cast<int>(seen.size()) == total);
}

TEST_CASE("queue-crowd: with late readers, writers beyond maxsize wait", "[cli][queue-crowd]") {
  // Readers start 1 s after the writers: ample time for 10 writers to reach
  // a Queue(3) first, so at least one must find it full.
  auto r = run_json({"queue-crowd", "--readers-after", "1", "--speed", "1", "--seed", "4"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["writers_waited"].get<int>() >= 1);
}
