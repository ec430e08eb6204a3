// mp::Pool: AsyncResult (get with timeout, wait, ready, successful), errors
// that come back from tasks, and callbacks that run in the main process.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/pool.hpp"
#include "mp/shared_memory.hpp"
#include "pool_test_support.hpp"

using Catch::Matchers::Contains;

using namespace pooltest;

namespace {

std::atomic<int>* g_calls = nullptr;  // in shared memory: how many tasks ran

int boom(int) { throw std::runtime_error("boom"); }
int bad_value(int x) { throw mp::ValueError("bad value " + std::to_string(x)); }
void nothing() {}
int count_and_fail(int x) {
  g_calls->fetch_add(1);
  if (x == 3) throw std::runtime_error("three failed");
  if (x == 7) throw std::runtime_error("seven failed");
  return x;
}

}  // namespace

TEST_CASE("get(timeout) raises TimeoutError and successful() before ready raises ValueError", "[core][pool]") {
  pooltest::Gate gate;
  g_gate = gate.read_end.get();
  mp::Pool pool(1);
  auto r = pool.apply_async(wait_at_gate, 5);
  const double t0 = mp::monotonic_seconds();
  CHECK_THROWS_AS(r.get(0.2), mp::TimeoutError);
  const double waited = mp::monotonic_seconds() - t0;
  CHECK(waited >= 0.19);
  CHECK(waited < 10.0);
  CHECK_FALSE(r.wait(0.01));
  CHECK_FALSE(r.ready());
  CHECK_THROWS_AS(r.successful(), mp::ValueError);
  gate.open(1);
  CHECK(r.wait(30.0));
  CHECK(r.ready());
  CHECK(r.successful());
  CHECK(r.get(0.0) == 5);
  CHECK(r.get() == 5);  // a result can be read again
}

TEST_CASE("a task's exception comes back with its type and message", "[core][pool]") {
  mp::Pool pool(2);
  auto r = pool.apply_async(boom, 1);
  CHECK_THROWS_AS(r.get(30.0), mp::RemoteError);
  CHECK_THROWS_WITH(r.get(30.0), Contains("std::runtime_error: boom"));
  CHECK(r.ready());
  CHECK_FALSE(r.successful());
  CHECK_THROWS_WITH(pool.apply(bad_value, 7), Contains("mp::ValueError: bad value 7"));
  auto imap = pool.imap(bad_value, {1, 2});
  CHECK_THROWS_WITH(imap.next(30.0), Contains("bad value 1"));  // each failed item in its place
  CHECK_THROWS_WITH(imap.next(30.0), Contains("bad value 2"));
  CHECK_FALSE(imap.next(30.0).has_value());
  CHECK(pool.apply(square, 3) == 9);  // the worker that raised is still fine
}

TEST_CASE("map fails with the first failure by input order after every task ran", "[core][pool]") {
  mp::Shared<std::atomic<int>> calls(0);
  g_calls = calls.get();
  mp::Pool pool(3);
  auto result = pool.map_async(count_and_fail, range(20), 1);
  CHECK_THROWS_WITH(result.get(30.0), Contains("three failed"));
  CHECK(calls->load() == 20);
  CHECK_FALSE(result.successful());
  calls->store(0);
  CHECK_THROWS_WITH(pool.map(count_and_fail, range(20), 1), Contains("three failed"));
  CHECK(calls->load() == 20);
}

TEST_CASE("callbacks run in the main process once per job before get() returns", "[core][pool]") {
  const pid_t main_pid = ::getpid();
  const auto caller = std::this_thread::get_id();
  std::atomic<int> calls{0}, error_calls{0}, wrong_process{0}, on_caller_thread{0};
  std::atomic<long> sum{0};
  auto check_where = [&] {
    if (::getpid() != main_pid) ++wrong_process;
    if (std::this_thread::get_id() == caller) ++on_caller_thread;
  };
  mp::Pool pool(2);

  std::vector<mp::AsyncResult<int>> results;
  for (int i = 0; i < 200; ++i) {
    results.push_back(pool.apply_async(
        square, i,
        [&](const int& v) {
          check_where();
          sum += v;
          ++calls;
        },
        [&](const mp::RemoteError&) { ++error_calls; }));
  }
  long want = 0;
  for (int i = 0; i < 200; ++i) {
    CHECK(results[static_cast<std::size_t>(i)].get(30.0) == i * i);
    want += i * i;
  }
  CHECK(calls.load() == 200);  // every callback ran before its get() returned
  CHECK(sum.load() == want);
  CHECK(error_calls.load() == 0);

  std::string error_text;
  auto failing = pool.apply_async(
      boom, 1, [&](const int&) { ++calls; },
      [&](const mp::RemoteError& e) {
        check_where();
        error_text = e.what();
        ++error_calls;
      });
  CHECK_THROWS_AS(failing.get(30.0), mp::RemoteError);
  CHECK(error_calls.load() == 1);
  CHECK_THAT(error_text, Contains("std::runtime_error: boom"));

  std::vector<int> mapped;
  auto map_result = pool.map_async(square, range(50), 3, [&](const std::vector<int>& all) {
    check_where();
    mapped = all;
    ++calls;
  });
  map_result.get(30.0);
  CHECK(mapped.size() == 50);
  auto empty_map = pool.map_async(square, {}, 0, [&](const std::vector<int>& all) {
    if (all.empty()) ++calls;
  });
  CHECK(empty_map.get(30.0).empty());
  auto map_failure = pool.map_async(boom, range(10), 2, {}, [&](const mp::RemoteError&) { ++error_calls; });
  CHECK_THROWS_AS(map_failure.get(30.0), mp::RemoteError);

  int void_calls = 0;
  pool.apply_async(nothing, {}, [&] { ++void_calls; }).get(30.0);
  CHECK(void_calls == 1);

  pool.close();
  pool.join();
  // Exactly one per job, and none after the jobs ended.
  CHECK(calls.load() == 202);
  CHECK(error_calls.load() == 2);
  CHECK(wrong_process.load() == 0);
  CHECK(on_caller_thread.load() == 0);  // they run on the pool's callback thread, as in Python
}

TEST_CASE("a callback that throws does not stop the pool or the result", "[core][pool]") {
  mp::Pool pool(1);
  auto r = pool.apply_async(square, 4, [](const int&) { throw std::runtime_error("callback broke"); });
  CHECK(r.get(30.0) == 16);
  CHECK(pool.apply(square, 5) == 25);
}
