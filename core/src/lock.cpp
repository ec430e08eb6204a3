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

}  // namespace mp
