// mp::Manager: Python's multiprocessing.Manager() (a started SyncManager),
// for dicts, lists, Namespaces, Values, Queues, Locks, RLocks, Events and
// Semaphores.
//
//   mp::Manager manager;                    // Python: with Manager() as manager:
//   mp::DictProxy d = manager.dict({{"count", 100}});
//   mp::Process p([d] { d.set("count", d.get("count").get<int>() - 1); });
//
// The objects live in a server process (a daemon mp::Process) that the
// constructor starts. Proxies reach it over a Unix socket in the abstract
// namespace, so nothing appears on disk or in /dev/shm. Each process (and
// each thread) opens its own connection on its first call; the server runs
// one thread per connection and serves one method call at a time, so each
// call is atomic and a read-modify-write of several calls is not.
//
// The server ends with the manager: shutdown() (or the destructor) asks it to
// stop, waits up to a second, then terminates it, as Python's finalizer does.
// It also stops by itself when the process that started it ends.
//
// Only processes of the same user that know the manager's authkey (every
// process forked after the Manager was made) are served: see
// manager_protocol.hpp for the handshake.
//
// Differences from Python, on purpose:
// - objects live until the server ends (no reference counting of proxies);
// - dict keys and Namespace attribute names are strings, values are JSON;
// - a proxy whose server is gone throws RemoteError at once (Python raises
//   EOFError, BrokenPipeError or ConnectionRefusedError depending on when);
// - a Lock or RLock held by a client whose connection closes (its process
//   ended or was killed holding it) is released by the server, so the other
//   clients are not wedged for ever (manager_sync.cpp).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "mp/manager_proxies.hpp"
#include "mp/process.hpp"

namespace mp {

class Manager {
 public:
  // Starts the server process. Throws OSError when the socket cannot be made
  // and ProcessError when this process may not start children (a daemon).
  Manager();
  // The moved-from Manager owns no server any more.
  Manager(Manager&& other) noexcept;
  Manager& operator=(Manager&&) = delete;
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;
  // shutdown() in the process that made the manager; nothing in a child
  // that inherited a copy of it.
  ~Manager();

  // A new object in the server, filled with `initial` (copied). Throw
  // ValueError when `initial` is not a JSON object (dict, Namespace) or
  // array (list), ProcessError after shutdown().
  DictProxy dict(const nlohmann::json& initial = nlohmann::json::object());
  ListProxy list(const nlohmann::json& initial = nlohmann::json::array());
  NamespaceProxy Namespace(const nlohmann::json& attributes = nlohmann::json::object());
  // manager.Value(typecode, value): the typecode ("i", "d", ...) is kept,
  // not checked, as in Python.
  ValueProxy Value(const std::string& typecode, const nlohmann::json& value);
  // manager.Queue(maxsize): 0 or less is unbounded.
  QueueProxy Queue(long maxsize = 0);
  LockProxy Lock();
  RLockProxy RLock();
  EventProxy Event();
  // Throw ValueError when `value` < 0.
  SemaphoreProxy Semaphore(int value = 1);
  SemaphoreProxy BoundedSemaphore(int value = 1);

  // Stops the server: a shutdown request, then join for 1 s, then SIGTERM,
  // then SIGKILL; the server is reaped before it returns. Idempotent. Throws
  // ProcessError in a process other than the one that made the manager
  // (only the parent can reap the server).
  void shutdown();

  // The server's pid; it stays readable after shutdown.
  pid_t pid() const noexcept { return server_.pid(); }
  // The abstract socket name the server listens on (Python's address).
  const std::string& address() const noexcept { return address_; }
  // The key a client must send as its first message (Python's authkey):
  // 32 random bytes. Only for a client of one's own; proxies send it.
  const std::string& authkey() const noexcept { return authkey_; }
  // The server's exit code once it has ended (0 after a clean shutdown).
  std::optional<int> exitcode() { return server_.exitcode(); }

 private:
  // Makes an object in the server; returns its id.
  std::uint32_t create(detail::manager::Kind kind, const nlohmann::json& initial);
  detail::manager::Endpoint endpoint() const;

  std::string address_;  // empty once moved from
  std::string authkey_;
  Process server_;
  pid_t owner_pid_ = 0;  // the process that started the server and may reap it
  bool shut_down_ = false;
};

}  // namespace mp
