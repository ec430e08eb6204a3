#include "mp/manager.hpp"

#include <unistd.h>

#include <string_view>
#include <utility>

#include "manager_protocol.hpp"
#include "mp/connection.hpp"
#include "mp/errors.hpp"

namespace mp {

namespace manager = detail::manager;
using nlohmann::json;

namespace {

// Python names its server "SyncManager-<identity>"; Process gives us
// "Process-<identity>" to build on.
std::string server_name(const Process& server) {
  constexpr std::string_view prefix = "Process-";
  std::string name = server.name();
  if (name.rfind(prefix, 0) == 0) name.erase(0, prefix.size());
  return "SyncManager-" + name;
}

// Asks the server to stop, on a connection of its own (as CPython's
// _finalize_manager does), waiting for the reply at most `timeout`.
// Failures are ignored: the caller escalates to signals.
void request_shutdown(const manager::Endpoint& endpoint, double timeout) noexcept {
  try {
    Connection conn = manager::open_connection(endpoint);
    conn.send(manager::Request{manager::kServer, manager::Op::Shutdown, json::array()});
    if (conn.poll(timeout)) (void)conn.recv_bytes();
  } catch (const std::exception&) {
    // Already gone, or it stopped listening: the joins tell.
  }
}

}  // namespace

Manager::Manager()
    : address_(manager::unique_address()), authkey_(manager::make_authkey()), owner_pid_(::getpid()) {
  // The socket is listening before fork(), so a proxy may connect the
  // moment the constructor returns: no waiting for the server to start.
  UniqueFd listener = manager::listen_abstract(address_);
  const int listener_fd = listener.get();
  const pid_t manager_pid = owner_pid_;
  server_ = Process(
      [listener_fd, manager_pid, key = authkey_] { manager::serve(UniqueFd(listener_fd), manager_pid, key); }, {},
      Daemon::Yes);
  server_.set_name(server_name(server_));
  server_.start();
  // `listener` closes here, in this process: only the server holds it now.
}

Manager::Manager(Manager&& other) noexcept
    : address_(std::exchange(other.address_, {})),
      authkey_(std::move(other.authkey_)),
      server_(std::move(other.server_)),
      owner_pid_(other.owner_pid_),
      shut_down_(other.shut_down_) {}

Manager::~Manager() {
  if (address_.empty() || ::getpid() != owner_pid_) return;
  try {
    shutdown();
  } catch (...) {
    // A destructor must not throw; the daemon server is still terminated
    // by ~Process or at exit.
  }
}

std::uint32_t Manager::create(manager::Kind kind, const json& initial) {
  if (address_.empty() || shut_down_) throw ProcessError("manager has shut down");
  json id = manager::call(endpoint(), manager::kServer, manager::Op::Create,
                          json::array({static_cast<int>(kind), initial}));
  return id.get<std::uint32_t>();
}

manager::Endpoint Manager::endpoint() const { return {address_, authkey_, owner_pid_}; }

DictProxy Manager::dict(const json& initial) { return DictProxy(endpoint(), create(manager::Kind::Dict, initial)); }

ListProxy Manager::list(const json& initial) { return ListProxy(endpoint(), create(manager::Kind::List, initial)); }

NamespaceProxy Manager::Namespace(const json& attributes) {
  return NamespaceProxy(endpoint(), create(manager::Kind::Namespace, attributes));
}

ValueProxy Manager::Value(const std::string& typecode, const json& value) {
  return ValueProxy(endpoint(), create(manager::Kind::Value, json::array({typecode, value})));
}

QueueProxy Manager::Queue(long maxsize) { return QueueProxy(endpoint(), create(manager::Kind::Queue, maxsize)); }

LockProxy Manager::Lock() { return LockProxy(endpoint(), create(manager::Kind::Lock, nullptr)); }

RLockProxy Manager::RLock() { return RLockProxy(endpoint(), create(manager::Kind::RLock, nullptr)); }

EventProxy Manager::Event() { return EventProxy(endpoint(), create(manager::Kind::Event, nullptr)); }

SemaphoreProxy Manager::Semaphore(int value) {
  return SemaphoreProxy(endpoint(), create(manager::Kind::Semaphore, json::array({value, false})));
}

SemaphoreProxy Manager::BoundedSemaphore(int value) {
  return SemaphoreProxy(endpoint(), create(manager::Kind::Semaphore, json::array({value, true})));
}

void Manager::shutdown() {
  if (address_.empty() || shut_down_) return;
  if (::getpid() != owner_pid_)
    throw ProcessError("only the process that started manager '" + server_.name() + "' can shut it down");
  shut_down_ = true;
  manager::drop_connection(address_);
  if (server_.is_alive()) request_shutdown(endpoint(), 1.0);
  // CPython's _finalize_manager: join(1.0), then terminate; and here, as a
  // last resort, kill, so that shutdown() never returns with the server alive.
  if (!server_.join(1.0)) {
    server_.terminate();
    if (!server_.join(1.0)) {
      server_.kill();
      server_.join();
    }
  }
}

}  // namespace mp
