// mp::Lock: Python's multiprocessing.Lock, process-shared and robust.
//
//   mp::Lock lock;                       // before fork: children inherit it
//   { std::lock_guard guard(lock); ... } // Python: with lock: ...
//   if (lock.acquire(true, 0.5)) { ...; lock.release(); }
//
// One deliberate difference from Python: the lock is owned. Only the holder
// may release it (Python lets any process do so), because ownership is what
// lets the kernel hand the lock on when its holder dies.
#pragma once

#include <sys/types.h>

#include "mp/deadline.hpp"
#include "mp/detail/robust_mutex.hpp"
#include "mp/shared_memory.hpp"

namespace mp {

// Called in the process that recovered a lock whose holder died (the app
// turns it into an event). `kind` is "Lock", "RLock", ...
using OwnerDeathHandler = void (*)(const char* kind, pid_t dead_holder);
void set_owner_death_handler(OwnerDeathHandler handler) noexcept;
void report_owner_death(const char* kind, pid_t dead_holder) noexcept;

class Lock {
 public:
  Lock() = default;
  Lock(Lock&&) noexcept = default;
  Lock& operator=(Lock&&) noexcept = default;

  // Python's acquire(block=True, timeout=None). Acquiring a Lock this thread
  // already holds is a deadlock, as in Python: use a timeout to see it.
  bool acquire(bool block = true, Timeout timeout = std::nullopt);
  // Throws StateError when unlocked or held by another process/thread.
  void release();

  // BasicLockable, for std::lock_guard and std::unique_lock.
  void lock() { acquire(); }
  bool try_lock() { return acquire(false); }
  void unlock() { release(); }

  // Snapshot of the holder's pid, 0 when free.
  pid_t holder() const noexcept { return state_->holder_pid; }
  // True when this process's latest acquire took the lock over from a holder
  // that died holding it; recovered_from() is then its pid, or 0 when it
  // died in the instant between taking the mutex and writing its pid (or
  // between clearing its pid and letting go): the death is reported
  // whatever the moment, its pid when it is known.
  bool recovered() const noexcept { return recovered_; }
  pid_t recovered_from() const noexcept { return recovered_from_; }

  detail::RobustMutex& native() const noexcept { return *state_; }

 private:
  Shared<detail::RobustMutex> state_;
  bool recovered_ = false;    // per process: each child writes its own copy
  pid_t recovered_from_ = 0;
};

// Inline: the holder's time between taking the word and letting it go is
// what waiting processes wait for (see detail/robust_mutex.hpp).
inline bool Lock::acquire(bool block, Timeout timeout) {
  const detail::LockResult result = detail::lock(*state_, block, timeout, "Lock");
  if (result.acquired) {
    recovered_ = result.owner_died;
    recovered_from_ = result.dead_holder;
  }
  return result.acquired;
}

inline void Lock::release() { detail::unlock(*state_, "Lock"); }

}  // namespace mp
