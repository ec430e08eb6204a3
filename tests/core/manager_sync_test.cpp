// The Manager's Value, Queue, Lock, RLock, Event and Semaphore proxies, used
// from real processes: Python's names and errors, blocking calls that block
// only their caller and honour their timeouts, and a client killed while it
// holds a managed Lock (or waits in a get) leaving the others able to go on.
#include <signal.h>

#include <cmath>
#include <catch2/catch.hpp>
#include <limits>
#include <string>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/event.hpp"
#include "mp/manager.hpp"
#include "mp/process.hpp"

using nlohmann::json;

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// A child's exit code, after at most `timeout_s` (then it is killed).
int exit_code_of(mp::Process& p, double timeout_s = 60.0) {
  if (!p.join(timeout_s)) {
    p.kill();
    p.join();
  }
  return p.exitcode().value_or(-1000);
}

template <typename E, typename F>
std::string error_text_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace

TEST_CASE("a managed Value is read and written by every process", "[core][manager][manager-sync]") {
  mp::Manager manager;
  mp::ValueProxy v = manager.Value("i", 7);
  CHECK(v.get() == 7);
  mp::Process child([v] { v.set(v.get().get<int>() * 6); });
  child.start();
  CHECK(exit_code_of(child) == 0);
  CHECK(v.get() == 42);
  v.set("any JSON");  // Python's typecode is not checked either
  CHECK(v.get() == "any JSON");
}

TEST_CASE("a managed Queue passes items in order between processes", "[core][manager][manager-sync]") {
  mp::Manager manager;
  mp::QueueProxy q = manager.Queue();
  mp::Process producer([q] {
    for (int i = 0; i < 100; ++i) q.put(i);
    q.put("done");
  });
  producer.start();
  std::vector<int> got;
  for (json item = q.get(); item != "done"; item = q.get()) got.push_back(item.get<int>());
  CHECK(exit_code_of(producer) == 0);
  REQUIRE(got.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(got[static_cast<std::size_t>(i)] == i);
  CHECK(q.empty());
  CHECK(q.qsize() == 0);
}

TEST_CASE("a managed Queue says Full and Empty as Python's queue does", "[core][manager][manager-sync]") {
  mp::Manager manager;
  mp::QueueProxy q = manager.Queue(2);
  CHECK(error_text_of<mp::Empty>([&] { q.get_nowait(); }) == "get: queue is empty");
  CHECK_THROWS_AS(q.get(true, 0.05), mp::Empty);
  q.put(1);
  q.put_nowait(2);
  CHECK(q.full());
  CHECK(q.qsize() == 2);
  CHECK(error_text_of<mp::Full>([&] { q.put_nowait(3); }) == "put: queue is full (maxsize 2)");
  CHECK_THROWS_AS(q.put(3, true, 0.05), mp::Full);
  CHECK_THROWS_AS(q.put(3, true, -1.0), mp::Full);  // a negative timeout counts as 0
  CHECK(q.get() == 1);
  CHECK(q.get(false) == 2);
  // A maxsize of 0 or less is no limit, as in Python.
  mp::QueueProxy unbounded = manager.Queue(-1);
  for (int i = 0; i < 1000; ++i) unbounded.put_nowait(i);
  CHECK_FALSE(unbounded.full());
  CHECK(unbounded.qsize() == 1000);
}

TEST_CASE("a get blocked in one process waits for a put and blocks no other client", "[core][manager][manager-sync]") {
  mp::Manager manager;
  mp::QueueProxy q = manager.Queue();
  mp::DictProxy d = manager.dict();
  mp::Event about_to_get;
  mp::Process consumer([q, &about_to_get] {
    about_to_get.set();
    if (q.get() != "item") throw mp::SystemExit{3};
  });
  consumer.start();
  REQUIRE(about_to_get.wait(60.0));
  // The consumer waits in the server on its own thread: others go on.
  for (int i = 0; i < 50; ++i) d.set("k" + std::to_string(i), i);
  CHECK(d.size() == 50);
  CHECK(q.qsize() == 0);
  q.put("item");
  CHECK(exit_code_of(consumer) == 0);
  CHECK(q.empty());
}

TEST_CASE("blocking calls of the managed objects honour their timeouts", "[core][manager][manager-sync]") {
  mp::Manager manager;
  mp::QueueProxy q = manager.Queue(1);
  mp::LockProxy lock = manager.Lock();
  mp::RLockProxy rlock = manager.RLock();
  mp::EventProxy event = manager.Event();
  mp::SemaphoreProxy sem = manager.Semaphore(0);
  // Another process holds both locks, so this one waits for them.
  mp::Event held, done;
  mp::Process holder([lock, rlock, &held, &done] {
    lock.acquire();
    rlock.acquire();
    held.set();
    done.wait();
    rlock.release();
  });
  holder.start();
  REQUIRE(held.wait(60.0));
  const double timeout = 0.2;
  auto took = [](auto&& call) {
    const double start = mp::monotonic_seconds();
    call();
    return mp::monotonic_seconds() - start;
  };
  // Each returns "no" after its timeout: not before, and not much after
  // (the margin is wide: the machine may be loaded).
  for (double t : {took([&] { CHECK_THROWS_AS(q.get(true, timeout), mp::Empty); }),
                   took([&] { CHECK_FALSE(lock.acquire(true, timeout)); }),
                   took([&] { CHECK_FALSE(rlock.acquire(true, timeout)); }),
                   took([&] { CHECK_FALSE(event.wait(timeout)); }),
                   took([&] { CHECK_FALSE(sem.acquire(true, timeout)); })}) {
    CHECK(t >= timeout);
    CHECK(t < timeout + 20.0);
  }
  q.put(1);
  CHECK(took([&] { CHECK_THROWS_AS(q.put(2, true, timeout), mp::Full); }) >= timeout);
  // Without blocking, the answer is at once, whatever the timeout says.
  CHECK_FALSE(lock.acquire(false, 1e9));
  CHECK_FALSE(sem.acquire(false));
  done.set();
  CHECK(exit_code_of(holder) == 0);
  // An infinite or huge timeout waits "for ever", which here is no time at
  // all: the Lock is free (its holder ended) and the Event is set.
  CHECK(lock.acquire(true, kInfinity));
  lock.release();
  CHECK(lock.acquire(true, 1e19));
  lock.release();
  event.set();
  CHECK(event.wait(kInfinity));
  CHECK(event.wait(std::nan("")));  // NaN counts as 0, and the Event is set
}

TEST_CASE("processes counting under a managed Lock lose no update", "[core][manager][manager-sync]") {
  mp::Manager manager;
  mp::LockProxy lock = manager.Lock();
  mp::ValueProxy count = manager.Value("i", 0);
  const int procs = 4, rounds = 50;
  std::vector<mp::Process> ps;
  for (int i = 0; i < procs; ++i)
    ps.emplace_back([lock, count] {
      for (int k = 0; k < rounds; ++k) {
        std::lock_guard guard(lock);
        count.set(count.get().get<int>() + 1);  // a get and a set: safe only under the lock
      }
    });
  for (auto& p : ps) p.start();
  for (auto& p : ps) CHECK(exit_code_of(p) == 0);
  CHECK(count.get() == procs * rounds);
}

TEST_CASE("a managed Lock and RLock raise where Python's do", "[core][manager][manager-sync]") {
  mp::Manager manager;
  mp::LockProxy lock = manager.Lock();
  CHECK(error_text_of<mp::StateError>([&] { lock.release(); }) == "release unlocked lock");
  CHECK(lock.acquire());
  CHECK_FALSE(lock.acquire(false));  // not re-entrant
  // Any client may release a Lock (threading.Lock is not owned).
  mp::Process releaser([lock] { lock.release(); });
  releaser.start();
  CHECK(exit_code_of(releaser) == 0);
  CHECK(lock.acquire(false));
  lock.release();

  mp::RLockProxy rlock = manager.RLock();
  CHECK(error_text_of<mp::StateError>([&] { rlock.release(); }) == "cannot release un-acquired lock");
  CHECK(rlock.acquire());
  CHECK(rlock.acquire());  // re-entrant for its holder
  // Another process can neither take it nor release it.
  mp::Process other([rlock] {
    if (rlock.acquire(false)) throw mp::SystemExit{3};
    try {
      rlock.release();
    } catch (const mp::StateError&) {
      throw mp::SystemExit{0};
    }
    throw mp::SystemExit{4};
  });
  other.start();
  CHECK(exit_code_of(other) == 0);
  rlock.release();
  CHECK(rlock.acquire(false));  // still ours: one release left
  rlock.release();
  rlock.release();
  mp::Process taker([rlock] {
    if (!rlock.acquire(false)) throw mp::SystemExit{3};
    rlock.release();
  });
  taker.start();
  CHECK(exit_code_of(taker) == 0);
}

TEST_CASE("a managed Event wakes a process waiting on it", "[core][manager][manager-sync]") {
  mp::Manager manager;
  mp::EventProxy event = manager.Event();
  CHECK_FALSE(event.is_set());
  mp::Event waiting;
  mp::Process waiter([event, &waiting] {
    waiting.set();
    if (!event.wait()) throw mp::SystemExit{3};
  });
  waiter.start();
  REQUIRE(waiting.wait(60.0));
  event.set();
  CHECK(exit_code_of(waiter) == 0);
  CHECK(event.is_set());
  event.clear();
  CHECK_FALSE(event.is_set());
  CHECK_FALSE(event.wait(0.0));
}

TEST_CASE("a managed Semaphore counts and a BoundedSemaphore refuses an extra release", "[core][manager][manager-sync]") {
  mp::Manager manager;
  CHECK(error_text_of<mp::ValueError>([&] { manager.Semaphore(-1); }) == "semaphore initial value must be >= 0");
  mp::SemaphoreProxy sem = manager.Semaphore(2);
  CHECK(sem.acquire());
  CHECK(sem.acquire());
  CHECK_FALSE(sem.acquire(false));
  CHECK(sem.get_value() == 0);
  sem.release();
  sem.release();
  sem.release();  // a plain Semaphore may go past its start
  CHECK(sem.get_value() == 3);

  mp::SemaphoreProxy bounded = manager.BoundedSemaphore(1);
  CHECK(error_text_of<mp::ValueError>([&] { bounded.release(); }) == "Semaphore released too many times");
  CHECK(bounded.acquire());
  // A process blocked in acquire gets the count the parent gives back.
  mp::Event waiting;
  mp::Process waiter([bounded, &waiting] {
    waiting.set();
    if (!bounded.acquire()) throw mp::SystemExit{3};
  });
  waiter.start();
  REQUIRE(waiting.wait(60.0));
  bounded.release();
  CHECK(exit_code_of(waiter) == 0);
  CHECK(bounded.get_value() == 0);
}

// A client killed while it holds a manager Lock: its connection closes, the
// server releases the Lock, and the process waiting for it gets it. Without
// that, the waiter (and every later client) would wait for ever.
TEST_CASE("a process killed while holding a managed Lock does not wedge the others", "[core][manager][manager-sync]") {
  mp::Manager manager;
  mp::LockProxy lock = manager.Lock();
  mp::RLockProxy rlock = manager.RLock();
  mp::Event holding, never;
  mp::Process holder([lock, rlock, &holding, &never] {
    lock.acquire();
    rlock.acquire();
    rlock.acquire();
    holding.set();
    never.wait();  // holds both until killed
  });
  holder.start();
  REQUIRE(holding.wait(60.0));
  mp::Event waiting;
  mp::Process waiter([lock, &waiting] {
    waiting.set();
    if (!lock.acquire(true, 60.0)) throw mp::SystemExit{3};
    lock.release();
  });
  waiter.start();
  REQUIRE(waiting.wait(60.0));
  CHECK_FALSE(lock.acquire(false));
  holder.kill();
  holder.join();
  CHECK(holder.exitcode() == -SIGKILL);
  CHECK(exit_code_of(waiter) == 0);  // got the Lock once the holder died
  CHECK(lock.acquire(true, 60.0));
  lock.release();
  CHECK(rlock.acquire(true, 60.0));  // the RLock too, however deep it was held
  rlock.release();
  CHECK_THROWS_AS(rlock.release(), mp::StateError);
}

// A client killed while it waits takes nothing: the item put after its
// death stays in the queue, and the count stays in the semaphore.
TEST_CASE("a process killed while waiting in get or acquire takes nothing", "[core][manager][manager-sync]") {
  mp::Manager manager;
  mp::QueueProxy q = manager.Queue();
  mp::SemaphoreProxy sem = manager.Semaphore(0);
  mp::Event waiting;
  std::vector<mp::Process> waiters;
  waiters.emplace_back([q, &waiting] {
    waiting.set();
    (void)q.get();
    throw mp::SystemExit{3};
  });
  waiters.emplace_back([sem, &waiting] {
    waiting.set();
    (void)sem.acquire();
    throw mp::SystemExit{3};
  });
  for (auto& w : waiters) {
    waiting.clear();
    w.start();
    REQUIRE(waiting.wait(60.0));
  }
  for (auto& w : waiters) {
    w.kill();
    w.join();
    CHECK(w.exitcode() == -SIGKILL);
  }
  q.put("kept");
  sem.release();
  CHECK(q.get(true, 60.0) == "kept");
  CHECK(sem.acquire(true, 60.0));
}
