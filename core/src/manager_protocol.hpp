// The wire protocol between manager proxies and the manager's server process
// (private to mpcore). One request, one reply, on a connection that belongs
// to one thread of one process:
//
//   request: (object id, Op, args)   args is a JSON array, the method's arguments
//   reply:   (Status, value)         value is the result, or the error message
//
// Object id 0 is the server itself (Create, Shutdown); objects get ids from 1.
//
// Who may talk to the server (the socket's name is visible to every local
// user in /proc/net/unix): the server accepts only a peer of its own user
// (SO_PEERCRED), and only after that peer's first message is the manager's
// authkey (32 random bytes made with the Manager, inherited by every process
// forked after it, as Python's authkey is); it answers "#WELCOME" or
// "#FAILURE" (Python's words) and drops a failed client. The client checks
// first (SO_PEERCRED) that the socket's other end is the listener it
// expects (the process that made the Manager, which called listen()), so
// the key is never handed to an impostor.
//
// Limits (a request comes from any process that can reach the socket):
// a request or reply is at most kMaxRequest / kMaxReply bytes, and its JSON
// at most kMaxJsonDepth levels deep (mp/codec.hpp). A client that sends a
// longer message is disconnected before the server allocates for it; one that
// sends bytes that are not a request gets an error reply and is disconnected.
// The server and its other clients go on either way. A proxy checks its own
// request first and throws ValueError, so a program sees why.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "mp/connection.hpp"
#include "mp/manager_proxies.hpp"
#include "mp/unique_fd.hpp"

namespace mp::detail::manager {

using ObjectId = std::uint32_t;
inline constexpr ObjectId kServer = 0;

// 64 MiB: managed values are JSON documents of a lesson's size (the tests'
// largest is under 1 MiB), so a program meets this only on purpose; and
// bounded, because the server may hold one request per connected client.
inline constexpr std::size_t kMaxRequest = std::size_t{64} << 20;
inline constexpr std::size_t kMaxReply = std::size_t{64} << 20;

inline constexpr std::size_t kAuthkeyBytes = 32;
// Python's answers to a client's authentication (multiprocessing.connection).
inline constexpr std::string_view kWelcome = "#WELCOME";
inline constexpr std::string_view kFailure = "#FAILURE";

// What a request asks for. Grouped by the kind of object it applies to; the
// server checks that the object is of that kind.
enum class Op : std::uint8_t {
  // server
  Create,    // [kind, initial] -> id
  Shutdown,  // [] -> null; the server stops once the reply is sent
  // dict (Python's dict through a DictProxy)
  DictGet,         // [key] -> value, KeyError
  DictGetOr,       // [key, default] -> value or default
  DictSet,         // [key, value]
  DictContains,    // [key] -> bool
  DictErase,       // [key], KeyError
  DictSize,        // [] -> int
  DictKeys,        // [] -> [key...] in insertion order
  DictItems,       // [] -> [[key, value]...] in insertion order
  DictCopy,        // [] -> object
  DictUpdate,      // [object]
  DictPop,         // [key] -> value, KeyError
  DictPopOr,       // [key, default] -> value or default
  DictSetDefault,  // [key, default] -> value now stored
  DictClear,       // []
  // list
  ListAppend,  // [value]
  ListExtend,  // [array]
  ListGet,     // [index] -> value, IndexError
  ListSet,     // [index, value], IndexError
  ListErase,   // [index], IndexError (Python's del l[i])
  ListInsert,  // [index, value]
  ListPop,     // [index] -> value, IndexError
  ListRemove,  // [value], ValueError
  ListIndex,   // [value] -> int, ValueError
  ListCount,   // [value] -> int
  ListSize,    // [] -> int
  ListCopy,    // [] -> array
  ListClear,   // []
  // Namespace
  NsGet,       // [name] -> value, AttributeError
  NsGetOr,     // [name, default] -> value or default
  NsSet,       // [name, value]
  NsErase,     // [name], AttributeError
  NsContains,  // [name] -> bool
  NsCopy,      // [] -> object
  // Value (Python's manager.Value)
  ValueGet,  // [] -> value
  ValueSet,  // [value]
  // Queue (Python's queue.Queue through a manager). A blocking call waits in
  // the server, on the thread of the client that made it; `timeout` is null
  // for "forever" or seconds.
  QueuePut,    // [item, block, timeout], Full
  QueueGet,    // [block, timeout] -> item, Empty
  QueueSize,   // [] -> int
  QueueEmpty,  // [] -> bool
  QueueFull,   // [] -> bool
  // Lock and RLock: held by a client (a connection: one thread of one process)
  LockAcquire,   // [block, timeout] -> bool
  LockRelease,   // [], StateError when not locked
  RLockAcquire,  // [block, timeout] -> bool
  RLockRelease,  // [], StateError unless this client holds it
  // Event
  EventSet,    // []
  EventClear,  // []
  EventIsSet,  // [] -> bool
  EventWait,   // [timeout] -> bool
  // Semaphore and BoundedSemaphore
  SemAcquire,  // [block, timeout] -> bool
  SemRelease,  // [], ValueError past a BoundedSemaphore's initial value
  SemValue,    // [] -> int
};

// The kinds of object a server holds (the `kind` argument of Create).
// Create's `initial`: a JSON object (Dict, Namespace), an array (List),
// [typecode, value] (Value), the maxsize (Queue), null (Lock, RLock,
// Event), [value, bounded] (Semaphore).
enum class Kind : std::uint8_t { Dict, List, Namespace, Value, Queue, Lock, RLock, Event, Semaphore };
inline constexpr Kind kLastKind = Kind::Semaphore;

// How a request ended; every status but Ok names the exception the caller
// throws with the reply's message.
enum class Status : std::uint8_t {
  Ok,
  KeyError,
  IndexError,
  ValueError,
  AttributeError,
  RemoteError,
  Empty,       // mp::Empty (Python's queue.Empty)
  Full,        // mp::Full (queue.Full)
  StateError,  // mp::StateError (Python's RuntimeError: releasing a lock one does not hold)
};
inline constexpr Status kLastStatus = Status::StateError;

// Who made a request: one connection (one thread of one process), numbered
// by the server from 1. A Lock or RLock is held by a client; what a client
// holds is released when its connection closes (manager_sync.cpp).
using ClientId = std::uint64_t;

using Request = std::tuple<ObjectId, Op, nlohmann::json>;
using Reply = std::pair<Status, nlohmann::json>;

// A Unix stream socket in the abstract namespace (a leading NUL byte in the
// address): no file on disk, the name vanishes with the last socket holding
// it. Both throw OSError.
UniqueFd listen_abstract(const std::string& name);
UniqueFd connect_abstract(const std::string& name);

// A name no other live manager on this machine has.
std::string unique_address();
// kAuthkeyBytes from the kernel's random source (getrandom); throws OSError.
std::string make_authkey();

// The user id and pid of the process at the other end of a Unix socket
// (SO_PEERCRED: the process that connected, or that listened); throws OSError.
struct PeerCredentials {
  uid_t uid;
  pid_t pid;
};
PeerCredentials peer_credentials(int socket_fd);

// Runs in the server process (the target of the Manager's Process): serves
// requests on `listener` until a Shutdown request or until the process
// `manager_pid` (the one that started the server) ends. Clients must prove
// they know `authkey`.
void serve(UniqueFd listener, pid_t manager_pid, std::string authkey);

// A new connection to the server, authenticated. Throws OSError when it
// cannot connect, RemoteError when the other end is not the expected server
// or refuses the key.
Connection open_connection(const Endpoint& endpoint);

// One request from this thread of this process, on its own connection to
// the server (opened on first use, and again after a fork). Throws the
// exception the server reported, or RemoteError when the server cannot be
// reached or goes away during the call.
nlohmann::json call(const Endpoint& endpoint, ObjectId object, Op op, nlohmann::json args);

// Closes this thread's connection to `address`, if it has one.
void drop_connection(const std::string& address) noexcept;

}  // namespace mp::detail::manager
