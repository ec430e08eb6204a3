// mp::Connection and mp::Pipe: Python's multiprocessing.Pipe.
//
//   auto [parent_end, child_end] = mp::Pipe();        // duplex: both ends send and recv
//   auto [reader, writer] = mp::Pipe(false);          // one-way: reader recv()s, writer send()s
//   writer.send(42);  int v = reader.recv<int>();     // typed, through mp::encode / mp::decode
//   writer.send_bytes("raw");  std::string b = reader.recv_bytes();
//
// A message keeps its boundaries: each send_bytes() arrives as exactly one
// recv_bytes(), an empty message included. On the wire a message is a 4-byte
// length and the payload (messages of 4 GiB - 1 or more use the length
// 0xFFFFFFFF followed by an 8-byte length, as CPython does).
//
// A duplex Pipe is socketpair(AF_UNIX, SOCK_STREAM); a one-way Pipe is
// pipe2(). Every fd is O_CLOEXEC. As in Python, an end that a process does
// not use should be closed there: recv() sees EOF (EOFError) only once every
// copy of the writing end, in every process, is closed.
//
// Writing to an end whose reader is gone throws OSError (EPIPE, Python's
// BrokenPipeError) and never kills the process: sockets are written with
// MSG_NOSIGNAL; for pipes, SIGPIPE is set to SIG_IGN in any process that
// sends on a pipe while SIGPIPE is at its default (CPython ignores SIGPIPE at
// start-up for the same reason). A handler the program installed is left alone.
//
// Several processes may read one end (say, consumers taking work and one
// stop sign each): recv() hands out one message, and no process keeps
// messages it has not returned. The ends a Pipe() makes carry, in shared
// memory, a read lock, a write lock and a read buffer: one read() may fetch
// many small messages into the buffer, and whichever process recv()s next
// takes the next one. Several processes or threads may even recv (send) on
// one end at once, each getting whole messages; Python needs a Lock around
// the calls for that. A process killed in the middle of a message leaves
// that end unusable, as in Python. A Connection made from an fd of one's own
// (Sharing::Single) reads exactly one message from the kernel per recv().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "mp/codec.hpp"
#include "mp/deadline.hpp"
#include "mp/shared_memory.hpp"
#include "mp/unique_fd.hpp"

namespace mp {

class Connection {
 public:
  enum class Kind { Socket, Pipe };  // how bytes are written: send(MSG_NOSIGNAL) or write()
  // Shared: the end gets its own read and write locks in shared memory, for
  // an end that several processes use (what Pipe() makes). Single: one user.
  enum class Sharing { Single, Shared };

  Connection() = default;  // a closed connection
  Connection(UniqueFd fd, bool readable, bool writable, Kind kind, Sharing sharing = Sharing::Single);
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() = default;

  // Sends one whole message: one write system call when the kernel takes it
  // all. Throws OSError when closed, read-only, or the reader is gone.
  void send_bytes(std::string_view bytes);
  // Receives one whole message. Throws EOFError
  // when every writer is closed and no message is left, OSError when closed
  // or write-only.
  std::string recv_bytes();

  template <class T>
  void send(const T& value) {
    send_bytes(encode(value));
  }
  template <class T>
  T recv() {
    return decode<T>(recv_bytes());
  }

  // True when data (or EOF) is ready, so recv() will not wait for a
  // message to start. Python's poll(timeout): 0 returns at once, nullopt waits forever.
  bool poll(Timeout timeout = 0.0);

  // Closes this end in this process. Idempotent.
  void close() noexcept;
  bool closed() const noexcept { return !fd_.valid(); }
  // The fd, for poll()/select() by the caller. Throws OSError when closed.
  int fileno() const;
  bool readable() const noexcept { return readable_; }
  bool writable() const noexcept { return writable_; }

 private:
  void check_open() const;
  void check_readable() const;
  void check_writable() const;
  void write_iov(const void* head, std::size_t head_len, const void* body, std::size_t body_len);
  std::string recv_exact();
  std::string recv_buffered();

  UniqueFd fd_;
  bool readable_ = false;
  bool writable_ = false;
  Kind kind_ = Kind::Pipe;
  // Sharing::Shared: the end's locks and read buffer (detail::EndState),
  // shared with every process forked after the Pipe was made. Empty for
  // Single, whose recv reads exactly one message from the fd.
  SharedMapping shared_;
};

// Python's Pipe(duplex=True) -> (conn1, conn2). With duplex=false, conn1 can
// only recv and conn2 can only send.
std::pair<Connection, Connection> Pipe(bool duplex = true);

}  // namespace mp
