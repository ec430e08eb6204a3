// mp::Queue, mp::JoinableQueue, mp::SimpleQueue across processes: order,
// Full/Empty, blocking, exactly-once delivery, items bigger than the ring,
// task_done/join, and processes killed in the middle of a get or a put.
// Children report through their exit code; the parent asserts.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "support/proc_watch.hpp"
#include "mp/connection.hpp"
#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/queue.hpp"
#include "mp/shared_memory.hpp"
#include "support/child.hpp"

// A type whose encoding fails, for put() of an item that cannot be encoded.
struct Unencodable {
  int id;
};
template <>
struct mp::Codec<Unencodable> {
  static void encode(const Unencodable& u, std::string&) {
    throw mp::ValueError("cannot encode item " + std::to_string(u.id));
  }
  static Unencodable decode(std::string_view&) { return {0}; }
};

namespace {

using test::finish;
using test::stop_while_sleeping;

// Bytes that depend on the item's id and length, so a cut or mixed-up item
// shows.
std::string pattern(int id, std::size_t len) {
  std::string s(len, '\0');
  for (std::size_t i = 0; i < len; ++i) s[i] = static_cast<char>((id * 131 + i * 7) & 0xFF);
  return s;
}

// A zeroed array of ints in shared memory, bumped atomically by children.
class SharedCounters {
 public:
  explicit SharedCounters(std::size_t n) : mapping_(n * sizeof(int)), n_(n) {}
  void bump(std::size_t i) const { std::atomic_ref<int>(data()[i]).fetch_add(1); }
  int operator[](std::size_t i) const { return std::atomic_ref<int>(data()[i]).load(); }
  std::size_t size() const { return n_; }

 private:
  int* data() const { return static_cast<int*>(mapping_.data()); }
  mp::SharedMapping mapping_;
  std::size_t n_;
};

}  // namespace

TEST_CASE("a Queue hands items out in the order they went in", "[core][queue]") {
  mp::Queue<int> q;
  for (int i = 0; i < 100; ++i) q.put(i);
  int out_of_order = 0;
  for (int i = 0; i < 100; ++i)
    if (q.get() != i) ++out_of_order;
  CHECK(out_of_order == 0);

  // The same through a child producer, with strings of many sizes.
  mp::Queue<std::string> strings;
  mp::Process producer([&strings] {
    for (int i = 0; i < 1000; ++i) strings.put(pattern(i, static_cast<std::size_t>(i % 300)));
  });
  producer.start();
  int wrong = 0;
  for (int i = 0; i < 1000; ++i)
    if (strings.get(true, 30.0) != pattern(i, static_cast<std::size_t>(i % 300))) ++wrong;
  CHECK(wrong == 0);
  CHECK(finish(producer) == 0);
}

TEST_CASE("a full Queue raises Full from put_nowait and from put with a timeout", "[core][queue]") {
  mp::Queue<int> q(3);
  q.put_nowait(1);
  q.put_nowait(2);
  q.put_nowait(3);
  CHECK_THROWS_AS(q.put_nowait(4), mp::Full);
  CHECK_THROWS_WITH(q.put(4, false), Catch::Contains("full") && Catch::Contains("maxsize 3"));
  const double t0 = mp::monotonic_seconds();
  CHECK_THROWS_AS(q.put(4, true, 0.2), mp::Full);
  const double waited = mp::monotonic_seconds() - t0;
  CHECK(waited >= 0.19);
  CHECK(waited < 10.0);
  CHECK(q.qsize() == 3);
  CHECK(q.get() == 1);  // nothing was lost or added by the failed puts
  q.put_nowait(4);
  CHECK(q.get() == 2);
  CHECK(q.get() == 3);
  CHECK(q.get() == 4);
}

TEST_CASE("an empty Queue raises Empty from get_nowait and from get with a timeout", "[core][queue]") {
  mp::Queue<int> q;
  CHECK_THROWS_AS(q.get_nowait(), mp::Empty);
  CHECK_THROWS_AS(q.get(false), mp::Empty);
  const double t0 = mp::monotonic_seconds();
  CHECK_THROWS_AS(q.get(true, 0.2), mp::Empty);
  const double waited = mp::monotonic_seconds() - t0;
  CHECK(waited >= 0.19);
  CHECK(waited < 10.0);
  q.put(9);
  CHECK(q.get_nowait() == 9);
}

TEST_CASE("put blocks while the Queue is full until a consumer gets", "[core][queue]") {
  mp::Queue<int> q(2);
  q.put(1);
  q.put(2);
  auto [from_child, to_parent] = mp::Pipe(false);
  mp::Process producer([&] {
    from_child.close();
    to_parent.send_bytes("putting");
    q.put(3);  // blocks: the queue holds maxsize items
    to_parent.send_bytes("put");
  });
  producer.start();
  to_parent.close();
  CHECK(from_child.recv_bytes() == "putting");
  // The kernel says when the child sleeps in its wait for room.
  REQUIRE(test::wait_until([&] { return test::blocked_in_futex(producer.pid()); }));
  CHECK_FALSE(from_child.poll());  // still blocked: "put" not sent
  CHECK(q.full());
  CHECK(q.get() == 1);  // makes room: the child's put completes
  CHECK(from_child.poll(30.0));
  CHECK(from_child.recv_bytes() == "put");
  CHECK(q.get() == 2);
  CHECK(q.get() == 3);
  CHECK(finish(producer) == 0);
}

TEST_CASE("several producers and consumers deliver every item exactly once", "[core][queue]") {
  int producers = 0, consumers = 0, maxsize = 0;
  std::tie(producers, consumers, maxsize) = GENERATE(table<int, int, int>({
      {1, 1, 0}, {1, 1, 3}, {3, 2, 3}, {2, 4, 1}, {4, 4, 0}, {4, 2, 10}}));
  CAPTURE(producers, consumers, maxsize);
  const int per_producer = 2000;
  const auto total = static_cast<std::size_t>(producers * per_producer);
  SharedCounters seen(total);
  mp::Queue<int> q(static_cast<std::size_t>(maxsize));

  std::vector<mp::Process> children;
  for (int c = 0; c < consumers; ++c)
    children.emplace_back([&q, &seen, producers, per_producer] {
      std::vector<int> last(static_cast<std::size_t>(producers), -1);
      for (;;) {
        const int v = q.get(true, 60.0);  // Empty (exit 1) rather than a hang
        if (v < 0) return;                // one stop sign per consumer
        auto& prev = last[static_cast<std::size_t>(v / per_producer)];
        if (v % per_producer <= prev) throw mp::SystemExit{3};  // one producer's items out of order
        prev = v % per_producer;
        seen.bump(static_cast<std::size_t>(v));
      }
    });
  for (int p = 0; p < producers; ++p)
    children.emplace_back([&q, p, per_producer] {
      for (int i = 0; i < per_producer; ++i) q.put(p * per_producer + i, true, 60.0);
    });
  for (auto& child : children) child.start();
  for (int p = 0; p < producers; ++p) CHECK(finish(children[static_cast<std::size_t>(consumers + p)]) == 0);
  for (int c = 0; c < consumers; ++c) q.put(-1, true, 60.0);
  for (int c = 0; c < consumers; ++c) CHECK(finish(children[static_cast<std::size_t>(c)]) == 0);

  int missing = 0, repeated = 0;
  for (std::size_t i = 0; i < total; ++i) {
    if (seen[i] == 0) ++missing;
    if (seen[i] > 1) ++repeated;
  }
  CHECK(missing == 0);
  CHECK(repeated == 0);
  CHECK(q.empty());
  CHECK(test::no_children_left());
}

TEST_CASE("items put by a process that has exited are still delivered", "[core][queue]") {
  mp::Queue<std::string> q;
  mp::Process producer([&q] {
    for (int i = 0; i < 5; ++i) q.put("item " + std::to_string(i));
  });
  producer.start();
  REQUIRE(finish(producer) == 0);  // gone before anyone reads
  for (int i = 0; i < 5; ++i) CHECK(q.get(true, 5.0) == "item " + std::to_string(i));
  CHECK(q.empty());
}

TEST_CASE("qsize and empty and full count the items", "[core][queue]") {
  mp::Queue<int> q(3);
  CHECK(q.empty());
  CHECK_FALSE(q.full());
  CHECK(q.qsize() == 0);
  CHECK(q.maxsize() == 3);
  q.put(1);
  CHECK_FALSE(q.empty());
  CHECK(q.qsize() == 1);
  q.put(2);
  q.put(3);
  CHECK(q.full());
  CHECK(q.qsize() == 3);
  q.get();
  CHECK_FALSE(q.full());
  CHECK(q.qsize() == 2);

  mp::Queue<int> unbounded;  // maxsize 0: never full by count, as in Python
  for (int i = 0; i < 1000; ++i) unbounded.put(i);
  CHECK_FALSE(unbounded.full());
  CHECK(unbounded.qsize() == 1000);
}

TEST_CASE("a Queue with maxsize 0 takes a long burst before any get", "[core][queue]") {
  mp::Queue<int> q;  // the default ring holds 65536 int records
  for (int i = 0; i < 50000; ++i) q.put_nowait(i);
  CHECK(q.qsize() == 50000);
  int wrong = 0;
  for (int i = 0; i < 50000; ++i)
    if (q.get_nowait() != i) ++wrong;
  CHECK(wrong == 0);
}

TEST_CASE("items bigger than the ring stream through", "[core][queue]") {
  const std::size_t ring = 4096;
  // Around the ring size (a record is an 8-byte length plus the payload),
  // and far beyond it.
  const std::vector<std::size_t> sizes = {10, 4088, 4089, 100000, 0, 5000, std::size_t{1} << 20, 4096, 7};
  using Item = std::pair<int, std::string>;  // (id, payload)

  SECTION("one producer, one consumer: order kept") {
    mp::Queue<Item> q(0, ring);
    mp::Process producer([&] {
      for (std::size_t i = 0; i < sizes.size(); ++i) q.put({static_cast<int>(i), pattern(static_cast<int>(i), sizes[i])});
    });
    producer.start();
    int wrong = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      Item item = q.get(true, 60.0);
      if (item.first != static_cast<int>(i) || item.second != pattern(item.first, sizes[i])) ++wrong;
    }
    CHECK(wrong == 0);
    CHECK(finish(producer) == 0);
  }

  SECTION("two producers, two consumers: every item whole, exactly once") {
    const int producers = 2, consumers = 2;
    const int items = producers * static_cast<int>(sizes.size());
    SharedCounters seen(static_cast<std::size_t>(items));
    mp::Queue<Item> q(0, ring);
    std::vector<mp::Process> children;
    for (int c = 0; c < consumers; ++c)
      children.emplace_back([&] {
        for (;;) {
          Item item = q.get(true, 60.0);
          if (item.first < 0) return;
          const auto size = sizes[static_cast<std::size_t>(item.first) % sizes.size()];
          if (item.second != pattern(item.first, size)) throw mp::SystemExit{3};
          seen.bump(static_cast<std::size_t>(item.first));
        }
      });
    for (int p = 0; p < producers; ++p)
      children.emplace_back([&, p] {
        for (std::size_t i = 0; i < sizes.size(); ++i) {
          const int id = p * static_cast<int>(sizes.size()) + static_cast<int>(i);
          q.put({id, pattern(id, sizes[i])});
        }
      });
    for (auto& child : children) child.start();
    for (int p = 0; p < producers; ++p) CHECK(finish(children[static_cast<std::size_t>(consumers + p)]) == 0);
    for (int c = 0; c < consumers; ++c) q.put({-1, ""});
    for (int c = 0; c < consumers; ++c) CHECK(finish(children[static_cast<std::size_t>(c)]) == 0);
    int not_once = 0;
    for (int i = 0; i < items; ++i)
      if (seen[static_cast<std::size_t>(i)] != 1) ++not_once;
    CHECK(not_once == 0);
    CHECK(q.empty());
  }
}

TEST_CASE("JoinableQueue.join returns once every item is task_done", "[core][queue]") {
  mp::JoinableQueue<int> q;
  CHECK(q.join(0.0));  // nothing put yet: nothing to wait for
  q.put(1);
  CHECK_FALSE(q.join(0.05));  // one task open
  CHECK(q.get() == 1);
  CHECK_FALSE(q.join(0.05));  // taken is not done
  q.task_done();
  q.join();

  const int items = 300, consumers = 2;
  SharedCounters finished(1);
  std::vector<mp::Process> workers;
  for (int c = 0; c < consumers; ++c)
    workers.emplace_back([&q, &finished] {
      for (;;) {
        const int v = q.get(true, 60.0);
        if (v >= 0) finished.bump(0);  // the work, before it is reported done
        q.task_done();
        if (v < 0) return;
      }
    });
  for (auto& w : workers) w.start();
  for (int i = 0; i < items; ++i) q.put(i);
  REQUIRE(q.join(60.0));
  CHECK(finished[0] == items);  // join returned only after all the work
  for (int c = 0; c < consumers; ++c) q.put(-1);
  CHECK(q.join(60.0));
  for (auto& w : workers) CHECK(finish(w) == 0);
}

TEST_CASE("task_done called more often than items were put raises ValueError", "[core][queue]") {
  mp::JoinableQueue<int> q;
  CHECK_THROWS_AS(q.task_done(), mp::ValueError);
  q.put(5);
  q.get();
  q.task_done();
  CHECK_THROWS_WITH(q.task_done(), "task_done() called too many times");
  // Across processes: the count is shared.
  q.put(6);
  mp::Process worker([&q] {
    q.get();
    q.task_done();
    try {
      q.task_done();
    } catch (const mp::ValueError&) {
      throw mp::SystemExit{7};
    }
  });
  worker.start();
  CHECK(finish(worker) == 7);
  CHECK(q.join(5.0));
}

TEST_CASE("a consumer killed while blocked in get does not hang the others", "[core][queue][robust]") {
  mp::Queue<int> q;
  // Two consumers go to sleep in get() and are killed there.
  for (int round = 0; round < 2; ++round) {
    mp::Process victim([&q] { q.get(); });
    victim.start();
    REQUIRE(test::wait_until([&] { return test::blocked_in_futex(victim.pid()); }));
    victim.kill();
    CHECK(finish(victim) == -SIGKILL);
  }
  // The next consumers, each asleep in get() before its item comes, get it.
  for (int v = 7; v < 10; ++v) {
    mp::Process survivor([&q, v] {
      if (q.get(true, 30.0) != v) throw mp::SystemExit{3};
    });
    survivor.start();
    REQUIRE(test::wait_until([&] { return test::blocked_in_futex(survivor.pid()); }));
    q.put(v);
    CHECK(finish(survivor) == 0);
  }
  q.put(10);
  CHECK(q.get(true, 5.0) == 10);
  CHECK(test::no_children_left());
}

TEST_CASE("processes killed at any moment in put or get do not hang the others", "[core][queue][robust]") {
  // Where the kills land is up to the scheduler: inside the mutex, inside a
  // streamed item (every third item is bigger than the ring), or between
  // calls. Whatever they hit, the parent's put and get must work and the
  // count must come out right.
  mp::Queue<std::string> q(0, 4096);
  SharedCounters taken(1);
  for (int round = 0; round < 20; ++round) {
    mp::Process producer([&q] {
      for (int i = 0;; ++i) q.put(std::string(static_cast<std::size_t>(i % 3 == 0 ? 5000 : 100 + i % 50), 'x'));
    });
    mp::Process consumer([&q, &taken] {
      for (;;) {
        try {
          q.get();
          taken.bump(0);
        } catch (const mp::Error&) {
          // the producer was killed first, in the middle of this item
        }
      }
    });
    const int before = taken[0];
    producer.start();
    consumer.start();
    REQUIRE(test::wait_until([&] { return taken[0] >= before + 100 + 37 * round; }));
    if (round % 2 == 0) {
      producer.kill();
      consumer.kill();
    } else {
      consumer.kill();
      producer.kill();
    }
    CHECK(finish(producer) == -SIGKILL);
    CHECK(finish(consumer) == -SIGKILL);
    // Take what the producer left; an item it was still streaming is lost
    // (and reported so) at most once per round.
    int lost = 0, left_over = 0;
    for (;;) {
      try {
        q.get_nowait();
        ++left_over;
      } catch (const mp::Empty&) {
        break;
      } catch (const mp::Error&) {
        ++lost;
      }
      REQUIRE(left_over + lost < 1000);
    }
    CHECK(lost <= 1);
    q.put("mine", true, 10.0);
    CHECK(q.get(true, 10.0) == "mine");
    CHECK(q.qsize() == 0);
    CHECK(q.empty());
  }
}

TEST_CASE("a consumer killed in the middle of a big item: the rest is skipped", "[core][queue][robust]") {
  mp::Queue<std::string> q(0, 4096);
  const std::string big = pattern(1, std::size_t{1} << 20);
  mp::Process producer([&] {
    q.put(big);
    q.put("after");
  });
  producer.start();
  // The producer has begun (the item counts) and waits for room: stop it
  // there, so the consumer below cannot finish the item.
  REQUIRE(test::wait_until([&] { return q.qsize() == 1; }));
  REQUIRE(stop_while_sleeping(producer.pid()));
  mp::Process victim([&q] { q.get(); });
  victim.start();
  REQUIRE(test::wait_until([&] { return q.qsize() == 0; }));  // the victim took the item
  victim.kill();
  CHECK(finish(victim) == -SIGKILL);
  ::kill(producer.pid(), SIGCONT);
  // The producer notices the dead consumer, its remaining bytes are
  // skipped, and the next item is whole.
  CHECK(q.get(true, 30.0) == "after");
  CHECK(finish(producer) == 0);
  q.put("still works");
  CHECK(q.get(true, 5.0) == "still works");
}

TEST_CASE("a producer killed in the middle of a big item does not wreck the queue", "[core][queue][robust]") {
  mp::Queue<std::string> q(0, 4096);
  const std::string big = pattern(2, std::size_t{1} << 20);
  mp::Process producer([&] { q.put(big); });
  producer.start();
  REQUIRE(test::wait_until([&] { return q.qsize() == 1; }));
  REQUIRE(stop_while_sleeping(producer.pid()));

  SECTION("its consumer gets an error") {
    mp::Process consumer([&q] {
      try {
        q.get();
      } catch (const mp::Error&) {
        throw mp::SystemExit{4};  // the item was lost, and said so
      }
    });
    consumer.start();
    REQUIRE(test::wait_until([&] { return q.qsize() == 0; }));
    producer.kill();  // a stopped process dies on SIGKILL too
    CHECK(finish(producer) == -SIGKILL);
    CHECK(finish(consumer) == 4);
  }
  SECTION("no consumer had started: the partial item is dropped") {
    producer.kill();
    CHECK(finish(producer) == -SIGKILL);
    q.put("next", true, 30.0);  // finds the dead producer's role and recovers it
    CHECK(q.qsize() == 1);
    CHECK(q.get(true, 5.0) == "next");
  }
  q.put("later", true, 30.0);
  CHECK(q.get(true, 5.0) == "later");
  CHECK(q.empty());
}

TEST_CASE("a closed Queue refuses put and get in this process", "[core][queue]") {
  mp::Queue<int> q;
  q.put(1);
  q.close();
  CHECK_THROWS_WITH(q.put(2), Catch::Contains("closed"));
  CHECK_THROWS_AS(q.get(), mp::ValueError);
  CHECK(q.qsize() == 1);  // the item stays for other processes
}

TEST_CASE("SimpleQueue passes items between processes", "[core][queue]") {
  mp::SimpleQueue<std::string> q;
  CHECK(q.empty());
  mp::Process producer([&q] {
    q.put("a");
    q.put("");
    q.put("c");
  });
  producer.start();
  CHECK(q.get() == "a");
  CHECK(q.get().empty());
  CHECK(q.get() == "c");
  CHECK(finish(producer) == 0);
  CHECK(q.empty());
  q.close();
  CHECK_THROWS_AS(q.put("x"), mp::OSError);
  CHECK_THROWS_AS(q.get(), mp::OSError);
}

TEST_CASE("put of an item that cannot be encoded throws in the caller and puts nothing", "[core][queue]") {
  mp::Queue<Unencodable> q;
  CHECK_THROWS_WITH(q.put(Unencodable{3}), "cannot encode item 3");
  CHECK(q.qsize() == 0);
  CHECK_THROWS_AS(q.get_nowait(), mp::Empty);
}
