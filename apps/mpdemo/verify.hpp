// mpdemo verify: every scenario, run fast in its own mpdemo process, its
// checks collected into one table (or JSON lines) and one exit status.
#pragma once

#include <cstdint>
#include <string>

namespace mpdemo {

int run_verify(double speed, std::uint64_t seed, bool json, const std::string& only);

}  // namespace mpdemo
