// Whether a child ends when the process that started it ends, however that
// ends (SIGKILL included). Python leaves such children running; a teaching
// tool whose main process is killed must not: mpdemo turns this on for every
// run, so a killed run leaves nothing behind. A lesson whose child must
// outlive its parent (an orphan) turns it off in the parent for that fork.
//
// How: the child asks the kernel for SIGKILL when its parent dies
// (prctl PR_SET_PDEATHSIG) right after fork, then checks getppid(): a parent
// that died before the prctl would otherwise go unnoticed. The kernel sends
// the signal when the *thread* that forked exits, so a process that starts
// children from a thread must keep that thread until they end (the Pool's
// thread does).
#pragma once

#include <sys/types.h>

namespace mp {

enum class ParentDeath {
  LeaveChild,  // the default, as in Python: a child outlives its parent
  KillChild,   // the kernel kills the child when its parent ends
};

// The policy for children this process starts from now on (Process::start
// and fork_raw). A child inherits it for the children it starts.
void set_parent_death_policy(ParentDeath policy) noexcept;
ParentDeath parent_death_policy() noexcept;

// In a child right after fork (async-signal-safe): applies the policy
// inherited from the parent whose pid was `parent`. Does not return if the
// parent is already gone and the policy is KillChild.
void apply_parent_death_policy(pid_t parent) noexcept;

}  // namespace mp
