#pragma once

#include <cstdint>

namespace bench {
double queue_throughput(std::int64_t n);
double pipe_throughput(std::int64_t n);
}  // namespace bench
