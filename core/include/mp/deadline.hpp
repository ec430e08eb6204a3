// Timeouts as Python spells them: std::nullopt means "wait forever", a number
// is seconds (negative counts as zero). Every wait in mpcore measures against
// CLOCK_MONOTONIC so a change of wall-clock time cannot shorten or stretch it.
#pragma once

#include <time.h>

#include <optional>

namespace mp {

using Timeout = std::optional<double>;

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
