// mp::Queue, mp::JoinableQueue, mp::SimpleQueue: Python's multiprocessing
// queues, for values that mp::encode / mp::decode know (codec.hpp).
//
//   mp::Queue<int> q(3);                    // before fork: children use it by reference
//   q.put(7);  q.put(8, true, 0.5);         // blocks while full; Full after 0.5 s
//   int v = q.get();                        // blocks while empty
//   try { q.get_nowait(); } catch (const mp::Empty&) { ... }
//
// All processes forked after a queue was made share it: its items live in
// one MAP_SHARED mapping (see detail/byte_queue.hpp), not in a pipe fed by a
// background thread as in Python. Consequences a student may notice:
// - An item is in the queue when put() returns, so a process may exit right
//   after put() and nothing is lost (Python's feeder thread may still hold it).
// - Items are FIFO across all producers, not only per producer.
// - maxsize counts items, as in Python. The encoded items also share a byte
//   ring (1 MiB by default, the second constructor argument), so even
//   Queue(0), "unbounded", makes put() wait once that many bytes of items are
//   unread (Python's put() never waits on an unbounded queue; its feeder
//   buffers without limit). An item bigger than the ring still goes through,
//   streamed in ring-sized chunks to one consumer; its put() returns when a
//   consumer has taken all but the last ring-full, so a lone thread cannot
//   put such an item and get it back itself.
// - put_nowait() raises Full when the item cannot go in at once, whether the
//   queue holds maxsize items or the ring has no room for it.
// - A process killed inside put() or get() does not hang the others: the
//   queue's mutex is robust, and sleepers wait on futexes.
// - put() encodes the item in the caller, before it goes in: an item that
//   cannot be encoded (its Codec throws) makes put() throw that exception
//   right there, and nothing is put. Python's
//   put() returns at once and its feeder thread prints the pickling error
//   later, the item silently dropped.
//
// qsize(), empty() and full() are snapshots (as in Python): another process
// may change the answer before the caller acts on it.
#pragma once

#include <cerrno>
#include <cstddef>
#include <string>
#include <utility>

#include "mp/codec.hpp"
#include "mp/deadline.hpp"
#include "mp/detail/byte_queue.hpp"
#include "mp/errors.hpp"

namespace mp {

template <class T>
class Queue {
 public:
  static constexpr std::size_t kDefaultRingBytes = detail::ByteQueue::kDefaultRingBytes;

  // maxsize 0: no limit on the number of items (see above for the bytes).
  explicit Queue(std::size_t maxsize = 0, std::size_t ring_bytes = kDefaultRingBytes)
      : queue_(maxsize, ring_bytes) {}
  Queue(Queue&&) noexcept = default;
  Queue& operator=(Queue&&) noexcept = default;

  // Python's put(obj, block=True, timeout=None): Full when the item could
  // not go in before the timeout (or at once when block is false).
  void put(const T& item, bool block = true, Timeout timeout = std::nullopt) {
    check_open("put");
    if (!queue_.put(encode(item), block, timeout)) {
      if (queue_.maxsize() != 0 && queue_.qsize() >= queue_.maxsize())
        throw Full("put: queue is full (maxsize " + std::to_string(queue_.maxsize()) + ")");
      throw Full("put: no room in the queue for the item (" + std::to_string(queue_.capacity()) +
                 "-byte ring full, or a big item is being written)");
    }
  }
  // Python's get(block=True, timeout=None): Empty when no item came in time.
  T get(bool block = true, Timeout timeout = std::nullopt) {
    check_open("get");
    std::string bytes;
    if (!queue_.get(bytes, block, timeout)) throw Empty("get: queue is empty");
    return decode<T>(bytes);
  }
  void put_nowait(const T& item) { put(item, false); }
  T get_nowait() { return get(false); }

  // Snapshots. full() is true when maxsize items are in the queue; with
  // maxsize 0 it is never true (as in Python).
  std::size_t qsize() const noexcept { return queue_.qsize(); }
  bool empty() const noexcept { return queue_.qsize() == 0; }
  bool full() const noexcept { return queue_.maxsize() != 0 && queue_.qsize() >= queue_.maxsize(); }
  std::size_t maxsize() const noexcept { return queue_.maxsize(); }

  // This process will neither put nor get any more: later calls here raise
  // ValueError, as in Python. Other processes are not affected, and items
  // already put stay in the queue.
  void close() noexcept { closed_ = true; }

 protected:
  void check_open(const char* op) const {
    if (closed_) throw ValueError(std::string(op) + ": queue is closed");
  }

  detail::ByteQueue queue_;
  bool closed_ = false;  // per process: each child has its own copy
};

// Python's JoinableQueue: a Queue that also counts unfinished tasks. Every
// put() adds one; a consumer calls task_done() for each item it finished;
// join() returns when every item put so far was task_done'd.
template <class T>
class JoinableQueue : public Queue<T> {
 public:
  using Queue<T>::Queue;

  // ValueError("task_done() called too many times") when no task is open.
  void task_done() { this->queue_.task_done(); }
  void join() { this->queue_.join(std::nullopt); }
  // With a timeout (an addition to Python): false when tasks are still open.
  bool join(Timeout timeout) { return this->queue_.join(timeout); }
};

// Python's SimpleQueue: put, get, empty, close; no maxsize, no timeouts.
template <class T>
class SimpleQueue {
 public:
  explicit SimpleQueue(std::size_t ring_bytes = detail::ByteQueue::kDefaultRingBytes) : queue_(0, ring_bytes) {}
  SimpleQueue(SimpleQueue&&) noexcept = default;
  SimpleQueue& operator=(SimpleQueue&&) noexcept = default;

  void put(const T& item) {
    check_open("put");
    queue_.put(encode(item), true, std::nullopt);
  }
  T get() {
    check_open("get");
    std::string bytes;
    queue_.get(bytes, true, std::nullopt);
    return decode<T>(bytes);
  }
  bool empty() const noexcept { return queue_.qsize() == 0; }
  // Later put/get in this process raise OSError (Python: "handle is closed").
  void close() noexcept { closed_ = true; }

 private:
  void check_open(const char* op) const {
    if (closed_) throw OSError(std::string(op) + ": queue is closed", EBADF);
  }

  detail::ByteQueue queue_;
  bool closed_ = false;
};

}  // namespace mp
