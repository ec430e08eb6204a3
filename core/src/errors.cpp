#include "mp/errors.hpp"

#include <cerrno>
#include <cstring>

namespace mp {

OSError::OSError(const std::string& what, int err)
    : Error(what + ": " + std::strerror(err)), err_(err) {}

void throw_os_error(const std::string& what) { throw OSError(what, errno); }
void throw_os_error(const std::string& what, int err) { throw OSError(what, err); }

}  // namespace mp
