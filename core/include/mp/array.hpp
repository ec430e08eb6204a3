// mp::Array<T>: Python's multiprocessing.Array, a fixed-length run of T in
// shared memory, guarded by its own RLock unless made with Locking::Off.
//
//   mp::Array<double> xs(8, 0.0);      // Python: Array('d', 8)
//   xs.set(3, 1.5); double x = xs.get(3);   // each locked, bounds-checked
//   { std::lock_guard guard(xs.get_lock()); for (double& v : xs.span()) v *= 2; }
//
// get(i)/set(i, v) are Python's `a[i]` and `a[i] = v`: bounds-checked, each
// under the lock. operator[] and at() hand out the shared element itself
// without the lock, like span() and raw access in C++ containers: use them
// under get_lock(). An index out of range throws std::out_of_range (Python:
// IndexError), the C++ at() convention.
#pragma once

#include <cstddef>
#include <mutex>
#include <new>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "mp/rlock.hpp"
#include "mp/shared_memory.hpp"
#include "mp/value.hpp"

namespace mp {

template <class T>
class Array {
  static_assert(std::is_trivially_copyable_v<T>, "mp::Array<T> needs a trivially copyable T");

 public:
  // `length` copies of `initial` (Python: Array(typecode, length)).
  explicit Array(std::size_t length, T initial = T{}, Locking locking = Locking::On)
      : mapping_(length * sizeof(T)), length_(length) {
    for (std::size_t i = 0; i < length; ++i) new (data() + i) T(initial);
    if (locking == Locking::On) lock_.emplace();
  }
  // A copy of `values` (Python: Array(typecode, [..])).
  explicit Array(std::span<const T> values, Locking locking = Locking::On)
      : Array(values.size(), T{}, locking) {
    for (std::size_t i = 0; i < length_; ++i) data()[i] = values[i];
  }
  Array(Array&&) noexcept = default;
  Array& operator=(Array&&) noexcept = default;

  std::size_t size() const noexcept { return length_; }

  // Python's a[i] and a[i] = v: bounds-checked, under the lock (if any).
  T get(std::size_t i) const {
    check(i);
    if (!lock_) return data()[i];
    std::lock_guard guard(*lock_);
    return data()[i];
  }
  void set(std::size_t i, T v) {
    check(i);
    if (!lock_) {
      data()[i] = v;
      return;
    }
    std::lock_guard guard(*lock_);
    data()[i] = v;
  }
  // Python's a[:]: a copy of every element, taken under the lock.
  std::vector<T> to_vector() const {
    if (!lock_) return std::vector<T>(data(), data() + length_);
    std::lock_guard guard(*lock_);
    return std::vector<T>(data(), data() + length_);
  }

  // The shared elements themselves, unguarded.
  T& operator[](std::size_t i) const noexcept { return data()[i]; }
  T& at(std::size_t i) const {
    check(i);
    return data()[i];
  }
  std::span<T> span() const noexcept { return {data(), length_}; }
  T* begin() const noexcept { return data(); }
  T* end() const noexcept { return data() + length_; }

  bool has_lock() const noexcept { return lock_.has_value(); }
  // Throws StateError for an Array made with Locking::Off.
  RLock& get_lock() const {
    if (!lock_) detail::throw_no_lock("Array");
    return *lock_;
  }

 private:
  T* data() const noexcept { return static_cast<T*>(mapping_.data()); }
  void check(std::size_t i) const {
    if (i >= length_)
      throw std::out_of_range("array index " + std::to_string(i) + " out of range (size " +
                              std::to_string(length_) + ")");
  }

  SharedMapping mapping_;
  std::size_t length_;
  mutable std::optional<RLock> lock_;  // mutable: reading takes the lock
};

}  // namespace mp
