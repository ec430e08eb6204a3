#include "mp/connection.hpp"

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

#include "mp/errors.hpp"

namespace mp {
namespace {

// Length header of a message: 4 bytes, or this marker and 8 more bytes.
constexpr std::uint32_t kLongMarker = 0xFFFFFFFFu;
// What one read() asks for: many small messages at once, while a big
// message's bulk is read straight into its own string.
constexpr std::size_t kReadChunk = 64 * 1024;
// Messages up to this size are copied behind their header and written from
// one buffer on the stack.
constexpr std::size_t kSmallMessage = 1024;

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

Connection::Connection(UniqueFd fd, bool readable, bool writable, Kind kind)
    : fd_(std::move(fd)), readable_(readable), writable_(writable), kind_(kind) {}

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
  rbuf_.reset();
  rbeg_ = rend_ = rcap_ = 0;
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

bool Connection::fill_buffer() {
  if (!rbuf_) {
    rcap_ = kReadChunk;
    rbuf_ = std::make_unique<char[]>(rcap_);
  }
  if (rbeg_ == rend_) {
    rbeg_ = rend_ = 0;
  } else if (rend_ == rcap_) {
    // Only a message's head (smaller than a chunk) can sit at the end: move
    // it to the front to make room.
    std::memmove(rbuf_.get(), rbuf_.get() + rbeg_, rend_ - rbeg_);
    rend_ -= rbeg_;
    rbeg_ = 0;
  }
  for (;;) {
    ssize_t n = ::read(fd_.get(), rbuf_.get() + rend_, rcap_ - rend_);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_os_error("recv");
    }
    if (n == 0) return false;
    rend_ += static_cast<std::size_t>(n);
    return true;
  }
}

bool Connection::buffer_at_least(std::size_t n) {
  // Callers ask for at most a header or a message shorter than a chunk.
  const bool had_some = buffered() > 0;
  while (buffered() < n) {
    if (!fill_buffer()) {
      if (!had_some && buffered() == 0) return false;
      throw EOFError("recv: connection closed in the middle of a message");
    }
  }
  return true;
}

std::string Connection::recv_bytes() {
  check_readable();
  if (!buffer_at_least(4))
    throw EOFError("recv: no more messages: every sending end of the connection is closed");
  std::uint32_t short_len;
  std::memcpy(&short_len, rbuf_.get() + rbeg_, 4);
  std::uint64_t len = short_len;
  if (short_len == kLongMarker) {
    if (!buffer_at_least(12)) throw EOFError("recv: connection closed in the middle of a message");
    std::memcpy(&len, rbuf_.get() + rbeg_ + 4, 8);
    rbeg_ += 12;
  } else {
    rbeg_ += 4;
  }

  if (len <= buffered() || len <= kReadChunk / 2) {
    if (!buffer_at_least(len) && len > 0) throw EOFError("recv: connection closed in the middle of a message");
    std::string message(rbuf_.get() + rbeg_, len);
    rbeg_ += len;
    return message;
  }
  // A big message: take what is buffered, read the rest straight into place.
  std::string message(len, '\0');
  std::size_t got = buffered();
  std::memcpy(message.data(), rbuf_.get() + rbeg_, got);
  rbeg_ = rend_ = 0;
  while (got < len) {
    ssize_t n = ::read(fd_.get(), message.data() + got, len - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_os_error("recv");
    }
    if (n == 0) throw EOFError("recv: connection closed in the middle of a message");
    got += static_cast<std::size_t>(n);
  }
  return message;
}

bool Connection::poll(Timeout timeout) {
  check_readable();
  if (buffered() > 0) return true;
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
    return {Connection(UniqueFd(fds[0]), true, true, Connection::Kind::Socket),
            Connection(UniqueFd(fds[1]), true, true, Connection::Kind::Socket)};
  }
  auto [r, w] = make_pipe();
  return {Connection(std::move(r), true, false, Connection::Kind::Pipe),
          Connection(std::move(w), false, true, Connection::Kind::Pipe)};
}

}  // namespace mp
