// Loopback TCP for the echo-server and crawler scenarios: a listening socket
// on 127.0.0.1 whose port the kernel picks (bind port 0, read it back with
// getsockname), and connected streams whose every wait has a deadline, so a
// missing peer shows up as a TimeoutError, never as a hang.
//
// Nothing here leaves the machine: only 127.0.0.1 is ever bound or dialled.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mp/deadline.hpp"
#include "mp/unique_fd.hpp"

namespace mpdemo {

// One end of a TCP connection. Move-only; closes on destruction.
class TcpStream {
 public:
  TcpStream() = default;
  explicit TcpStream(mp::UniqueFd fd) : fd_(std::move(fd)) {}

  // Connects to 127.0.0.1:`port`; throws TimeoutError or OSError.
  static TcpStream connect(std::uint16_t port, mp::Timeout timeout);

  // Sends every byte; throws TimeoutError when the peer stops reading.
  void send_all(std::string_view data, mp::Timeout timeout);
  // Up to `max` bytes as soon as some arrive; "" when the peer closed.
  // Throws TimeoutError when nothing came in time.
  std::string recv_some(std::size_t max, mp::Timeout timeout);
  // Exactly `n` bytes; throws EOFError if the peer closes first.
  std::string recv_exact(std::size_t n, mp::Timeout timeout);
  // Everything until the peer closes.
  std::string recv_until_eof(mp::Timeout timeout);

  // The port of this end (the peer sees it as our address).
  std::uint16_t local_port() const;
  std::uint16_t peer_port() const;

  int fd() const noexcept { return fd_.get(); }
  bool is_open() const noexcept { return fd_.valid(); }
  void close() noexcept { fd_.reset(); }

 private:
  mp::UniqueFd fd_;
};

// A listening socket on 127.0.0.1. Created before fork, it is shared by every
// child: any of them may accept() from it (the pre-fork server pattern).
class TcpListener {
 public:
  // Binds 127.0.0.1 on a free port chosen by the kernel and listens with
  // `backlog` (connections the kernel completes before anyone accepts them).
  explicit TcpListener(int backlog);

  std::uint16_t port() const noexcept { return port_; }
  int fd() const noexcept { return fd_.get(); }

  // Waits for the next connection; throws TimeoutError when none came.
  TcpStream accept(mp::Timeout timeout) { return accept_from(fd_.get(), timeout); }
  // The same on a listening fd inherited through fork (a pool worker gets
  // the fd number as a task argument: it has no TcpListener object).
  static TcpStream accept_from(int listen_fd, mp::Timeout timeout);

  // Closes this process's copy of the listening socket.
  void close() noexcept { fd_.reset(); }

 private:
  mp::UniqueFd fd_;
  std::uint16_t port_ = 0;
};

}  // namespace mpdemo
