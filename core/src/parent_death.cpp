#include "mp/parent_death.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>

namespace mp {
namespace {

// A constant-initialised atomic, not a lazy static: the child reads it right
// after fork, when no initialiser may run (see fork_hooks.hpp).
std::atomic<ParentDeath> g_policy{ParentDeath::LeaveChild};

}  // namespace

void set_parent_death_policy(ParentDeath policy) noexcept { g_policy.store(policy); }

ParentDeath parent_death_policy() noexcept { return g_policy.load(); }

void apply_parent_death_policy(pid_t parent) noexcept {
  if (g_policy.load() != ParentDeath::KillChild) return;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died between fork and the prctl: the kernel would
  // then never send the signal. Our parent pid tells.
  if (::getppid() != parent) ::raise(SIGKILL);
}

}  // namespace mp
