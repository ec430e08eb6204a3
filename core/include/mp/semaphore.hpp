// mp::Semaphore and mp::BoundedSemaphore: Python's multiprocessing semaphores,
// a counter shared between processes.
//
//   mp::Semaphore slots(3);              // at most 3 holders at a time
//   { std::lock_guard guard(slots); ... } // Python: with slots: ...
//   if (slots.acquire(true, 0.5)) { ...; slots.release(); }
//
// acquire() takes one unit, sleeping while the count is 0; release() gives
// one back (any process may release, as in Python: a semaphore has no
// owner). A BoundedSemaphore refuses a release that would lift the count
// above its initial value (ValueError), and the check is atomic with the
// release, so two racing over-releases cannot both pass.
//
// Built on a futex word rather than sem_t (see detail/futex.hpp) for that
// atomic bound. Units held by a process that dies are not given back: like
// Python, a semaphore cannot know who holds what.
#pragma once

#include <cstdint>

#include "mp/deadline.hpp"
#include "mp/shared_memory.hpp"

namespace mp {

namespace detail {
// Shared part of a Semaphore; fields are accessed atomically.
struct SemaphoreState {
  std::uint32_t count = 0;    // units free now: the futex word
  std::uint32_t waiters = 0;  // processes sleeping in acquire, to skip needless wake-ups
  std::uint32_t bounded = 0;  // 1 for a BoundedSemaphore
  std::uint32_t max = 0;      // bound on count when bounded
};
}  // namespace detail

class Semaphore {
 public:
  // Throws ValueError when `value` is negative.
  explicit Semaphore(int value = 1);
  Semaphore(Semaphore&&) noexcept = default;
  Semaphore& operator=(Semaphore&&) noexcept = default;

  // Python's acquire(block=True, timeout=None): true once a unit is taken,
  // false when block is false and none is free, or the timeout ran out.
  bool acquire(bool block = true, Timeout timeout = std::nullopt);
  // Gives one unit back and wakes the sleepers, who race for it (a sleeper
  // killed after its wake-up cannot keep the others asleep). Throws
  // ValueError past the bound of a BoundedSemaphore, or past INT_MAX.
  void release();

  // The count now (Python: get_value()); a snapshot, others may change it.
  int get_value() const noexcept;

  // BasicLockable, for std::lock_guard.
  void lock() { acquire(); }
  bool try_lock() { return acquire(false); }
  void unlock() { release(); }

 protected:
  enum class Bound { None, Initial };  // Initial: count may not exceed the initial value
  Semaphore(int value, Bound bound);

 private:
  Shared<detail::SemaphoreState> state_;
};

class BoundedSemaphore : public Semaphore {
 public:
  // The initial value is also the most the count may ever be.
  explicit BoundedSemaphore(int value = 1);
};

}  // namespace mp
