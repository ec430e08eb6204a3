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
// A Connection is not thread-safe (neither is Python's): one thread per end.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "mp/codec.hpp"
#include "mp/deadline.hpp"
#include "mp/unique_fd.hpp"

namespace mp {

class Connection {
 public:
  enum class Kind { Socket, Pipe };  // how bytes are written: send(MSG_NOSIGNAL) or write()

  Connection() = default;  // a closed connection
  Connection(UniqueFd fd, bool readable, bool writable, Kind kind);
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() = default;

  // Sends one whole message (one write system call when the kernel takes it
  // all). Throws OSError when closed, read-only, or the reader is gone.
  void send_bytes(std::string_view bytes);
  // Receives one whole message. Throws EOFError when every writer is closed
  // and no message is left, OSError when closed or write-only.
  std::string recv_bytes();

  template <class T>
  void send(const T& value) {
    send_bytes(encode(value));
  }
  template <class T>
  T recv() {
    return decode<T>(recv_bytes());
  }

  // True when recv() would not block: data (or EOF) is ready. Python's
  // poll(timeout): 0 returns at once, nullopt waits forever.
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
  // Reads whatever the kernel has (at least one byte); false on EOF.
  bool fill_buffer();
  // Makes at least `n` bytes available in the buffer; false on EOF before
  // any byte of them, EOFError on EOF in the middle.
  bool buffer_at_least(std::size_t n);
  std::size_t buffered() const noexcept { return rend_ - rbeg_; }
  void write_iov(const void* head, std::size_t head_len, const void* body, std::size_t body_len);

  UniqueFd fd_;
  bool readable_ = false;
  bool writable_ = false;
  Kind kind_ = Kind::Pipe;
  // Bytes read from the fd but not yet returned: one read() fetches many
  // small messages at once, so a stream of small recv() calls costs few
  // system calls. rbuf_[rbeg_, rend_) is unread; allocated on first recv.
  std::unique_ptr<char[]> rbuf_;
  std::size_t rcap_ = 0;
  std::size_t rbeg_ = 0;
  std::size_t rend_ = 0;
};

// Python's Pipe(duplex=True) -> (conn1, conn2). With duplex=false, conn1 can
// only recv and conn2 can only send.
std::pair<Connection, Connection> Pipe(bool duplex = true);

}  // namespace mp
