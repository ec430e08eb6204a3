// mp::Pool: construction arguments, initializer, maxtasksperchild, and the
// close / join / terminate rules; no process or fd outlives a pool.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <stdexcept>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/pool.hpp"
#include "pool_test_support.hpp"
#include "support/child.hpp"

using Catch::Matchers::Contains;

using namespace pooltest;

namespace {

int g_initialized = 0;

long pid_of_worker(int) { return ::getpid(); }
void initialize() { g_initialized = 42; }
int read_initialized(int) { return g_initialized; }
void failing_initializer() { throw std::runtime_error("no database"); }
void killing_initializer() { ::raise(SIGKILL); }

}  // namespace

TEST_CASE("Pool checks its arguments as Python does", "[core][pool]") {
  CHECK_THROWS_AS(mp::Pool(0), mp::ValueError);
  CHECK_THROWS_AS(mp::Pool(-3), mp::ValueError);
  CHECK_THROWS_AS(mp::Pool(2, {}, -1), mp::ValueError);
  mp::Pool pool;  // cpu_count() workers
  CHECK(pool.processes() == mp::cpu_count());
  CHECK(static_cast<int>(pool.worker_pids().size()) == mp::cpu_count());
}

TEST_CASE("the initializer runs in every worker before its tasks", "[core][pool]") {
  mp::Pool pool(2, initialize);
  CHECK(pool.map(read_initialized, {0, 0, 0, 0, 0, 0}, 1) == std::vector<int>(6, 42));
  CHECK(g_initialized == 0);  // it ran in the workers only
}

TEST_CASE("an initializer that throws fails the tasks instead of restarting workers for ever", "[core][pool]") {
  mp::Pool pool(2, failing_initializer);
  auto r = pool.apply_async(square, 3);
  CHECK_THROWS_WITH(r.get(30.0), Contains("initializer") && Contains("std::runtime_error: no database"));
  CHECK_THROWS_WITH(pool.map_async(square, {1, 2, 3}).get(30.0), Contains("no database"));
  CHECK(test::wait_until([&] { return pool.worker_pids().empty(); }));
  pool.close();
  pool.join();
  CHECK(test::no_children_left());
}

TEST_CASE("workers that keep dying before their first task fail the tasks instead of looping", "[core][pool]") {
  mp::Pool pool(2, killing_initializer);
  CHECK_THROWS_WITH(pool.apply_async(square, 3).get(30.0), Contains("before running a task") && Contains("SIGKILL"));
  pool.close();
  pool.join();
  CHECK(test::no_children_left());
}

TEST_CASE("maxtasksperchild replaces a worker after that many tasks", "[core][pool]") {
  SECTION("one worker, two tasks each") {
    mp::Pool pool(1, {}, 2);
    std::vector<long> pids;
    for (int i = 0; i < 6; ++i) pids.push_back(pool.apply(pid_of_worker, i));
    CHECK(pids[0] == pids[1]);
    CHECK(pids[2] == pids[3]);
    CHECK(pids[4] == pids[5]);
    CHECK(std::set<long>(pids.begin(), pids.end()).size() == 3);
    // The third worker leaves after its second task; a fourth takes its place.
    CHECK(test::wait_until([&] {
      auto now = pool.worker_pids();
      return now.size() == 1 && now[0] != pids[5];
    }));
  }
  SECTION("queued at once, still one task per worker") {
    mp::Pool pool(2, {}, 1);
    auto pids = pool.map_async(pid_of_worker, {0, 1, 2, 3, 4, 5}, 1).get(30.0);
    CHECK(std::set<long>(pids.begin(), pids.end()).size() == 6);
  }
}

TEST_CASE("close and join and terminate follow Python's order rules", "[core][pool]") {
  SECTION("join before close or terminate is an error") {
    mp::Pool pool(1);
    CHECK_THROWS_WITH(pool.join(), Contains("still running"));
  }
  SECTION("close lets queued work finish and join waits for it") {
    pooltest::Gate gate;
    g_gate = gate.read_end.get();
    mp::Pool pool(2);
    auto a = pool.apply_async(wait_at_gate, 1);
    auto b = pool.map_async(square, {1, 2, 3}, 1);
    pool.close();
    CHECK_THROWS_WITH(pool.apply_async(square, 1), Contains("Pool not running"));
    CHECK_THROWS_AS(pool.map(square, {1}), mp::ValueError);
    CHECK_THROWS_AS(pool.imap(square, {1}), mp::ValueError);
    gate.open(1);
    pool.join();
    CHECK(a.get(0.0) == 1);
    CHECK(b.get(0.0) == std::vector<int>{1, 4, 9});
    CHECK(pool.worker_pids().empty());
    CHECK(test::no_children_left());
    pool.join();  // again: nothing left to wait for
    pool.close();
  }
  SECTION("terminate, then join") {
    mp::Pool pool(2);
    pool.terminate();
    CHECK(pool.worker_pids().empty());
    pool.join();
    CHECK_THROWS_AS(pool.apply_async(square, 1), mp::ValueError);
    CHECK(test::no_children_left());
  }
  SECTION("close, then terminate") {
    mp::Pool pool(2);
    pool.close();
    pool.terminate();
    pool.join();
    CHECK(test::no_children_left());
  }
}

TEST_CASE("terminate with thousands of queued tasks returns at once and fails them", "[core][pool]") {
  pooltest::Gate gate;
  g_gate = gate.read_end.get();
  mp::Pool pool(2);
  std::vector<mp::AsyncResult<int>> results;
  for (int i = 0; i < 5000; ++i) results.push_back(pool.apply_async(wait_at_gate, i));
  const double t0 = mp::monotonic_seconds();
  pool.terminate();
  const double took = mp::monotonic_seconds() - t0;
  // The gate is never opened, so waiting for any task would never return;
  // the bound only has to be finite, and wide for a loaded CI machine.
  CHECK(took < 10.0);
  for (std::size_t i : {std::size_t{0}, std::size_t{1}, std::size_t{2500}, std::size_t{4999}}) {
    CHECK(results[i].ready());
    CHECK_THROWS_WITH(results[i].get(0.0), Contains("terminated"));
  }
  CHECK(test::no_children_left());
}

TEST_CASE("leaving scope terminates the pool and leaves no process or fd behind", "[core][pool]") {
  const int fds_before = test::open_fd_count();
  pooltest::Gate gate;  // its two fds are closed at the end of the test
  g_gate = gate.read_end.get();
  const int fds_with_gate = test::open_fd_count();
  for (int round = 0; round < 3; ++round) {
    mp::Pool pool(3, {}, 5);
    CHECK(pool.map(square, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 1).back() == 100);
    pool.apply_async(wait_at_gate, 1);  // still running when the pool goes
  }
  CHECK(test::no_children_left());
  CHECK(test::open_fd_count() == fds_with_gate);
  CHECK(fds_with_gate == fds_before + 2);
}
