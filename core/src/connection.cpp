#include "mp/connection.hpp"

#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>

#include "mp/detail/robust_mutex.hpp"
#include "mp/errors.hpp"

namespace mp {
namespace {

// Length header of a message: 4 bytes, or this marker and 8 more bytes.
constexpr std::uint32_t kLongMarker = 0xFFFFFFFFu;
// Messages up to this size are copied behind their header and written from
// one buffer on the stack.
constexpr std::size_t kSmallMessage = 1024;
// A write of at most PIPE_BUF bytes reaches a pipe (or an AF_UNIX stream
// socket) in one piece, whoever else writes: no write lock needed.
constexpr std::size_t kAtomicWrite = PIPE_BUF;

// Set once SIGPIPE has been checked in this process; cleared in a forked
// child, because mp::Process resets the child's dispositions to default.
std::atomic<bool> sigpipe_checked{false};

void forget_sigpipe_check_in_child() { sigpipe_checked.store(false, std::memory_order_relaxed); }

// A write to a pipe without readers raises SIGPIPE, whose default action
// kills the process; ignored, the write fails with EPIPE and we throw. Only
// the default disposition is changed: a handler the program set stays.
void ensure_sigpipe_ignored() {
  if (sigpipe_checked.load(std::memory_order_relaxed)) return;
  static const bool registered = (pthread_atfork(nullptr, nullptr, forget_sigpipe_check_in_child), true);
  (void)registered;
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL &&
      !(current.sa_flags & SA_SIGINFO))
    ::signal(SIGPIPE, SIG_IGN);
  sigpipe_checked.store(true, std::memory_order_relaxed);
}

}  // namespace

namespace detail {
// What the processes using one end of a Pipe share: a mapping made with the
// Pipe, before fork, followed by the read buffer of a readable end.
struct EndState {
  explicit EndState(std::uint32_t buffer_capacity) : capacity(buffer_capacity) {}

  RobustMutex read;   // held by recv() for its whole message; guards the buffer
  RobustMutex write;  // held while a message too big to be written atomically goes out
  // Bytes read from the fd and not yet taken: buffer()[begin, end). One
  // read() may fetch many small messages; as the buffer is shared, each
  // still goes to whichever process recv()s next, never hoarded by one.
  // Atomics so that poll() may look without the lock.
  std::atomic<std::uint32_t> begin{0};
  std::atomic<std::uint32_t> end{0};
  const std::uint32_t capacity;

  char* buffer() noexcept;
};
}  // namespace detail

namespace {

constexpr std::size_t kEndStateBytes = (sizeof(detail::EndState) + 63) / 64 * 64;
// Read buffer of a shared readable end: what one read() may fetch.
constexpr std::uint32_t kSharedReadBuffer = 64 * 1024;

detail::EndState* end_state(const SharedMapping& m) noexcept { return static_cast<detail::EndState*>(m.data()); }

}  // namespace

char* detail::EndState::buffer() noexcept { return reinterpret_cast<char*>(this) + kEndStateBytes; }

namespace {

// Holds one of an end's locks for a scope; nothing when the end has none.
class EndLock {
 public:
  explicit EndLock(detail::RobustMutex* m) : m_(m) {
    if (m_) detail::lock(*m_, true, std::nullopt, "Connection");
  }
  EndLock(const EndLock&) = delete;
  EndLock& operator=(const EndLock&) = delete;
  ~EndLock() {
    if (m_) {
      try {
        detail::unlock(*m_, "Connection");
      } catch (...) {
        // only a misuse of the mutex could fail here, and this file makes none
      }
    }
  }

 private:
  detail::RobustMutex* m_;
};

}  // namespace

Connection::Connection(UniqueFd fd, bool readable, bool writable, Kind kind, Sharing sharing)
    : fd_(std::move(fd)), readable_(readable), writable_(writable), kind_(kind) {
  if (sharing == Sharing::Shared) {
    const std::uint32_t buffer = readable ? kSharedReadBuffer : 0;
    shared_ = SharedMapping(kEndStateBytes + buffer);
    new (shared_.data()) detail::EndState(buffer);
  }
}

void Connection::check_open() const {
  if (!fd_.valid()) throw OSError("connection is closed", EBADF);
}

void Connection::check_readable() const {
  check_open();
  if (!readable_) throw OSError("recv on a write-only connection (the sending end of Pipe(duplex=false))", EBADF);
}

void Connection::check_writable() const {
  check_open();
  if (!writable_) throw OSError("send on a read-only connection (the receiving end of Pipe(duplex=false))", EBADF);
}

int Connection::fileno() const {
  check_open();
  return fd_.get();
}

void Connection::close() noexcept {
  fd_.reset();
  shared_ = SharedMapping();
}

void Connection::write_iov(const void* head, std::size_t head_len, const void* body, std::size_t body_len) {
  iovec iov[2] = {{const_cast<void*>(head), head_len}, {const_cast<void*>(body), body_len}};
  iovec* next = iov;
  int count = body_len > 0 ? 2 : 1;
  for (;;) {
    ssize_t n;
    if (count == 1) {
      n = kind_ == Kind::Socket ? ::send(fd_.get(), next->iov_base, next->iov_len, MSG_NOSIGNAL)
                                : ::write(fd_.get(), next->iov_base, next->iov_len);
    } else if (kind_ == Kind::Socket) {
      msghdr msg{};
      msg.msg_iov = next;
      msg.msg_iovlen = static_cast<std::size_t>(count);
      n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
    } else {
      n = ::writev(fd_.get(), next, count);
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_os_error(errno == EPIPE ? "send: the receiving end is closed" : "send");
    }
    // Short write (a big message, or a signal): skip what went out.
    auto left = static_cast<std::size_t>(n);
    while (count > 0 && left >= next->iov_len) {
      left -= next->iov_len;
      ++next;
      --count;
    }
    if (count == 0) return;
    next->iov_base = static_cast<char*>(next->iov_base) + left;
    next->iov_len -= left;
  }
}

void Connection::send_bytes(std::string_view bytes) {
  check_writable();
  if (kind_ == Kind::Pipe) ensure_sigpipe_ignored();
  unsigned char header[12];
  std::size_t header_len;
  if (bytes.size() < kLongMarker) {
    auto n = static_cast<std::uint32_t>(bytes.size());
    std::memcpy(header, &n, 4);
    header_len = 4;
  } else {
    std::uint64_t n = bytes.size();
    std::memcpy(header, &kLongMarker, 4);
    std::memcpy(header + 4, &n, 8);
    header_len = 12;
  }
  detail::EndState* state = end_state(shared_);
  EndLock lock(state && header_len + bytes.size() > kAtomicWrite ? &state->write : nullptr);
  if (bytes.size() <= kSmallMessage) {
    // One contiguous buffer: a plain write()/send() is a little cheaper
    // than gathering two pieces, and small messages are the common case.
    char buf[12 + kSmallMessage];
    std::memcpy(buf, header, header_len);
    if (!bytes.empty()) std::memcpy(buf + header_len, bytes.data(), bytes.size());
    write_iov(buf, header_len + bytes.size(), nullptr, 0);
    return;
  }
  write_iov(header, header_len, bytes.data(), bytes.size());
}

std::string Connection::recv_bytes() {
  check_readable();
  return shared_.data() ? recv_buffered() : recv_exact();
}

std::string Connection::recv_exact() {
  // Exactly one message: the length, then exactly that many bytes. A
  // private read-ahead would save a system call but could keep a message
  // that another process reading this end was meant to get.
  std::uint32_t short_len;
  if (!read_exact(fd_.get(), &short_len, sizeof short_len))
    throw EOFError("recv: no more messages: every sending end of the connection is closed");
  std::uint64_t len = short_len;
  if (short_len == kLongMarker && !read_exact(fd_.get(), &len, sizeof len))
    throw EOFError("recv: connection closed in the middle of a message");
  std::string message(len, '\0');
  if (len > 0 && !read_exact(fd_.get(), message.data(), len))
    throw EOFError("recv: connection closed in the middle of a message");
  return message;
}

std::string Connection::recv_buffered() {
  detail::EndState& st = *end_state(shared_);
  EndLock lock(&st.read);
  char* const buf = st.buffer();
  std::uint32_t b = st.begin.load(std::memory_order_relaxed);
  std::uint32_t e = st.end.load(std::memory_order_relaxed);
  // Publishes begin/end however we leave (poll() reads them).
  struct Publish {
    detail::EndState& st;
    std::uint32_t& b;
    std::uint32_t& e;
    ~Publish() {
      st.begin.store(b, std::memory_order_relaxed);
      st.end.store(e, std::memory_order_relaxed);
    }
  } publish{st, b, e};

  // Makes n bytes (n <= capacity) available at buf[b]; false on EOF first.
  auto have = [&](std::size_t n) {
    while (e - b < n) {
      if (b == e) {
        b = e = 0;
      } else if (st.capacity - b < n) {
        std::memmove(buf, buf + b, e - b);  // a message's head moves to the front
        e -= b;
        b = 0;
      }
      ssize_t r = ::read(fd_.get(), buf + e, st.capacity - e);
      if (r < 0) {
        if (errno == EINTR) continue;
        throw_os_error("recv");
      }
      if (r == 0) return false;
      e += static_cast<std::uint32_t>(r);
    }
    return true;
  };

  if (!have(4)) {
    if (b == e) throw EOFError("recv: no more messages: every sending end of the connection is closed");
    throw EOFError("recv: connection closed in the middle of a message");
  }
  std::uint32_t short_len;
  std::memcpy(&short_len, buf + b, 4);
  std::uint64_t len = short_len;
  std::uint32_t header = 4;
  if (short_len == kLongMarker) {
    if (!have(12)) throw EOFError("recv: connection closed in the middle of a message");
    std::memcpy(&len, buf + b + 4, 8);
    header = 12;
  }
  if (header + len <= e - b || header + len <= st.capacity / 2) {
    if (!have(header + len)) throw EOFError("recv: connection closed in the middle of a message");
    std::string message(buf + b + header, len);
    b += header + static_cast<std::uint32_t>(len);
    return message;
  }
  // A big message: what is buffered, then the rest read straight into place.
  std::string message(len, '\0');
  const std::size_t got = e - b - header;
  std::memcpy(message.data(), buf + b + header, got);
  b = e = 0;
  if (!read_exact(fd_.get(), message.data() + got, len - got))
    throw EOFError("recv: connection closed in the middle of a message");
  return message;
}

bool Connection::poll(Timeout timeout) {
  check_readable();
  if (const detail::EndState* st = end_state(shared_);
      st && st->begin.load(std::memory_order_relaxed) != st->end.load(std::memory_order_relaxed))
    return true;  // buffered bytes: a message (or its head) is here
  Deadline deadline(timeout);
  for (;;) {
    pollfd p{fd_.get(), POLLIN, 0};
    int r = ::poll(&p, 1, deadline.poll_ms());
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_os_error("poll");
    }
    if (r == 0) return false;
    if (p.revents & POLLNVAL) throw OSError("poll: connection fd is not open", EBADF);
    return true;  // POLLIN: data; POLLHUP/POLLERR: recv() will report EOF or the error
  }
}

std::pair<Connection, Connection> Pipe(bool duplex) {
  if (duplex) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw_os_error("socketpair");
    return {Connection(UniqueFd(fds[0]), true, true, Connection::Kind::Socket, Connection::Sharing::Shared),
            Connection(UniqueFd(fds[1]), true, true, Connection::Kind::Socket, Connection::Sharing::Shared)};
  }
  auto [r, w] = make_pipe();
  return {Connection(std::move(r), true, false, Connection::Kind::Pipe, Connection::Sharing::Shared),
          Connection(std::move(w), false, true, Connection::Kind::Pipe, Connection::Sharing::Shared)};
}

}  // namespace mp
