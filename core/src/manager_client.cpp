// The proxies' side of the manager protocol: one connection per thread per
// process, as CPython keeps in BaseProxy._tls, opened on first use.
#include <unistd.h>

#include <string>
#include <vector>

#include "manager_protocol.hpp"
#include "mp/connection.hpp"
#include "mp/errors.hpp"
#include "mp/manager_proxies.hpp"

namespace mp::detail::manager {
namespace {

using nlohmann::json;

// This thread's connection to one manager, and the process that opened it.
struct ClientConnection {
  std::string address;
  pid_t pid;
  Connection conn;
};

// Thread-local, so threads never share a socket and no mutex is needed (a
// mutex copied by fork() while held would never be released in the child).
// After fork() the child finds its parent's entries here; their pid tells
// them apart, and the child closes its copies instead of talking over the
// parent's socket. The sockets close when the thread ends.
struct ConnectionTable {
  std::vector<ClientConnection> list;
  ~ConnectionTable();
};
thread_local ConnectionTable connections;
// Set once this thread's table is being destroyed (the thread is ending): a
// Manager destroyed later, e.g. a static one at exit, must not touch it.
thread_local bool connections_destroyed = false;
ConnectionTable::~ConnectionTable() { connections_destroyed = true; }

[[noreturn]] void throw_unreachable(const std::string& address, const std::string& why) {
  throw RemoteError("manager '" + address + "' cannot be reached: " + why);
}

Connection& connection_to(const Endpoint& endpoint) {
  const std::string& address = endpoint.address;
  if (connections_destroyed) throw_unreachable(address, "this thread is ending");
  const pid_t self = ::getpid();
  for (auto& c : connections.list)
    if (c.address == address && c.pid == self) return c.conn;
  // Inherited entries are the parent's: drop them all (closing our copies
  // only), so a child never keeps sockets it does not use.
  std::erase_if(connections.list, [self](const ClientConnection& c) { return c.pid != self; });
  Connection conn;
  try {
    conn = open_connection(endpoint);
  } catch (const OSError& e) {
    throw_unreachable(address, std::string(e.what()) + " (has it shut down?)");
  } catch (const EOFError& e) {
    throw_unreachable(address, std::string("it closed the connection during authentication: ") + e.what());
  }
  connections.list.push_back({address, self, std::move(conn)});
  return connections.list.back().conn;
}

[[noreturn]] void throw_reported(Status status, const json& message) {
  std::string text = message.is_string() ? message.get<std::string>() : message.dump();
  switch (status) {
    case Status::KeyError: throw KeyError(text);
    case Status::IndexError: throw IndexError(text);
    case Status::ValueError: throw ValueError(text);
    case Status::AttributeError: throw AttributeError(text);
    case Status::Empty: throw Empty(text);
    case Status::Full: throw Full(text);
    case Status::StateError: throw StateError(text);
    default: throw RemoteError(text);
  }
}

}  // namespace

Connection open_connection(const Endpoint& endpoint) {
  Connection conn(connect_abstract(endpoint.address), true, true, Connection::Kind::Socket);
  // Who listens there? Only the manager's socket may see the key.
  const PeerCredentials peer = peer_credentials(conn.fileno());
  if (peer.uid != ::geteuid() || (endpoint.listener_pid != 0 && peer.pid != endpoint.listener_pid))
    throw_unreachable(endpoint.address, "the socket is held by process " + std::to_string(peer.pid) + " (uid " +
                                            std::to_string(peer.uid) + "), not by the manager");
  conn.set_max_message(kMaxReply);
  conn.send_bytes(endpoint.authkey);
  if (conn.recv_bytes(64) != kWelcome)
    throw RemoteError("manager '" + endpoint.address + "' refused the connection: authentication failed");
  return conn;
}

json call(const Endpoint& endpoint, ObjectId object, Op op, json args) {
  const std::string& address = endpoint.address;
  // Checked here, so that the caller learns what is wrong with its value
  // (the server would only disconnect it). encode() throws ValueError for a
  // value nested deeper than kMaxJsonDepth.
  const std::string request = encode(Request{object, op, std::move(args)});
  if (request.size() > kMaxRequest)
    throw ValueError("manager request of " + std::to_string(request.size()) + " bytes is over the limit of " +
                     std::to_string(kMaxRequest) + " bytes");
  Connection& conn = connection_to(endpoint);
  Reply reply;
  try {
    conn.send_bytes(request);
    reply = conn.recv<Reply>();
  } catch (const Error& e) {
    // EOFError, OSError (EPIPE, ECONNRESET) or a garbled reply: the server
    // died or shut down mid-call. This connection is of no further use.
    drop_connection(address);
    throw_unreachable(address, std::string("the server went away during a call: ") + e.what());
  }
  if (reply.first != Status::Ok) throw_reported(reply.first, reply.second);
  return std::move(reply.second);
}

void drop_connection(const std::string& address) noexcept {
  if (connections_destroyed) return;
  std::erase_if(connections.list, [&address](const ClientConnection& c) { return c.address == address; });
}

}  // namespace mp::detail::manager
