#include "mp/condition.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <string>

#include "mp/detail/futex.hpp"
#include "mp/errors.hpp"

namespace mp {
namespace {
using Word = std::atomic_ref<std::uint32_t>;
}

Condition::Condition() : own_lock_(std::make_unique<RLock>()), rlock_(own_lock_.get()) {}
Condition::Condition(Lock& lock) : lock_(&lock) {}
Condition::Condition(RLock& lock) : rlock_(&lock) {}

bool Condition::acquire(bool block, Timeout timeout) {
  return rlock_ ? rlock_->acquire(block, timeout) : lock_->acquire(block, timeout);
}

void Condition::release() { rlock_ ? rlock_->release() : lock_->release(); }

bool Condition::is_mine() const noexcept {
  return detail::held_by_caller(rlock_ ? rlock_->native() : lock_->native());
}

void Condition::require_lock(const char* what) const {
  if (!is_mine())
    throw StateError(std::string(what) + " on a Condition whose lock the caller does not hold");
}

int Condition::release_for_wait() {
  if (rlock_) return rlock_->release_all();
  lock_->release();
  return 1;
}

void Condition::reacquire(int depth) {
  if (rlock_)
    rlock_->reacquire(depth);
  else
    lock_->acquire();
}

bool Condition::wait(Timeout timeout) {
  require_lock("wait");
  auto& st = *state_;
  const std::uint64_t ticket = st.next_ticket++;
  ++st.sleeping;
  Deadline deadline(timeout);
  for (;;) {
    // Read the word while still holding the lock: a notify() can only bump
    // it after we let go, and then futex_wait sees the change and returns.
    const std::uint32_t seen = Word(st.seq).load();
    const int depth = release_for_wait();
    detail::FutexWake woke;
    try {
      woke = detail::futex_wait(&st.seq, seen, deadline);
    } catch (...) {
      reacquire(depth);
      --st.sleeping;
      throw;
    }
    reacquire(depth);
    if (st.granted > 0 && ticket < st.eligible) {
      --st.granted;
      return true;
    }
    if (woke == detail::FutexWake::TimedOut || deadline.expired()) {
      --st.sleeping;
      return false;
    }
    // Woken for someone else (a later notify, or a wake-up meant for those
    // who waited before us), or spuriously: sleep again.
  }
}

void Condition::notify(int n) {
  require_lock("notify");
  if (n <= 0) return;
  auto& st = *state_;
  const std::uint64_t wake = std::min<std::uint64_t>(static_cast<std::uint64_t>(n), st.sleeping);
  if (wake == 0) return;
  st.sleeping -= wake;
  st.granted += wake;
  st.eligible = st.next_ticket;  // everyone waiting now may take one
  Word(st.seq).fetch_add(1);
  // Wake them all: the futex cannot tell eligible waiters from the rest,
  // and each one checks for itself under the lock.
  detail::futex_wake_all(&st.seq);
}

void Condition::notify_all() { notify(INT_MAX); }

}  // namespace mp
