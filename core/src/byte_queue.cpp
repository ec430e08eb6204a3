#include "mp/detail/byte_queue.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <exception>
#include <new>

#include "cpu_relax.hpp"
#include "mp/detail/robust_mutex.hpp"
#include "mp/errors.hpp"

namespace mp::detail {

// Would-be sleepers of one kind (consumers, producers, joiners). `flag` is
// raised under the mutex by a sleeper just before it sleeps; a waker that
// sees it (under the mutex) clears it, bumps `seq` and wakes every sleeper
// with FUTEX_WAKE once the mutex is released.
struct Sleepers {
  std::uint32_t flag = 0;
  std::atomic<std::uint32_t> seq{0};
};

// The control block at the start of the mapping. Fields are guarded by
// `mutex`; the atomics are atomics only so that a spinning waiter, or a
// qsize() snapshot, may peek at them without it. Fields are grouped by who
// writes them, one cache line per group: a put or get that takes the mutex
// brings head and tail along in the same line transfer, and the producers'
// counters do not bounce between cores with the consumers'.
struct alignas(64) QueueControl {
  QueueControl(std::uint64_t max_items, std::uint64_t ring_capacity)
      : maxsize(max_items), capacity(ring_capacity) {}

  // Touched by every put and get.
  RobustMutex mutex;
  std::atomic<std::uint64_t> head{0};  // bytes consumed since creation
  std::atomic<std::uint64_t> tail{0};  // bytes written since creation

  // Written by producers. The streamed item, if any: only the holder of
  // writer_role sets writer_pid; a non-zero writer_pid with writer_role
  // free means that producer died mid-item.
  alignas(64) std::atomic<std::uint64_t> puts{0};  // items ever begun by put()
  std::uint64_t unfinished = 0;                    // items put, not yet task_done'd
  pid_t writer_pid = 0;                            // producer streaming the last record
  std::uint64_t writer_start = 0;                  // where that record begins
  std::uint64_t writer_left = 0;                   // bytes of it not yet written
  bool writer_record_taken = false;                // a consumer has started on that record
  bool stream_lost = false;                        // its producer died while a consumer read it
  std::uint64_t lost_end = 0;                      // then: where its bytes end (later records follow)
  // A put's promise, written under the mutex before its commit (the tail
  // store of a small item, the writer_pid store of a streamed one): once
  // committed, unfinished becomes promise_unfinished. A producer killed
  // between its commit and that store leaves the promise for the next holder
  // of the mutex to keep (keep_put_promise), so join() never returns early.
  std::uint64_t promise_tail = 0;        // tail after the commit of a small item; 0: a streamed one
  std::uint64_t promise_unfinished = 0;  // unfinished with the item counted
  bool promise_open = false;             // the fields above belong to a put in progress

  // Written by consumers; the same rule for reader_pid and reader_role.
  alignas(64) std::atomic<std::uint64_t> takes{0};  // items ever taken, or dropped
  pid_t reader_pid = 0;                             // consumer streaming the record at head
  std::uint64_t reader_left = 0;                    // bytes of that record not yet read
  std::uint64_t discard = 0;                        // bytes at head of a record whose consumer died: skipped

  // Read by everyone, written only around sleeps.
  alignas(64) const std::uint64_t maxsize;  // 0: no limit on items
  const std::uint64_t capacity;             // ring bytes, a power of two
  Sleepers getters;                         // waiting for data (tail moves)
  Sleepers putters;                         // waiting for room (head moves)
  Sleepers joiners;                         // waiting for unfinished == 0

  alignas(64) RobustMutex writer_role;  // held by the producer streaming an item bigger than the ring
  RobustMutex reader_role;              // held by the consumer streaming such an item

  // Items in the queue (put begun, not taken). Exact under the mutex; as a
  // snapshot without it, never negative (takes is read first, and puts only
  // grows past it).
  std::uint64_t count() const noexcept {
    const std::uint64_t taken = takes.load(std::memory_order_relaxed);
    const std::uint64_t put = puts.load(std::memory_order_relaxed);
    return put >= taken ? put - taken : 0;
  }
};

static_assert(sizeof(RobustMutex) + 2 * sizeof(std::uint64_t) <= 64, "mutex, head and tail share one cache line");
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "the queue needs address-free 64-bit atomics");
static_assert(std::atomic<std::uint32_t>::is_always_lock_free, "futex words must be plain 32-bit words");

namespace {

constexpr std::uint64_t kHeader = sizeof(std::uint64_t);  // record length prefix
constexpr std::size_t kMinRing = 4096;
constexpr const char* kKind = "Queue";  // names the queue's mutex in owner-death reports

// Spins this many times watching head/tail before sleeping in the kernel: a
// partner on another core usually moves them within a few microseconds,
// and a spin is far cheaper than a futex sleep plus the partner's wake-up.
constexpr int kSpins = 400;

// Changes a counter that only the mutex holder writes: a plain load and
// store, no locked read-modify-write (the atomic is for lock-free readers).
inline void bump(std::atomic<std::uint64_t>& counter, int delta) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + static_cast<std::uint64_t>(delta),
                std::memory_order_relaxed);
}

std::uint32_t* futex_word(std::atomic<std::uint32_t>& word) noexcept {
  return reinterpret_cast<std::uint32_t*>(&word);
}

// Sleeps while `word` == seen, until woken or the deadline. Shared futex (no
// FUTEX_PRIVATE_FLAG): the word lives in memory mapped by several processes.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t seen, const Deadline& deadline) {
  timespec at{};
  const timespec* at_ptr = nullptr;
  if (!deadline.is_forever()) {
    at = deadline.abs_timespec();  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time
    at_ptr = &at;
  }
  long r = ::syscall(SYS_futex, futex_word(word), FUTEX_WAIT_BITSET, seen, at_ptr, nullptr,
                     FUTEX_BITSET_MATCH_ANY);
  if (r != 0 && errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT) throw_os_error("futex wait");
}

void futex_wake_all(std::atomic<std::uint32_t>& word) noexcept {
  ::syscall(SYS_futex, futex_word(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

std::size_t round_up_pow2(std::size_t n) {
  std::size_t p = kMinRing;
  while (p < n) p <<= 1;
  return p;
}

std::size_t control_bytes() { return (sizeof(QueueControl) + 63) / 64 * 64; }

// Copies between the ring and a buffer at byte position `pos`, wrapping at
// the end of the ring.
void ring_write(char* ring, std::uint64_t capacity, std::uint64_t pos, const char* src, std::uint64_t n) {
  const std::uint64_t off = pos & (capacity - 1);
  const std::uint64_t first = std::min(n, capacity - off);
  std::memcpy(ring + off, src, first);
  if (n > first) std::memcpy(ring, src + first, n - first);
}

void ring_read(const char* ring, std::uint64_t capacity, std::uint64_t pos, char* dst, std::uint64_t n) {
  const std::uint64_t off = pos & (capacity - 1);
  const std::uint64_t first = std::min(n, capacity - off);
  std::memcpy(dst, ring + off, first);
  if (n > first) std::memcpy(dst + first, ring, n - first);
}

pid_t my_pid() { return ::getpid(); }


// Keeps the stores of a put in program order, so that a producer killed
// between two of them leaves them in that order (a SIGKILL stops it at an
// instruction; the CPU's own order is already that of one thread).
inline void in_order() noexcept { std::atomic_signal_fence(std::memory_order_seq_cst); }

// After a process died holding the mutex: a put it had committed gets its
// unfinished task counted (see promise_tail). Mutex held.
void keep_put_promise(QueueControl& c) {
  if (!c.promise_open) return;
  const bool committed = c.promise_tail != 0 ? c.tail.load(std::memory_order_relaxed) == c.promise_tail
                                             : c.writer_pid != 0;
  if (committed) c.unfinished = c.promise_unfinished;
  c.promise_open = false;
}

// After a process died holding the mutex: puts and takes may miss the last
// change it made (head or tail commit first, the counters follow), so the
// items are counted again from the ring. Mutex held.
void recount(QueueControl& c) {
  const char* ring = reinterpret_cast<const char*>(&c) + control_bytes();
  const std::uint64_t tail = c.tail.load(std::memory_order_relaxed);
  std::uint64_t pos = c.head.load(std::memory_order_relaxed);
  // Bytes at head that belong to a record already taken (being streamed out,
  // or abandoned by a dead consumer) are not an item.
  if (c.stream_lost) {
    pos = c.lost_end;
  } else {
    const std::uint64_t taken_rest = c.reader_pid != 0 ? c.reader_left : c.discard;
    pos += std::min(taken_rest, tail - pos);
  }
  std::uint64_t items = 0;
  while (tail - pos >= kHeader) {
    std::uint64_t len;
    ring_read(ring, c.capacity, pos, reinterpret_cast<char*>(&len), kHeader);
    ++items;  // a record still streaming in counts, as in put()
    if (len >= tail - pos - kHeader) break;
    pos += kHeader + len;
  }
  const std::uint64_t puts = c.puts.load(std::memory_order_relaxed);
  if (puts >= items) {
    c.takes.store(puts - items, std::memory_order_relaxed);
  } else {
    c.puts.store(c.takes.load(std::memory_order_relaxed) + items, std::memory_order_relaxed);
  }
}

// The queue mutex, held for the lifetime of the guard, and the wake-ups
// decided under it, made right after it is released (a woken process would
// only block on the mutex otherwise).
class Held {
 public:
  explicit Held(QueueControl& c) : c_(c) { acquire(); }
  Held(const Held&) = delete;
  Held& operator=(const Held&) = delete;
  ~Held() {
    if (locked_) {
      try {
        release();
      } catch (...) {
        // unlock only fails on misuse of the mutex, which this file never does
      }
    }
  }

  void acquire() {
    const LockResult r = lock(c_.mutex, true, std::nullopt, kKind);
    locked_ = true;
    if (r.owner_died) {
      keep_put_promise(c_);
      recount(c_);
    }
  }
  bool locked() const noexcept { return locked_; }
  void release() {
    locked_ = false;
    unlock(c_.mutex, kKind);
    for (Sleepers* s : {&c_.getters, &c_.putters, &c_.joiners}) {
      if (pending_ & bit(s)) futex_wake_all(s->seq);
    }
    pending_ = 0;
  }

  // Wakes the sleepers of that kind when the mutex is released, if any.
  void wake(Sleepers& s) {
    if (s.flag == 0) return;  // nobody sleeps: no system call
    s.flag = 0;
    s.seq.fetch_add(1, std::memory_order_relaxed);
    pending_ |= bit(&s);
  }

 private:
  unsigned bit(const Sleepers* s) const noexcept {
    return s == &c_.getters ? 1u : s == &c_.putters ? 2u : 4u;
  }

  QueueControl& c_;
  bool locked_ = false;
  unsigned pending_ = 0;
};

// Called with the mutex held, after the caller found it must wait; returns
// with it held, and the caller checks its condition again. The first call
// of a wait spins without the mutex until `watched` moves (no system call on
// either side); later calls sleep on the futex until a waker bumps the
// sequence word or the deadline passes.
void wait_for_change(Held& held, Sleepers& s, const std::atomic<std::uint64_t>& watched,
                     const Deadline& deadline, bool& spun) {
  if (!spun) {
    spun = true;
    const std::uint64_t seen = watched.load(std::memory_order_relaxed);
    held.release();
    for (int i = 0; i < kSpins && watched.load(std::memory_order_relaxed) == seen; ++i) cpu_relax();
    held.acquire();
    return;
  }
  spun = false;  // after a sleep, spin again first next time
  s.flag = 1;
  const std::uint32_t seq = s.seq.load(std::memory_order_relaxed);
  held.release();
  futex_wait(s.seq, seq, deadline);
  held.acquire();
}

// Skips bytes of a record whose streaming consumer died, as far as they
// have arrived. Mutex held.
void discard_available(QueueControl& c, Held& held) {
  if (c.discard == 0) return;
  const std::uint64_t head = c.head.load(std::memory_order_relaxed);
  const std::uint64_t n = std::min(c.discard, c.tail.load(std::memory_order_relaxed) - head);
  if (n == 0) return;
  c.head.store(head + n, std::memory_order_relaxed);
  c.discard -= n;
  held.wake(c.putters);
}

// The producer streaming the last record died (we took writer_role from
// it). Mutex held.
void recover_dead_writer(QueueControl& c, Held& held) {
  if (c.writer_pid == 0) return;  // died before or after its stream: nothing half-done
  if (c.writer_left > 0) {
    if (!c.writer_record_taken) {
      // Nobody started on it: drop the partial record as if never put.
      c.tail.store(c.writer_start, std::memory_order_relaxed);
      bump(c.takes, +1);
    } else if (c.reader_pid != 0) {
      // Its consumer throws once it has read what exists; records put from
      // now on follow these bytes.
      c.stream_lost = true;
      c.lost_end = c.tail.load(std::memory_order_relaxed);
      held.wake(c.getters);
    } else {
      // Its consumer died too: everything left in the ring is that record
      // (no other producer could write while this one held the role).
      c.head.store(c.tail.load(std::memory_order_relaxed), std::memory_order_relaxed);
      c.discard = 0;
    }
    if (c.unfinished > 0) --c.unfinished;  // never delivered: join must not wait for it
    if (c.unfinished == 0) held.wake(c.joiners);
    held.wake(c.putters);
  }
  c.writer_pid = 0;
  c.writer_left = 0;
}

// The consumer streaming the record at head died (we took reader_role from
// it). Mutex held.
void recover_dead_reader(QueueControl& c, Held& held) {
  if (c.reader_pid == 0) return;
  if (c.stream_lost) {
    // Its producer died as well: skip what was written of the record.
    c.head.store(c.lost_end, std::memory_order_relaxed);
    c.stream_lost = false;
    held.wake(c.putters);
  } else {
    c.discard = c.reader_left;
    discard_available(c, held);
  }
  c.reader_pid = 0;
  c.reader_left = 0;
}

// A role's pid field (writer_pid, reader_pid) is set and cleared only by the
// role's holder, under the mutex, and cleared before the role is let go. So
// whoever holds a role and still finds the field set knows its stream was
// abandoned: by a death (the role came with EOWNERDEAD) or by an exception
// that left before clearing it. Either way the recover function cleans up;
// it does nothing when the field is clear.
using Recover = void (*)(QueueControl&, Held&);

// Waits for a streamer's role to be free (recovering an abandoned stream)
// and lets it go again. Called without the mutex. False on timeout.
bool wait_for_role(QueueControl& c, RobustMutex& role, bool block, const Deadline& deadline, Recover recover) {
  LockResult r = lock(role, block, deadline.remaining(), kKind);
  if (!r.acquired) return false;
  {
    Held held(c);
    recover(c, held);
  }
  unlock(role, kKind);
  return true;
}

// While streaming, the partner on the other side may have died: a try-lock
// of its role tells (EOWNERDEAD, or free with its pid still set) and
// recovers. Mutex held; a try-lock cannot deadlock, whatever the lock order.
void check_partner(QueueControl& c, RobustMutex& role, Held& held, Recover recover) {
  LockResult r = lock(role, false, std::nullopt, kKind);
  if (!r.acquired) return;
  recover(c, held);
  unlock(role, kKind);
}

// Cleans up this process's own stream when an exception leaves put() or
// get() in the middle of it (bad_alloc for a huge item, a failed system
// call), as if the process had died: the partner is told (a consumer gets
// "item lost"; a producer's further bytes are skipped) and the pid field is
// cleared before the role is let go. Declared after the Role and the Held it
// works with, so it runs before either is released.
class AbandonOnThrow {
 public:
  // `owns_role`: true once this process holds the role whose stream it is.
  AbandonOnThrow(QueueControl& c, Held& held, Recover recover, const bool& owns_role) noexcept
      : c_(c), held_(held), recover_(recover), owns_role_(owns_role), exceptions_(std::uncaught_exceptions()) {}
  AbandonOnThrow(const AbandonOnThrow&) = delete;
  AbandonOnThrow& operator=(const AbandonOnThrow&) = delete;
  ~AbandonOnThrow() {
    if (!owns_role_ || std::uncaught_exceptions() == exceptions_) return;
    try {
      if (!held_.locked()) held_.acquire();
      recover_(c_, held_);
    } catch (...) {
      // Left as it is, the next holder of the role finds the pid set and
      // recovers (see Recover above).
    }
  }

 private:
  QueueControl& c_;
  Held& held_;
  Recover recover_;
  const bool& owns_role_;
  int exceptions_;
};

// How long a streamer sleeps before checking whether its partner died.
constexpr double kPartnerCheckSeconds = 0.1;

// A role mutex held for one streamed item; released on every exit path.
class Role {
 public:
  explicit Role(RobustMutex& m) : m_(m) {}
  Role(const Role&) = delete;
  Role& operator=(const Role&) = delete;
  ~Role() {
    if (held_) {
      try {
        unlock(m_, kKind);
      } catch (...) {
      }
    }
  }
  bool acquire(bool block, const Deadline& deadline) {
    held_ = lock(m_, block, deadline.remaining(), kKind).acquired;
    return held_;
  }

 private:
  RobustMutex& m_;
  bool held_ = false;
};

}  // namespace

ByteQueue::ByteQueue(std::size_t maxsize, std::size_t ring_bytes) {
  const std::size_t capacity = round_up_pow2(ring_bytes);
  mapping_ = SharedMapping(control_bytes() + capacity);
  new (mapping_.data()) QueueControl(maxsize, capacity);
}

char* ByteQueue::ring() const noexcept { return static_cast<char*>(mapping_.data()) + control_bytes(); }


bool ByteQueue::put(std::string_view item, bool block, Timeout timeout) {
  QueueControl& c = control();
  char* const r = ring();
  const std::uint64_t len = item.size();
  const std::uint64_t record = kHeader + len;
  const Deadline deadline(block ? timeout : Timeout(0.0));

  if (record <= c.capacity) {
    Held held(c);
    bool spun = false;
    for (;;) {
      if (c.writer_pid != 0) {
        // A streamed item is being written: wait until its producer is done.
        held.release();
        if (!wait_for_role(c, c.writer_role, block, deadline, recover_dead_writer)) return false;
        held.acquire();
        continue;
      }
      const std::uint64_t tail = c.tail.load(std::memory_order_relaxed);
      const std::uint64_t used = tail - c.head.load(std::memory_order_relaxed);
      const bool slot = c.maxsize == 0 || c.count() < c.maxsize;
      if (slot && c.capacity - used >= record) {
        c.promise_tail = tail + record;
        c.promise_unfinished = c.unfinished + 1;
        in_order();
        c.promise_open = true;
        ring_write(r, c.capacity, tail, reinterpret_cast<const char*>(&len), kHeader);
        ring_write(r, c.capacity, tail + kHeader, item.data(), len);
        in_order();
        c.tail.store(tail + record, std::memory_order_relaxed);  // the commit: one store
        bump(c.puts, +1);
        c.unfinished = c.promise_unfinished;
        in_order();
        c.promise_open = false;
        held.wake(c.getters);
        return true;
      }
      if (!block || deadline.expired()) return false;
      wait_for_change(held, c.putters, c.head, deadline, spun);
    }
  }

  // Bigger than the whole ring: stream it through in chunks.
  Role role(c.writer_role);
  if (!role.acquire(block, deadline)) return false;
  Held held(c);
  recover_dead_writer(c, held);  // a stream left by a dead (or throwing) producer
  const bool role_held = true;
  AbandonOnThrow abandon(c, held, recover_dead_writer, role_held);
  bool spun = false;
  for (;;) {  // wait for an item slot and room for at least the length
    const std::uint64_t used = c.tail.load(std::memory_order_relaxed) - c.head.load(std::memory_order_relaxed);
    const bool slot = c.maxsize == 0 || c.count() < c.maxsize;
    if (slot && c.capacity - used >= kHeader) break;
    if (!block || deadline.expired()) return false;
    wait_for_change(held, c.putters, c.head, deadline, spun);
  }
  c.writer_start = c.tail.load(std::memory_order_relaxed);
  c.writer_left = record;
  c.writer_record_taken = false;
  c.promise_tail = 0;
  c.promise_unfinished = c.unfinished + 1;
  in_order();
  c.promise_open = true;
  bump(c.puts, +1);  // (a death before the commit is mended by recount)
  in_order();
  c.writer_pid = my_pid();  // the commit: from here a death is recovered as a stream
  c.unfinished = c.promise_unfinished;
  in_order();
  c.promise_open = false;
  // stream_lost is not ours to clear: it belongs to the consumer still
  // reading the dead producer's record, which ends at lost_end (ours follows).

  std::uint64_t sent = 0;  // bytes of (length, payload) written so far
  while (sent < record) {
    const std::uint64_t tail = c.tail.load(std::memory_order_relaxed);
    const std::uint64_t room = c.capacity - (tail - c.head.load(std::memory_order_relaxed));
    if (room == 0) {
      wait_for_change(held, c.putters, c.head, Deadline(kPartnerCheckSeconds), spun);
      if (c.reader_pid != 0) check_partner(c, c.reader_role, held, recover_dead_reader);
      continue;
    }
    const std::uint64_t n = std::min(room, record - sent);
    // Bytes past tail are ours alone (other producers wait for the role,
    // consumers read only up to tail): copy them without the mutex.
    held.release();
    std::uint64_t at = tail, done = 0;
    if (sent < kHeader) {
      const std::uint64_t h = std::min(n, kHeader - sent);
      ring_write(r, c.capacity, at, reinterpret_cast<const char*>(&len) + sent, h);
      at += h;
      done = h;
    }
    ring_write(r, c.capacity, at, item.data() + (sent + done - kHeader), n - done);
    held.acquire();
    c.tail.store(tail + n, std::memory_order_relaxed);
    sent += n;
    c.writer_left = record - sent;
    held.wake(c.getters);
    discard_available(c, held);  // a consumer of this record died: skip it as it comes
  }
  c.writer_pid = 0;
  return true;
}

bool ByteQueue::get(std::string& out, bool block, Timeout timeout) {
  QueueControl& c = control();
  const char* const r = ring();
  const Deadline deadline(block ? timeout : Timeout(0.0));
  bool streamed = false;  // true once we hold the reader role
  Role role(c.reader_role);

  Held held(c);
  AbandonOnThrow abandon(c, held, recover_dead_reader, streamed);
  bool spun = false;
  for (;;) {
    discard_available(c, held);
    if (c.reader_pid != 0 && !streamed) {
      // A consumer is streaming a big item: wait until it is done.
      held.release();
      if (!wait_for_role(c, c.reader_role, block, deadline, recover_dead_reader)) return false;
      held.acquire();
      continue;
    }
    const std::uint64_t head = c.head.load(std::memory_order_relaxed);
    const std::uint64_t avail = c.tail.load(std::memory_order_relaxed) - head;
    if (c.discard == 0 && avail >= kHeader) {
      std::uint64_t len;
      ring_read(r, c.capacity, head, reinterpret_cast<char*>(&len), kHeader);
      if (avail - kHeader >= len) {  // whole: take it now
        out.resize(len);
        ring_read(r, c.capacity, head + kHeader, out.data(), len);
        c.head.store(head + kHeader + len, std::memory_order_relaxed);  // the commit
        bump(c.takes, +1);
        held.wake(c.putters);
        return true;
      }
      if (!streamed) {
        // Still streaming in: become its reader (role first, then mutex).
        held.release();
        if (!role.acquire(block, deadline)) return false;
        held.acquire();
        recover_dead_reader(c, held);  // a stream left by a dead (or throwing) consumer
        streamed = true;
        continue;  // look again: things moved while we waited
      }
      c.reader_pid = my_pid();
      c.reader_left = len;
      c.writer_record_taken = true;
      c.head.store(head + kHeader, std::memory_order_relaxed);
      bump(c.takes, +1);
      held.wake(c.putters);
      break;
    }
    if (!block || deadline.expired()) return false;
    wait_for_change(held, c.getters, c.tail, deadline, spun);
  }

  // Streaming: copy chunks as the producer writes them, whatever the timeout.
  out.resize(c.reader_left);
  std::uint64_t got = 0;
  while (c.reader_left > 0) {
    const std::uint64_t head = c.head.load(std::memory_order_relaxed);
    const std::uint64_t end = c.stream_lost ? c.lost_end : c.tail.load(std::memory_order_relaxed);
    const std::uint64_t avail = end - head;
    if (avail == 0) {
      if (c.stream_lost) {
        c.stream_lost = false;
        c.reader_pid = 0;
        c.reader_left = 0;
        throw Error("queue get: item lost: its producer died while putting it");
      }
      wait_for_change(held, c.getters, c.tail, Deadline(kPartnerCheckSeconds), spun);
      if (c.writer_pid != 0) check_partner(c, c.writer_role, held, recover_dead_writer);
      continue;
    }
    const std::uint64_t n = std::min(avail, c.reader_left);
    held.release();  // bytes before tail are ours alone while we hold the role
    ring_read(r, c.capacity, head, out.data() + got, n);
    held.acquire();
    c.head.store(head + n, std::memory_order_relaxed);
    c.reader_left -= n;
    got += n;
    held.wake(c.putters);
  }
  c.reader_pid = 0;
  return true;
}

std::size_t ByteQueue::qsize() const noexcept { return control().count(); }
std::size_t ByteQueue::maxsize() const noexcept { return control().maxsize; }
std::size_t ByteQueue::capacity() const noexcept { return control().capacity; }

void ByteQueue::task_done() {
  QueueControl& c = control();
  Held held(c);
  if (c.unfinished == 0) throw ValueError("task_done() called too many times");
  if (--c.unfinished == 0) held.wake(c.joiners);
}

bool ByteQueue::join(Timeout timeout) {
  QueueControl& c = control();
  const Deadline deadline(timeout);
  Held held(c);
  for (;;) {
    if (c.unfinished == 0) return true;
    if (deadline.expired()) return false;
    c.joiners.flag = 1;
    const std::uint32_t seq = c.joiners.seq.load(std::memory_order_relaxed);
    held.release();
    futex_wait(c.joiners.seq, seq, deadline);
    held.acquire();
  }
}

}  // namespace mp::detail
