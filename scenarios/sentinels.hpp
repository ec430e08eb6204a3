// Waiting for children to end without reaping them: Python's
// multiprocessing.connection.wait() on Process.sentinel. An ended child that
// is not reaped stays in the process table as a zombie, which is what the
// zombie, orphan and states scenarios need to show.
#pragma once

#include <functional>
#include <span>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/process.hpp"
#include "scenario.hpp"

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
// outside (a student's kill -9, scripts/chaos) or ended by an error can leave
// its siblings waiting for ever on what it would have done next: a producer
// that never closes the shelf, a light that never turns green. So once any
// child has ended with a non-zero exit code, `on_first_failure` is called (a
// lesson can release the waiters itself: set the event they wait for), the
// others get `grace` seconds to end by themselves, and are then killed.
struct PartEnd {
  std::vector<std::size_t> killed;   // died by a signal sent from outside (exitcode < 0)
  std::vector<std::size_t> stopped;  // still running `grace` s after a failure: killed here
};
PartEnd join_part(std::span<mp::Process> processes, double grace, const std::function<void()>& on_first_failure = {});

// join_part with the grace a lesson uses (3 tutorial seconds, at least 1 s),
// and the ones killed and stopped named as events (part.child_killed,
// part.child_stopped). Returns whether every process ended by itself.
bool join_lesson_part(std::span<mp::Process> processes, const Context& ctx,
                      const std::function<void()>& on_first_failure = {});

}  // namespace mpdemo
