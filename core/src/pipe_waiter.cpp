#include "mp/detail/pipe_waiter.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "mp/errors.hpp"
#include "thread_ids.hpp"

namespace mp::detail {
namespace {

// The scratch pipe holds 16 references by default (one per tee of a byte):
// emptied when half full, it never fills, so tee never waits on it.
constexpr int kEmptyAt = 8;

void wait_in_poll(int fd) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, -1);
    if (r > 0) return;
    if (r < 0 && errno != EINTR) throw_os_error("recv: poll");
  }
}

}  // namespace

bool PipeWaiter::have_scratch() {
  const pid_t me = cached_pid();
  if (owner_ == me) return true;
  scratch_read_.reset();  // the parent's, if inherited
  scratch_write_.reset();
  unread_ = 0;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;  // poll this time, try again next
  scratch_read_.reset(fds[0]);
  scratch_write_.reset(fds[1]);
  // Only the end we empty: tee treats an O_NONBLOCK output as its own
  // SPLICE_F_NONBLOCK, and would then not wait for the pipe either.
  if (::fcntl(scratch_read_.get(), F_SETFL, O_NONBLOCK) != 0) {
    scratch_read_.reset();
    scratch_write_.reset();
    return false;
  }
  owner_ = me;
  return true;
}

void PipeWaiter::wait(int fd) {
  if (use_poll_ || !have_scratch()) return wait_in_poll(fd);
  for (;;) {
    // Flags 0: wait for bytes (SPLICE_F_NONBLOCK would not).
    const ssize_t n = ::tee(fd, scratch_write_.get(), 1, 0);
    if (n > 0) {
      if (++unread_ >= kEmptyAt) {
        char sink[64];
        while (::read(scratch_read_.get(), sink, sizeof sink) > 0) {
        }
        unread_ = 0;
      }
      return;
    }
    if (n == 0) return;  // no writers left: the read finds EOF
    if (errno == EINTR) continue;
    if (errno == EINVAL) {  // not a pipe after all
      use_poll_ = true;
      return wait_in_poll(fd);
    }
    throw_os_error("recv: tee");
  }
}

}  // namespace mp::detail
