// mpdemo states through the real binary: each child is seen in the state it
// was put in, all end as zombies and are reaped.
#include <catch2/catch.hpp>
#include <string>

#include "support/mpdemo_runner.hpp"

using test::run_json;

TEST_CASE("states: R, S, S, D, T and Z are each seen, then all Z, then gone", "[cli][states]") {
  auto r = run_json({"states", "--samples", "4", "--speed", "0.02", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["ok"] == true);
  const auto& seen = s["seen"];
  CHECK(std::string(seen["Compute"]).find('R') != std::string::npos);
  CHECK(std::string(seen["Sleep"]).find('S') != std::string::npos);
  CHECK(std::string(seen["ReadPipe"]).find('S') != std::string::npos);
  CHECK(std::string(seen["Vfork"]).find('D') != std::string::npos);
  CHECK(seen["Stopped"] == "T");
  CHECK(seen["Exited"] == "Z");
  CHECK(s["last_row"] == "ZZZZZZ");
  for (const char* check : {"compute_running", "sleep_sleeping", "read_pipe_sleeping", "vfork_disk_sleep",
                            "stopped_stopped", "exited_zombie", "all_zombies_before_reap", "gone_after_reap"})
    CHECK(r.check(check)["ok"] == true);

  int rows = 0;
  for (const auto& e : r.events) {
    if (e["kind"] != "states.row") continue;
    ++rows;
    CHECK(e["states"].size() == 6);
    CHECK(e["states"]["Exited"] == "Z");
  }
  CHECK(rows == 4);
}

TEST_CASE("states at --speed 0 still samples real states", "[cli][states]") {
  auto r = run_json({"states", "--speed", "0", "--seed", "2"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["ok"] == true);
  CHECK(r.summary()["samples"] == 6);
}

TEST_CASE("states: bad usage exits 2", "[cli][states][errors]") {
  CHECK(test::run_mpdemo({"states", "--samples", "0"}).exit_code == 2);
  CHECK(test::run_mpdemo({"states", "--interval", "-1"}).exit_code == 2);
}
