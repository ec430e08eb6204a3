// A growable byte queue for the pool's pipes: bytes are appended at the end
// and consumed from the front, so a message cut in two by read(2) waits for
// its second half in place. Internal to mp::Pool.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>

#include "mp/detail/pool_protocol.hpp"

namespace mp::detail::pool {

// Whole pages of private memory, left out of every fork (MADV_DONTFORK).
// Nothing forked from the pool reads the pool's pipe buffers; inherited,
// each fork would copy their page tables and turn the pool's next writes to
// them into copy-on-write faults.
class Pages {
 public:
  Pages() = default;
  explicit Pages(std::size_t bytes) : size_(bytes) {
    void* addr = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (addr == MAP_FAILED) throw std::bad_alloc();
    addr_ = static_cast<char*>(addr);
    ::madvise(addr_, size_, MADV_DONTFORK);  // only an optimisation if refused
  }
  Pages(Pages&& other) noexcept : addr_(std::exchange(other.addr_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  Pages& operator=(Pages&& other) noexcept {
    Pages old(std::move(*this));
    addr_ = std::exchange(other.addr_, nullptr);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }
  ~Pages() {
    if (addr_) ::munmap(addr_, size_);
  }

  char* get() const noexcept { return addr_; }
  std::size_t size() const noexcept { return size_; }

 private:
  char* addr_ = nullptr;
  std::size_t size_ = 0;
};

class ByteBuffer {
 public:
  ByteBuffer() = default;
  // A moved-from buffer is empty and owns nothing, so it can still be used.
  ByteBuffer(ByteBuffer&& other) noexcept
      : storage_(std::move(other.storage_)), begin_(std::exchange(other.begin_, 0)), end_(std::exchange(other.end_, 0)) {}
  ByteBuffer& operator=(ByteBuffer&& other) noexcept {
    storage_ = std::move(other.storage_);
    begin_ = std::exchange(other.begin_, 0);
    end_ = std::exchange(other.end_, 0);
    return *this;
  }

  const char* data() const noexcept { return storage_.get() + begin_; }
  std::size_t size() const noexcept { return end_ - begin_; }
  bool empty() const noexcept { return begin_ == end_; }
  std::string_view view() const noexcept { return {data(), size()}; }

  // Room for at least `n` more bytes; returns where they go. commit() says
  // how many were written there.
  char* prepare(std::size_t n) {
    if (storage_.size() - end_ < n) make_room(n);
    return storage_.get() + end_;
  }
  void commit(std::size_t n) noexcept { end_ += n; }
  void append(const void* bytes, std::size_t n) {
    std::memcpy(prepare(n), bytes, n);
    commit(n);
  }
  void consume(std::size_t n) noexcept {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void clear() noexcept { begin_ = end_ = 0; }

  // Makes the buffer hold at least `n` bytes without growing, and touches
  // every page of it now. The pool does this once per worker slot: a fresh
  // page costs a fault (zeroing, accounting) on first write, and the first
  // map would otherwise pay them all, plus the copies of each doubling, in
  // the middle of its work.
  void reserve_touched(std::size_t n) {
    if (n > storage_.size()) make_room(n - size());
    std::memset(storage_.get() + end_, 0, storage_.size() - end_);
  }

 private:
  void make_room(std::size_t n) {
    const std::size_t used = size();
    const std::size_t capacity = storage_.size();
    if (capacity - used >= n && used <= capacity / 2) {
      std::memmove(storage_.get(), data(), used);  // cheap: at most half the buffer moves
    } else {
      std::size_t bigger_capacity = capacity ? capacity * 2 : 64 * 1024;
      while (bigger_capacity - used < n) bigger_capacity *= 2;
      Pages bigger(bigger_capacity);
      if (used) std::memcpy(bigger.get(), data(), used);
      storage_ = std::move(bigger);
    }
    begin_ = 0;
    end_ = used;
  }

  Pages storage_;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last byte
};

// Calls fn(header, payload) for each whole message at the front of `bytes`
// until fn returns false; returns how many bytes those messages took.
template <class Header, class Fn>
std::size_t for_each_message(std::string_view bytes, Fn&& fn) {
  std::size_t used = 0;
  while (bytes.size() - used >= sizeof(Header)) {
    Header header;
    std::memcpy(&header, bytes.data() + used, sizeof header);
    if (bytes.size() - used - sizeof header < header.payload_bytes) break;
    std::string_view payload = bytes.substr(used + sizeof header, header.payload_bytes);
    used += sizeof header + header.payload_bytes;
    if (!fn(header, payload)) break;
  }
  return used;
}

}  // namespace mp::detail::pool
