#include "mp/detail/robust_mutex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <optional>
#include <string>

#include "mp/detail/futex.hpp"
#include "thread_ids.hpp"

#include "mp/errors.hpp"
#include "mp/lock.hpp"

namespace mp::detail {
namespace {

void check(int err, const char* what) {
  if (err != 0) throw_os_error(what, err);
}

}  // namespace

// unlock() by a caller that does not hold the mutex.
void throw_not_holder(const RobustMutex& m, const char* kind) {
  if (m.holder_tid == 0) throw StateError(std::string("release of an unlocked ") + kind);
  throw StateError(std::string(kind) + " is held by pid " + std::to_string(m.holder_pid) +
                   ", not by the caller (pid " + std::to_string(::getpid()) + "): only the holder may release it");
}

// A forked child is a new process whose one thread inherited the parent's
// ids, so fork clears them (the robust list head keeps its address in the
// child, where glibc registers it again, but its pid and tid change).
__thread ThreadIds this_thread_ids;

namespace {
void forget_ids_in_child() { this_thread_ids = ThreadIds{}; }

// Installed before main(), while the process has one thread. Not a lazy
// `static` in my_ids(): a fork by one thread while another ran that
// initialiser left the child a guard marked "in progress", and its first lock
// waited in __cxa_guard_acquire for ever (see core/FORK_SAFETY.md).
[[gnu::constructor]] void install_forget_ids_in_child() { ::pthread_atfork(nullptr, nullptr, forget_ids_in_child); }

const ThreadIds& my_ids() noexcept {
  ThreadIds& ids = this_thread_ids;
  if (ids.tid == 0) {
    ids.pid = ::getpid();
    ids.tid = static_cast<pid_t>(::syscall(SYS_gettid));
    ids.head = this_threads_robust_list();
  }
  return ids;
}

// The ids of a caller about to lock or unlock: its list must be glibc's.
const ThreadIds& my_locking_ids() {
  const ThreadIds& me = my_ids();
  if (me.head == nullptr) throw Error("this C library's robust mutex list is not laid out as glibc's; mp's locks need glibc");
  return me;
}
}  // namespace

pid_t current_tid() noexcept { return my_ids().tid; }
pid_t cached_pid() noexcept { return my_ids().pid; }

RobustMutex::RobustMutex() {
  // A real glibc robust mutex, so that its fields mean what glibc and the
  // kernel expect of a robust list entry (the lock below uses them directly).
  pthread_mutexattr_t attr;
  check(pthread_mutexattr_init(&attr), "pthread_mutexattr_init");
  check(pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED), "pthread_mutexattr_setpshared");
  check(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST), "pthread_mutexattr_setrobust");
  check(pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_NORMAL), "pthread_mutexattr_settype");
  check(pthread_mutex_init(&mutex, &attr), "pthread_mutex_init");
  pthread_mutexattr_destroy(&attr);
}

namespace {

// How the word was taken, or why not.
enum class Take { Taken, TakenFromDead, Busy, TimedOut };

// Takes the word when it is free or its holder died; otherwise marks it
// contended and sleeps until the holder's unlock (or the kernel, at the
// holder's death) wakes us. `waiters` is
// FUTEX_WAITERS once we have slept: other sleepers may remain, so we keep
// the bit when we take the word, and our unlock wakes the next one (glibc
// does the same). Out of line: the fast path stays small.
//
// No spinning before the sleep. Measured with 4 processes taking turns on 2
// cores (lock_counter's shape, 101 alternating rounds in one binary, load
// 11): spinning 30-1000 times on the word, 1-100 pauses apart, gave medians
// of 4.1-5.9 ms against 4.8 ms for none, within the noise; an earlier
// measurement with 200 trylocks was worse than none (5.2-7.5 ms against
// 4.9-5.0 ms). A spinning waiter pulls the word's cache line away from the
// holder and burns a CPU the holder may need.
[[gnu::noinline]] Take take_word_slow(RobustMutex& m, pid_t tid, bool block, Timeout timeout) {
  std::atomic_ref<std::uint32_t> word(lock_word(m.mutex));
  std::uint32_t waiters = 0;
  std::optional<Deadline> deadline;  // made at the first sleep: the clock costs a call
  std::uint32_t old = word.load(std::memory_order_relaxed);
  for (;;) {
    if (old == 0) {
      if (word.compare_exchange_weak(old, static_cast<std::uint32_t>(tid) | waiters, std::memory_order_acquire,
                                     std::memory_order_relaxed))
        return Take::Taken;
      continue;
    }
    if (old & FUTEX_OWNER_DIED) {
      // The kernel cleared the dead holder's tid and left its mark.
      if (word.compare_exchange_weak(old, static_cast<std::uint32_t>(tid) | (old & FUTEX_WAITERS) | waiters,
                                     std::memory_order_acquire, std::memory_order_relaxed))
        return Take::TakenFromDead;
      continue;
    }
    if (!block) return Take::Busy;
    if (!deadline) deadline.emplace(timeout);
    if (deadline->expired()) return Take::TimedOut;
    if (!(old & FUTEX_WAITERS)) {
      if (!word.compare_exchange_weak(old, old | FUTEX_WAITERS, std::memory_order_relaxed)) continue;
      old |= FUTEX_WAITERS;
    }
    waiters = FUTEX_WAITERS;
    if (futex_wait(&lock_word(m.mutex), old, *deadline) == FutexWake::TimedOut) return Take::TimedOut;
    old = word.load(std::memory_order_relaxed);
  }
}

// The holder died inside its critical section. The data it guarded may be
// half-updated; we say so and take over. The kernel tells us the death
// itself, at whatever moment it came; holder_pid names the dead process
// except in two windows of a few instructions, which the word cannot close:
// after the word was taken and before holder_pid was written, and after it
// was cleared and before the word was let go. There it reads 0, and the
// report says "unknown" rather than naming the previous holder, who may be
// alive.
[[gnu::noinline]] LockResult took_from_dead(RobustMutex& m, const char* kind) {
  LockResult result;
  result.acquired = true;
  result.owner_died = true;
  result.dead_holder = m.holder_pid;
  report_owner_death(kind, result.dead_holder);
  return result;
}

}  // namespace

// The whole path, for what the inline lock() in robust_mutex.hpp leaves:
// the thread's first lock (its ids are not cached yet) and a busy word.
// Instructions per uncontended lock/unlock pair of mp::Lock (callgrind, 1M
// pairs in one process): 222 through pthread_mutex_trylock/unlock of a
// robust mutex (glibc's robust path alone: 136; a non-robust mutex, Boost's
// interprocess_mutex: 62), 119 with the word taken here. Both ways make the
// same two atomic operations; the rest was glibc's robust bookkeeping
// (its full path, __nusers, __owner) and a trylock before every lock.
LockResult lock_slow(RobustMutex& m, bool block, Timeout timeout, const char* kind) {
  const ThreadIds& me = my_locking_ids();
  // From here until the entry is on our robust list, the kernel finds it
  // through list_op_pending if we die (and frees it if the word names us).
  RobustListOp op(me.head, m.mutex);
  // take_word_slow takes a free word at its first look: the thread's first
  // lock needs no try of its own, and a word the inline path has just found
  // busy is not tried again blindly.
  const Take took = take_word_slow(m, me.tid, block, timeout);
  if (took == Take::Busy || took == Take::TimedOut) return {};
  op.link();
  LockResult result{true, false, 0};
  if (took == Take::TakenFromDead) result = took_from_dead(m, kind);
  m.holder_pid = me.pid;
  m.holder_tid = me.tid;
  return result;
}

void wake_one_waiter(RobustMutex& m) noexcept { futex_wake(&lock_word(m.mutex), 1); }

bool held_by_caller(const RobustMutex& m) noexcept { return m.holder_tid == current_tid(); }

}  // namespace mp::detail
