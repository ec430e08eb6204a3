// mpdemo baozi through the real binary: every bun eaten once, however the meal ends.
#include <catch2/catch.hpp>

#include <set>
#include <sstream>

#include "support/mpdemo_runner.hpp"

using test::run_json;

namespace {

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

TEST_CASE("baozi: every bun is eaten exactly once, every process ends", "[cli][baozi]") {
  struct Case {
    const char* args;
    int buns;
  };
  auto c = GENERATE(Case{"", 5}, Case{"--via pipe --producers 2", 10},
                    Case{"--via pipe --producers 2 --consumers 3", 10}, Case{"--via pipe --end sentinel --consumers 2", 5},
                    Case{"--via joinable --producers 3 --consumers 2", 15},
                    Case{"--end timeout --producers 2 --consumers 3", 10}, Case{"--end sentinel --consumers 2", 5},
                    Case{"--producers 4 --consumers 4 --items 25", 100}, Case{"--items 0 --consumers 2", 0});
  std::vector<std::string> args{"baozi"};
  for (auto& w : words(c.args)) args.push_back(w);
  for (const char* w : {"--speed", "0.05", "--seed", "1"}) args.push_back(w);
  auto r = run_json(args);
  INFO(c.args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["ok"] == true);
  CHECK(s["buns"] == c.buns);
  CHECK(s["eaten_once"] == c.buns);
  std::set<std::pair<int, int>> eaten;
  int ate = 0;
  for (const auto& e : r.events) {
    if (e.value("kind", "") != "baozi.ate") continue;
    ++ate;
    eaten.insert({e["cook"].get<int>(), e["number"].get<int>()});
  }
  CHECK(ate == c.buns);
  CHECK(static_cast<int>(eaten.size()) == c.buns);
}

TEST_CASE("baozi: with a queue the eaters leave by get(timeout) by default, as seed 000's eater does", "[cli][baozi]") {
  auto r = run_json({"baozi", "--consumers", "2", "--speed", "0.05", "--seed", "3"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["end"] == "timeout");
  CHECK(test::count_kind(r, "baozi.timeout") == 2);  // each eater's get(timeout) raised Empty
  CHECK(test::count_kind(r, "baozi.sentinels_sent") == 0);
  CHECK(test::count_kind(r, "baozi.got_sentinel") == 0);

  // The sentinel is an option, and the end under --order, whose driver sees a put but not a clock.
  auto sentinel = run_json({"baozi", "--consumers", "2", "--end", "sentinel", "--speed", "0.05", "--seed", "3"});
  REQUIRE(sentinel.exit_code == 0);
  CHECK(sentinel.summary()["end"] == "sentinel");
  CHECK(test::count_kind(sentinel, "baozi.got_sentinel") == 2);
  CHECK(test::count_kind(sentinel, "baozi.timeout") == 0);
}

TEST_CASE("baozi --via joinable: the daemon eaters are stopped after the cooks' join", "[cli][baozi]") {
  auto r = run_json({"baozi", "--via", "joinable", "--producers", "2", "--consumers", "2", "--speed", "0.05", "--seed",
                     "2"});
  REQUIRE(r.exit_code == 0);
  int joined = 0, stopped = 0;
  for (const auto& e : r.events) {
    const std::string kind = e.value("kind", "");
    if (kind == "baozi.cook_joined") ++joined;
    if (kind == "baozi.daemon_stopped") {
      ++stopped;
      CHECK(joined == 2);  // stopped only after both cooks' join() returned
      CHECK(e["exitcode"] == -15);
    }
  }
  CHECK(stopped == 2);
}

TEST_CASE("baozi: combinations that cannot work are usage errors", "[cli][baozi][errors]") {
  auto wrong_end = test::run_mpdemo({"baozi", "--via", "joinable", "--end", "sentinel"});
  CHECK(wrong_end.exit_code == 2);
  CHECK(wrong_end.err.find("--end sentinel") != std::string::npos);
  auto eof_queue = test::run_mpdemo({"baozi", "--end", "eof"});
  CHECK(eof_queue.exit_code == 2);
}
