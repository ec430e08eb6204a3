#include "mp/value.hpp"

#include <string>

namespace mp::detail {

void throw_no_lock(const char* kind) {
  throw StateError(std::string(kind) + " was made with Locking::Off: it has no lock");
}

}  // namespace mp::detail
