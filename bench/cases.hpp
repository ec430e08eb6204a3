// One benchmark case: does its work n times and returns the seconds the
// timed part took. Each mirrors the Python function of the same name in
// bench/peers/python_baseline.py, timing the same part of the work.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>

namespace bench {

struct Case {
  const char* name;
  std::int64_t default_n;
  double (*run)(std::int64_t n);
};

std::span<const Case> cases();

// A case that answers a question rather than measuring a rate: prints its
// own JSON line (dead_holder: was a dead holder's lock recovered?).
struct Probe {
  const char* name;
  nlohmann::ordered_json (*run)();
};

std::span<const Probe> probes();

// Seconds on the monotonic clock (time.perf_counter's counterpart).
double now();

}  // namespace bench
