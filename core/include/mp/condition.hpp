// mp::Condition: Python's multiprocessing.Condition, a condition variable
// shared between processes.
//
//   mp::Condition cond;                      // makes its own RLock, as Python does
//   // consumer:                             // producer:
//   std::lock_guard guard(cond);             std::lock_guard guard(cond);
//   cond.wait_for([&] { return *n > 0; });   ++*n; cond.notify();
//
// wait() frees the lock (all levels of an RLock held recursively), sleeps
// until notified or the timeout runs out, and takes the lock back at the
// same depth before returning. notify(n) wakes exactly min(n, w) waiters,
// w being those waiting and not yet notified; each woken wait() returns
// true. A process that starts waiting after a notify() cannot take the
// wake-ups it handed out (only a later notify() counts the newcomer in).
// Waiting or notifying without holding the lock is a StateError (Python:
// AssertionError). Spurious wake-ups never reach the caller: wait() returns
// false only on timeout.
//
// The Lock or RLock given to the constructor must outlive the Condition and
// stay where it is (a Condition refers to it, as Python's does).
//
// How: a ticket per waiter and a count of wake-ups handed out, guarded by
// the lock itself, and a futex word bumped on every notify (see
// detail/futex.hpp). A waiter SIGKILLed while asleep hangs no one; a
// wake-up handed to it just stays unused until a later waiter takes it.
#pragma once

#include <cstdint>
#include <memory>

#include "mp/deadline.hpp"
#include "mp/lock.hpp"
#include "mp/rlock.hpp"
#include "mp/shared_memory.hpp"

namespace mp {

namespace detail {
// Shared part of a Condition. All fields but `seq` are guarded by the
// Condition's lock; `seq` is the futex word, read and bumped under the lock
// and slept on without it.
struct ConditionState {
  std::uint32_t seq = 0;         // bumped by every notify that wakes someone
  std::uint64_t next_ticket = 0; // ticket of the next waiter to arrive
  std::uint64_t eligible = 0;    // waiters with a ticket below this may take a wake-up
  std::uint64_t sleeping = 0;    // waiters not yet granted a wake-up (nor timed out)
  std::uint64_t granted = 0;     // wake-ups handed out by notify and not yet taken
};
}  // namespace detail

class Condition {
 public:
  // With its own RLock (Python: Condition()).
  Condition();
  // Sharing an existing lock (Python: Condition(lock)).
  explicit Condition(Lock& lock);
  explicit Condition(RLock& lock);
  Condition(Condition&&) noexcept = default;
  Condition& operator=(Condition&&) noexcept = default;

  // The lock's acquire and release.
  bool acquire(bool block = true, Timeout timeout = std::nullopt);
  void release();
  void lock() { acquire(); }
  bool try_lock() { return acquire(false); }
  void unlock() { release(); }

  // Caller must hold the lock. True when notified, false on timeout.
  bool wait(Timeout timeout = std::nullopt);

  // Python's wait_for: waits until predicate() is true (checked first, and
  // after each wake-up, always under the lock) or the timeout runs out;
  // returns the predicate's last value. Caller must hold the lock; this is
  // checked up front even when no wait is needed (stricter than Python, which
  // only notices when it actually waits), since the predicate reads state
  // that the lock guards.
  template <class Pred>
  bool wait_for(Pred predicate, Timeout timeout = std::nullopt) {
    require_lock("wait_for");
    bool result = static_cast<bool>(predicate());
    Deadline deadline(timeout);
    while (!result) {
      if (deadline.expired()) break;
      wait(deadline.remaining());
      result = static_cast<bool>(predicate());
    }
    return result;
  }

  // Wakes min(n, waiting) waiters. Caller must hold the lock.
  void notify(int n = 1);
  void notify_all();

  // The lock is held by the calling thread.
  bool is_mine() const noexcept;

 private:
  void require_lock(const char* what) const;
  // Frees the lock completely; returns what reacquire() needs to restore it.
  int release_for_wait();
  void reacquire(int depth);

  std::unique_ptr<RLock> own_lock_;  // only for Condition()
  Lock* lock_ = nullptr;             // exactly one of lock_ / rlock_ is set
  RLock* rlock_ = nullptr;
  Shared<detail::ConditionState> state_;
};

}  // namespace mp
