// Waiting for children to end without reaping them: Python's
// multiprocessing.connection.wait() on Process.sentinel. An ended child that
// is not reaped stays in the process table as a zombie, which is what the
// zombie, orphan and states scenarios need to show.
#pragma once

#include <span>
#include <vector>

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

// Joins (reaps) every child of one part of a lesson. A child killed from
// outside (a student's kill -9, scripts/chaos) can leave its siblings waiting
// for ever on what it would have done next: a producer that never closes the
// shelf, an owner that never says it holds the lock. So once any child has
// died by a signal, the others get `grace` seconds to end by themselves and
// are then killed. Returns the indices of the children that died by a signal
// from outside (not those stopped here), in the order they were found.
struct PartEnd {
  std::vector<std::size_t> killed;   // died by a signal sent from outside
  std::vector<std::size_t> stopped;  // still running `grace` s after a kill: killed here
};
PartEnd join_part(std::span<mp::Process> processes, double grace);

}  // namespace mpdemo
