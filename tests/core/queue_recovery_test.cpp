// The queue's recovery from a stream (an item bigger than the ring) that was
// abandoned half-way: by an exception in the consumer, or by a producer that
// died while a consumer read its item and another producer came next.
// Children report through their exit code; the parent asserts.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mp/detail/byte_queue.hpp"
#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/queue.hpp"
#include "support/child.hpp"
#include "support/proc_watch.hpp"

namespace {

// Readable zero bytes without memory behind them (every page is the kernel's
// zero page), for a producer that must stream far more than it has.
class ZeroBytes {
 public:
  explicit ZeroBytes(std::size_t n) : n_(n) {
    void* p = ::mmap(nullptr, n, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap of zero bytes failed");
    p_ = static_cast<const char*>(p);
  }
  ~ZeroBytes() { ::munmap(const_cast<char*>(p_), n_); }
  ZeroBytes(const ZeroBytes&) = delete;
  ZeroBytes& operator=(const ZeroBytes&) = delete;
  const char* data() const { return p_; }

 private:
  const char* p_ = nullptr;
  std::size_t n_;
};

}  // namespace

// Issue 11 item 3: the consumer set reader_pid, then threw (here: the item's
// length is more than a std::string can hold, so resize throws; a bad_alloc
// on a huge item is the same) and left reader_pid set with the reader role
// free. Every later get, get_nowait and get(timeout) spun for ever.
TEST_CASE("a consumer that throws in the middle of a big item leaves the queue usable", "[core][queue][robust]") {
  mp::detail::ByteQueue q(0, 4096);
  const std::size_t too_long = std::string().max_size() + 1;
  ZeroBytes zeros(std::size_t{1} << 30);  // the producer runs far ahead of the kill below
  mp::Process producer([&] {
    q.put(std::string_view(zeros.data(), too_long), true, std::nullopt);  // streams until killed
  });
  producer.start();
  REQUIRE(test::wait_until([&] { return q.qsize() == 1; }));
  std::string out;
  CHECK_THROWS_AS(q.get(out, true, 30.0), std::length_error);
  producer.kill();
  CHECK(test::finish(producer) == -SIGKILL);

  // In a child, so that a hang is a failed test rather than a stuck one.
  const int code = test::run_in_child(
      [&q] {
        std::string item;
        if (q.get(item, false, std::nullopt)) return 2;  // get_nowait: nothing to take
        const double t0 = mp::monotonic_seconds();
        if (q.get(item, true, 0.2)) return 3;  // get(timeout): nothing within 0.2 s
        if (mp::monotonic_seconds() - t0 > 10.0) return 4;
        if (!q.put("after", true, 5.0)) return 5;
        if (!q.get(item, true, 5.0) || item != "after") return 6;
        return 0;
      },
      30.0);
  CHECK(code == 0);  // -SIGKILL: the child hung
  CHECK(q.qsize() == 0);
}

// Issue 11 item 6: producer P1 streams an item bigger than the ring, a
// consumer is reading it, P1 is killed, and producer P2, also with a big
// item, takes over the writer role. P2 recovered the dead stream (marking
// it lost) and then cleared the mark: the consumer got P1's bytes with P2's
// spliced in, and no error.
TEST_CASE("a big item whose producer died is lost and not spliced with the next producer's", "[core][queue][robust]") {
  mp::Queue<std::string> q(0, 4096);
  const std::string first(16 << 10, 'A');
  const std::string second(64 << 10, 'B');
  mp::Process p1([&] { q.put(first); });
  p1.start();
  REQUIRE(test::wait_until([&] { return q.qsize() == 1; }));
  REQUIRE(test::stop_while_sleeping(p1.pid()));  // the ring is full, P1 waits for room
  mp::Process consumer([&q] {
    std::string got;
    try {
      got = q.get();
    } catch (const mp::Error&) {
      throw mp::SystemExit{4};  // the item was lost, and said so
    }
    throw mp::SystemExit{got.find('B') != std::string::npos ? 5 : 6};
  });
  consumer.start();
  REQUIRE(test::wait_until([&] { return q.qsize() == 0; }));  // the consumer took P1's item
  p1.kill();
  CHECK(test::finish(p1) == -SIGKILL);
  mp::Process p2([&] { q.put(second); });
  p2.start();
  CHECK(test::finish(consumer) == 4);  // 5: spliced; 6: whole, which P1 never finished
  CHECK(q.get(true, 30.0) == second);  // the ring is in step: P2's item comes whole
  CHECK(test::finish(p2) == 0);
  q.put("later");
  CHECK(q.get(true, 5.0) == "later");
}

// Issue 11: a producer killed between committing its item and counting it
// in `unfinished` left the count short, and join() could return while an
// item was still unprocessed. Producers are killed at all moments of their
// puts; then every item left is taken and task_done'd: the count must reach
// 0 exactly then (task_done raising early means it was short, join still
// waiting means it was long).
TEST_CASE("a JoinableQueue counts exactly the items of producers killed mid-put", "[core][queue][robust]") {
  constexpr int kRounds = 30, kProducers = 3;
  int short_count = 0, long_count = 0;
  std::size_t items = 0;
  for (int round = 0; round < kRounds; ++round) {
    mp::JoinableQueue<std::string> q(0, 1 << 16);
    std::vector<mp::Process> producers;
    for (int p = 0; p < kProducers; ++p)
      producers.emplace_back([&q] {
        for (;;) q.put(std::string(40, 'x'));
      });
    for (auto& p : producers) p.start();
    const std::size_t at = 20 + static_cast<std::size_t>(round) * 37 % 400;
    REQUIRE(test::wait_until([&] { return q.qsize() >= at; }));
    for (auto& p : producers) p.kill();
    for (auto& p : producers) REQUIRE(test::finish(p, 30.0) == -SIGKILL);
    std::size_t taken = 0;
    try {
      while (!q.empty()) {
        q.get(true, 5.0);
        ++taken;
        q.task_done();
      }
    } catch (const mp::ValueError&) {
      ++short_count;  // more items than unfinished tasks
      continue;
    }
    items += taken;
    if (!q.join(0.0)) ++long_count;
  }
  INFO(kRounds << " rounds, " << items << " items");
  CHECK(short_count == 0);
  CHECK(long_count == 0);
}
