#include "mp/connection.hpp"

#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>

#include "mp/detail/robust_mutex.hpp"
#include "mp/errors.hpp"
#include "thread_ids.hpp"

namespace mp {
namespace {

// Length header of a message: 4 bytes, or this marker and 8 more bytes.
constexpr std::uint32_t kLongMarker = 0xFFFFFFFFu;
// Messages up to this size are copied behind their header and written from
// one buffer on the stack.
constexpr std::size_t kSmallMessage = 1024;
// A write of at most PIPE_BUF bytes reaches a pipe (or an AF_UNIX stream
// socket) in one piece: a writer killed during it leaves all or nothing.
constexpr std::size_t kAtomicWrite = PIPE_BUF;

// Set once SIGPIPE has been checked in this process; cleared in a forked
// child, because mp::Process resets the child's dispositions to default.
std::atomic<bool> sigpipe_checked{false};

void forget_sigpipe_check_in_child() { sigpipe_checked.store(false, std::memory_order_relaxed); }

// Installed before main(), while the process has one thread: it used to be a
// function-local `static` in ensure_sigpipe_ignored(), and a fork by one thread
// while another ran that initialiser left the child a guard marked "in
// progress", so the child's first send waited in __cxa_guard_acquire for ever
// (see core/FORK_SAFETY.md).
[[gnu::constructor]] void install_forget_sigpipe_check_in_child() {
  ::pthread_atfork(nullptr, nullptr, forget_sigpipe_check_in_child);
}

// A write to a pipe without readers raises SIGPIPE, whose default action
// kills the process; ignored, the write fails with EPIPE and we throw. Only
// the default disposition is changed: a handler the program set stays.
void ensure_sigpipe_ignored() {
  if (sigpipe_checked.load(std::memory_order_relaxed)) return;
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
//
// A process can be killed anywhere, so the shared fields are kept so that
// every instant but a few marked ones leaves them right for the next user:
// bytes read from the fd are published in `end` at once (a reader killed
// after that loses nothing: the message is still in the buffer), and the
// instants when bytes of the stream are only in one process's hands (read
// but not yet published, the buffer being compacted, a big message read
// straight into private memory, a message half-written) are marked with the
// pid in `reading` or `writing`. The next process to take the lock and find
// a mark knows that process died there, and the end is out of step for good.
struct EndState {
  explicit EndState(std::uint32_t buffer_capacity) : capacity(buffer_capacity) {}

  RobustMutex read;   // held by recv() for its whole message; guards the buffer
  RobustMutex write;  // held by send() for its whole message
  // Bytes read from the fd and not yet taken: buffer()[begin, end). One
  // read() may fetch many small messages; as the buffer is shared, each
  // still goes to whichever process recv()s next, never hoarded by one.
  // Atomics so that poll() may look without the lock.
  std::atomic<std::uint32_t> begin{0};
  std::atomic<std::uint32_t> end{0};
  const std::uint32_t capacity;

  std::atomic<pid_t> reading{0};  // under `read`: who holds stream bytes not in the buffer
  std::atomic<pid_t> writing{0};  // under `write`: who has written part of a message
  // Set once, never cleared: the stream is out of step. Who and why.
  std::atomic<pid_t> lost_by{0};
  std::atomic<std::uint8_t> lost_why{0};  // a LostWhy
  std::atomic<pid_t> send_lost_by{0};     // a writer killed mid-message

  char* buffer() noexcept;
};
}  // namespace detail

namespace {

enum class LostWhy : std::uint8_t { None, ReaderKilled, ReaderOutOfMemory };

constexpr std::size_t kEndStateBytes = (sizeof(detail::EndState) + 63) / 64 * 64;
// Read buffer of a shared readable end: what one read() may fetch.
constexpr std::uint32_t kSharedReadBuffer = 64 * 1024;
// A message's buffer starts at this size (or the message's, if smaller) and
// doubles as bytes arrive: a length header alone never costs more than this.
constexpr std::size_t kFirstChunk = std::size_t{1} << 20;
// The largest limit set_max_message() accepts: lengths and offsets then stay
// far from overflowing 64 bits whatever header comes.
constexpr std::size_t kLargestLimit = std::size_t{1} << 62;

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

// Marks an instant when this process alone holds bytes of the stream (see
// EndState); cleared however the scope is left, as long as we live.
class StreamMark {
 public:
  explicit StreamMark(std::atomic<pid_t>* mark) : mark_(mark) {
    if (mark_) mark_->store(detail::cached_pid(), std::memory_order_release);
  }
  StreamMark(const StreamMark&) = delete;
  StreamMark& operator=(const StreamMark&) = delete;
  ~StreamMark() {
    if (mark_) mark_->store(0, std::memory_order_release);
  }

 private:
  std::atomic<pid_t>* mark_;
};

std::string lost_text(const detail::EndState& st) {
  const std::string pid = std::to_string(st.lost_by.load(std::memory_order_acquire));
  if (static_cast<LostWhy>(st.lost_why.load(std::memory_order_acquire)) == LostWhy::ReaderOutOfMemory)
    return "recv: this end is out of step: process " + pid + " ran out of memory in the middle of a message";
  return "recv: this end is out of step: process " + pid + " was killed in the middle of receiving a message";
}

}  // namespace

BufferTooShort::BufferTooShort(std::string message)
    : ProcessError("recv_bytes_into: a message of " + std::to_string(message.size()) +
                   " bytes does not fit in the buffer (it is in message())"),
      message_(std::move(message)) {}

Connection::Connection(UniqueFd fd, bool readable, bool writable, Kind kind, Sharing sharing)
    : fd_(std::move(fd)), readable_(readable), writable_(writable), kind_(kind) {
  if (sharing == Sharing::Shared) {
    const std::uint32_t buffer = readable ? kSharedReadBuffer : 0;
    shared_ = SharedMapping(kEndStateBytes + buffer);
    new (shared_.data()) detail::EndState(buffer);
  }
}

void Connection::set_max_message(std::size_t bytes) noexcept { max_message_ = std::min(bytes, kLargestLimit); }

void Connection::check_open() const {
  if (fd_.valid()) return;
  if (!failure_.empty()) throw OSError("connection is closed (" + failure_ + ")", EBADF);
  throw OSError("connection is closed", EBADF);
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

void Connection::fail(const std::string& why, int err) {
  // Only the fd: the shared mapping may be under a lock guard of the
  // caller's, and goes with close() or the destructor.
  fd_.reset();
  failure_ = why;
  throw OSError(why, err);
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
  // Every send on a shared end holds its write lock, the small ones too: a
  // small message written without it could land between two pieces of a big
  // one that another process is writing, and the reader would then take
  // every later length from the wrong bytes.
  detail::EndState* state = end_state(shared_);
  EndLock lock(state ? &state->write : nullptr);
  if (state) {
    if (pid_t dead = state->writing.load(std::memory_order_acquire)) {
      state->send_lost_by.store(dead, std::memory_order_release);  // it died holding half a message
      state->writing.store(0, std::memory_order_release);
    }
    if (pid_t dead = state->send_lost_by.load(std::memory_order_acquire))
      throw OSError("send: this end is out of step: process " + std::to_string(dead) +
                        " was killed in the middle of sending a message",
                    EBADMSG);
  }
  // A message the kernel takes in one piece cannot be left half-written.
  StreamMark mark(state && header_len + bytes.size() > kAtomicWrite ? &state->writing : nullptr);
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

void Connection::send_bytes(std::string_view buffer, std::int64_t offset, std::optional<std::int64_t> size) {
  check_writable();
  const auto n = static_cast<std::int64_t>(buffer.size());
  if (offset < 0) throw ValueError("offset is negative");
  if (n < offset) throw ValueError("buffer length < offset");
  if (!size) {
    size = n - offset;
  } else if (*size < 0) {
    throw ValueError("size is negative");
  } else if (*size > n - offset) {  // offset + size > n, without overflow
    throw ValueError("buffer length < offset + size");
  }
  send_bytes(buffer.substr(static_cast<std::size_t>(offset), static_cast<std::size_t>(*size)));
}

std::string Connection::recv_bytes() { return recv_with_limit(max_message_); }

std::string Connection::recv_bytes(std::int64_t maxlength) {
  if (maxlength < 0) throw ValueError("negative maxlength");
  return recv_with_limit(std::min(max_message_, static_cast<std::size_t>(maxlength)));
}

std::size_t Connection::recv_bytes_into(std::span<char> buffer, std::int64_t offset) {
  check_readable();
  if (offset < 0) throw ValueError("negative offset");
  if (static_cast<std::uint64_t>(offset) > buffer.size()) throw ValueError("offset too large");
  std::string message = recv_bytes();
  const std::size_t room = buffer.size() - static_cast<std::size_t>(offset);
  if (message.size() > room) throw BufferTooShort(std::move(message));
  if (!message.empty()) std::memcpy(buffer.data() + offset, message.data(), message.size());
  return message.size();
}

std::string Connection::recv_with_limit(std::size_t limit) {
  check_readable();
  return shared_.data() ? recv_buffered(limit) : recv_exact(limit);
}

void Connection::check_length(std::uint64_t len, std::size_t limit) {
  if (len <= limit) return;
  fail("recv: a message of " + std::to_string(len) + " bytes is over " +
           (limit == max_message_ ? "this connection's limit of " + std::to_string(limit) + " bytes (set_max_message)"
                                  : "maxlength " + std::to_string(limit)) +
           "; the connection is closed",
       EMSGSIZE);
}

void Connection::read_body(std::string& message, std::uint64_t len) {
  try {
    std::size_t have = message.size();
    while (have < len) {
      const std::size_t next = static_cast<std::size_t>(std::min<std::uint64_t>(len, std::max(2 * have, kFirstChunk)));
      message.resize(next);
      if (!read_exact(fd_.get(), message.data() + have, next - have))
        throw EOFError("recv: connection closed in the middle of a message");
      have = next;
    }
  } catch (const std::bad_alloc&) {
    if (detail::EndState* st = end_state(shared_)) {
      st->lost_why.store(static_cast<std::uint8_t>(LostWhy::ReaderOutOfMemory), std::memory_order_release);
      st->lost_by.store(::getpid(), std::memory_order_release);
    }
    fail("recv: out of memory for a message of " + std::to_string(len) + " bytes; the connection is closed", ENOMEM);
  }
}

std::string Connection::recv_exact(std::size_t limit) {
  // Exactly one message: the length, then exactly that many bytes. A
  // private read-ahead would save a system call but could keep a message
  // that another process reading this end was meant to get.
  std::uint32_t short_len;
  if (!read_exact(fd_.get(), &short_len, sizeof short_len))
    throw EOFError("recv: no more messages: every sending end of the connection is closed");
  std::uint64_t len = short_len;
  if (short_len == kLongMarker && !read_exact(fd_.get(), &len, sizeof len))
    throw EOFError("recv: connection closed in the middle of a message");
  check_length(len, limit);
  std::string message;
  read_body(message, len);
  return message;
}

std::string Connection::recv_buffered(std::size_t limit) {
  detail::EndState& st = *end_state(shared_);
  EndLock lock(&st.read);
  if (pid_t dead = st.reading.load(std::memory_order_acquire)) {
    // The last reader died holding bytes of the stream that no one else has.
    st.lost_why.store(static_cast<std::uint8_t>(LostWhy::ReaderKilled), std::memory_order_release);
    st.lost_by.store(dead, std::memory_order_release);
    st.reading.store(0, std::memory_order_release);
  }
  if (st.lost_by.load(std::memory_order_acquire) != 0) throw OSError(lost_text(st), EBADMSG);

  char* const buf = st.buffer();
  std::uint32_t b = st.begin.load(std::memory_order_relaxed);
  std::uint32_t e = st.end.load(std::memory_order_relaxed);
  auto publish = [&] {
    st.begin.store(b, std::memory_order_relaxed);
    st.end.store(e, std::memory_order_relaxed);
  };

  // Makes n bytes (n <= capacity) available at buf[b]; false on EOF first.
  auto have = [&](std::size_t n) {
    while (e - b < n) {
      if (b == e) {
        b = e = 0;
        publish();
      } else if (st.capacity - b < n) {
        StreamMark mark(&st.reading);  // the buffer is in motion
        std::memmove(buf, buf + b, e - b);  // a message's head moves to the front
        e -= b;
        b = 0;
        publish();
      }
      read_waiter_.wait(fd_.get(), kind_ == Kind::Pipe);  // without a mark: it takes nothing
      StreamMark mark(&st.reading);  // from the read until `end` says where the bytes are
      ssize_t r = ::read(fd_.get(), buf + e, st.capacity - e);
      if (r < 0) {
        if (errno == EINTR) continue;
        throw_os_error("recv");
      }
      if (r == 0) return false;
      read_waiter_.read_done();
      e += static_cast<std::uint32_t>(r);
      st.end.store(e, std::memory_order_relaxed);
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
  // Refused before anything is taken: the message stays where it is, and a
  // process with a larger limit could still read it.
  check_length(len, limit);
  if (len <= e - b - header || len <= st.capacity / 2 - header) {
    if (!have(header + len)) throw EOFError("recv: connection closed in the middle of a message");
    std::string message(buf + b + header, len);
    b += header + static_cast<std::uint32_t>(len);
    publish();
    return message;
  }
  // A big message: what is buffered, then the rest read straight into place.
  // From the moment its head leaves the buffer until it is whole, its bytes
  // are only ours.
  StreamMark mark(&st.reading);
  std::string message(buf + b + header, e - b - header);
  b = e = 0;
  publish();
  read_body(message, len);
  return message;
}

bool Connection::has_buffered() const noexcept {
  const detail::EndState* st = end_state(shared_);
  // Buffered bytes: a message (or its head) is here; or recv will raise at once.
  return st && (st->begin.load(std::memory_order_relaxed) != st->end.load(std::memory_order_relaxed) ||
                st->lost_by.load(std::memory_order_relaxed) != 0);
}

bool Connection::poll(Timeout timeout) {
  check_readable();
  if (has_buffered()) return true;
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

std::vector<Waitable> wait(const std::vector<Waitable>& objects, Timeout timeout) {
  std::vector<pollfd> fds;
  fds.reserve(objects.size());
  bool buffered = false;  // some Connection is ready without the kernel's word
  for (const Waitable& object : objects) {
    if (const auto* conn = std::get_if<Connection*>(&object)) {
      (*conn)->check_readable();
      buffered = buffered || (*conn)->has_buffered();
      fds.push_back({(*conn)->fd_.get(), POLLIN, 0});
    } else {
      fds.push_back({std::get<int>(object), POLLIN, 0});
    }
  }
  Deadline deadline(buffered ? Timeout(0.0) : timeout);
  for (;;) {
    const int r = ::poll(fds.data(), fds.size(), deadline.poll_ms());
    if (r >= 0) break;
    if (errno != EINTR) throw_os_error("wait: poll");
  }
  std::vector<Waitable> ready;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (fds[i].revents & POLLNVAL) throw OSError("wait: fd " + std::to_string(fds[i].fd) + " is not open", EBADF);
    const auto* conn = std::get_if<Connection*>(&objects[i]);
    if (fds[i].revents != 0 || (conn && (*conn)->has_buffered())) ready.push_back(objects[i]);
  }
  return ready;
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
