#include "mp/detail/read_waiter.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "cpu_relax.hpp"
#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "thread_ids.hpp"

namespace mp::detail {
namespace {

constexpr double kReadSpacing = 5e-6;

// The scratch pipe holds 16 references by default (one per tee of a byte):
// emptied when half full, it never fills, so tee never waits on it.
constexpr int kEmptyAt = 8;

// Polls with a zero timeout before sleeping in poll(): about 50 us of system
// calls. Measured on pipes before they waited in tee (mpbench
// pipe_throughput, context switches per 100k messages): 1 try 18.7k,
// 8 tries 11.9k, 32 tries 5.4k, 128 tries 1.8k; the floor's reader, blocked
// in read(), 1.3k.
constexpr int kPollTries = 128;

void wait_in_poll(int fd) {
  for (int tries = 0;; ++tries) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, tries < kPollTries ? 0 : -1);
    if (r > 0) return;
    if (r < 0 && errno != EINTR) throw_os_error("recv: poll");
  }
}

}  // namespace

void ReadWaiter::read_done() noexcept { last_read_ = monotonic_seconds(); }

void ReadWaiter::wait(int fd, bool pipe) {
  if (last_read_ != 0) {
    while (monotonic_seconds() - last_read_ < kReadSpacing) {
      for (int i = 0; i < 4; ++i) cpu_relax();
    }
  }
  if (pipe && !use_poll_ && have_scratch() && wait_in_tee(fd)) return;
  wait_in_poll(fd);
}

bool ReadWaiter::have_scratch() {
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

bool ReadWaiter::wait_in_tee(int fd) {
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
      return true;
    }
    if (n == 0) return true;  // no writers left: the read finds EOF
    if (errno == EINTR) continue;
    if (errno == EINVAL) {  // not a pipe after all
      use_poll_ = true;
      return false;
    }
    throw_os_error("recv: tee");
  }
}

}  // namespace mp::detail
