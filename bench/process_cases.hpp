#pragma once

#include <cstdint>

namespace bench {
double spawn_join(std::int64_t n);
double lock_counter(std::int64_t n);
double lock_handoff(std::int64_t n);
double ticket_race(std::int64_t n);
}  // namespace bench
