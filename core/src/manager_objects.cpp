#include "manager_objects.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>

#include "manager_args.hpp"
#include "manager_sync.hpp"
#include "mp/errors.hpp"

namespace mp::detail::manager {
namespace {

using nlohmann::json;

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::Dict: return "dict";
    case Kind::List: return "list";
    case Kind::Namespace: return "namespace";
    case Kind::Value: return "Value";
    case Kind::Queue: return "Queue";
    case Kind::Lock: return "Lock";
    case Kind::RLock: return "RLock";
    case Kind::Event: return "Event";
    case Kind::Semaphore: return "Semaphore";
  }
  return "object";
}

// The kind of object a method belongs to (Op lists each kind's methods
// together); nullopt for the server's own requests.
std::optional<Kind> kind_of(Op op) {
  if (op >= Op::DictGet && op <= Op::DictClear) return Kind::Dict;
  if (op >= Op::ListAppend && op <= Op::ListClear) return Kind::List;
  if (op >= Op::NsGet && op <= Op::NsCopy) return Kind::Namespace;
  if (op >= Op::ValueGet && op <= Op::ValueSet) return Kind::Value;
  if (op >= Op::QueuePut && op <= Op::QueueFull) return Kind::Queue;
  if (op >= Op::LockAcquire && op <= Op::LockRelease) return Kind::Lock;
  if (op >= Op::RLockAcquire && op <= Op::RLockRelease) return Kind::RLock;
  if (op >= Op::EventSet && op <= Op::EventWait) return Kind::Event;
  if (op >= Op::SemAcquire && op <= Op::SemValue) return Kind::Semaphore;
  return std::nullopt;
}

std::string quoted(const std::string& key) { return "'" + key + "'"; }

// Python's index rules: a negative index counts from the end; the result must
// fall inside the list, else IndexError with Python's message.
std::size_t list_position(const json& items, std::int64_t index, const char* message) {
  const auto size = static_cast<std::int64_t>(items.size());
  if (index < 0) index += size;
  if (index < 0 || index >= size) fail(Status::IndexError, message);
  return static_cast<std::size_t>(index);
}

// list.insert clamps instead of failing.
std::size_t insert_position(const json& items, std::int64_t index) {
  const auto size = static_cast<std::int64_t>(items.size());
  if (index < 0) index = std::max<std::int64_t>(index + size, 0);
  return static_cast<std::size_t>(std::min(index, size));
}

json dict_as_object(const OrderedDict& d) {
  json out = json::object();
  for (const auto& [k, v] : d.items()) out[k] = v;
  return out;
}

json apply_dict(OrderedDict& d, Op op, const json& args) {
  switch (op) {
    case Op::DictGet: {
      const std::string& key = key_arg(args);
      if (json* v = d.find(key)) return *v;
      fail(Status::KeyError, "dict has no key " + quoted(key));
    }
    case Op::DictGetOr: {
      if (json* v = d.find(key_arg(args))) return *v;
      return arg(args, 1);
    }
    case Op::DictSet:
      d.set(key_arg(args), arg(args, 1));
      return nullptr;
    case Op::DictContains:
      return d.find(key_arg(args)) != nullptr;
    case Op::DictErase:
    case Op::DictPop: {
      const std::string& key = key_arg(args);
      json value;
      if (!d.take(key, value)) fail(Status::KeyError, "dict has no key " + quoted(key));
      return op == Op::DictPop ? value : json(nullptr);
    }
    case Op::DictPopOr: {
      json value;
      if (d.take(key_arg(args), value)) return value;
      return arg(args, 1);
    }
    case Op::DictSize:
      return d.size();
    case Op::DictKeys: {
      json keys = json::array();
      for (const auto& item : d.items()) keys.push_back(item.first);
      return keys;
    }
    case Op::DictItems: {
      json items = json::array();
      for (const auto& [k, v] : d.items()) items.push_back(json::array({k, v}));
      return items;
    }
    case Op::DictCopy:
      return dict_as_object(d);
    case Op::DictUpdate: {
      const json& mapping = arg(args, 0);
      if (!mapping.is_object())
        fail(Status::ValueError, std::string("dict.update needs a JSON object, not ") + mapping.type_name());
      for (const auto& [k, v] : mapping.items()) d.set(k, v);
      return nullptr;
    }
    case Op::DictSetDefault: {
      const std::string& key = key_arg(args);
      if (json* v = d.find(key)) return *v;
      d.set(key, arg(args, 1));
      return arg(args, 1);
    }
    case Op::DictClear:
      d.clear();
      return nullptr;
    default:
      break;
  }
  fail(Status::RemoteError, "unknown dict method " + std::to_string(static_cast<int>(op)));
}

json apply_list(json& items, Op op, const json& args) {
  switch (op) {
    case Op::ListAppend:
      items.push_back(arg(args, 0));
      return nullptr;
    case Op::ListExtend: {
      const json& more = arg(args, 0);
      if (!more.is_array()) fail(Status::ValueError, std::string("list.extend needs a JSON array, not ") + more.type_name());
      for (const auto& v : more) items.push_back(v);
      return nullptr;
    }
    case Op::ListGet:
      return items[list_position(items, int_arg(args, 0), "list index out of range")];
    case Op::ListSet:
      items[list_position(items, int_arg(args, 0), "list assignment index out of range")] = arg(args, 1);
      return nullptr;
    case Op::ListErase: {
      std::size_t at = list_position(items, int_arg(args, 0), "list assignment index out of range");
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(at));
      return nullptr;
    }
    case Op::ListInsert: {
      std::size_t at = insert_position(items, int_arg(args, 0));
      items.insert(items.begin() + static_cast<std::ptrdiff_t>(at), arg(args, 1));
      return nullptr;
    }
    case Op::ListPop: {
      if (items.empty()) fail(Status::IndexError, "pop from empty list");
      std::size_t at = list_position(items, int_arg(args, 0), "pop index out of range");
      json value = std::move(items[at]);
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(at));
      return value;
    }
    case Op::ListRemove:
    case Op::ListIndex: {
      const json& value = arg(args, 0);
      auto it = std::find(items.begin(), items.end(), value);
      if (it == items.end()) {
        if (op == Op::ListRemove) fail(Status::ValueError, "list.remove(x): x not in list");
        fail(Status::ValueError, value.dump() + " is not in list");
      }
      if (op == Op::ListIndex) return it - items.begin();
      items.erase(it);
      return nullptr;
    }
    case Op::ListCount:
      return std::count(items.begin(), items.end(), arg(args, 0));
    case Op::ListSize:
      return items.size();
    case Op::ListCopy:
      return items;
    case Op::ListClear:
      items.clear();
      return nullptr;
    default:
      break;
  }
  fail(Status::RemoteError, "unknown list method " + std::to_string(static_cast<int>(op)));
}

json apply_namespace(OrderedDict& attrs, Op op, const json& args) {
  switch (op) {
    case Op::NsGet: {
      const std::string& name = key_arg(args);
      if (json* v = attrs.find(name)) return *v;
      fail(Status::AttributeError, "namespace has no attribute " + quoted(name));
    }
    case Op::NsGetOr: {
      if (json* v = attrs.find(key_arg(args))) return *v;
      return arg(args, 1);
    }
    case Op::NsSet:
      attrs.set(key_arg(args), arg(args, 1));
      return nullptr;
    case Op::NsErase: {
      const std::string& name = key_arg(args);
      json value;
      if (!attrs.take(name, value)) fail(Status::AttributeError, "namespace has no attribute " + quoted(name));
      return nullptr;
    }
    case Op::NsContains:
      return attrs.find(key_arg(args)) != nullptr;
    case Op::NsCopy:
      return dict_as_object(attrs);
    default:
      break;
  }
  fail(Status::RemoteError, "unknown namespace method " + std::to_string(static_cast<int>(op)));
}

}  // namespace

json* OrderedDict::find(const std::string& key) {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &it->second->second;
}

void OrderedDict::set(const std::string& key, json value) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    it->second->second = std::move(value);
    return;
  }
  items_.emplace_back(key, std::move(value));
  index_.emplace(key, std::prev(items_.end()));
}

bool OrderedDict::take(const std::string& key, json& out) {
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  out = std::move(it->second->second);
  items_.erase(it->second);
  index_.erase(it);
  return true;
}

void OrderedDict::clear() noexcept {
  index_.clear();
  items_.clear();
}

ObjectId ObjectTable::create(Kind kind, const json& initial) {
  auto object = std::make_unique<Object>();
  object->kind = kind;
  if (kind == Kind::List) {
    if (!initial.is_array())
      throw ValueError(std::string("a managed list starts from a JSON array, not ") + initial.type_name());
    object->items = initial;
  } else if (kind != Kind::Dict && kind != Kind::Namespace) {
    try {
      init_sync_object(*object, initial);
    } catch (const Failure& f) {
      throw ValueError(f.message);
    }
  } else {
    if (!initial.is_object())
      throw ValueError(std::string("a managed ") + kind_name(kind) + " starts from a JSON object, not " +
                       initial.type_name());
    for (const auto& [k, v] : initial.items()) object->entries.set(k, v);
  }
  ObjectId id = next_id_++;
  objects_.emplace(id, std::move(object));
  return id;
}

Reply ObjectTable::apply(ObjectId id, Op op, const json& args, Waiter& waiter) {
  try {
    auto it = objects_.find(id);
    if (it == objects_.end()) fail(Status::RemoteError, "the manager has no object " + std::to_string(id));
    Object& object = *it->second;
    std::optional<Kind> wanted = kind_of(op);
    if (!wanted) fail(Status::RemoteError, "request " + std::to_string(static_cast<int>(op)) + " is not an object method");
    if (*wanted != object.kind)
      fail(Status::RemoteError, "object " + std::to_string(id) + " is a " + kind_name(object.kind) + ", not a " +
                                    kind_name(*wanted));
    switch (object.kind) {
      case Kind::Dict: return {Status::Ok, apply_dict(object.entries, op, args)};
      case Kind::List: return {Status::Ok, apply_list(object.items, op, args)};
      case Kind::Namespace: return {Status::Ok, apply_namespace(object.entries, op, args)};
      case Kind::Value:
      case Kind::Queue:
      case Kind::Lock:
      case Kind::RLock:
      case Kind::Event:
      case Kind::Semaphore: return {Status::Ok, apply_sync(object, op, args, waiter)};
    }
    fail(Status::RemoteError, "object " + std::to_string(id) + " is of no known kind");
  } catch (const Failure& f) {
    return {f.status, f.message};
  } catch (const std::exception& e) {
    // A JSON operation that failed, or memory ran out: the caller learns
    // why, the server lives on.
    return {Status::RemoteError, std::string("manager server: ") + e.what()};
  }
}

bool ObjectTable::release_held_by(ClientId client) noexcept {
  bool released = false;
  for (auto& [id, object] : objects_) released |= release_if_held(*object, client);
  return released;
}

}  // namespace mp::detail::manager
