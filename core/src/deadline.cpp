#include "mp/deadline.hpp"

#include <cerrno>
#include <cmath>

namespace mp {

double monotonic_seconds() noexcept {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double clamp_timeout(double seconds) noexcept {
  if (!(seconds > 0)) return 0.0;  // NaN too
  return seconds < kLongestTimeout ? seconds : kLongestTimeout;
}

Deadline::Deadline(Timeout timeout) noexcept {
  if (timeout) at_ = monotonic_seconds() + clamp_timeout(*timeout);
}

bool Deadline::expired() const noexcept { return at_ && monotonic_seconds() >= *at_; }

Timeout Deadline::remaining() const noexcept {
  if (!at_) return std::nullopt;
  double left = *at_ - monotonic_seconds();
  return left > 0 ? left : 0.0;
}

int Deadline::poll_ms() const noexcept {
  if (!at_) return -1;
  double left = *remaining();
  double ms = std::ceil(left * 1000.0);
  return ms > 2e9 ? 2000000000 : static_cast<int>(ms);
}

timespec Deadline::abs_timespec() const noexcept {
  double at = at_ ? *at_ : monotonic_seconds() + kLongestTimeout;
  timespec ts;
  ts.tv_sec = static_cast<time_t>(at);
  ts.tv_nsec = static_cast<long>((at - static_cast<double>(ts.tv_sec)) * 1e9);
  if (ts.tv_nsec >= 1000000000L) { ts.tv_sec += 1; ts.tv_nsec -= 1000000000L; }
  if (ts.tv_nsec < 0) ts.tv_nsec = 0;
  return ts;
}

void sleep_for(double seconds) noexcept {
  seconds = clamp_timeout(seconds);
  if (seconds == 0) return;
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  double at = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9 + seconds;
  timespec abs;
  abs.tv_sec = static_cast<time_t>(at);
  abs.tv_nsec = static_cast<long>((at - static_cast<double>(abs.tv_sec)) * 1e9);
  if (abs.tv_nsec >= 1000000000L) { abs.tv_sec += 1; abs.tv_nsec -= 1000000000L; }
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, nullptr) == EINTR) {
  }
}

}  // namespace mp
