#include "mp/semaphore.hpp"

#include <atomic>
#include <climits>
#include <string>

#include "mp/detail/futex.hpp"
#include "mp/errors.hpp"

namespace mp {
namespace {

using Word = std::atomic_ref<std::uint32_t>;
static_assert(Word::is_always_lock_free, "a futex word must be lock-free to share between processes");

int checked_initial(int value) {
  if (value < 0) throw ValueError("semaphore initial value must be >= 0, not " + std::to_string(value));
  return value;
}

// Takes one unit if there is one.
bool try_take(std::uint32_t& count) noexcept {
  Word word(count);
  std::uint32_t now = word.load();
  while (now > 0)
    if (word.compare_exchange_weak(now, now - 1)) return true;
  return false;
}

}  // namespace

Semaphore::Semaphore(int value) : Semaphore(value, Bound::None) {}

Semaphore::Semaphore(int value, Bound bound) {
  state_->count = static_cast<std::uint32_t>(checked_initial(value));
  state_->bounded = bound == Bound::Initial;
  state_->max = state_->count;
}

BoundedSemaphore::BoundedSemaphore(int value) : Semaphore(value, Bound::Initial) {}

bool Semaphore::acquire(bool block, Timeout timeout) {
  auto& st = *state_;
  if (try_take(st.count)) return true;
  if (!block) return false;
  Deadline deadline(timeout);
  Word waiters(st.waiters);
  for (;;) {
    // Announce the sleep before the last look at the count: a release()
    // that comes after our look sees us in `waiters` and wakes us, and one
    // that comes before changes the word so futex_wait returns at once.
    waiters.fetch_add(1);
    auto woke = detail::futex_wait(&st.count, 0, deadline);
    waiters.fetch_sub(1);
    if (try_take(st.count)) return true;
    if (woke == detail::FutexWake::TimedOut || deadline.expired()) return false;
  }
}

void Semaphore::release() {
  auto& st = *state_;
  Word count(st.count);
  std::uint32_t now = count.load();
  for (;;) {
    if (st.bounded && now >= st.max)
      throw ValueError("semaphore released too many times (bound " + std::to_string(st.max) + ")");
    if (now >= static_cast<std::uint32_t>(INT_MAX)) throw ValueError("semaphore value would exceed INT_MAX");
    if (count.compare_exchange_weak(now, now + 1)) break;
  }
  // Every sleeper, not one: the kernel takes a woken waiter off the futex
  // queue at once, and one killed (or stopped) before it takes the unit
  // would use up a single wake-up while the others sleep on beside a free
  // unit. Woken together, they race for it; the losers sleep again.
  if (Word(st.waiters).load() > 0) detail::futex_wake_all(&st.count);
}

int Semaphore::get_value() const noexcept { return static_cast<int>(Word(state_->count).load()); }

}  // namespace mp
