// mp::Lock: mutual exclusion across processes, timeouts, errors, and
// recovery when a holder is SIGKILLed.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <mutex>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "mp/unique_fd.hpp"
#include "support/proc_watch.hpp"

TEST_CASE("a Lock makes read-modify-write exact across processes", "[core][lock]") {
  mp::Lock lock;
  mp::Shared<long> counter(0L);
  long* value = counter.get();
  const int procs = 4, rounds = 20000;
  std::vector<mp::Process> ps;
  for (int i = 0; i < procs; ++i)
    ps.emplace_back([&lock, value] {
      for (int k = 0; k < rounds; ++k) {
        std::lock_guard guard(lock);
        long v = *value;  // a deliberate read ... write, unsafe without the lock
        *value = v + 1;
      }
    });
  for (auto& p : ps) p.start();
  for (auto& p : ps) p.join();
  for (auto& p : ps) CHECK(p.exitcode() == 0);
  CHECK(*value == procs * rounds);
}

TEST_CASE("acquire with block=false or a timeout fails while another process holds it", "[core][lock]") {
  mp::Lock lock;
  auto [r, w] = mp::make_pipe();
  auto [r2, w2] = mp::make_pipe();
  int release_fd = r.get(), ready_fd = w2.get();
  mp::Process holder([&lock, release_fd, ready_fd] {
    lock.acquire();
    char c = 'x';
    mp::write_all(ready_fd, &c, 1);
    (void)::read(release_fd, &c, 1);  // hold until the parent says so
    lock.release();
  });
  holder.start();
  char c;
  REQUIRE(mp::read_exact(r2.get(), &c, 1));
  CHECK(lock.holder() == holder.pid());
  CHECK_FALSE(lock.acquire(false));
  const double t0 = mp::monotonic_seconds();
  CHECK_FALSE(lock.acquire(true, 0.2));
  CHECK(mp::monotonic_seconds() - t0 >= 0.19);
  mp::write_all(w.get(), "g", 1);
  CHECK(lock.acquire(true, 30.0));
  lock.release();
  holder.join();
  CHECK(holder.exitcode() == 0);
}

TEST_CASE("acquiring a Lock twice in one process deadlocks (seen with a timeout)", "[core][lock]") {
  mp::Lock lock;
  REQUIRE(lock.acquire());
  CHECK_FALSE(lock.acquire(true, 0.1));
  lock.release();
}

TEST_CASE("releasing an unlocked Lock, or another's, is an error", "[core][lock]") {
  mp::Lock lock;
  CHECK_THROWS_AS(lock.release(), mp::StateError);
  lock.acquire();
  // A child that tries to release the parent's lock is refused (exit 3).
  mp::Process other([&lock] {
    try {
      lock.release();
    } catch (const mp::StateError&) {
      throw mp::SystemExit{3};
    }
  });
  other.start();
  other.join();
  CHECK(other.exitcode() == 3);
  lock.release();
}

TEST_CASE("a holder killed by SIGKILL does not hang the others", "[core][lock][robust]") {
  mp::Lock lock;
  auto [r, w] = mp::make_pipe();
  int ready_fd = w.get();
  mp::Process victim([&lock, ready_fd] {
    lock.acquire();
    mp::write_all(ready_fd, "h", 1);
    for (;;) ::pause();  // hold the lock until killed
  });
  victim.start();
  char c;
  REQUIRE(mp::read_exact(r.get(), &c, 1));
  victim.kill();
  victim.join();
  CHECK(victim.exitcode() == -SIGKILL);
  REQUIRE(lock.acquire(true, 10.0));
  CHECK(lock.recovered());
  CHECK(lock.recovered_from() == victim.pid());
  lock.release();
  // The lock is in order again: the next acquire is ordinary.
  REQUIRE(lock.acquire(true, 10.0));
  CHECK_FALSE(lock.recovered());
  CHECK(lock.recovered_from() == 0);
  lock.release();
}

// Issue 11: a holder killed after taking the mutex and before writing its
// pid (or after clearing its pid and before letting go) was recovered as
// "dead pid 0", which read as "no death". The child here takes the mutex
// underneath the Lock, as a holder killed in that instant would have, and
// dies: the death is reported, with the pid unknown.
TEST_CASE("a holder that dies before its pid is written is still reported", "[core][lock][robust]") {
  mp::Lock lock;
  mp::Process victim([&lock] {
    if (pthread_mutex_lock(&lock.native().mutex) != 0) throw mp::SystemExit{2};
    ::_exit(0);  // dies holding it, holder_pid never written
  });
  victim.start();
  REQUIRE(test::join_one(victim));
  REQUIRE(victim.exitcode() == 0);
  REQUIRE(lock.acquire(true, 10.0));
  CHECK(lock.recovered());
  CHECK(lock.recovered_from() == 0);  // unknown, and not the previous holder's pid
  lock.release();
  REQUIRE(lock.acquire(true, 10.0));
  CHECK_FALSE(lock.recovered());
  lock.release();
}
