// Waits until a pipe has bytes to read, without taking any and without
// poll(2), for a Pipe end's recv (connection.cpp).
//
// Why not poll: the first poll of a pipe marks it for good (the kernel's
// pipe->poll_usage), and from then on every write to it wakes the pipe's
// wait queue, readers or not. Measured with pipe_throughput (8-byte
// messages, 11 alternating runs, medians): recv waiting in poll 1.63 M/s,
// recv blocking in read 2.26 M/s, the raw floor (one write, one read per
// message) 2.31 M/s. recv cannot simply block in read: a reader killed
// while read() sleeps has taken nothing, but one killed as read() returns
// has taken bytes no one else will see, and from outside the two look the
// same (see EndState in connection.cpp). So it waits first, taking nothing.
//
// How: tee(2) of one byte from the pipe into a scratch pipe of this
// process. tee sleeps until the pipe has bytes (or has no writers left:
// then it returns 0 and the read sees EOF), and copies a reference, not
// the bytes: the pipe keeps everything. The scratch pipe is emptied every
// few waits. It belongs to the process that made it: a forked child makes
// its own at its first wait (the inherited one it closes). Where a scratch
// pipe cannot be made (no fds left), or tee refuses (not a pipe), it waits
// in poll as before.
#pragma once

#include <sys/types.h>

#include "mp/unique_fd.hpp"

namespace mp::detail {

class PipeWaiter {
 public:
  // Returns when `fd`, the read end of a pipe, has bytes or has no writers.
  void wait(int fd);

 private:
  bool have_scratch();

  pid_t owner_ = 0;  // the process whose scratch pipe this is
  UniqueFd scratch_read_;
  UniqueFd scratch_write_;
  int unread_ = 0;  // bytes in the scratch pipe
  bool use_poll_ = false;  // tee refused once: poll from now on
};

}  // namespace mp::detail
