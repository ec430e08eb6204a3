// mp::RLock: Python's multiprocessing.RLock, a recursive lock shared between
// processes and robust like mp::Lock.
//
//   mp::RLock lock;                        // before fork: children inherit it
//   lock.acquire(); lock.acquire();        // the holder may re-enter
//   lock.release(); lock.release();        // free again after as many releases
//   { std::lock_guard guard(lock); ... }   // Python: with lock: ...
//
// The holder is one thread of one process. Only the holder may release, and
// releasing a free RLock is an error (Python: AssertionError).
#pragma once

#include <sys/types.h>

#include "mp/deadline.hpp"
#include "mp/detail/robust_mutex.hpp"
#include "mp/shared_memory.hpp"

namespace mp {

class Condition;

namespace detail {
// Shared part of an RLock. `depth` is guarded by `mutex`.
struct RLockState {
  RobustMutex mutex;
  int depth = 0;  // acquisitions by the holder not yet released; 0 while free
};
}  // namespace detail

class RLock {
 public:
  RLock() = default;
  RLock(RLock&&) noexcept = default;
  RLock& operator=(RLock&&) noexcept = default;

  // Python's acquire(block=True, timeout=None). The holder re-entering
  // always succeeds at once and deepens the recursion by one.
  bool acquire(bool block = true, Timeout timeout = std::nullopt);
  // Undoes one acquire; the lock is free when the depth reaches 0. Throws
  // StateError when free or held by another process/thread.
  void release();

  // BasicLockable, for std::lock_guard and std::unique_lock.
  void lock() { acquire(); }
  bool try_lock() { return acquire(false); }
  void unlock() { release(); }

  // Snapshot of the holder's pid, 0 when free.
  pid_t holder() const noexcept { return state_->mutex.holder_pid; }
  // True when the calling thread holds it (Python: _is_mine()).
  bool is_mine() const noexcept { return detail::held_by_caller(state_->mutex); }
  // The holder's recursion depth, 0 when free (Python: _count()). Exact only
  // for the holder; others see a snapshot.
  int depth() const noexcept { return state_->depth; }
  // As for Lock: whether this process's latest first-level acquire took the
  // lock over from a dead holder, and that holder's pid (0: not known).
  bool recovered() const noexcept { return recovered_; }
  pid_t recovered_from() const noexcept { return recovered_from_; }

  detail::RobustMutex& native() const noexcept { return state_->mutex; }

 private:
  friend class Condition;
  // Condition::wait frees the lock entirely, whatever the depth, and puts the
  // same depth back afterwards (Python releases _count() times, then
  // re-acquires as often).
  int release_all();
  void reacquire(int depth);

  Shared<detail::RLockState> state_;
  bool recovered_ = false;    // per process: each child writes its own copy
  pid_t recovered_from_ = 0;
};

}  // namespace mp
