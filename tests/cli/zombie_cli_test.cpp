// mpdemo zombie through the real binary: each reaping mode shows its lesson
// and leaves no child behind.
#include <sys/resource.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <vector>
#include <string>

#include "support/mpdemo_runner.hpp"

using test::count_kind;
using test::run_json;

namespace {

bool proc_entry_exists(int pid) {
  struct stat st;
  return ::stat(("/proc/" + std::to_string(pid)).c_str(), &st) == 0;
}


}  // namespace

TEST_CASE("zombie: wait and sigchld modes show Z before the reap and nothing after", "[cli][zombie]") {
  const std::string mode = GENERATE("wait", "sigchld");
  auto r = run_json({"zombie", "--mode", mode, "--count", "5", "--speed", "0.02", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["ok"] == true);
  CHECK(s["mode"] == mode);
  CHECK(s["zombies_seen"] == 5);
  CHECK(s["gone"] == 5);
  CHECK(s["exit_status_collected"] == 5);
  CHECK(r.check("zombie_before_reap")["ok"] == true);
  CHECK(r.check("gone_after_reap")["ok"] == true);

  // What ps would print for each exited child, before the reap.
  int defunct = 0;
  for (const auto& e : r.events) {
    if (e["kind"] != "zombie.ps") continue;
    CHECK(e["stat"] == "Z");
    const std::string command = e["command"];
    CHECK(command.front() == '[');
    CHECK(command.find("<defunct>") != std::string::npos);
    ++defunct;
  }
  CHECK(defunct == 5);
  // Each reap read the status the child chose (child i exits with i).
  for (const auto& e : r.events)
    if (e["kind"] == "zombie.reaped") CHECK(e["gone"] == true);
  for (const auto& e : r.events)
    if (e["kind"] == "zombie.ps_alive") CHECK_FALSE(proc_entry_exists(e["child"]));

  if (mode == "sigchld") {
    CHECK(s["sigchld_signals"].get<int>() >= 1);
    CHECK(s["sigchld_signals"].get<int>() <= 5);
    CHECK(s["wakeups"].get<int>() >= 1);
    CHECK(count_kind(r, "zombie.handler_installed") == 1);
    CHECK(count_kind(r, "zombie.restored") == 1);
  }
}

TEST_CASE("zombie: while the parent holds, ps's view comes first and a countdown follows (no silent hold)",
          "[cli][zombie]") {
  // The default --hold 10, run twenty times faster: 0.5 s.
  auto r = run_json({"zombie", "--speed", "0.05", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> order;  // the kinds of the hold, in the order they came
  std::vector<double> left;
  double hold_at = -1, first_ps_at = -1;
  for (const auto& e : r.events) {
    const std::string kind = e["kind"];
    if (kind == "zombie.hold") hold_at = e["t"].get<double>();
    if (kind == "zombie.ps" && first_ps_at < 0) first_ps_at = e["t"].get<double>();
    if (kind == "zombie.ps" || kind == "zombie.countdown" || kind == "zombie.count") order.push_back(kind);
    if (kind == "zombie.countdown") {
      left.push_back(e["left"].get<double>());
      const std::string ps = e["ps"];
      CHECK(std::count(ps.begin(), ps.end(), 'Z') == 3);  // every child still a zombie
    }
  }
  CHECK(order == std::vector<std::string>{"zombie.ps", "zombie.ps", "zombie.ps", "zombie.countdown", "zombie.countdown",
                                          "zombie.countdown", "zombie.count"});
  // --hold 10: 7, 4 and 1 s left, scaled by --speed 0.05.
  REQUIRE(left.size() == 3);
  CHECK(left[0] == Approx(0.35));
  CHECK(left[1] == Approx(0.20));
  CHECK(left[2] == Approx(0.05));
  // ps's view is shown as the hold begins, not after it (the hold is 0.5 s).
  REQUIRE(hold_at >= 0);
  CHECK(first_ps_at - hold_at < 0.25);
}

TEST_CASE("zombie: the countdown is never folded on the console: each line comes as its moment does",
          "[cli][zombie][projector]") {
  auto r = test::run_mpdemo({"zombie", "--speed", "0.05", "--seed", "1", "--lang", "en", "--no-color"});
  INFO(r.out);
  REQUIRE(r.exit_code == 0);
  int ticks = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);)
    if (line.find("s left before the reap") != std::string::npos) {
      ++ticks;
      CHECK(line.find("like this") == std::string::npos);
    }
  CHECK(ticks == 3);
}

TEST_CASE("zombie --mode ignore: the kernel reaps, no Z ever, the status is lost", "[cli][zombie]") {
  auto r = run_json({"zombie", "--mode", "ignore", "--count", "6", "--speed", "0.02", "--seed", "2"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["ok"] == true);
  CHECK(s["zombies_seen"] == 0);
  CHECK(s["gone"] == 6);
  CHECK(s["exit_status_lost"] == 6);
  CHECK(s["exit_status_collected"] == 0);
  CHECK(count_kind(r, "zombie.ps") == 0);
  CHECK(count_kind(r, "zombie.vanished") == 5);  // --show defaults to 5
  for (const auto& e : r.events)
    if (e["kind"] == "zombie.vanished") CHECK(std::string(e["seen"]).find('Z') == std::string::npos);
}

TEST_CASE("zombie --count many: all counted, only --show lines shown", "[cli][zombie]") {
  auto r = run_json({"zombie", "--mode", "sigchld", "--count", "200", "--show", "2", "--speed", "0", "--seed", "3"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["zombies_seen"] == 200);
  CHECK(r.summary()["gone"] == 200);
  CHECK(count_kind(r, "zombie.ps") == 2);
  CHECK(count_kind(r, "zombie.child_exits") == 2);
}

TEST_CASE("zombie raises a low open-file limit to watch every child", "[cli][zombie]") {
  // The soft limit is inherited by the mpdemo the test runs; put it back after.
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 1000) {
    WARN("hard open-file limit below 1000: nothing to test");
    return;
  }
  rlimit low = saved;
  low.rlim_cur = 256;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  auto r = run_json({"zombie", "--count", "400", "--show", "0", "--speed", "0", "--seed", "4"});
  ::setrlimit(RLIMIT_NOFILE, &saved);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["zombies_seen"] == 400);
  CHECK(count_kind(r, "zombie.fd_limit_raised") == 1);
}

TEST_CASE("zombie: bad usage exits 2", "[cli][zombie][errors]") {
  auto bad_mode = test::run_mpdemo({"zombie", "--mode", "reap"});
  CHECK(bad_mode.exit_code == 2);
  CHECK(bad_mode.err.find("--mode") != std::string::npos);
  auto bad_count = test::run_mpdemo({"zombie", "--count", "0"});
  CHECK(bad_count.exit_code == 2);
}

TEST_CASE("zombie --mode ignore: a lost exit status reads None, as Python prints it, not JSON's null",
          "[cli][zombie]") {
  for (const char* lang : {"en", "zh"}) {
    auto r = test::run_mpdemo({"zombie", "--mode", "ignore", "--speed", "0.02", "--seed", "2", "--lang", lang});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("None") != std::string::npos);
    CHECK(r.out.find("null") == std::string::npos);
  }
}
