// mp::Value<T>: Python's multiprocessing.Value, one T in shared memory,
// guarded by its own RLock unless made with Locking::Off.
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
// T must be trivially copyable: a pointer into one process's heap means
// nothing in another.
#pragma once

#include <mutex>
#include <optional>
#include <type_traits>

#include "mp/errors.hpp"
#include "mp/rlock.hpp"
#include "mp/shared_memory.hpp"

namespace mp {

// Whether a Value or Array gets its own lock (Python: lock=True / lock=False).
enum class Locking { On, Off };

namespace detail {
[[noreturn]] void throw_no_lock(const char* kind);
}

template <class T>
class Value {
  static_assert(std::is_trivially_copyable_v<T>, "mp::Value<T> needs a trivially copyable T");

 public:
  explicit Value(T initial = T{}, Locking locking = Locking::On) : data_(initial) {
    if (locking == Locking::On) lock_.emplace();
  }
  Value(Value&&) noexcept = default;
  Value& operator=(Value&&) noexcept = default;

  // A copy of the shared value, read under the lock (if any).
  T value() const {
    if (!lock_) return *data_;
    std::lock_guard guard(*lock_);
    return *data_;
  }
  // Stores `v` under the lock (if any).
  void set_value(T v) {
    if (!lock_) {
      *data_ = v;
      return;
    }
    std::lock_guard guard(*lock_);
    *data_ = v;
  }

  // The shared object itself; unguarded.
  T& raw() const noexcept { return *data_; }

  bool has_lock() const noexcept { return lock_.has_value(); }
  // Throws StateError for a Value made with Locking::Off (Python has no
  // get_lock() on such a value either).
  RLock& get_lock() const {
    if (!lock_) detail::throw_no_lock("Value");
    return *lock_;
  }

 private:
  Shared<T> data_;
  // mutable: reading the value takes the lock.
  mutable std::optional<RLock> lock_;
};

}  // namespace mp
