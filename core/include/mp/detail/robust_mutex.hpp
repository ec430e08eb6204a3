// The mutex under Lock, RLock, Condition, Queue, Connection and the locks of
// Value/Array: a pthread mutex in shared memory, PTHREAD_PROCESS_SHARED and
// PTHREAD_MUTEX_ROBUST. Robust means the kernel notices when the holder dies
// (SIGKILL included): the next locker is told, takes over and carries on,
// instead of waiting forever as Python's semaphore-based locks do.
//
// lock() and unlock() take the mutex's futex word themselves, with glibc's
// protocol and on glibc's robust list (robust_list.hpp), rather than
// through pthread_mutex_lock: glibc's robust path cost mp::Lock about 30%
// over a non-robust mutex (see robust_mutex.cpp for figures). A mutex
// taken with pthread_mutex_lock whose holder died is recovered the same way.
//
// Their uncontended paths are inline, here: one compare-and-swap (lock) or
// exchange (unlock) and the list entry, with no call. Under contention the
// holder's time between taking the word and letting it go is what the
// waiters wait for, and the calls it made through the library (lock,
// my_ids, unlock, the Lock wrapper) were a quarter of it: 4 processes x 20k
// increments on 2 cores, 31 alternating rounds, medians 13.3-15.8 M/s
// through the calls against 17.1-18.7 M/s for the same code inline
// (Boost's non-robust interprocess_mutex: 17.7-20.5 M/s).
#pragma once

#include <linux/futex.h>
#include <pthread.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "mp/deadline.hpp"
#include "mp/detail/robust_list.hpp"

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

// The calling thread's ids and robust list, cached: getpid(), gettid() and
// get_robust_list() are system calls, and a lock hand-off should cost none.
// All zero until the thread's first lock (robust_mutex.cpp fills them in,
// and clears them in a forked child, whose pid and tid are new). `__thread`
// rather than thread_local: a plain TLS access, without the wrapper call
// C++ adds for an extern thread_local.
struct ThreadIds {
  pid_t pid;
  pid_t tid;
  RobustListHead* head;  // null until filled in
};
extern __thread ThreadIds this_thread_ids;

// Blocks until acquired, the timeout runs out, or (block == false) at once.
// A busy mutex puts the caller to sleep in the kernel at once (no spinning;
// see robust_mutex.cpp for the measurement). The kind of primitive ("Lock",
// "RLock", ...) names it in the owner-death report.
inline LockResult lock(RobustMutex& m, bool block, Timeout timeout, const char* kind);
// Throws StateError when the mutex is free or held by another thread.
inline void unlock(RobustMutex& m, const char* kind);
bool held_by_caller(const RobustMutex& m) noexcept;

// The calling thread's kernel tid.
pid_t current_tid() noexcept;

// The out-of-line rest of lock() and unlock() (robust_mutex.cpp): the
// first lock of a thread, a busy word (sleep, timeout, a dead holder), an
// unlock by a caller that does not hold the mutex, waking a sleeper.
LockResult lock_slow(RobustMutex& m, bool block, Timeout timeout, const char* kind);
[[noreturn]] void throw_not_holder(const RobustMutex& m, const char* kind);
void wake_one_waiter(RobustMutex& m) noexcept;

inline LockResult lock(RobustMutex& m, bool block, Timeout timeout, const char* kind) {
  const ThreadIds& me = this_thread_ids;
  if (me.head != nullptr) [[likely]] {
    // From here until the entry is on our robust list, the kernel finds it
    // through list_op_pending if we die (and frees it if the word names us).
    RobustListOp op(me.head, m.mutex);
    std::uint32_t free_word = 0;
    if (std::atomic_ref<std::uint32_t>(lock_word(m.mutex))
            .compare_exchange_strong(free_word, static_cast<std::uint32_t>(me.tid), std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      op.link();
      m.holder_pid = me.pid;
      m.holder_tid = me.tid;
      return {true, false, 0};
    }
  }
  return lock_slow(m, block, timeout, kind);
}

inline void unlock(RobustMutex& m, const char* kind) {
  const ThreadIds& me = this_thread_ids;
  // tid 0: this thread never locked anything, so it holds nothing.
  if (m.holder_tid != me.tid || me.tid == 0) [[unlikely]] throw_not_holder(m, kind);
  m.holder_pid = 0;
  m.holder_tid = 0;
  // Pending until the word is let go: killed in between, we still own it by
  // its tid, and the kernel finds it here.
  RobustListOp op(me.head, m.mutex);
  op.unlink();
  if (std::atomic_ref<std::uint32_t>(lock_word(m.mutex)).exchange(0, std::memory_order_release) & FUTEX_WAITERS)
    wake_one_waiter(m);
}

}  // namespace mp::detail
