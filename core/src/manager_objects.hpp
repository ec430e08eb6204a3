// The objects a manager's server holds, and what each request does to them
// (private to mpcore). Nothing here knows about sockets or threads: the
// server serialises calls into an ObjectTable with one mutex.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "manager_protocol.hpp"

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

// One object in the server: a dict, a list or a Namespace.
struct Object {
  Kind kind;
  OrderedDict entries;   // dict items, Namespace attributes
  nlohmann::json items;  // list items (a JSON array)
};

// Every object of one server, by id. Not thread-safe: the caller holds the
// server's lock.
class ObjectTable {
 public:
  // Creates an object from `initial`; throws ValueError when it is not an
  // object (Dict, Namespace) or array (List).
  ObjectId create(Kind kind, const nlohmann::json& initial);
  // Runs one method on an object. Never throws: a failure is a reply.
  Reply apply(ObjectId id, Op op, const nlohmann::json& args);

 private:
  std::unordered_map<ObjectId, std::unique_ptr<Object>> objects_;
  ObjectId next_id_ = kServer + 1;
};

}  // namespace mp::detail::manager
