// mp::Value and mp::Array: shared memory seen across processes, the lock
// (or none), bounds, and recovery of a lock whose holder was SIGKILLed.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "mp/array.hpp"
#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/unique_fd.hpp"
#include "mp/value.hpp"
#include "support/proc_watch.hpp"

namespace {
struct Point {
  int x;
  double y;
};
}  // namespace

TEST_CASE("writes to a Value and an Array in a child are seen by the parent", "[core][value]") {
  mp::Value<Point> point(Point{1, 2.5});
  mp::Value<long> number(7);
  mp::Array<int> squares(6);
  CHECK(number.value() == 7);
  CHECK(point.value().x == 1);
  CHECK(squares.size() == 6);
  CHECK(squares.to_vector() == std::vector<int>(6, 0));
  mp::Process child([&] {
    number.set_value(-42);
    point.set_value(Point{3, 0.25});
    for (std::size_t i = 0; i < squares.size(); ++i) squares.set(i, static_cast<int>(i * i));
  });
  child.start();
  REQUIRE(test::join_one(child));
  CHECK(child.exitcode() == 0);
  CHECK(number.value() == -42);
  CHECK(point.value().x == 3);
  CHECK(point.value().y == 0.25);
  CHECK(squares.to_vector() == std::vector<int>{0, 1, 4, 9, 16, 25});
}

TEST_CASE("a counter under a Value's lock is exact across processes", "[core][value]") {
  mp::Value<long> counter(0);
  const int procs = 4, rounds = 10000;
  std::vector<mp::Process> ps;
  for (int i = 0; i < procs; ++i)
    ps.emplace_back([&counter] {
      for (int k = 0; k < rounds; ++k) {
        std::lock_guard guard(counter.get_lock());
        // value() takes the same RLock again: re-entry, not a deadlock.
        counter.raw() = counter.value() + 1;
      }
    });
  for (auto& p : ps) p.start();
  REQUIRE(test::join_all(ps));
  for (auto& p : ps) CHECK(p.exitcode() == 0);
  CHECK(counter.value() == procs * rounds);
}

TEST_CASE("an Array's lock guards updates of several elements across processes", "[core][value]") {
  mp::Array<long> pair(2, 0L);
  const int procs = 4, rounds = 10000;
  std::vector<mp::Process> ps;
  // Moves one unit from pair[0] to pair[1] and back; under the lock the sum
  // is never seen other than 0 (exit code 2 if it is).
  for (int i = 0; i < procs; ++i)
    ps.emplace_back([&pair] {
      for (int k = 0; k < rounds; ++k) {
        std::lock_guard guard(pair.get_lock());
        if (pair[0] + pair[1] != 0) throw mp::SystemExit{2};
        --pair[0];
        ++pair[1];
      }
    });
  for (auto& p : ps) p.start();
  REQUIRE(test::join_all(ps));
  for (auto& p : ps) CHECK(p.exitcode() == 0);
  CHECK(pair.get(0) == -procs * rounds);
  CHECK(pair.get(1) == procs * rounds);
}

TEST_CASE("a Value or Array made with Locking::Off has no lock", "[core][value]") {
  mp::Value<int> plain(5, mp::Locking::Off);
  CHECK_FALSE(plain.has_lock());
  CHECK_THROWS_AS(plain.get_lock(), mp::StateError);
  plain.set_value(6);
  CHECK(plain.value() == 6);
  plain.raw() += 1;
  CHECK(plain.value() == 7);

  mp::Array<char> bytes(3, 'a', mp::Locking::Off);
  CHECK_FALSE(bytes.has_lock());
  CHECK_THROWS_AS(bytes.get_lock(), mp::StateError);
  bytes.set(2, 'z');
  CHECK(bytes.get(2) == 'z');

  mp::Value<int> locked(0);
  CHECK(locked.has_lock());
  CHECK_NOTHROW(locked.get_lock());
}

TEST_CASE("Array indexing is bounds-checked where Python's is", "[core][value]") {
  const std::vector<double> init{0.5, 1.5, 2.5};
  mp::Array<double> xs(init);
  CHECK(xs.size() == 3);
  CHECK(xs.get(2) == 2.5);
  CHECK(xs.at(1) == 1.5);
  CHECK_THROWS_AS(xs.get(3), std::out_of_range);
  CHECK_THROWS_AS(xs.set(3, 0.0), std::out_of_range);
  CHECK_THROWS_AS(xs.at(99), std::out_of_range);
  double sum = 0;
  for (double x : xs) sum += x;
  CHECK(sum == 4.5);
  xs.span()[0] = 9.0;
  CHECK(xs.get(0) == 9.0);
  mp::Array<int> empty(0);
  CHECK(empty.size() == 0);
  CHECK(empty.to_vector().empty());
  CHECK_THROWS_AS(empty.get(0), std::out_of_range);
}

TEST_CASE("a Value whose lock holder is SIGKILLed stays usable", "[core][value][robust]") {
  mp::Value<int> shared(1);
  auto [r, w] = mp::make_pipe();
  int ready_fd = w.get();
  mp::Process victim([&shared, ready_fd] {
    shared.get_lock().acquire();
    shared.raw() = 2;  // a half-done update, never finished
    mp::write_all(ready_fd, "h", 1);
    for (;;) ::pause();
  });
  victim.start();
  char c;
  REQUIRE(mp::read_exact(r.get(), &c, 1));
  victim.kill();
  REQUIRE(test::join_one(victim));
  CHECK(victim.exitcode() == -SIGKILL);
  // Neither read nor write hangs; the lock says whose death it recovered from.
  CHECK(shared.value() == 2);
  CHECK(shared.get_lock().recovered_from() == victim.pid());
  shared.set_value(3);
  CHECK(shared.value() == 3);
  CHECK(shared.get_lock().recovered_from() == 0);
}

// Python's Value(typecode, v, lock=some_lock): two values sharing one lock
// change together in one critical section.
TEST_CASE("Values made with a caller-supplied lock share it", "[core][value]") {
  mp::Lock lock;
  mp::Value<long, mp::Lock> a(0, lock), b(0, lock);
  CHECK(&a.get_lock() == &lock);
  CHECK(&b.get_lock() == &lock);
  CHECK(a.has_lock());
  const int procs = 4, rounds = 2000;
  std::vector<mp::Process> children;
  for (int p = 0; p < procs; ++p)
    children.emplace_back([&] {
      for (int i = 0; i < rounds; ++i) {
        std::lock_guard guard(lock);
        // a moves first and b follows inside one critical section: nobody
        // holding the lock may ever see them apart.
        if (a.raw() != b.raw()) throw mp::SystemExit{3};
        ++a.raw();
        ++b.raw();
      }
    });
  for (auto& c : children) c.start();
  for (auto& c : children) CHECK(test::finish(c, 60.0) == 0);
  CHECK(a.value() == procs * rounds);  // value() takes the same lock, not held here
  CHECK(b.value() == procs * rounds);

  mp::RLock rlock;
  mp::Value<int> c(7, rlock);  // the default lock type is RLock, as in Python
  CHECK(&c.get_lock() == &rlock);
  std::lock_guard guard(rlock);
  c.set_value(8);  // re-enters the RLock the caller holds
  CHECK(c.value() == 8);
}
