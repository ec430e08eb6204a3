// UniqueFd: the one owner of a file descriptor. Move-only; closes on
// destruction, so no path through the code can leak or double-close an fd.
#pragma once

#include <utility>

namespace mp {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  // Gives up ownership without closing.
  int release() noexcept { return std::exchange(fd_, -1); }
  // Closes the current fd (if any) and owns `fd` instead.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// pipe2(O_CLOEXEC) as two owners: {read end, write end}.
std::pair<UniqueFd, UniqueFd> make_pipe();

// Writes all of buf (retrying on EINTR and short writes); throws OSError.
void write_all(int fd, const void* buf, std::size_t len);
// Reads exactly len bytes; returns false on EOF before the first byte,
// throws EOFError on EOF in the middle, OSError on failure.
bool read_exact(int fd, void* buf, std::size_t len);

}  // namespace mp
