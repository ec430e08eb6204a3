// mp::Pool: a worker that dies does not hang the pool (Python's bpo-22393).
// The task it was running fails within a second with an error naming the
// worker, its pid and the signal; every other task still completes.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/pool.hpp"
#include "pool_test_support.hpp"
#include "support/child.hpp"

using Catch::Matchers::Contains;

using namespace pooltest;

namespace {

int leave_with_code_three(int) { throw mp::SystemExit{3}; }

}  // namespace

TEST_CASE("a task that kills its worker fails alone and fast with the pid and signal named", "[core][pool]") {
  pooltest::Reports reports;
  g_reports = reports.write_end.get();
  {
    mp::Pool pool(2);
    for (int round = 0; round < 20; ++round) {
      INFO("round " << round);
      auto victim = pool.apply_async(report_pid_then_die, round);
      std::vector<mp::AsyncResult<int>> others;
      for (int i = 0; i < 50; ++i) others.push_back(pool.apply_async(square, i));

      auto dead_pid = pooltest::next_report(reports);  // written just before the worker dies
      REQUIRE(dead_pid);
      const double t0 = mp::monotonic_seconds();
      std::string error;
      try {
        victim.get(30.0);
      } catch (const mp::RemoteError& e) {
        error = e.what();
      }
      const double took = mp::monotonic_seconds() - t0;
      // The pool notices the death itself: far sooner than get()'s 30 s timeout,
      // with room for a loaded CI machine.
      CHECK(took < 10.0);
      CHECK_THAT(error, Contains("pid " + std::to_string(*dead_pid)) && Contains("signal 9") && Contains("SIGKILL"));
      int wrong = 0;
      for (int i = 0; i < 50; ++i)
        if (others[static_cast<std::size_t>(i)].get(30.0) != i * i) ++wrong;
      CHECK(wrong == 0);
    }
    CHECK(pool.apply(square, 12) == 144);
    CHECK(pool.worker_pids().size() == 2);
  }
  CHECK(test::no_children_left());
}

TEST_CASE("results a worker finished before it died are not lost", "[core][pool]") {
  pooltest::Reports reports;
  g_reports = reports.write_end.get();
  mp::Pool pool(1);
  // Quick tasks first, so the worker is handed hundreds at a time and dies
  // with finished results not yet sent.
  std::vector<int> warm(5000);
  std::iota(warm.begin(), warm.end(), 0);
  pool.map_async(square, warm, 1).get(30.0);
  for (int round = 0; round < 5; ++round) {
    std::vector<mp::AsyncResult<int>> before, after;
    for (int i = 0; i < 300; ++i) before.push_back(pool.apply_async(square, i));
    auto victim = pool.apply_async(report_pid_then_die, 0);
    for (int i = 0; i < 300; ++i) after.push_back(pool.apply_async(square, i));
    int wrong = 0;
    for (int i = 0; i < 300; ++i) {
      if (before[static_cast<std::size_t>(i)].get(30.0) != i * i) ++wrong;
      if (after[static_cast<std::size_t>(i)].get(30.0) != i * i) ++wrong;
    }
    CHECK(wrong == 0);
    CHECK_THROWS_WITH(victim.get(30.0), Contains("SIGKILL"));
    REQUIRE(pooltest::next_report(reports));
  }
}

TEST_CASE("a worker killed from outside is replaced and the pool goes on", "[core][pool]") {
  mp::Pool pool(2);
  const auto before = pool.worker_pids();
  REQUIRE(before.size() == 2);
  REQUIRE(::kill(before[0], SIGKILL) == 0);
  CHECK(test::wait_until([&] {
    auto now = pool.worker_pids();
    return now.size() == 2 && std::find(now.begin(), now.end(), before[0]) == now.end();
  }));
  CHECK(pool.map(square, {1, 2, 3}, 1) == std::vector<int>{1, 4, 9});
}

TEST_CASE("a task that exits its worker fails with the exit code", "[core][pool]") {
  mp::Pool pool(2);
  CHECK_THROWS_WITH(pool.apply_async(leave_with_code_three, 0).get(30.0), Contains("exited with code 3"));
  CHECK(pool.apply(square, 4) == 16);
}
