#include "fd_output.hpp"

#include <unistd.h>

#include <cerrno>

namespace mpdemo {

void write_fd(int fd, std::string_view text) noexcept {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

void FdSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  write_fd(fd_, std::string_view(formatted.data(), formatted.size()));
}

}  // namespace mpdemo
