// The objects a manager's server holds, and what each request does to them
// (private to mpcore). Nothing here knows about sockets or threads: the
// server serialises calls into an ObjectTable with one mutex, and a method
// that blocks (Queue.get, Lock.acquire, ...) waits through the Waiter its
// caller gives it, which lets the other clients in meanwhile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "manager_protocol.hpp"
#include "mp/deadline.hpp"

namespace mp::detail::manager {

// A dict with string keys that keeps insertion order, as Python's dict does
// (nlohmann::json objects sort their keys). Lookups are hashed.
class OrderedDict {
 public:
  using Item = std::pair<std::string, nlohmann::json>;

  // nullptr when absent.
  nlohmann::json* find(const std::string& key);
  // d[key] = value: a new key goes last, an existing one keeps its place.
  void set(const std::string& key, nlohmann::json value);
  // Removes and returns the value; false (and `out` untouched) when absent.
  bool take(const std::string& key, nlohmann::json& out);
  void clear() noexcept;
  std::size_t size() const noexcept { return items_.size(); }
  const std::list<Item>& items() const noexcept { return items_; }

 private:
  std::list<Item> items_;                                              // in insertion order
  std::unordered_map<std::string, std::list<Item>::iterator> index_;  // key -> its item
};

// The state of the objects that a client can wait on (manager_sync.cpp).
// Each field belongs to the kinds named beside it.
struct SyncState {
  std::deque<nlohmann::json> queue;  // Queue: the items, oldest first
  std::size_t maxsize = 0;           // Queue: 0 is unbounded, as in Python
  bool locked = false;               // Lock, RLock
  ClientId holder = 0;               // Lock, RLock: the client holding it, while locked
  std::size_t depth = 0;             // RLock: the holder's acquisitions not yet released
  bool flag = false;                 // Event
  std::int64_t value = 0;            // Semaphore: the counter
  std::int64_t bound = -1;           // BoundedSemaphore: its initial value; -1 for a Semaphore
};

// One object in the server.
struct Object {
  Kind kind;
  OrderedDict entries;   // dict items, Namespace attributes
  nlohmann::json items;  // list items (a JSON array); a Value's value
  std::string typecode;  // Value: the typecode it was made with ("i", "d", ...)
  SyncState sync;        // Queue, Lock, RLock, Event, Semaphore
};

// Who calls a method, and how a blocking method waits. The caller holds the
// table's lock; wait() gives it up until another client changes something
// (or a moment passes) and takes it back.
class Waiter {
 public:
  virtual ~Waiter() = default;
  // The connection that made the request (0 for none, as in the fuzz target).
  virtual ClientId client() const noexcept = 0;
  // False once the client has gone (its connection closed) or the server is
  // stopping: a method that would take something (an item, a count, a
  // lock) for it must not, as nobody would receive it.
  virtual bool connected() const noexcept = 0;
  // Waits for a change by another client, at most until `deadline`. False
  // when the client has gone (its connection closed while it waited) or the
  // server is stopping: the method then gives up without taking anything.
  virtual bool wait(const Deadline& deadline) = 0;
};

// Every object of one server, by id. Not thread-safe: the caller holds the
// server's lock.
class ObjectTable {
 public:
  // Creates an object from `initial` (see Kind for its form); throws
  // ValueError when it has another.
  ObjectId create(Kind kind, const nlohmann::json& initial);
  // Runs one method on an object for `waiter`'s client, waiting through it
  // when the method blocks. Never throws: a failure is a reply.
  Reply apply(ObjectId id, Op op, const nlohmann::json& args, Waiter& waiter);
  // Releases every Lock and RLock that `client` holds (its connection has
  // closed). True when it held any, so that waiters must be woken.
  bool release_held_by(ClientId client) noexcept;

 private:
  std::unordered_map<ObjectId, std::unique_ptr<Object>> objects_;
  ObjectId next_id_ = kServer + 1;
};

}  // namespace mp::detail::manager
