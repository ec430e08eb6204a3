// mp::RLock: re-entry, release errors, mutual exclusion across processes,
// and recovery when a holder is SIGKILLed.
#include "mp/rlock.hpp"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "mp/errors.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "mp/unique_fd.hpp"
#include "support/proc_watch.hpp"

TEST_CASE("an RLock may be re-entered by its holder and frees after as many releases", "[core][rlock]") {
  mp::RLock lock;
  CHECK(lock.depth() == 0);
  CHECK_FALSE(lock.is_mine());
  REQUIRE(lock.acquire());
  REQUIRE(lock.acquire(false));      // re-entry never blocks
  REQUIRE(lock.acquire(true, 0.0));
  CHECK(lock.depth() == 3);
  CHECK(lock.is_mine());
  CHECK(lock.holder() == ::getpid());
  lock.release();
  lock.release();
  CHECK(lock.depth() == 1);
  CHECK(lock.is_mine());
  lock.release();
  CHECK(lock.depth() == 0);
  CHECK(lock.holder() == 0);
  CHECK_THROWS_AS(lock.release(), mp::StateError);
  {
    std::lock_guard outer(lock);
    std::lock_guard inner(lock);
    CHECK(lock.depth() == 2);
  }
  CHECK(lock.depth() == 0);
}

TEST_CASE("another process can neither take nor release a held RLock", "[core][rlock]") {
  mp::RLock lock;
  lock.acquire();
  lock.acquire();
  lock.release();  // still held at depth 1
  // Exit codes: 0 all as expected, 2 acquired a held lock, 3 release allowed.
  mp::Process other([&lock] {
    if (lock.acquire(false) || lock.acquire(true, 0.05)) throw mp::SystemExit{2};
    try {
      lock.release();
    } catch (const mp::StateError&) {
      return;
    }
    throw mp::SystemExit{3};
  });
  other.start();
  REQUIRE(test::join_one(other));
  CHECK(other.exitcode() == 0);
  CHECK(lock.depth() == 1);
  lock.release();
}

TEST_CASE("an RLock makes nested read-modify-write exact across processes", "[core][rlock]") {
  mp::RLock lock;
  mp::Shared<long> counter(0L);
  long* value = counter.get();
  const int procs = 4, rounds = 10000;
  std::vector<mp::Process> ps;
  for (int i = 0; i < procs; ++i)
    ps.emplace_back([&lock, value] {
      for (int k = 0; k < rounds; ++k) {
        std::lock_guard outer(lock);
        std::lock_guard inner(lock);  // re-entry inside the critical section
        long v = *value;
        *value = v + 1;
      }
    });
  for (auto& p : ps) p.start();
  REQUIRE(test::join_all(ps));
  for (auto& p : ps) CHECK(p.exitcode() == 0);
  CHECK(*value == procs * rounds);
}

namespace {
// Owner-death reports seen by this process (the parent: tests run in one thread).
std::string reported_kind;
pid_t reported_pid = 0;
void record_owner_death(const char* kind, pid_t pid) {
  reported_kind = kind;
  reported_pid = pid;
}
}  // namespace

TEST_CASE("an RLock whose holder is SIGKILLed at depth 2 is recovered", "[core][rlock][robust]") {
  mp::RLock lock;
  auto [r, w] = mp::make_pipe();
  int ready_fd = w.get();
  mp::Process victim([&lock, ready_fd] {
    lock.acquire();
    lock.acquire();
    mp::write_all(ready_fd, "h", 1);
    for (;;) ::pause();  // hold the lock until killed
  });
  victim.start();
  char c;
  REQUIRE(mp::read_exact(r.get(), &c, 1));
  CHECK(lock.holder() == victim.pid());
  CHECK_FALSE(lock.acquire(false));
  victim.kill();
  REQUIRE(test::join_one(victim));
  CHECK(victim.exitcode() == -SIGKILL);

  reported_pid = 0;
  mp::set_owner_death_handler(record_owner_death);
  const bool acquired = lock.acquire(true, 10.0);
  mp::set_owner_death_handler(nullptr);
  REQUIRE(acquired);
  CHECK(lock.recovered_from() == victim.pid());
  CHECK(reported_kind == "RLock");
  CHECK(reported_pid == victim.pid());
  CHECK(lock.depth() == 1);  // the dead holder's depth is gone
  lock.release();
  CHECK(lock.depth() == 0);
  REQUIRE(lock.acquire(true, 10.0));
  CHECK(lock.recovered_from() == 0);
  lock.release();
}
