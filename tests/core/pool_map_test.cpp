// mp::Pool: map, starmap, imap, imap_unordered, apply and apply_async give
// the right results in the right order, for many sizes, chunk sizes and types.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <numeric>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "mp/errors.hpp"
#include "mp/pool.hpp"
#include "mp/process.hpp"
#include "pool_test_support.hpp"
#include "support/child.hpp"

using namespace pooltest;

namespace {

int add(int a, int b) { return a + b; }
int forty_two() { return 42; }
bool is_odd(int x) { return x % 2 != 0; }
bool negate(bool b) { return !b; }
std::string shout(const std::string& s) {
  std::string loud = s;
  std::transform(loud.begin(), loud.end(), loud.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return loud + "!";
}
std::string repeat(std::string s, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += s;
  return out;
}
std::string filled(int bytes) { return std::string(static_cast<std::size_t>(bytes), 'x'); }
void do_nothing(int) {}
long worker_pid() { return ::getpid(); }
std::string worker_name() { return mp::current_process().name; }
void report_value(int x) { pooltest::report(g_reports, x); }
int wait_unless_first(int i) {
  if (i > 0) pooltest::pass_gate(g_gate);
  return i * 10;
}
int wait_if_first(int i) {
  if (i == 0) pooltest::pass_gate(g_gate);
  return i * 10;
}
int report_pid_then_wait(int x) {
  pooltest::report(g_reports, ::getpid());
  pooltest::pass_gate(g_gate);
  return x;
}
int start_a_process(int) {
  mp::Process child([] {});
  try {
    child.start();
  } catch (const mp::ProcessError&) {
    return 1;  // refused, as Python refuses children of daemonic processes
  }
  child.join();
  return 0;
}

}  // namespace

TEST_CASE("map returns results in input order for every size and chunksize", "[core][pool]") {
  mp::Pool pool(3);
  for (int n : {0, 1, 2, 7, 100, 1000, 10007}) {
    for (std::size_t chunksize : {0, 1, 3, 64, 5000}) {
      INFO("n = " << n << ", chunksize = " << chunksize);
      std::vector<int> want;
      for (int x : range(n)) want.push_back(x * x);
      CHECK(pool.map_async(square, range(n), chunksize).get(60.0) == want);
    }
  }
  CHECK(pool.map(square, {3, 1, 2}) == std::vector<int>{9, 1, 4});
}

TEST_CASE("map carries strings and bools and void results", "[core][pool]") {
  mp::Pool pool(2);
  CHECK(pool.map(shout, {"a", "", "hello"}) == std::vector<std::string>{"A!", "!", "HELLO!"});
  CHECK(pool.map(is_odd, {1, 2, 3}) == std::vector<bool>{true, false, true});
  CHECK(pool.map(negate, {true, false}) == std::vector<bool>{false, true});
  CHECK(pool.map(do_nothing, {1, 2, 3}).size() == 3);  // three std::monostate, Python's [None] * 3
  // Items bigger than a pipe's buffer travel whole.
  std::vector<std::string> big = {std::string(300000, 'a'), "b", std::string(70000, 'c')};
  auto loud = pool.map(shout, big, 1);
  REQUIRE(loud.size() == 3);
  CHECK(loud[0] == std::string(300000, 'A') + "!");
  CHECK(loud[2] == std::string(70000, 'C') + "!");
}

TEST_CASE("starmap unpacks each tuple into the function's arguments", "[core][pool]") {
  mp::Pool pool(2);
  CHECK(pool.starmap(add, {{1, 2}, {3, 4}, {5, 6}}) == std::vector<int>{3, 7, 11});
  std::vector<std::tuple<std::string, int>> words = {{"ab", 2}, {"x", 0}, {"c", 3}};
  CHECK(pool.starmap_async(repeat, words, 1).get(30.0) == std::vector<std::string>{"abab", "", "ccc"});
  CHECK(pool.starmap(add, {}).empty());
}

TEST_CASE("apply runs one call in a worker and returns its result", "[core][pool]") {
  mp::Pool pool(2);
  CHECK(pool.apply(square, 7) == 49);
  CHECK(pool.apply(add, 2, 3) == 5);
  CHECK(pool.apply(forty_two) == 42);
  CHECK(pool.apply(repeat, "ha", 3) == "hahaha");
  CHECK(pool.apply(filled, 1 << 20).size() == std::size_t{1} << 20);  // larger than any buffer
  CHECK(pool.apply([](int x) { return x + 1; }, 1) == 2);             // a lambda without captures
  const long pid = pool.apply(worker_pid);
  CHECK(pid != ::getpid());
  auto pids = pool.worker_pids();
  CHECK(std::find(pids.begin(), pids.end(), pid) != pids.end());
  CHECK(pool.apply(worker_name).rfind("PoolWorker-", 0) == 0);
  CHECK(pool.apply(start_a_process, 0) == 1);  // workers are daemons
}

TEST_CASE("apply_async returns at once and its tasks run side by side", "[core][pool]") {
  pooltest::Gate gate;
  pooltest::Reports reports;
  g_gate = gate.read_end.get();
  g_reports = reports.write_end.get();
  mp::Pool pool(2);
  auto a = pool.apply_async(report_pid_then_wait, 1);
  auto b = pool.apply_async(report_pid_then_wait, 2);
  // Both tasks report before either may finish: they run at the same time,
  // in two different workers.
  auto first = pooltest::next_report(reports);
  auto second = pooltest::next_report(reports);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(*first != *second);
  CHECK_FALSE(a.ready());
  CHECK_FALSE(b.ready());
  gate.open(2);
  CHECK(a.get(30.0) == 1);
  CHECK(b.get(30.0) == 2);

  auto c = pool.apply_async(report_value, 5);  // void task
  c.get(30.0);
  CHECK(pooltest::next_report(reports) == 5);
}

TEST_CASE("imap hands out the first result while later tasks still run", "[core][pool]") {
  pooltest::Gate gate;
  g_gate = gate.read_end.get();
  mp::Pool pool(2);
  auto results = pool.imap(wait_unless_first, {0, 1, 2, 3, 4, 5});
  auto first = results.next(30.0);
  REQUIRE(first);
  CHECK(*first == 0);
  // Every later task waits at the closed gate, so nothing else can be in.
  CHECK_THROWS_AS(results.next(0.1), mp::TimeoutError);
  gate.open(5);
  std::vector<int> rest;
  while (auto v = results.next(30.0)) rest.push_back(*v);
  CHECK(rest == std::vector<int>{10, 20, 30, 40, 50});
  CHECK_FALSE(results.next(0.0).has_value());
}

TEST_CASE("imap keeps input order over many chunks", "[core][pool]") {
  mp::Pool pool(3);
  for (std::size_t chunksize : {1, 7, 1000}) {
    std::vector<int> got;
    for (int v : pool.imap(square, range(2000), chunksize)) got.push_back(v);
    std::vector<int> want;
    for (int x : range(2000)) want.push_back(x * x);
    CHECK(got == want);
  }
  CHECK_THROWS_AS(pool.imap(square, {1}, 0), mp::ValueError);
  CHECK_FALSE(pool.imap(square, {}).next(0.0).has_value());
}

TEST_CASE("imap_unordered yields every result once in the order they finish", "[core][pool]") {
  pooltest::Gate gate;
  g_gate = gate.read_end.get();
  mp::Pool pool(2);
  {
    // Task 0 waits at the gate in one worker; task 1 finishes in the other.
    auto results = pool.imap_unordered(wait_if_first, {0, 1});
    CHECK(results.next(30.0) == 10);
    gate.open(1);
    CHECK(results.next(30.0) == 0);
    CHECK_FALSE(results.next(30.0).has_value());
  }
  std::vector<int> got;
  for (int v : pool.imap_unordered(square, range(3000), 11)) got.push_back(v);
  std::sort(got.begin(), got.end());
  std::vector<int> want;
  for (int x : range(3000)) want.push_back(x * x);
  CHECK(got == want);
}
