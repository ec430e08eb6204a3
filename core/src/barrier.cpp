#include "mp/barrier.hpp"

#include <mutex>
#include <string>

#include "mp/errors.hpp"

namespace mp {
namespace {
// Python's states for the barrier.
constexpr int kFilling = 0;
constexpr int kDraining = 1;
constexpr int kResetting = -1;
constexpr int kBroken = -2;
}  // namespace

Barrier::Barrier(int parties, std::function<void()> action, Timeout timeout)
    : parties_(parties), action_(std::move(action)), default_timeout_(timeout) {
  if (parties < 1) throw ValueError("barrier parties must be >= 1, not " + std::to_string(parties));
}

int Barrier::wait(Timeout timeout) {
  if (!timeout) timeout = default_timeout_;
  std::lock_guard guard(cond_);
  enter();
  auto& st = *state_;
  const int index = st.count++;
  try {
    if (index + 1 == parties_)
      release_generation();
    else
      wait_released(timeout);
  } catch (...) {
    --st.count;
    exit();
    throw;
  }
  --st.count;
  exit();
  return index;
}

// Arrivals while the previous generation drains out (or a reset completes)
// belong to the next generation and wait for it to begin.
void Barrier::enter() {
  auto& st = *state_;
  while (st.state == kDraining || st.state == kResetting) cond_.wait();
  if (st.state < 0) throw BrokenBarrierError("barrier is broken");
}

void Barrier::release_generation() {
  try {
    if (action_) action_();
    state_->state = kDraining;
    cond_.notify_all();
  } catch (...) {
    break_barrier();
    throw;
  }
}

void Barrier::wait_released(Timeout timeout) {
  auto& st = *state_;
  if (!cond_.wait_for([&st] { return st.state != kFilling; }, timeout)) {
    break_barrier();
    throw BrokenBarrierError("barrier wait timed out: the barrier is now broken");
  }
  if (st.state < 0) throw BrokenBarrierError("barrier was broken or reset while waiting");
}

// The last process out of a draining or resetting barrier opens it for the
// next generation.
void Barrier::exit() {
  auto& st = *state_;
  if (st.count == 0 && (st.state == kResetting || st.state == kDraining)) {
    st.state = kFilling;
    cond_.notify_all();
  }
}

void Barrier::reset() {
  std::lock_guard guard(cond_);
  auto& st = *state_;
  if (st.count > 0) {
    // Waiters get BrokenBarrierError; the last to leave refills the barrier.
    if (st.state == kFilling || st.state == kBroken) st.state = kResetting;
  } else {
    st.state = kFilling;
  }
  cond_.notify_all();
}

void Barrier::abort() {
  std::lock_guard guard(cond_);
  break_barrier();
}

void Barrier::break_barrier() {
  state_->state = kBroken;
  cond_.notify_all();
}

int Barrier::n_waiting() const {
  std::lock_guard guard(cond_);
  return state_->state == kFilling ? state_->count : 0;
}

bool Barrier::broken() const {
  std::lock_guard guard(cond_);
  return state_->state == kBroken;
}

}  // namespace mp
