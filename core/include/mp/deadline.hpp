// Timeouts as Python spells them: std::nullopt means "wait forever", a number
// is seconds (negative counts as zero). Every wait in mpcore measures against
// CLOCK_MONOTONIC so a change of wall-clock time cannot shorten or stretch it.
#pragma once

#include <time.h>

#include <optional>

namespace mp {

using Timeout = std::optional<double>;

// The longest wait mpcore measures: a billion seconds (31 years) is forever
// enough, and keeps every absolute time (timespec, futex, poll,
// steady_clock) in range. Python accepts timeout=float('inf') or 1e19.
constexpr double kLongestTimeout = 1e9;

// A timeout in seconds as every wait uses it: negative and NaN count as 0,
// more than kLongestTimeout (infinity included) as kLongestTimeout. The one
// place where a timeout is clamped; Deadline, sleep_for and the Pool's
// waits all go through it.
double clamp_timeout(double seconds) noexcept;

// Seconds on CLOCK_MONOTONIC.
double monotonic_seconds() noexcept;

// The moment a timeout runs out, fixed when the wait begins so that retries
// after spurious wake-ups or EINTR do not restart the clock.
class Deadline {
 public:
  explicit Deadline(Timeout timeout) noexcept;
  static Deadline never() noexcept { return Deadline(std::nullopt); }

  bool is_forever() const noexcept { return !at_; }
  bool expired() const noexcept;
  // Seconds left (>= 0); nullopt when forever.
  Timeout remaining() const noexcept;
  // Milliseconds left for poll(): -1 when forever, rounded up otherwise so a
  // short timeout never becomes a busy loop of zero-length polls.
  int poll_ms() const noexcept;
  // Absolute CLOCK_MONOTONIC time for pthread_*_clock* and sem_clockwait.
  timespec abs_timespec() const noexcept;

 private:
  std::optional<double> at_;
};

// Sleeps for `seconds` on the monotonic clock, resuming after signals.
void sleep_for(double seconds) noexcept;

}  // namespace mp
