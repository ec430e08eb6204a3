// Memory that every process forked after its creation sees at the same
// address: MAP_SHARED | MAP_ANONYMOUS. Nothing is named, so nothing is left in
// /dev/shm when a process dies; the kernel frees the pages when the last
// process holding the mapping unmaps it or exits.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace mp {

// Owner of one shared anonymous mapping. Move-only; unmaps on destruction
// (in this process only: children that inherited it keep their copy).
class SharedMapping {
 public:
  SharedMapping() = default;
  // Maps at least `bytes` zero-filled bytes; throws OSError.
  explicit SharedMapping(std::size_t bytes);
  SharedMapping(SharedMapping&& other) noexcept
      : addr_(std::exchange(other.addr_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  SharedMapping& operator=(SharedMapping&& other) noexcept;
  SharedMapping(const SharedMapping&) = delete;
  SharedMapping& operator=(const SharedMapping&) = delete;
  ~SharedMapping();

  void* data() const noexcept { return addr_; }
  std::size_t size() const noexcept { return size_; }

 private:
  void* addr_ = nullptr;
  std::size_t size_ = 0;
};

// A T constructed in its own shared mapping. T must not own heap memory
// (a pointer into one process's heap means nothing in another), which is why
// only trivially destructible types or types built for shared memory (with
// pthread objects set to PTHREAD_PROCESS_SHARED) belong here.
template <typename T>
class Shared {
 public:
  template <typename... Args>
  explicit Shared(Args&&... args) : mapping_(sizeof(T)) {
    new (mapping_.data()) T(std::forward<Args>(args)...);
  }
  Shared(Shared&&) noexcept = default;
  Shared& operator=(Shared&&) noexcept = default;
  // The object is not destroyed: other processes may still use it, and the
  // types kept here need no destructor (their pthread objects are freed with
  // the pages).
  ~Shared() = default;

  T* get() const noexcept { return static_cast<T*>(mapping_.data()); }
  T* operator->() const noexcept { return get(); }
  T& operator*() const noexcept { return *get(); }

 private:
  SharedMapping mapping_;
};

}  // namespace mp
