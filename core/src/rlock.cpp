#include "mp/rlock.hpp"

#include <string>

#include "mp/errors.hpp"

namespace mp {

bool RLock::acquire(bool block, Timeout timeout) {
  // Only the holder can see itself as holder, so this test needs no lock:
  // nobody else writes holder_tid to our tid.
  if (detail::held_by_caller(state_->mutex)) {
    ++state_->depth;
    return true;
  }
  auto result = detail::lock(state_->mutex, block, timeout, "RLock");
  if (!result.acquired) return false;
  // A dead holder may have left any depth behind; we start afresh.
  state_->depth = 1;
  recovered_ = result.owner_died;
  recovered_from_ = result.dead_holder;
  return true;
}

void RLock::release() {
  // A non-holder goes straight to detail::unlock, which refuses it in the
  // same words as for a Lock ("release of an unlocked RLock", "held by pid").
  if (detail::held_by_caller(state_->mutex) && --state_->depth > 0) return;
  detail::unlock(state_->mutex, "RLock");
}

int RLock::release_all() {
  if (!detail::held_by_caller(state_->mutex))
    throw StateError("RLock is not held by the caller");
  int depth = state_->depth;
  state_->depth = 0;
  detail::unlock(state_->mutex, "RLock");
  return depth;
}

void RLock::reacquire(int depth) {
  auto result = detail::lock(state_->mutex, true, std::nullopt, "RLock");
  state_->depth = depth;
  recovered_ = result.owner_died;
  recovered_from_ = result.dead_holder;
}

}  // namespace mp
