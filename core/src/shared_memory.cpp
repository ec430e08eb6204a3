#include "mp/shared_memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include "mp/errors.hpp"

namespace mp {

SharedMapping::SharedMapping(std::size_t bytes) {
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  size_ = (bytes + page - 1) / page * page;
  if (size_ == 0) size_ = page;
  addr_ = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (addr_ == MAP_FAILED) {
    addr_ = nullptr;
    throw_os_error("mmap(MAP_SHARED | MAP_ANONYMOUS)");
  }
}

SharedMapping& SharedMapping::operator=(SharedMapping&& other) noexcept {
  if (this != &other) {
    if (addr_) ::munmap(addr_, size_);
    addr_ = std::exchange(other.addr_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

SharedMapping::~SharedMapping() {
  if (addr_) ::munmap(addr_, size_);
}

}  // namespace mp
