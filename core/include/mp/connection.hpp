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
// the calls for that. A Connection made from an fd of one's own
// (Sharing::Single) reads exactly one message from the kernel per recv().
//
// Limits, because the bytes come from another process:
// - recv accepts messages up to max_message() bytes (kDefaultMaxMessage
//   unless set_max_message() says otherwise; Python's recv_bytes(maxlength)).
//   The length is checked on the header, before anything is allocated, and
//   the buffer grows with the bytes that really arrive, so a header that lies
//   costs nothing. A longer message makes recv throw OSError (EMSGSIZE) and,
//   as in Python, closes the end: the rest of the stream cannot be read in
//   step any more. Later calls say why it was closed.
// - A process killed while it held a message half-read (bytes taken from the
//   kernel, not yet handed over) or half-written leaves the end out of step:
//   every later recv (send) on that end, in every process, throws OSError
//   (EBADMSG) naming the dead pid, instead of returning the wrong bytes. A
//   process killed while it was only waiting for a message loses nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "mp/codec.hpp"
#include "mp/deadline.hpp"
#include "mp/detail/read_waiter.hpp"
#include "mp/shared_memory.hpp"
#include "mp/unique_fd.hpp"

namespace mp {

// Python's BufferTooShort: recv_bytes_into() got a message longer than the
// room left in the caller's buffer. The message is not lost: message() has it.
class BufferTooShort : public ProcessError {
 public:
  explicit BufferTooShort(std::string message);
  const std::string& message() const noexcept { return message_; }

 private:
  std::string message_;
};

class Connection;
// What mp::wait() watches: a Connection, or an fd that becomes readable
// when something happens (Process::sentinel(), a socket, a pipe).
using Waitable = std::variant<Connection*, int>;

class Connection {
 public:
  enum class Kind { Socket, Pipe };  // how bytes are written: send(MSG_NOSIGNAL) or write()
  // Shared: the end gets its own read and write locks in shared memory, for
  // an end that several processes use (what Pipe() makes). Single: one user.
  enum class Sharing { Single, Shared };

  Connection() = default;  // a closed connection
  Connection(UniqueFd fd, bool readable, bool writable, Kind kind, Sharing sharing = Sharing::Single);

  // The largest message recv accepts by default: 256 MiB. Sixteen times the
  // largest message the tests and scenarios send (16 MiB), and still a size
  // a small machine can hold; raise it per Connection for more.
  static constexpr std::size_t kDefaultMaxMessage = std::size_t{256} << 20;
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() = default;

  // Sends one whole message: one write system call when the kernel takes it
  // all. Throws OSError when closed, read-only, or the reader is gone.
  void send_bytes(std::string_view bytes);
  // Python's send_bytes(buffer, offset, size): the `size` bytes of `buffer`
  // from `offset` (to its end when size is nullopt). ValueError, as in
  // Python: "offset is negative", "buffer length < offset", "size is
  // negative", "buffer length < offset + size".
  void send_bytes(std::string_view buffer, std::int64_t offset, std::optional<std::int64_t> size = std::nullopt);
  // Receives one whole message. Throws EOFError
  // when every writer is closed and no message is left, OSError when closed
  // or write-only, or (EMSGSIZE) when the message is longer than
  // max_message(), after which the end is closed.
  std::string recv_bytes();
  // Python's recv_bytes(maxlength): as recv_bytes() with the limit lowered
  // to `maxlength` for this call. ValueError("negative maxlength").
  std::string recv_bytes(std::int64_t maxlength);
  // Python's recv_bytes_into(buffer, offset): one whole message, written
  // into `buffer` from `offset`; returns its length. ValueError "negative
  // offset" or "offset too large" (past the end) before anything is read;
  // BufferTooShort, holding the message, when it does not fit.
  std::size_t recv_bytes_into(std::span<char> buffer, std::int64_t offset = 0);

  // The largest message recv_bytes() accepts on this Connection, in this
  // process. At most 2^62 bytes.
  std::size_t max_message() const noexcept { return max_message_; }
  void set_max_message(std::size_t bytes) noexcept;

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
  // On an end that Pipe() made, a message may already wait in the end's
  // shared read buffer (another recv fetched it with its own), where the fd
  // cannot show it: poll(fileno()) may say "nothing" while poll() says a
  // message is ready. Ask poll() or mp::wait(), which look there first.
  int fileno() const;
  bool readable() const noexcept { return readable_; }
  bool writable() const noexcept { return writable_; }

 private:
  friend std::vector<Waitable> wait(const std::vector<Waitable>& objects, Timeout timeout);
  // A message (or its head), or a reason to raise, already waits in the
  // shared read buffer, where the fd cannot show it.
  bool has_buffered() const noexcept;
  void check_open() const;
  void check_readable() const;
  void check_writable() const;
  void write_iov(const void* head, std::size_t head_len, const void* body, std::size_t body_len);
  std::string recv_with_limit(std::size_t limit);
  std::string recv_exact(std::size_t limit);
  std::string recv_buffered(std::size_t limit);
  // Throws unless a message of `len` bytes may be received (then closes the end).
  void check_length(std::uint64_t len, std::size_t limit);
  // Reads the rest of a message of `len` bytes, `message` holding its first
  // bytes already: the buffer grows as bytes arrive, never ahead of them.
  void read_body(std::string& message, std::uint64_t len);
  // Closes this end for good, remembering why (what later calls report),
  // and throws OSError(why, err).
  [[noreturn]] void fail(const std::string& why, int err);

  UniqueFd fd_;
  bool readable_ = false;
  bool writable_ = false;
  Kind kind_ = Kind::Pipe;
  std::size_t max_message_ = kDefaultMaxMessage;
  // Why fail() closed this end; empty when it was closed by close() or never.
  std::string failure_;
  // Sharing::Shared: the end's locks and read buffer (detail::EndState),
  // shared with every process forked after the Pipe was made. Empty for
  // Single, whose recv reads exactly one message from the fd.
  SharedMapping shared_;
  // How recv waits for bytes in this process, and when it last read.
  detail::ReadWaiter read_waiter_;
};

// Python's multiprocessing.connection.wait(object_list, timeout): waits
// until at least one object is ready or the timeout runs out (nullopt:
// forever) and returns the ready ones, in the order given (an empty list on
// timeout). A Connection is ready when recv() would not wait: a message, EOF,
// or an error; a message already fetched into a Pipe end's shared buffer
// counts, though its fd shows nothing. An fd is ready when it is readable or
// hung up (a Process's sentinel once the process has ended). Throws OSError
// for a closed Connection or an fd that is not open.
std::vector<Waitable> wait(const std::vector<Waitable>& objects, Timeout timeout = std::nullopt);

// Python's Pipe(duplex=True) -> (conn1, conn2). With duplex=false, conn1 can
// only recv and conn2 can only send.
std::pair<Connection, Connection> Pipe(bool duplex = true);

}  // namespace mp
