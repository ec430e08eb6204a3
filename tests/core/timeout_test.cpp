// Infinite and huge timeouts (Python accepts timeout=float('inf') and 1e19)
// wait like no timeout at all: every wait goes through clamp_timeout().
// Before, Event::wait(INFINITY) and Semaphore::acquire(true, 1e19) threw
// "futex wait: Invalid argument" and Lock::acquire(true, INFINITY) returned
// false at once. Each waiter runs in a child, blocked until the parent sees
// it asleep in the kernel and lets it go.
#include <cmath>
#include <limits>

#include <catch2/catch.hpp>

#include "mp/condition.hpp"
#include "mp/deadline.hpp"
#include "mp/event.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"
#include "mp/queue.hpp"
#include "mp/semaphore.hpp"
#include "support/proc_watch.hpp"

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Starts `waiter`, waits until it sleeps in a futex, runs `release` and
// returns the waiter's exit code.
template <class Release>
int released_waiter(mp::Process::Target waiter, Release release) {
  mp::Process p(std::move(waiter));
  p.start();
  if (!test::wait_until([&] { return test::blocked_in_futex(p.pid()) || !p.is_alive(); })) return -2000;
  release();
  return test::finish(p, 30.0);
}

}  // namespace

TEST_CASE("clamp_timeout keeps every timeout between 0 and a billion seconds", "[core][timeout]") {
  CHECK(mp::clamp_timeout(kInf) == mp::kLongestTimeout);
  CHECK(mp::clamp_timeout(1e19) == mp::kLongestTimeout);
  CHECK(mp::clamp_timeout(-kInf) == 0.0);
  CHECK(mp::clamp_timeout(-1.0) == 0.0);
  CHECK(mp::clamp_timeout(std::nan("")) == 0.0);
  CHECK(mp::clamp_timeout(0.25) == 0.25);
  mp::Deadline forever_enough(kInf);
  CHECK_FALSE(forever_enough.expired());
  CHECK(forever_enough.poll_ms() > 1000000);
  CHECK(forever_enough.abs_timespec().tv_sec > 0);
}

TEST_CASE("an infinite or huge timeout waits until released", "[core][timeout]") {
  for (double timeout : {kInf, 1e19}) {
    INFO("timeout " << timeout);
    mp::Event event;
    CHECK(released_waiter([&] { throw mp::SystemExit{event.wait(timeout) ? 0 : 3}; }, [&] { event.set(); }) == 0);

    mp::Semaphore sem(0);
    CHECK(released_waiter([&] { throw mp::SystemExit{sem.acquire(true, timeout) ? 0 : 3}; }, [&] { sem.release(); }) == 0);

    mp::Lock lock;
    lock.acquire();
    CHECK(released_waiter(
              [&] {
                if (!lock.acquire(true, timeout)) throw mp::SystemExit{3};
                lock.release();
              },
              [&] { lock.release(); }) == 0);

    mp::Condition cond;
    CHECK(released_waiter(
              [&] {
                std::lock_guard guard(cond);
                throw mp::SystemExit{cond.wait(timeout) ? 0 : 3};
              },
              [&] {
                std::lock_guard guard(cond);
                cond.notify();
              }) == 0);

    mp::Queue<int> queue;
    CHECK(released_waiter([&] { throw mp::SystemExit{queue.get(true, timeout) == 7 ? 0 : 3}; },
                          [&] { queue.put(7); }) == 0);
  }
}

TEST_CASE("join with an infinite timeout waits for the child", "[core][timeout]") {
  mp::Event go;
  mp::Process child([&] { go.wait(); });
  child.start();
  REQUIRE(test::wait_until([&] { return test::blocked_in_futex(child.pid()); }));
  go.set();
  CHECK(child.join(kInf));
  CHECK(child.exitcode() == 0);
}
