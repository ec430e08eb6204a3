// How a Pipe end's recv waits for bytes before it reads (connection.cpp):
// without taking any, since a reader killed while it waits must lose nothing.
// A read() that finds nothing has no way to say "nothing taken" if the
// reader is killed on its way out of the kernel, so recv reads only once
// this says there is something.
//
// Spaced reads. A reader that needs more bytes and read less than 5 us ago
// waits, in user space, until 5 us have passed. A reader that takes whatever
// is there the moment it arrives keeps the pipe empty, and then every write
// finds it empty: the writer wakes the reader, and its write waits for the
// pipe's lock held by the reader's read, once per message. Reads at most
// every 5 us let messages gather and go in batches, at the cost of up to 5 us
// to a message that comes sooner than that after the previous read (none to
// one that comes later, as a reply does). Measured with 12-byte messages
// between two processes on 2 cores, writer's rate (medians of 6 alternating
// runs): reading at once 1.61 M/s, spaced 2 us 3.07, 5 us 3.31, 10 us 3.46;
// the floor's reader, one blocking read(2) per message, 2.21.
//
// A pipe: not in poll(2). The first poll of a pipe marks it for good (the
// kernel's pipe->poll_usage), and from then on every write to it wakes the
// pipe's wait queue, readers or not. Measured with pipe_throughput (8-byte
// messages, 11 alternating runs, medians): recv waiting in poll 1.63 M/s,
// recv blocking in read 2.26 M/s, the raw floor (one write, one read per
// message) 2.31 M/s. Instead: tee(2) of one byte from the pipe into a
// scratch pipe of this process. tee sleeps until the pipe has bytes (or has
// no writers left: then it returns 0 and the read sees EOF), and copies a
// reference, not the bytes: the pipe keeps everything. The scratch pipe is
// emptied every few waits. It belongs to the process that made it: a forked
// child makes its own at its first wait (the inherited one it closes).
//
// A socket, or a pipe where no scratch pipe can be made (no fds left) or tee
// refuses: poll(2), first without sleeping (a writer on another core usually
// adds the next message within a microsecond), then asleep.
#pragma once

#include <sys/types.h>

#include "mp/unique_fd.hpp"

namespace mp::detail {

class ReadWaiter {
 public:
  // Returns when `fd` has bytes or no writers left. `pipe`: fd is the read
  // end of a pipe (else a socket).
  void wait(int fd, bool pipe);
  // Called after every read that returned bytes: the next wait is spaced
  // from it.
  void read_done() noexcept;

 private:
  bool have_scratch();
  // False when tee refused the fd (from then on this end polls).
  bool wait_in_tee(int fd);

  double last_read_ = 0;  // monotonic seconds; 0: never read
  pid_t owner_ = 0;       // the process whose scratch pipe this is
  UniqueFd scratch_read_;
  UniqueFd scratch_write_;
  int unread_ = 0;         // bytes in the scratch pipe
  bool use_poll_ = false;  // tee refused once: poll from now on
};

}  // namespace mp::detail
