// mp::Condition: wait/notify across processes, exactly n wake-ups for
// notify(n), wait_for, misuse errors, RLock depth kept over a wait.
#include "mp/condition.hpp"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"
#include "mp/rlock.hpp"
#include "mp/shared_memory.hpp"
#include "mp/unique_fd.hpp"
#include "support/proc_watch.hpp"

namespace {

// What the waiters of a notify test share; guarded by the Condition's lock.
struct Wakeups {
  int asleep = 0;  // waiters that have entered wait()
  int woken = 0;   // waiters whose wait() returned true
};

// Starts `count` processes that each take the lock, count themselves in
// `asleep`, wait (30 s at most) and count themselves in `woken` on a true
// return. Exit codes: 0 notified, 2 timed out. Returns once every one of
// them is inside wait(): each holds the lock from counting itself until
// wait() lets go of it, so seeing them all counted under the lock is enough.
std::vector<mp::Process> start_waiters(mp::Condition& cond, Wakeups* w, int count) {
  std::vector<mp::Process> ps;
  for (int i = 0; i < count; ++i)
    ps.emplace_back([&cond, w] {
      std::lock_guard guard(cond);
      ++w->asleep;
      if (!cond.wait(30.0)) throw mp::SystemExit{2};
      ++w->woken;
    });
  for (auto& p : ps) p.start();
  REQUIRE(test::wait_until([&] {
    std::lock_guard guard(cond);
    return w->asleep == count;
  }));
  return ps;
}

int woken(mp::Condition& cond, Wakeups* w) {
  std::lock_guard guard(cond);
  return w->woken;
}

}  // namespace

TEST_CASE("notify(n) wakes exactly n of the waiting processes", "[core][condition]") {
  const int waiters = 5;
  const int n = GENERATE(1, 2, 4);
  mp::Condition cond;
  mp::Shared<Wakeups> shared;
  Wakeups* w = shared.get();
  auto ps = start_waiters(cond, w, waiters);
  REQUIRE(woken(cond, w) == 0);
  {
    std::lock_guard guard(cond);
    REQUIRE(w->asleep == waiters);
    cond.notify(n);
  }
  CHECK(test::wait_until([&] { return woken(cond, w) == n; }));
  // The others must stay asleep: give them ample time to (wrongly) wake.
  CHECK_FALSE(test::wait_until([&] { return woken(cond, w) > n; }, 0.5));
  CHECK(woken(cond, w) == n);
  {
    std::lock_guard guard(cond);
    cond.notify_all();
  }
  REQUIRE(test::join_all(ps));
  for (auto& p : ps) CHECK(p.exitcode() == 0);
  CHECK(w->woken == waiters);
}

TEST_CASE("notify with nobody waiting is not saved for later waiters", "[core][condition]") {
  mp::Condition cond;
  std::lock_guard guard(cond);
  cond.notify(3);
  cond.notify_all();
  CHECK_FALSE(cond.wait(0.1));  // the notifies woke no one and left nothing behind
}

TEST_CASE("a process that waits after a notify cannot take its wake-up", "[core][condition]") {
  mp::Condition cond;
  mp::Shared<Wakeups> shared;
  Wakeups* w = shared.get();
  auto ps = start_waiters(cond, w, 2);
  // Freeze both waiters so neither can take the wake-up yet.
  for (auto& p : ps) {
    ::kill(p.pid(), SIGSTOP);
    REQUIRE(test::wait_until([&] { return test::is_stopped(p.pid()); }));
  }
  {
    std::lock_guard guard(cond);
    cond.notify(1);
  }
  // Exit codes: 0 timed out as it should, 3 took the wake-up meant for the others.
  mp::Process late([&cond] {
    std::lock_guard guard(cond);
    if (cond.wait(0.3)) throw mp::SystemExit{3};
  });
  late.start();
  REQUIRE(test::join_one(late));
  CHECK(late.exitcode() == 0);
  for (auto& p : ps) ::kill(p.pid(), SIGCONT);
  CHECK(test::wait_until([&] { return woken(cond, w) == 1; }));
  CHECK_FALSE(test::wait_until([&] { return woken(cond, w) > 1; }, 0.5));
  {
    std::lock_guard guard(cond);
    cond.notify_all();
  }
  REQUIRE(test::join_all(ps));
  for (auto& p : ps) CHECK(p.exitcode() == 0);
  CHECK(w->woken == 2);
}

TEST_CASE("a Condition on a shared Lock wakes a waiter in another process", "[core][condition]") {
  mp::Lock lock;
  mp::Condition cond(lock);
  mp::Shared<int> items(0);
  int* n = items.get();
  // Consumer: waits for three items. Exit codes: 0 saw them, 2 timed out.
  mp::Process consumer([&cond, n] {
    std::lock_guard guard(cond);
    if (!cond.wait_for([n] { return *n >= 3; }, 30.0)) throw mp::SystemExit{2};
    *n -= 3;
  });
  consumer.start();
  for (int i = 0; i < 3; ++i) {
    std::lock_guard guard(lock);  // the same lock as the Condition's
    ++*n;
    cond.notify();
  }
  REQUIRE(test::join_one(consumer));
  CHECK(consumer.exitcode() == 0);
  CHECK(*n == 0);
}

TEST_CASE("wait_for returns false when the predicate stays false until the timeout", "[core][condition]") {
  mp::Condition cond;
  std::lock_guard guard(cond);
  int calls = 0;
  const double t0 = mp::monotonic_seconds();
  CHECK_FALSE(cond.wait_for([&calls] { return ++calls > 1000000; }, 0.2));
  const double waited = mp::monotonic_seconds() - t0;
  CHECK(waited >= 0.19);
  CHECK(waited < 5.0);
  CHECK(calls >= 1);
  CHECK(cond.wait_for([] { return true; }, 0.0));  // true at once, no wait
}

TEST_CASE("wait and notify without holding the lock are errors", "[core][condition]") {
  mp::Condition cond;
  CHECK_THROWS_AS(cond.wait(0.0), mp::StateError);
  CHECK_THROWS_AS(cond.notify(), mp::StateError);
  CHECK_THROWS_AS(cond.notify_all(), mp::StateError);
  CHECK_THROWS_AS(cond.wait_for([] { return false; }, 0.0), mp::StateError);
  // Holding it in another process does not count either.
  std::lock_guard guard(cond);
  // Exit codes: 0 both refused, 2 wait allowed, 3 notify allowed.
  mp::Process other([&cond] {
    try {
      cond.wait(0.0);
      throw mp::SystemExit{2};
    } catch (const mp::StateError&) {
    }
    try {
      cond.notify();
      throw mp::SystemExit{3};
    } catch (const mp::StateError&) {
    }
  });
  other.start();
  REQUIRE(test::join_one(other));
  CHECK(other.exitcode() == 0);
}

TEST_CASE("wait frees an RLock held recursively and restores its depth", "[core][condition]") {
  mp::RLock lock;
  mp::Condition cond(lock);
  mp::Shared<int> flag(0);
  int* f = flag.get();
  lock.acquire();
  lock.acquire();
  lock.acquire();
  // The child can only take the lock if wait() freed all three levels.
  // Exit codes: 0 notified, 2 could not take the lock.
  mp::Process child([&cond, f] {
    if (!cond.acquire(true, 30.0)) throw mp::SystemExit{2};
    *f = 1;
    cond.notify();
    cond.release();
  });
  child.start();
  CHECK(cond.wait_for([f] { return *f == 1; }, 30.0));
  CHECK(lock.is_mine());
  CHECK(lock.depth() == 3);
  // A wait that times out restores the depth too.
  CHECK_FALSE(cond.wait(0.05));
  CHECK(lock.depth() == 3);
  lock.release();
  lock.release();
  lock.release();
  CHECK(lock.depth() == 0);
  REQUIRE(test::join_one(child));
  CHECK(child.exitcode() == 0);
}

TEST_CASE("a waiter SIGKILLed inside wait hangs no one", "[core][condition][robust]") {
  mp::Condition cond;
  mp::Shared<Wakeups> shared;
  Wakeups* w = shared.get();
  auto victims = start_waiters(cond, w, 1);
  victims.front().kill();
  REQUIRE(test::join_all(victims));
  // notify and later waiters still work.
  mp::Shared<Wakeups> shared2;
  w = shared2.get();
  auto ps = start_waiters(cond, w, 2);
  {
    std::lock_guard guard(cond);
    cond.notify_all();
  }
  REQUIRE(test::join_all(ps));
  for (auto& p : ps) CHECK(p.exitcode() == 0);
  CHECK(w->woken == 2);
}
