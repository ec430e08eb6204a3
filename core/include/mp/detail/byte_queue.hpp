// The engine under mp::Queue, mp::JoinableQueue and mp::SimpleQueue: a FIFO
// of byte strings in one MAP_SHARED mapping, shared by every process forked
// after it was made.
//
// Layout: a control block, then a byte ring. Each item is a record: an 8-byte
// length and the payload, written at `tail` and read at `head` (byte counts
// since creation that only grow; the ring index is the count modulo the
// capacity). An item never waits in a process's private memory, so an item
// put by a process that exits at once is still delivered.
//
// Locking: one robust process-shared mutex guards the control block, and
// items up to the ring's size are copied while holding it (small items are
// the common case and a memcpy is cheaper than a second lock round trip).
// An item larger than the free space of the whole ring is streamed: its
// producer takes the writer role (a second robust mutex), writes what fits,
// waits for space and goes on; the consumer that takes it holds the reader
// role and copies the chunks as they come. Other producers (consumers) wait
// on the role mutex meanwhile, so records never interleave.
//
// Sleeping: waits are futex waits on sequence words in the mapping, made only
// after a short spin, and a waker makes the futex system call only when a
// sleeper has raised a flag, so a put/get pair that never waits makes no
// system call at all. Futexes, not process-shared condition variables: the
// kernel drops a killed waiter from a futex queue, while a glibc condition
// variable can hand a signal to a waiter that was SIGKILLed and lose it. A
// waker wakes every sleeper of its kind and clears the flag; sleepers that
// still must wait set it again, so a sleeper that died costs nothing later.
//
// Death: a process killed while holding the mutex is recovered by the robust
// mutex (head and tail each commit in a single store, so a record is either
// whole or absent, and the item count is then recounted from the ring). A
// streaming producer that dies leaves a partial item: it is dropped, or the
// consumer reading it gets mp::Error; a streaming consumer that dies leaves
// the rest of its item to be skipped. Roles are robust mutexes too, so a
// death is noticed by whoever next needs the role (or by the partner of the
// stream, which checks every 0.1 s while it waits).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mp/deadline.hpp"
#include "mp/shared_memory.hpp"

namespace mp::detail {

struct QueueControl;  // the control block in the mapping (byte_queue.cpp)

class ByteQueue {
 public:
  // Ring capacity when none is given: 1 MiB. Pages of a shared anonymous
  // mapping are only allocated when touched, so the cost is what traffic
  // uses; big enough that a burst of small items never waits on bytes.
  static constexpr std::size_t kDefaultRingBytes = std::size_t{1} << 20;

  // maxsize 0: no limit on the number of items (only on the ring's bytes).
  // ring_bytes is rounded up to a power of two, at least 4 KiB.
  explicit ByteQueue(std::size_t maxsize, std::size_t ring_bytes = kDefaultRingBytes);
  ByteQueue(ByteQueue&&) noexcept = default;
  ByteQueue& operator=(ByteQueue&&) noexcept = default;

  // Appends one item. Returns false when it could not start before the
  // timeout (or at once when block is false): the queue held maxsize items or
  // the ring had no room. Once a streamed item has started it is finished
  // whatever the timeout, as Python's feeder thread finishes a message.
  bool put(std::string_view item, bool block, Timeout timeout);
  // Removes the oldest item into `out`. Returns false when none came in
  // time. Throws mp::Error when the item was lost because its producer died
  // while streaming it.
  bool get(std::string& out, bool block, Timeout timeout);

  // Snapshots: another process may change them the next moment.
  std::size_t qsize() const noexcept;
  std::size_t maxsize() const noexcept;
  std::size_t capacity() const noexcept;

  // JoinableQueue: every put adds an unfinished task, task_done removes one
  // (ValueError when none is left), join waits until none is left.
  void task_done();
  bool join(Timeout timeout);

 private:
  QueueControl& control() const noexcept { return *static_cast<QueueControl*>(mapping_.data()); }
  char* ring() const noexcept;

  SharedMapping mapping_;
};

}  // namespace mp::detail
