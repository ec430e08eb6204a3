// mpdemo threads-vs-processes through the real binary: crash isolation is
// observed; the timings are reported (not asserted tightly: the machine may
// be busy).
#include <catch2/catch.hpp>
#include <string>

#include "support/mpdemo_runner.hpp"

using test::run_json;

TEST_CASE("threads-vs-processes: a thread's crash ends its process, a process's crash only itself",
          "[cli][threads-vs-processes]") {
  auto r = run_json({"threads-vs-processes", "--count", "20", "--speed", "0.02", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["ok"] == true);
  CHECK(s["thread_crash_exitcode"] == -11);
  CHECK(s["sibling_exitcodes"] == nlohmann::json::array({0, -11, 0}));
  CHECK(r.check("healthy_thread_died_too")["value"] == "cut off");
  CHECK(r.check("parallel_results_match")["ok"] == true);
  for (const char* figure : {"threads_ms", "processes_ms", "serial_s", "threads_s", "processes_s", "speedup_threads",
                             "speedup_processes"})
    CHECK(s[figure].get<double>() > 0);
  CHECK(s["workers"].get<int>() >= 1);

  // The healthy thread started but never finished; both threads had one pid.
  int crashy_pid = -1, runs = 0, done = 0;
  for (const auto& e : r.events) {
    if (e["kind"] == "threads_vs_processes.healthy_thread_runs") {
      ++runs;
      crashy_pid = e["pid"];
    }
    if (e["kind"] == "threads_vs_processes.healthy_thread_done") ++done;
  }
  CHECK(runs == 1);
  CHECK(done == 0);
  for (const auto& e : r.events)
    if (e["kind"] == "threads_vs_processes.thread_crashes") CHECK(e["pid"] == crashy_pid);
}

TEST_CASE("threads-vs-processes --crash abort with the last sibling crashing", "[cli][threads-vs-processes]") {
  auto r = run_json({"threads-vs-processes", "--count", "5", "--crash", "abort", "--siblings", "4", "--crasher", "4",
                     "--workers", "2", "--work", "0.5", "--speed", "0.02", "--seed", "2"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["thread_crash_exitcode"] == -6);
  CHECK(r.summary()["sibling_exitcodes"] == nlohmann::json::array({0, 0, 0, -6}));
  CHECK(r.summary()["workers"] == 2);
}

TEST_CASE("threads-vs-processes: bad usage exits 2", "[cli][threads-vs-processes][errors]") {
  auto r = test::run_mpdemo({"threads-vs-processes", "--siblings", "3", "--crasher", "5"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--crasher") != std::string::npos);
  CHECK(test::run_mpdemo({"threads-vs-processes", "--crash", "boom"}).exit_code == 2);
}
