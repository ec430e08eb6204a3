// Value, Queue, Lock, RLock, Event and Semaphore in the manager's server
// (Python's manager.Value, Queue, Lock, RLock, Event, Semaphore and
// BoundedSemaphore).
//
// A blocking method (Queue.put and get, Lock and RLock acquire, Event.wait,
// Semaphore.acquire) loops: when it can go on, it does; otherwise it waits
// through its Waiter, which gives up the table's lock, so the client that
// will unblock it can get in, and looks again. It blocks only its own client:
// every client is served on a thread of its own. Timeouts are Python's
// (null waits for ever, a number is seconds, clamped as everywhere in mpcore)
// and a non-blocking call ignores its timeout, as queue.Queue does.
//
// A client that goes away while it waits (its process was killed, or the
// server is stopping) ends the wait with nothing taken: no item leaves the
// queue, no count leaves the semaphore, no lock changes hands.
//
// Who holds a Lock or RLock: a client, i.e. one connection, which is one
// thread of one process (Python's server likewise serves each connection on
// a thread of its own, and a managed RLock belongs to that thread). When a
// client's connection closes while it holds one (its process ended or was
// killed holding the lock), the server releases it, so the other clients are
// not wedged for ever: the next waiter gets it. Python's manager leaves it
// locked. A Semaphore's count belongs to no one (in Python neither) and is
// not given back.
#include "manager_sync.hpp"

#include <string>

#include "manager_args.hpp"

namespace mp::detail::manager {
namespace {

using nlohmann::json;

// Waits until `ready()`, at most `timeout`; true when ready. A client that
// has gone is told so (a reply nobody will read) and gets nothing.
template <class Ready>
bool wait_until_ready(Waiter& waiter, bool block, Timeout timeout, Ready ready) {
  // A request read after its client died (killed just after sending it)
  // takes nothing either.
  if (!waiter.connected()) fail(Status::RemoteError, "manager server: the client went away");
  if (ready()) return true;
  if (!block) return false;
  const Deadline deadline(timeout);
  while (!ready()) {
    if (deadline.expired()) return false;
    if (!waiter.wait(deadline)) fail(Status::RemoteError, "manager server: the client went away while it waited");
  }
  return true;
}

json apply_value(Object& o, Op op, const json& args) {
  switch (op) {
    case Op::ValueGet:
      return o.items;
    case Op::ValueSet:
      o.items = arg(args, 0);
      return nullptr;
    default:
      break;
  }
  fail(Status::RemoteError, "unknown value method " + std::to_string(static_cast<int>(op)));
}

json apply_queue(SyncState& q, Op op, const json& args, Waiter& waiter) {
  switch (op) {
    case Op::QueuePut: {
      const json& item = arg(args, 0);
      auto has_room = [&q] { return q.maxsize == 0 || q.queue.size() < q.maxsize; };
      if (!wait_until_ready(waiter, bool_arg(args, 1), timeout_arg(args, 2), has_room))
        fail(Status::Full, "put: queue is full (maxsize " + std::to_string(q.maxsize) + ")");
      q.queue.push_back(item);
      return nullptr;
    }
    case Op::QueueGet: {
      if (!wait_until_ready(waiter, bool_arg(args, 0), timeout_arg(args, 1), [&q] { return !q.queue.empty(); }))
        fail(Status::Empty, "get: queue is empty");
      json item = std::move(q.queue.front());
      q.queue.pop_front();
      return item;
    }
    case Op::QueueSize:
      return q.queue.size();
    case Op::QueueEmpty:
      return q.queue.empty();
    case Op::QueueFull:
      return q.maxsize != 0 && q.queue.size() >= q.maxsize;
    default:
      break;
  }
  fail(Status::RemoteError, "unknown queue method " + std::to_string(static_cast<int>(op)));
}

json apply_lock(SyncState& l, Op op, const json& args, Waiter& waiter) {
  const ClientId me = waiter.client();
  switch (op) {
    case Op::LockAcquire: {
      if (!wait_until_ready(waiter, bool_arg(args, 0), timeout_arg(args, 1), [&l] { return !l.locked; })) return false;
      l.locked = true;
      l.holder = me;
      return true;
    }
    case Op::LockRelease:
      // A Lock is not owned (threading.Lock): any client may release it.
      if (!l.locked) fail(Status::StateError, "release unlocked lock");
      l.locked = false;
      l.holder = 0;
      return nullptr;
    case Op::RLockAcquire: {
      auto mine_or_free = [&l, me] { return !l.locked || l.holder == me; };
      if (!wait_until_ready(waiter, bool_arg(args, 0), timeout_arg(args, 1), mine_or_free)) return false;
      l.locked = true;
      l.holder = me;
      ++l.depth;
      return true;
    }
    case Op::RLockRelease:
      if (!l.locked || l.holder != me) fail(Status::StateError, "cannot release un-acquired lock");
      if (--l.depth == 0) {
        l.locked = false;
        l.holder = 0;
      }
      return nullptr;
    default:
      break;
  }
  fail(Status::RemoteError, "unknown lock method " + std::to_string(static_cast<int>(op)));
}

json apply_event(SyncState& e, Op op, const json& args, Waiter& waiter) {
  switch (op) {
    case Op::EventSet:
      e.flag = true;
      return nullptr;
    case Op::EventClear:
      e.flag = false;
      return nullptr;
    case Op::EventIsSet:
      return e.flag;
    case Op::EventWait:
      return wait_until_ready(waiter, true, timeout_arg(args, 0), [&e] { return e.flag; });
    default:
      break;
  }
  fail(Status::RemoteError, "unknown event method " + std::to_string(static_cast<int>(op)));
}

json apply_semaphore(SyncState& s, Op op, const json& args, Waiter& waiter) {
  switch (op) {
    case Op::SemAcquire: {
      if (!wait_until_ready(waiter, bool_arg(args, 0), timeout_arg(args, 1), [&s] { return s.value > 0; })) return false;
      --s.value;
      return true;
    }
    case Op::SemRelease:
      if (s.bound >= 0 && s.value >= s.bound) fail(Status::ValueError, "Semaphore released too many times");
      ++s.value;
      return nullptr;
    case Op::SemValue:
      return s.value;
    default:
      break;
  }
  fail(Status::RemoteError, "unknown semaphore method " + std::to_string(static_cast<int>(op)));
}

}  // namespace

void init_sync_object(Object& object, const json& initial) {
  SyncState& s = object.sync;
  switch (object.kind) {
    case Kind::Value:
      if (!initial.is_array() || initial.size() != 2 || !initial[0].is_string())
        fail(Status::ValueError, "a managed Value starts from [typecode, value]");
      object.typecode = initial[0].get<std::string>();
      object.items = initial[1];
      return;
    case Kind::Queue:
      if (!initial.is_number_integer()) fail(Status::ValueError, "a managed Queue's maxsize must be an integer");
      // Python: a maxsize of 0 or less means no limit.
      s.maxsize = initial.get<std::int64_t>() > 0 ? initial.get<std::size_t>() : 0;
      return;
    case Kind::Lock:
    case Kind::RLock:
    case Kind::Event:
      return;
    case Kind::Semaphore:
      if (!initial.is_array() || initial.size() != 2 || !initial[0].is_number_integer() || !initial[1].is_boolean())
        fail(Status::ValueError, "a managed Semaphore starts from [value, bounded]");
      s.value = initial[0].get<std::int64_t>();
      if (s.value < 0) fail(Status::ValueError, "semaphore initial value must be >= 0");
      s.bound = initial[1].get<bool>() ? s.value : -1;
      return;
    default:
      break;
  }
  fail(Status::ValueError, "not a kind of object that waits");
}

json apply_sync(Object& object, Op op, const json& args, Waiter& waiter) {
  switch (object.kind) {
    case Kind::Value: return apply_value(object, op, args);
    case Kind::Queue: return apply_queue(object.sync, op, args, waiter);
    case Kind::Lock:
    case Kind::RLock: return apply_lock(object.sync, op, args, waiter);
    case Kind::Event: return apply_event(object.sync, op, args, waiter);
    case Kind::Semaphore: return apply_semaphore(object.sync, op, args, waiter);
    default: break;
  }
  fail(Status::RemoteError, "not a kind of object that waits");
}

bool release_if_held(Object& object, ClientId client) noexcept {
  if (object.kind != Kind::Lock && object.kind != Kind::RLock) return false;
  SyncState& l = object.sync;
  if (!l.locked || l.holder != client) return false;
  l.locked = false;
  l.holder = 0;
  l.depth = 0;
  return true;
}

}  // namespace mp::detail::manager
