// Hooks around fork(), like Python's util.register_after_fork: the app
// flushes its logger before a fork; a subsystem that keeps per-process state
// (a thread, a cache of the pid) resets it in the child.
#pragma once

namespace mp {

using ForkHook = void (*)();

// Registers a hook; hooks run in registration order. Not thread-safe:
// register during start-up, before any process is started.
void at_fork(ForkHook before_fork, ForkHook after_fork_in_child);

// Called by Process::start (and by anything else in mpcore that forks).
void run_before_fork();
void run_after_fork_in_child();

}  // namespace mp
