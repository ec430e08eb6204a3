// mp::Value<T>: Python's multiprocessing.Value, one T in shared memory,
// guarded by its own RLock unless made with Locking::Off, or by a lock the
// caller supplies (Python: Value('l', 0, lock=some_lock)).
//
//   mp::Value<long> counter(0);              // Python: Value('l', 0)
//   counter.set_value(counter.value() + 1);  // NOT atomic: two locked steps
//   { std::lock_guard guard(counter.get_lock()); ++counter.raw(); }  // atomic
//
// value() and set_value() each take the lock for their own access (Python's
// `v.value`), so a read followed by a write can lose updates between the
// two, exactly as `v.value += 1` does in Python. raw() is the shared object
// itself (Python: get_obj()), to use under get_lock().
//
// A caller-supplied lock lets several values share one lock, so that a
// change to both is one critical section:
//   mp::Lock lock;
//   mp::Value<long, mp::Lock> a(0, lock), b(0, lock);   // a.get_lock() is `lock`
// The Value keeps a reference: the lock must outlive it (make both before
// fork, in the same scope). L is the lock's type: RLock (the default) or Lock.
//
// T must be trivially copyable: a pointer into one process's heap means
// nothing in another.
#pragma once

#include <mutex>
#include <optional>
#include <type_traits>

#include "mp/errors.hpp"
#include "mp/lock.hpp"
#include "mp/rlock.hpp"
#include "mp/shared_memory.hpp"

namespace mp {

// Whether a Value or Array gets its own lock (Python: lock=True / lock=False).
enum class Locking { On, Off };

namespace detail {
[[noreturn]] void throw_no_lock(const char* kind);
}

template <class T, class L = RLock>
class Value {
  static_assert(std::is_trivially_copyable_v<T>, "mp::Value<T> needs a trivially copyable T");

 public:
  explicit Value(T initial = T{}, Locking locking = Locking::On) : data_(initial) {
    if (locking == Locking::On) own_lock_.emplace();
  }
  // Guarded by `lock`, which the caller owns and may share with others.
  Value(T initial, L& lock) : data_(initial), supplied_lock_(&lock) {}
  Value(Value&&) noexcept = default;
  Value& operator=(Value&&) noexcept = default;

  // A copy of the shared value, read under the lock (if any).
  T value() const {
    L* lock = lock_or_null();
    if (!lock) return *data_;
    std::lock_guard guard(*lock);
    return *data_;
  }
  // Stores `v` under the lock (if any).
  void set_value(T v) {
    L* lock = lock_or_null();
    if (!lock) {
      *data_ = v;
      return;
    }
    std::lock_guard guard(*lock);
    *data_ = v;
  }

  // The shared object itself; unguarded.
  T& raw() const noexcept { return *data_; }

  bool has_lock() const noexcept { return lock_or_null() != nullptr; }
  // Its own lock or the supplied one. Throws StateError for a Value made
  // with Locking::Off (Python has no get_lock() on such a value either).
  L& get_lock() const {
    L* lock = lock_or_null();
    if (!lock) detail::throw_no_lock("Value");
    return *lock;
  }

 private:
  L* lock_or_null() const noexcept { return supplied_lock_ ? supplied_lock_ : own_lock_ ? &*own_lock_ : nullptr; }

  Shared<T> data_;
  // mutable: reading the value takes the lock.
  mutable std::optional<L> own_lock_;
  L* supplied_lock_ = nullptr;  // the caller's, when given
};

}  // namespace mp
