#include "loopback_tcp.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "mp/errors.hpp"

namespace mpdemo {
namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// Waits until `fd` is ready for `events`; throws TimeoutError when the
// deadline passes first. POLLHUP/POLLERR count as ready: the call that
// follows reports what happened.
void wait_ready(int fd, short events, const mp::Deadline& deadline, const char* what) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, deadline.poll_ms());
    if (r > 0) return;
    if (r == 0) throw mp::TimeoutError(std::string(what) + ": timed out");
    if (errno != EINTR) mp::throw_os_error(std::string(what) + ": poll");
  }
}

std::uint16_t port_of(int fd, bool peer) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  int r = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
               : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (r != 0) mp::throw_os_error(peer ? "getpeername" : "getsockname");
  return ntohs(addr.sin_port);
}

}  // namespace

TcpStream TcpStream::connect(std::uint16_t port, mp::Timeout timeout) {
  mp::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) mp::throw_os_error("socket");
  sockaddr_in addr = loopback(port);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) mp::throw_os_error("connect to 127.0.0.1:" + std::to_string(port));
    wait_ready(fd.get(), POLLOUT, mp::Deadline(timeout), "connect");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) mp::throw_os_error("connect to 127.0.0.1:" + std::to_string(port), err);
  }
  return TcpStream(std::move(fd));
}

void TcpStream::send_all(std::string_view data, mp::Timeout timeout) {
  mp::Deadline deadline(timeout);
  while (!data.empty()) {
    // MSG_NOSIGNAL: a peer that went away is an EPIPE error, not a SIGPIPE death.
    ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_ready(fd_.get(), POLLOUT, deadline, "send");
    } else if (errno != EINTR) {
      mp::throw_os_error("send");
    }
  }
}

std::string TcpStream::recv_some(std::size_t max, mp::Timeout timeout) {
  mp::Deadline deadline(timeout);
  std::string buf(max, '\0');
  for (;;) {
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n >= 0) {
      buf.resize(static_cast<std::size_t>(n));
      return buf;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_ready(fd_.get(), POLLIN, deadline, "recv");
    } else if (errno != EINTR) {
      mp::throw_os_error("recv");
    }
  }
}

std::string TcpStream::recv_exact(std::size_t n, mp::Timeout timeout) {
  mp::Deadline deadline(timeout);
  std::string out;
  while (out.size() < n) {
    std::string part = recv_some(n - out.size(), deadline.remaining());
    if (part.empty())
      throw mp::EOFError("recv: the peer closed after " + std::to_string(out.size()) + " of " + std::to_string(n) +
                         " bytes");
    out += part;
  }
  return out;
}

std::string TcpStream::recv_until_eof(mp::Timeout timeout) {
  mp::Deadline deadline(timeout);
  std::string out;
  for (;;) {
    std::string part = recv_some(65536, deadline.remaining());
    if (part.empty()) return out;
    out += part;
  }
}

std::uint16_t TcpStream::local_port() const { return port_of(fd_.get(), false); }
std::uint16_t TcpStream::peer_port() const { return port_of(fd_.get(), true); }

TcpListener::TcpListener(int backlog) {
  // Non-blocking: when several processes share the socket, the one that poll
  // woke may find the connection already taken by another; it polls again.
  fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd_) mp::throw_os_error("socket");
  sockaddr_in addr = loopback(0);  // port 0: the kernel picks a free one
  if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) mp::throw_os_error("bind 127.0.0.1:0");
  if (::listen(fd_.get(), backlog) != 0) mp::throw_os_error("listen");
  port_ = port_of(fd_.get(), false);
}

TcpStream TcpListener::accept_from(int listen_fd, mp::Timeout timeout) {
  mp::Deadline deadline(timeout);
  for (;;) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) return TcpStream(mp::UniqueFd(fd));
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_ready(listen_fd, POLLIN, deadline, "accept");
    } else if (errno != EINTR && errno != ECONNABORTED) {
      mp::throw_os_error("accept");
    }
  }
}

}  // namespace mpdemo
