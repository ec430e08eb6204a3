// The mutex under Lock, RLock, Condition, Queue, Connection and the locks of
// Value/Array: a pthread mutex in shared memory, PTHREAD_PROCESS_SHARED and
// PTHREAD_MUTEX_ROBUST. Robust means the kernel notices when the holder dies
// (SIGKILL included): the next locker is told, takes over and carries on,
// instead of waiting forever as Python's semaphore-based locks do.
//
// lock() and unlock() take the mutex's futex word themselves, with glibc's
// protocol and on glibc's robust list (src/robust_list.hpp), rather than
// through pthread_mutex_lock: glibc's robust path cost mp::Lock about 30%
// over a non-robust mutex (see robust_mutex.cpp for figures). A mutex
// taken with pthread_mutex_lock whose holder died is recovered the same way.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include "mp/deadline.hpp"

namespace mp::detail {

// Lives in shared memory (see mp::Shared). Fields after `mutex` are guarded
// by it.
struct RobustMutex {
  RobustMutex();

  pthread_mutex_t mutex;
  pid_t holder_pid = 0;  // 0 while free
  pid_t holder_tid = 0;  // the thread, for ownership checks inside one process
};

struct LockResult {
  bool acquired = false;
  bool owner_died = false;  // the previous holder died holding it; we recovered
  pid_t dead_holder = 0;    // its pid; 0 when it died too early or too late to be named (see robust_mutex.cpp)
};

// Blocks until acquired, the timeout runs out, or (block == false) at once.
// A busy mutex puts the caller to sleep in the kernel at once (no spinning;
// see robust_mutex.cpp for the measurement). The kind of primitive ("Lock",
// "RLock", ...) names it in the owner-death report.
LockResult lock(RobustMutex& m, bool block, Timeout timeout, const char* kind);
// Throws StateError when the mutex is free or held by another thread.
void unlock(RobustMutex& m, const char* kind);
bool held_by_caller(const RobustMutex& m) noexcept;

// The calling thread's kernel tid.
pid_t current_tid() noexcept;

}  // namespace mp::detail
