// A growable byte queue for the pool's pipes: bytes are appended at the end
// and consumed from the front, so a message cut in two by read(2) waits for
// its second half in place. Internal to mp::Pool.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

#include "mp/detail/pool_protocol.hpp"

namespace mp::detail::pool {

class ByteBuffer {
 public:
  const char* data() const noexcept { return storage_.get() + begin_; }
  std::size_t size() const noexcept { return end_ - begin_; }
  bool empty() const noexcept { return begin_ == end_; }
  std::string_view view() const noexcept { return {data(), size()}; }

  // Room for at least `n` more bytes; returns where they go. commit() says
  // how many were written there.
  char* prepare(std::size_t n) {
    if (capacity_ - end_ < n) make_room(n);
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
  // every page of it now. The pool calls this when a worker starts: a fresh
  // page costs a fault (zeroing, accounting) on first write, and on this
  // path the first map would otherwise pay them all, plus the copies of each
  // doubling, in the middle of its work.
  void reserve_touched(std::size_t n) {
    if (n > capacity_) {
      make_room(n - size());
    }
    std::memset(storage_.get() + end_, 0, capacity_ - end_);
  }

 private:
  void make_room(std::size_t n) {
    const std::size_t used = size();
    if (capacity_ - used >= n && used <= capacity_ / 2) {
      std::memmove(storage_.get(), data(), used);  // cheap: at most half the buffer moves
    } else {
      std::size_t capacity = capacity_ ? capacity_ * 2 : 64 * 1024;
      while (capacity - used < n) capacity *= 2;
      std::unique_ptr<char[]> bigger(new char[capacity]);
      if (used) std::memcpy(bigger.get(), data(), used);
      storage_ = std::move(bigger);
      capacity_ = capacity;
    }
    begin_ = 0;
    end_ = used;
  }

  std::unique_ptr<char[]> storage_;
  std::size_t capacity_ = 0;
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
