// The core's fork rule (core/FORK_SAFETY.md): whichever thread forks, and
// whatever the other threads of the parent are doing at that moment, the
// child never finds a mutex or a lazy static of mpcore locked or half-made.
// Each test races forks against threads that use that state, many times
// over; a child that hangs is killed after a generous timeout and counted.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "mp/connection.hpp"
#include "mp/errors.hpp"
#include "mp/lock.hpp"
#include "mp/pool.hpp"
#include "mp/process.hpp"
#include "mp/queue.hpp"
#include "support/child.hpp"
#include "support/proc_watch.hpp"

namespace {

// A child that does nothing ends within milliseconds; one still running
// after this long is stuck.
constexpr double kHungAfter = 10.0;

// Calls `body` over and over on another thread until destroyed.
class Hammer {
 public:
  template <class Body>
  explicit Hammer(Body body)
      : thread_([this, body] {
          while (!stop_.load()) {
            body();
            rounds_.fetch_add(1);
          }
        }) {}
  ~Hammer() {
    stop_ = true;
    thread_.join();
  }
  long rounds() const { return rounds_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<long> rounds_{0};
  std::thread thread_;  // last: starts once the members above exist
};

int twice(int x) { return 2 * x; }

// Runs `round` in a fresh process kRounds times (the state a first call
// makes is per process) and checks that every round ended well: `round`
// returns 0, or 3 when a child of its own hung.
template <class Round>
void check_every_round_ends(Round round) {
  constexpr int kRounds = 300;
  int hung = 0, failed = 0;
  for (int i = 0; i < kRounds; ++i) {
    const int code = test::run_in_child(round, 60.0);
    if (code == 3) ++hung;
    else if (code != 0) ++failed;
  }
  INFO(kRounds << " rounds");
  CHECK(hung == 0);
  CHECK(failed == 0);
}

}  // namespace

// Issue 11 item 1: the children registry's mutex was copied into a child
// while another thread held it, and the child's exit path (which reaps the
// child's own children) then waited on it for ever.
TEST_CASE("children started while another thread reads the children registry all end", "[core][fork]") {
  constexpr int kChildren = 300;
  int hung = 0;
  long polls = 0;
  {
    Hammer poller([] { (void)mp::active_children(); });
    for (int i = 0; i < kChildren; ++i) {
      mp::Process p([] {});
      p.start();
      if (!test::join_one(p, kHungAfter)) ++hung;
    }
    polls = poller.rounds();
  }
  INFO(kChildren << " children, " << polls << " registry reads meanwhile");
  CHECK(hung == 0);
  CHECK(polls > 0);
}

TEST_CASE("a Pool that replaces its workers while another thread reads the registry finishes its map", "[core][fork][pool]") {
  std::vector<int> items(200);
  for (int i = 0; i < 200; ++i) items[i] = i;
  mp::Pool pool(2, {}, 1);  // a new worker (a fork by the pool thread) for every task
  Hammer poller([] { (void)mp::active_children(); });
  auto result = pool.map_async(twice, items, 1);
  REQUIRE(result.wait(120.0));  // the old code stopped after a few tasks
  const auto doubled = result.get();
  for (int i = 0; i < 200; ++i) CHECK(doubled[i] == 2 * i);
  pool.close();
  pool.join();
}

// Issue 11 item 2: a thread taking its first lock ran a lazy static's
// initialiser (pthread_atfork inside a function-local static); a fork by
// another thread at that moment gave the child a guard "in progress", and the
// child's first lock waited for ever. Each round is a fresh process (the
// state is per process): one thread takes its first lock while the other
// forks a child that takes a lock too.
TEST_CASE("a fork while another thread takes its first lock gives a child that can lock", "[core][fork]") {
  check_every_round_ends([] {
    mp::Lock lock;
    std::atomic<int> ready{0};
    std::thread first_lock([&] {
      ready.fetch_add(1);
      while (ready.load() < 2) {
      }
      lock.acquire();
      lock.release();
    });
    ready.fetch_add(1);
    while (ready.load() < 2) {
    }
    mp::Process child([&lock] {
      lock.acquire();
      lock.release();
    });
    child.start();
    const bool ended = test::join_one(child, kHungAfter);
    first_lock.join();
    return ended && child.exitcode() == 0 ? 0 : 3;
  });
}

// The same lazy static was in connection.cpp: the first send on a pipe
// registered a pthread_atfork handler inside a function-local static. One
// thread makes the process's first send while another forks a child that
// sends too; the child must deliver its message and end.
TEST_CASE("a fork while another thread sends its first message gives a child that can send", "[core][fork]") {
  check_every_round_ends([] {
    auto [reader, writer] = mp::Pipe(false);
    auto [child_reader, child_writer] = mp::Pipe(false);
    std::atomic<int> ready{0};
    std::thread first_send([&] {
      ready.fetch_add(1);
      while (ready.load() < 2) {
      }
      writer.send_bytes("parent");
    });
    ready.fetch_add(1);
    while (ready.load() < 2) {
    }
    mp::Process child([&child_writer] { child_writer.send_bytes("child"); });
    child.start();
    const bool ended = test::join_one(child, kHungAfter);
    first_send.join();
    const bool delivered = ended && child_reader.poll(0) && child_reader.recv_bytes() == "child";
    return ended && child.exitcode() == 0 && delivered && reader.recv_bytes() == "parent" ? 0 : 3;
  });
}

// The rule under load: three threads start children that use a Lock, a
// Queue and current_process() and start a child of their own, while two
// more threads hammer the registry and the Lock.
TEST_CASE("threads forking under load give children that never hang", "[core][fork]") {
  constexpr int kThreads = 3;
  constexpr int kPerThread = 60;
  mp::Lock lock;
  mp::Queue<int> results;
  std::atomic<int> hung{0}, failed{0};
  long registry_reads = 0, lock_rounds = 0;
  {
    Hammer reader([] { (void)mp::active_children(); });
    Hammer locker([&lock] {
      lock.acquire();
      lock.release();
    });
    std::vector<std::thread> forkers;
    for (int t = 0; t < kThreads; ++t)
      forkers.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          mp::Process p([&, t, i] {
            lock.acquire();
            lock.release();
            mp::Process grandchild([] {});
            grandchild.start();
            if (!grandchild.join(kHungAfter)) throw mp::SystemExit{5};
            if (mp::current_process().name.empty()) throw mp::SystemExit{6};
            results.put(t * kPerThread + i);
          });
          p.start();
          if (!test::join_one(p, kHungAfter)) hung.fetch_add(1);
          else if (p.exitcode() != 0) failed.fetch_add(1);
        }
      });
    for (auto& f : forkers) f.join();
    registry_reads = reader.rounds();
    lock_rounds = locker.rounds();
  }
  std::vector<bool> seen(kThreads * kPerThread, false);
  int delivered = 0;
  while (!results.empty()) {
    seen.at(results.get(true, 5.0)) = true;
    ++delivered;
  }
  INFO(kThreads * kPerThread << " children; " << registry_reads << " registry reads and " << lock_rounds
                             << " lock rounds meanwhile");
  CHECK(hung.load() == 0);
  CHECK(failed.load() == 0);
  CHECK(delivered == kThreads * kPerThread);
  CHECK(test::no_children_left());
}

// The pool's pipe buffers are left out of every fork (MADV_DONTFORK): a
// Process started by the main thread while the pool thread forks workers
// runs and ends normally, and the pool is untouched by it.
TEST_CASE("Processes started while a Pool is busy run normally and leave the Pool whole", "[core][fork][pool]") {
  std::vector<int> items(400);
  for (int i = 0; i < 400; ++i) items[i] = i;
  mp::Pool pool(2, {}, 5);  // replaces its workers (forks) while the map runs
  auto result = pool.map_async(twice, items, 1);
  int failed = 0;
  for (int i = 0; i < 50; ++i) {
    mp::Process p([i] {
      std::vector<int> mine(1000, i);  // allocates and touches its own memory
      if (mine.back() != i) throw mp::SystemExit{3};
    });
    p.start();
    if (test::finish(p, kHungAfter) != 0) ++failed;
  }
  CHECK(failed == 0);
  REQUIRE(result.wait(120.0));
  const auto doubled = result.get();
  for (int i = 0; i < 400; ++i) CHECK(doubled[i] == 2 * i);
  pool.close();
  pool.join();
}
