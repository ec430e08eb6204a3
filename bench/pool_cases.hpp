#pragma once

#include <cstdint>

namespace bench {
double pool_map(std::int64_t n);
double pool_apply_async(std::int64_t n);
}  // namespace bench
