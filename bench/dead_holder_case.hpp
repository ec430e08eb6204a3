#pragma once

#include <nlohmann/json.hpp>

namespace bench {
// {"case": "dead_holder", "recovered", "told", "named", "seconds"}
nlohmann::ordered_json dead_holder();
}  // namespace bench
