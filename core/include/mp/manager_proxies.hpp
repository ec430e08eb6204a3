// Proxies for the objects a Manager's server holds: Python's DictProxy,
// ListProxy, NamespaceProxy, ValueProxy, and the proxies of manager.Queue,
// Lock, RLock, Event, Semaphore and BoundedSemaphore
// (multiprocessing.managers).
//
// A proxy is only an address and an object id; the value lives in the server
// process. Every method is one request and one reply, served one at a time
// by the server, so each method on its own is atomic. A sequence of methods is
// not: `d.set(k, d.get(k).get<int>() - 1)` is Python's `d[k] -= 1` and loses
// updates when processes race, unless they hold an mp::Lock around it.
//
// Proxies are cheap to copy. One made before fork() works in the child: each
// process (and each thread of it) opens its own connection to the server on
// its first call. A proxy does not keep its server alive: once the manager
// has shut down (or the server died), every call throws RemoteError.
//
// Values are nlohmann::json; dict keys and attribute names are strings.
// Indices follow Python: negative ones count from the end.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <optional>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"

namespace mp {

// Python's KeyError: a dict has no such key.
class KeyError : public Error { using Error::Error; };
// Python's IndexError: a list index out of range, or pop from an empty list.
class IndexError : public Error { using Error::Error; };
// Python's AttributeError: a Namespace has no such attribute.
class AttributeError : public Error { using Error::Error; };

namespace detail::manager {
enum class Op : std::uint8_t;
enum class Kind : std::uint8_t;

// Where a manager's server is, and what a client needs to be let in.
struct Endpoint {
  std::string address;   // the abstract Unix socket name
  std::string authkey;   // Python's authkey: the first message on every connection
  // Who called listen() on the socket: the process that made the Manager
  // (the server inherited the socket). SO_PEERCRED names that process to
  // a client, which checks it before sending the key.
  pid_t listener_pid = 0;
};
}  // namespace detail::manager

class Manager;

// What every proxy holds: where the server is and which object it means.
class BaseProxy {
 public:
  // The manager's address (an abstract Unix socket name) and the object id.
  const std::string& address() const noexcept { return endpoint_.address; }
  std::uint32_t id() const noexcept { return id_; }

 protected:
  BaseProxy(detail::manager::Endpoint endpoint, std::uint32_t id) : endpoint_(std::move(endpoint)), id_(id) {}
  nlohmann::json call(detail::manager::Op op, nlohmann::json args = nlohmann::json::array()) const;

 private:
  detail::manager::Endpoint endpoint_;  // as Python's proxies carry their manager's authkey
  std::uint32_t id_;
};

// A dict in the server. Keys keep insertion order, as in Python.
class DictProxy : public BaseProxy {
 public:
  // d[key]; throws KeyError.
  nlohmann::json get(const std::string& key) const;
  // d.get(key, default)
  nlohmann::json get(const std::string& key, nlohmann::json default_value) const;
  // d[key] = value
  void set(const std::string& key, nlohmann::json value) const;
  // key in d
  bool contains(const std::string& key) const;
  // del d[key]; throws KeyError.
  void erase(const std::string& key) const;
  // len(d)
  std::size_t size() const;
  // list(d.keys()), list(d.items()): snapshots in insertion order.
  std::vector<std::string> keys() const;
  std::vector<std::pair<std::string, nlohmann::json>> items() const;
  // d.copy() as a JSON object (whose keys nlohmann::json sorts; use keys()
  // or items() for Python's order).
  nlohmann::json copy() const;
  // d.update(mapping); throws ValueError unless `mapping` is a JSON object.
  void update(nlohmann::json mapping) const;
  // d.pop(key) (throws KeyError), d.pop(key, default)
  nlohmann::json pop(const std::string& key) const;
  nlohmann::json pop(const std::string& key, nlohmann::json default_value) const;
  // d.setdefault(key, default): the value now stored under key.
  nlohmann::json setdefault(const std::string& key, nlohmann::json default_value) const;
  // d.clear()
  void clear() const;

 private:
  friend class Manager;  // the only maker of proxies
  DictProxy(detail::manager::Endpoint endpoint, std::uint32_t id) : BaseProxy(std::move(endpoint), id) {}
};

// A list in the server.
class ListProxy : public BaseProxy {
 public:
  // l.append(value), l.extend(values); extend throws ValueError unless
  // `values` is a JSON array.
  void append(nlohmann::json value) const;
  void extend(nlohmann::json values) const;
  // l[index], l[index] = value, del l[index]; throw IndexError.
  nlohmann::json get(std::ptrdiff_t index) const;
  void set(std::ptrdiff_t index, nlohmann::json value) const;
  void erase(std::ptrdiff_t index) const;
  // l.insert(index, value): an index past either end means that end.
  void insert(std::ptrdiff_t index, nlohmann::json value) const;
  // l.pop(index=-1); throws IndexError.
  nlohmann::json pop(std::ptrdiff_t index = -1) const;
  // l.remove(value), l.index(value): throw ValueError when absent.
  void remove(const nlohmann::json& value) const;
  std::size_t index(const nlohmann::json& value) const;
  // l.count(value), len(l)
  std::size_t count(const nlohmann::json& value) const;
  std::size_t size() const;
  // l[:] as a JSON array (a snapshot).
  nlohmann::json copy() const;
  // l.clear()
  void clear() const;

 private:
  friend class Manager;  // the only maker of proxies
  ListProxy(detail::manager::Endpoint endpoint, std::uint32_t id) : BaseProxy(std::move(endpoint), id) {}
};

// Python's Namespace: named attributes in the server.
class NamespaceProxy : public BaseProxy {
 public:
  // ns.name; throws AttributeError.
  nlohmann::json get(const std::string& name) const;
  // getattr(ns, name, default)
  nlohmann::json get(const std::string& name, nlohmann::json default_value) const;
  // ns.name = value
  void set(const std::string& name, nlohmann::json value) const;
  // del ns.name; throws AttributeError.
  void erase(const std::string& name) const;
  // hasattr(ns, name)
  bool contains(const std::string& name) const;
  // vars(ns) as a JSON object (a snapshot).
  nlohmann::json copy() const;

 private:
  friend class Manager;  // the only maker of proxies
  NamespaceProxy(detail::manager::Endpoint endpoint, std::uint32_t id) : BaseProxy(std::move(endpoint), id) {}
};

// Python's manager.Value(typecode, value): one value in the server. The
// typecode is kept for the reader, as Python's is; it checks nothing.
class ValueProxy : public BaseProxy {
 public:
  // v.value, v.get()
  nlohmann::json get() const;
  // v.value = value, v.set(value)
  void set(nlohmann::json value) const;

 private:
  friend class Manager;  // the only maker of proxies
  ValueProxy(detail::manager::Endpoint endpoint, std::uint32_t id) : BaseProxy(std::move(endpoint), id) {}
};

// The blocking objects below wait in the server, each call on the server
// thread of the calling client only (one per thread of each process), so a
// blocked call never holds up the other clients. A timeout is Python's:
// std::nullopt waits for ever, a number is seconds (negative counts as 0,
// infinity as for ever).

// Python's manager.Queue(maxsize): a queue.Queue in the server. A maxsize of
// 0 (or less) means no limit.
class QueueProxy : public BaseProxy {
 public:
  // q.put(item, block, timeout): throws Full when no room came in time (at
  // once with block = false).
  void put(nlohmann::json item, bool block = true, Timeout timeout = std::nullopt) const;
  // q.get(block, timeout): throws Empty when nothing came in time.
  nlohmann::json get(bool block = true, Timeout timeout = std::nullopt) const;
  void put_nowait(nlohmann::json item) const { put(std::move(item), false); }
  nlohmann::json get_nowait() const { return get(false); }
  // q.qsize(), q.empty(), q.full(): snapshots, as in Python.
  std::size_t qsize() const;
  bool empty() const;
  bool full() const;

 private:
  friend class Manager;  // the only maker of proxies
  QueueProxy(detail::manager::Endpoint endpoint, std::uint32_t id) : BaseProxy(std::move(endpoint), id) {}
};

// Python's manager.Lock() (a threading.Lock in the server) and manager.RLock().
// Held by the calling client: this thread of this process. When that
// client's process ends (or is killed) holding it, the server releases it
// and the next waiter gets it; Python's manager would leave it locked.
class LockProxy : public BaseProxy {
 public:
  // True once held; false when block = false and it is held, or the timeout
  // ran out.
  bool acquire(bool block = true, Timeout timeout = std::nullopt) const;
  // Throws StateError when it is not locked. Any client may release a Lock,
  // as any thread may release a threading.Lock.
  void release() const;
  void lock() const { acquire(); }
  bool try_lock() const { return acquire(false); }
  void unlock() const { release(); }

 private:
  friend class Manager;  // the only maker of proxies
  LockProxy(detail::manager::Endpoint endpoint, std::uint32_t id) : BaseProxy(std::move(endpoint), id) {}
};

class RLockProxy : public BaseProxy {
 public:
  // The holder may acquire again; each acquire needs its release.
  bool acquire(bool block = true, Timeout timeout = std::nullopt) const;
  // Throws StateError unless this client holds it.
  void release() const;
  void lock() const { acquire(); }
  bool try_lock() const { return acquire(false); }
  void unlock() const { release(); }

 private:
  friend class Manager;  // the only maker of proxies
  RLockProxy(detail::manager::Endpoint endpoint, std::uint32_t id) : BaseProxy(std::move(endpoint), id) {}
};

// Python's manager.Event().
class EventProxy : public BaseProxy {
 public:
  bool is_set() const;
  void set() const;
  void clear() const;
  // True once set; false when the timeout ran out first.
  bool wait(Timeout timeout = std::nullopt) const;

 private:
  friend class Manager;  // the only maker of proxies
  EventProxy(detail::manager::Endpoint endpoint, std::uint32_t id) : BaseProxy(std::move(endpoint), id) {}
};

// Python's manager.Semaphore(value) and manager.BoundedSemaphore(value). A
// count belongs to no one: one taken by a process that dies stays taken.
class SemaphoreProxy : public BaseProxy {
 public:
  // True once a count was taken; false when none came in time.
  bool acquire(bool block = true, Timeout timeout = std::nullopt) const;
  // Throws ValueError for a BoundedSemaphore already at its initial value.
  void release() const;
  // The counter now (a snapshot; Python's proxy does not offer it, mp::Semaphore does).
  int get_value() const;
  void lock() const { acquire(); }
  bool try_lock() const { return acquire(false); }
  void unlock() const { release(); }

 private:
  friend class Manager;  // the only maker of proxies
  SemaphoreProxy(detail::manager::Endpoint endpoint, std::uint32_t id) : BaseProxy(std::move(endpoint), id) {}
};

}  // namespace mp
