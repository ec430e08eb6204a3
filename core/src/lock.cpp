#include "mp/lock.hpp"

#include <atomic>

namespace mp {
namespace {
std::atomic<OwnerDeathHandler> owner_death_handler{nullptr};
}

void set_owner_death_handler(OwnerDeathHandler handler) noexcept { owner_death_handler = handler; }

void report_owner_death(const char* kind, pid_t dead_holder) noexcept {
  if (auto handler = owner_death_handler.load()) handler(kind, dead_holder);
}

bool Lock::acquire(bool block, Timeout timeout) {
  auto result = detail::lock(*state_, block, timeout, "Lock");
  if (result.acquired) {
    recovered_ = result.owner_died;
    recovered_from_ = result.dead_holder;
  }
  return result.acquired;
}

void Lock::release() { detail::unlock(*state_, "Lock"); }

}  // namespace mp
