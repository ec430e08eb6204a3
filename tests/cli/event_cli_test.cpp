// mpdemo event through the real binary: cars go on green only, the police
// car passes on red through its timeout, the light stops at the end.
#include <catch2/catch.hpp>

#include <string>

#include "support/mpdemo_runner.hpp"

using test::count_kind;
using test::run_json;

TEST_CASE("event: every car passes on green, the police car on red by timeout", "[cli][event]") {
  auto seed = GENERATE(1, 2, 3);
  auto r = run_json({"event", "--speed", "0.05", "--seed", std::to_string(seed)});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["passed"] == 11);
  CHECK(s["cars_on_red"] == 0);
  CHECK(s["police_on_red"] == true);
  CHECK(s["police_timed_out"] == true);
  CHECK(r.check("no_car_on_red_except_police_timeout")["ok"] == true);
  CHECK(r.check("police_passed_by_timeout")["ok"] == true);
  CHECK(count_kind(r, "event.car_pass") + count_kind(r, "event.car_pass_direct") == 10);
  CHECK(count_kind(r, "event.police_pass_red") == 1);
  CHECK(count_kind(r, "event.light_off") == 1);
  // The light started red, so some car arriving early had to wait.
  CHECK(count_kind(r, "event.car_wait") > 0);
  CHECK(count_kind(r, "event.light_green") > 0);
}

TEST_CASE("event: many cars and a fast light", "[cli][event]") {
  auto r = run_json({"event", "--cars", "40", "--interval", "1", "--arrive-max", "4", "--speed", "0.05", "--seed",
                     "4"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["passed"] == 41);
  CHECK(r.summary()["cars_on_red"] == 0);
  CHECK(r.summary()["light_stopped"] == true);
}

TEST_CASE("event: the schedule starts once every process has started, however many cars", "[cli][event]") {
  // Forking 600 cars takes longer than the first red phase (0.25 s at this
  // speed). The police car, forked last, still meets the red light its
  // timeout is about, because every clock starts when the last one is up.
  auto r = run_json({"event", "--cars", "600", "--speed", "0.05", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["passed"] == 601);
  CHECK(r.summary()["police_on_red"] == true);
  CHECK(r.check("police_passed_by_timeout")["ok"] == true);
}

TEST_CASE("event: a police car that arrives on green needs no timeout, and is not checked for one", "[cli][event]") {
  // The light turns green after 5 s and stays green until 10 s.
  auto r = run_json({"event", "--police-arrive", "7", "--arrive-max", "8", "--speed", "0.05", "--seed", "5"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["police_on_red"] == false);
  CHECK(r.summary()["police_timed_out"] == false);
  CHECK(r.check("police_passed_by_timeout").is_null());
  CHECK(count_kind(r, "event.police_pass_green") == 1);
}

// Replays the light's announcements in the order the events arrived: every
// car must say what the light last said it was.
TEST_CASE("event: no car says green before the light turns green, nor red before it turns red", "[cli][event]") {
  auto seed = GENERATE(1, 2, 3, 4, 5);
  auto r = run_json({"event", "--speed", "0.05", "--seed", std::to_string(seed)});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  bool green = false;  // the light starts red
  for (const auto& e : r.events) {
    const std::string kind = e.value("kind", "");
    INFO(kind << " at " << e.value("t", 0.0));
    if (kind == "event.light_green") green = true;
    if (kind == "event.light_red") green = false;
    if (kind == "event.car_pass" || kind == "event.car_pass_direct" || kind == "event.police_pass_green") CHECK(green);
    if (kind == "event.car_wait" || kind == "event.car_missed" || kind == "event.police_wait") CHECK_FALSE(green);
  }
}
