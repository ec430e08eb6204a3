#include "mp/unique_fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "mp/errors.hpp"

namespace mp {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);  // close() is not retried on EINTR on Linux
  fd_ = fd;
}

std::pair<UniqueFd, UniqueFd> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_os_error("pipe2");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void write_all(int fd, const void* buf, std::size_t len) {
  auto* p = static_cast<const char*>(buf);
  while (len > 0) {
    ssize_t n = ::write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_os_error("write");
    }
    p += n;
    len -= static_cast<std::size_t>(n);
  }
}

bool read_exact(int fd, void* buf, std::size_t len) {
  auto* p = static_cast<char*>(buf);
  std::size_t got = 0;
  while (got < len) {
    ssize_t n = ::read(fd, p + got, len - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_os_error("read");
    }
    if (n == 0) {
      if (got == 0) return false;
      throw EOFError("connection closed in the middle of a message");
    }
    got += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace mp
