#include "mp/manager_proxies.hpp"

#include "manager_protocol.hpp"

namespace mp {

using detail::manager::Op;
using nlohmann::json;

json BaseProxy::call(Op op, json args) const { return detail::manager::call(endpoint_, id_, op, std::move(args)); }

// DictProxy

json DictProxy::get(const std::string& key) const { return call(Op::DictGet, {key}); }
json DictProxy::get(const std::string& key, json default_value) const {
  return call(Op::DictGetOr, {key, std::move(default_value)});
}
void DictProxy::set(const std::string& key, json value) const { call(Op::DictSet, {key, std::move(value)}); }
bool DictProxy::contains(const std::string& key) const { return call(Op::DictContains, {key}).get<bool>(); }
void DictProxy::erase(const std::string& key) const { call(Op::DictErase, {key}); }
std::size_t DictProxy::size() const { return call(Op::DictSize).get<std::size_t>(); }

std::vector<std::string> DictProxy::keys() const { return call(Op::DictKeys).get<std::vector<std::string>>(); }

std::vector<std::pair<std::string, json>> DictProxy::items() const {
  json items = call(Op::DictItems);
  std::vector<std::pair<std::string, json>> out;
  out.reserve(items.size());
  for (auto& item : items) out.emplace_back(item[0].get<std::string>(), std::move(item[1]));
  return out;
}

json DictProxy::copy() const { return call(Op::DictCopy); }
void DictProxy::update(json mapping) const { call(Op::DictUpdate, json::array({std::move(mapping)})); }
json DictProxy::pop(const std::string& key) const { return call(Op::DictPop, {key}); }
json DictProxy::pop(const std::string& key, json default_value) const {
  return call(Op::DictPopOr, {key, std::move(default_value)});
}
json DictProxy::setdefault(const std::string& key, json default_value) const {
  return call(Op::DictSetDefault, {key, std::move(default_value)});
}
void DictProxy::clear() const { call(Op::DictClear); }

// ListProxy

void ListProxy::append(json value) const { call(Op::ListAppend, json::array({std::move(value)})); }
void ListProxy::extend(json values) const { call(Op::ListExtend, json::array({std::move(values)})); }
json ListProxy::get(std::ptrdiff_t index) const { return call(Op::ListGet, {index}); }
void ListProxy::set(std::ptrdiff_t index, json value) const { call(Op::ListSet, {index, std::move(value)}); }
void ListProxy::erase(std::ptrdiff_t index) const { call(Op::ListErase, {index}); }
void ListProxy::insert(std::ptrdiff_t index, json value) const { call(Op::ListInsert, {index, std::move(value)}); }
json ListProxy::pop(std::ptrdiff_t index) const { return call(Op::ListPop, {index}); }
void ListProxy::remove(const json& value) const { call(Op::ListRemove, json::array({value})); }
std::size_t ListProxy::index(const json& value) const {
  return call(Op::ListIndex, json::array({value})).get<std::size_t>();
}
std::size_t ListProxy::count(const json& value) const {
  return call(Op::ListCount, json::array({value})).get<std::size_t>();
}
std::size_t ListProxy::size() const { return call(Op::ListSize).get<std::size_t>(); }
json ListProxy::copy() const { return call(Op::ListCopy); }
void ListProxy::clear() const { call(Op::ListClear); }

// NamespaceProxy

json NamespaceProxy::get(const std::string& name) const { return call(Op::NsGet, {name}); }
json NamespaceProxy::get(const std::string& name, json default_value) const {
  return call(Op::NsGetOr, {name, std::move(default_value)});
}
void NamespaceProxy::set(const std::string& name, json value) const { call(Op::NsSet, {name, std::move(value)}); }
void NamespaceProxy::erase(const std::string& name) const { call(Op::NsErase, {name}); }
bool NamespaceProxy::contains(const std::string& name) const { return call(Op::NsContains, {name}).get<bool>(); }
json NamespaceProxy::copy() const { return call(Op::NsCopy); }

// ValueProxy

json ValueProxy::get() const { return call(Op::ValueGet); }
void ValueProxy::set(json value) const { call(Op::ValueSet, json::array({std::move(value)})); }

// The blocking calls send their timeout as null (for ever) or seconds.
namespace {
json wire_timeout(Timeout timeout) { return timeout ? json(*timeout) : json(nullptr); }
}  // namespace

// QueueProxy

void QueueProxy::put(json item, bool block, Timeout timeout) const {
  call(Op::QueuePut, json::array({std::move(item), block, wire_timeout(timeout)}));
}
json QueueProxy::get(bool block, Timeout timeout) const {
  return call(Op::QueueGet, json::array({block, wire_timeout(timeout)}));
}
std::size_t QueueProxy::qsize() const { return call(Op::QueueSize).get<std::size_t>(); }
bool QueueProxy::empty() const { return call(Op::QueueEmpty).get<bool>(); }
bool QueueProxy::full() const { return call(Op::QueueFull).get<bool>(); }

// LockProxy, RLockProxy

bool LockProxy::acquire(bool block, Timeout timeout) const {
  return call(Op::LockAcquire, json::array({block, wire_timeout(timeout)})).get<bool>();
}
void LockProxy::release() const { call(Op::LockRelease); }
bool RLockProxy::acquire(bool block, Timeout timeout) const {
  return call(Op::RLockAcquire, json::array({block, wire_timeout(timeout)})).get<bool>();
}
void RLockProxy::release() const { call(Op::RLockRelease); }

// EventProxy

bool EventProxy::is_set() const { return call(Op::EventIsSet).get<bool>(); }
void EventProxy::set() const { call(Op::EventSet); }
void EventProxy::clear() const { call(Op::EventClear); }
bool EventProxy::wait(Timeout timeout) const {
  return call(Op::EventWait, json::array({wire_timeout(timeout)})).get<bool>();
}

// SemaphoreProxy

bool SemaphoreProxy::acquire(bool block, Timeout timeout) const {
  return call(Op::SemAcquire, json::array({block, wire_timeout(timeout)})).get<bool>();
}
void SemaphoreProxy::release() const { call(Op::SemRelease); }
int SemaphoreProxy::get_value() const { return call(Op::SemValue).get<int>(); }

}  // namespace mp
