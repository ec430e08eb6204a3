// One benchmark case: does its work n times and returns the seconds the
// timed part took. Each mirrors the Python function of the same name in
// py_baseline.py, timing the same part of the work.
#pragma once

#include <cstdint>
#include <span>

namespace bench {

struct Case {
  const char* name;
  std::int64_t default_n;
  double (*run)(std::int64_t n);
};

std::span<const Case> cases();

// Seconds on the monotonic clock (time.perf_counter's counterpart).
double now();

}  // namespace bench
