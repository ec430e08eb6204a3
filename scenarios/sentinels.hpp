// Waiting for children to end without reaping them: Python's
// multiprocessing.connection.wait() on Process.sentinel. An ended child that
// is not reaped stays in the process table as a zombie, which is what the
// zombie, orphan and states scenarios need to show.
#pragma once

#include <span>

#include "mp/deadline.hpp"
#include "mp/process.hpp"

namespace mpdemo {

// True when the child has ended (it may be a zombie now). Does not reap.
bool has_ended(const mp::Process& process);

// Waits until every child in `processes` has ended, or the timeout runs out
// (false then). Does not reap.
bool wait_all_ended(std::span<mp::Process> processes, mp::Timeout timeout);

// Waits until the pidfd `fd` is readable: the process it refers to has
// ended. Works for any process, not only children. False on timeout.
bool wait_pidfd(int fd, mp::Timeout timeout);

}  // namespace mpdemo
