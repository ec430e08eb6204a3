// The manager's server process: accepts connections on an abstract Unix
// socket and serves each on its own thread, as CPython's Server does
// (Server.accepter, Server.serve_client). Method calls are serialised by
// one mutex over every object (manager_handler.cpp).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_set>

#include "manager_handler.hpp"
#include "manager_protocol.hpp"
#include "mp/connection.hpp"
#include "mp/deadline.hpp"
#include "mp/errors.hpp"

namespace mp::detail::manager {
namespace {

using nlohmann::json;

// What the accepting thread and every client thread share. Held by
// shared_ptr: it lives until the last of them is done with it.
struct ServerState {
  RequestHandler handler;  // the objects, and what each request does to them
  std::string authkey;     // what a client's first message must be

  std::mutex clients_mutex;           // guards the three fields below
  std::unordered_set<int> client_fds;  // sockets of connected clients, to shut down at the end
  int client_threads = 0;              // client threads still running
  ClientId last_client = 0;            // the id given to the latest client
  bool stopping = false;               // no new clients once set
  std::condition_variable clients_gone;  // client_threads reached 0

  UniqueFd stop_read, stop_write;  // a byte on stop_write ends the accept loop
};

sockaddr_un abstract_address(const std::string& name, socklen_t& length) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // sun_path[0] stays '\0': the abstract namespace. The name is not
  // NUL-terminated; its length is part of the address.
  if (name.size() + 1 > sizeof addr.sun_path) throw ValueError("manager address too long: " + name);
  name.copy(addr.sun_path + 1, name.size());
  length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return addr;
}

UniqueFd stream_socket() {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_os_error("socket");
  return fd;
}

void request_stop(ServerState& server) noexcept {
  char byte = 's';
  try {
    write_all(server.stop_write.get(), &byte, 1);
  } catch (const Error&) {
    // The pipe is full: a stop is already pending.
  }
}

// Constant time: how much of a wrong key matched does not show in how long
// the comparison took.
bool same_key(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) differ |= static_cast<unsigned char>(a[i] ^ b[i]);
  return differ == 0;
}

// A peer of our own user whose first message is the authkey gets
// "#WELCOME"; any other gets "#FAILURE" (or, another user, nothing at all).
bool let_in(const ServerState& server, Connection& conn) {
  if (peer_credentials(conn.fileno()).uid != ::geteuid()) return false;
  conn.set_max_message(kAuthkeyBytes);  // a first message longer than a key is not one
  const bool known = same_key(conn.recv_bytes(), server.authkey);
  conn.send_bytes(known ? kWelcome : kFailure);
  return known;
}

// One client's requests, one after another, until it disconnects (or the
// server shuts its socket down while stopping). `socket` is the fd that
// client_fds names; the Connection reads and writes a dup of it, so that
// when the Connection closes itself (a request over kMaxRequest) the number
// in client_fds still names this client's socket until it is erased.
void serve_client(const std::shared_ptr<ServerState>& server, UniqueFd socket, ClientId id) {
  const Client client{id, socket.get()};
  try {
    UniqueFd own(::fcntl(socket.get(), F_DUPFD_CLOEXEC, 0));
    if (!own) throw_os_error("dup(manager client socket)");
    Connection conn(std::move(own), true, true, Connection::Kind::Socket);
    if (!let_in(*server, conn)) throw EOFError("not let in");
    conn.set_max_message(kMaxRequest);
    for (;;) {
      std::string bytes = conn.recv_bytes();
      Outcome outcome = server->handler.handle(bytes, client);
      conn.send_bytes(outcome.reply);
      if (outcome.stop) request_stop(*server);
      if (outcome.disconnect) break;
    }
  } catch (const std::exception&) {
    // EOFError: the client closed its end or exited. OSError: it vanished
    // while we replied, or sent a message over the limit. Either way this
    // client is done; others are not.
  }
  // Whatever it held (a Lock it died holding) goes to the next waiter.
  server->handler.client_gone(id);
  std::lock_guard lock(server->clients_mutex);
  server->client_fds.erase(socket.get());
  socket.reset();  // under the lock, so the stopping server never shuts down a reused fd number
  if (--server->client_threads == 0) server->clients_gone.notify_all();
}

void start_client_thread(const std::shared_ptr<ServerState>& server, UniqueFd fd) {
  std::lock_guard lock(server->clients_mutex);
  if (server->stopping) return;  // fd closes: the client sees EOF
  int raw = fd.get();
  server->client_fds.insert(raw);
  ++server->client_threads;
  const ClientId id = ++server->last_client;
  try {
    std::thread(serve_client, server, std::move(fd), id).detach();
  } catch (...) {
    server->client_fds.erase(raw);
    --server->client_threads;
    throw;
  }
}

// Disconnects every client and waits (a little) for their threads to end.
void disconnect_clients(ServerState& server) {
  std::unique_lock lock(server.clients_mutex);
  server.stopping = true;
  // A thread blocked in recv() wakes with EOF; one in the middle of a call
  // finishes it, fails to reply, and ends.
  for (int fd : server.client_fds) ::shutdown(fd, SHUT_RDWR);
  server.clients_gone.wait_for(lock, std::chrono::seconds(2), [&] { return server.client_threads == 0; });
}

bool accept_error_is_transient(int err) {
  // The client gave up before we took it, or we are out of fds or memory
  // for a moment: keep serving the others.
  return err == EINTR || err == ECONNABORTED || err == EAGAIN || err == EMFILE || err == ENFILE ||
         err == ENOBUFS || err == ENOMEM || err == EPROTO;
}

}  // namespace

UniqueFd listen_abstract(const std::string& name) {
  UniqueFd fd = stream_socket();
  socklen_t length;
  sockaddr_un addr = abstract_address(name, length);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), length) != 0)
    throw_os_error("bind(manager socket '" + name + "')");
  if (::listen(fd.get(), SOMAXCONN) != 0) throw_os_error("listen(manager socket '" + name + "')");
  return fd;
}

UniqueFd connect_abstract(const std::string& name) {
  UniqueFd fd = stream_socket();
  socklen_t length;
  sockaddr_un addr = abstract_address(name, length);
  while (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), length) != 0) {
    // Interrupted: the connection may still complete; a retry reports EISCONN then.
    if (errno == EINTR) continue;
    if (errno == EISCONN) break;
    throw_os_error("connect(manager socket '" + name + "')");
  }
  return fd;
}

std::string make_authkey() {
  std::string key(kAuthkeyBytes, '\0');
  std::size_t got = 0;
  while (got < key.size()) {
    const ssize_t n = ::getrandom(key.data() + got, key.size() - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_os_error("getrandom(manager authkey)");
    }
    got += static_cast<std::size_t>(n);
  }
  return key;
}

PeerCredentials peer_credentials(int socket_fd) {
  ucred cred{};
  socklen_t length = sizeof cred;
  if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) throw_os_error("getsockopt(SO_PEERCRED)");
  return {cred.uid, cred.pid};
}

std::string unique_address() {
  static std::atomic<unsigned> counter{0};
  // pid and counter make it unique among live managers; the random part
  // keeps a name from being guessed or reused by a stale client.
  std::random_device random;
  return "mpdemo-manager-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" +
         std::to_string(random());
}

void serve(UniqueFd listener, pid_t manager_pid, std::string authkey) {
  // Ctrl-C reaches the whole foreground process group; the manager process
  // decides when its server ends (CPython does the same, bpo-36368).
  ::signal(SIGINT, SIG_IGN);

  // Watch the process that started us, so that the server ends with it
  // even when it dies without a shutdown (SIGKILL). -1 on an old kernel:
  // then getppid() is checked once a second.
  UniqueFd manager(static_cast<int>(::syscall(SYS_pidfd_open, manager_pid, 0)));
  if (::getppid() != manager_pid) return;  // it died before we could watch it

  auto server = std::make_shared<ServerState>();
  server->authkey = std::move(authkey);
  std::tie(server->stop_read, server->stop_write) = make_pipe();

  for (;;) {
    pollfd fds[3] = {{listener.get(), POLLIN, 0}, {server->stop_read.get(), POLLIN, 0}, {manager.get(), POLLIN, 0}};
    int ready = ::poll(fds, 3, manager ? -1 : 1000);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw_os_error("poll(manager server)");
    }
    if (fds[1].revents) break;                                      // a Shutdown request
    if (fds[2].revents || ::getppid() != manager_pid) break;        // the manager process ended
    if (!(fds[0].revents & POLLIN)) continue;
    UniqueFd client(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client) {
      if (accept_error_is_transient(errno)) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) sleep_for(0.01);
        continue;
      }
      throw_os_error("accept(manager server)");
    }
    start_client_thread(server, std::move(client));
  }
  listener.reset();  // the name is free now: new clients are refused at once
  disconnect_clients(*server);
}

}  // namespace mp::detail::manager
