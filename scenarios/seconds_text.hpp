// Durations as a scenario shows them: to the millisecond, which is all that a
// timing of processes means (start-up and scheduling cost milliseconds).
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace mpdemo {

// Seconds rounded to the millisecond, for event fields and figures.
inline double rounded_seconds(double seconds) { return std::round(seconds * 1000) / 1000; }

// "0.150": seconds with three decimals, for messages and expected values.
inline std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  return text;
}

}  // namespace mpdemo
