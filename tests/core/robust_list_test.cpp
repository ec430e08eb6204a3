// mp's robust mutexes are linked on the same per-thread robust list as
// glibc's own (core/src/robust_list.hpp): whatever order a thread takes and
// lets go of both kinds in, the kernel must find every one it still holds
// when it dies, and none that it let go of.
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <ctime>
#include <thread>

#include "mp/lock.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "support/proc_watch.hpp"

namespace {

struct GlibcRobustPair {
  pthread_mutex_t a;
  pthread_mutex_t c;
};

void init_robust(pthread_mutex_t* m) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  REQUIRE(pthread_mutex_init(m, &attr) == 0);
  pthread_mutexattr_destroy(&attr);
}

// pthread_mutex_timedlock with a 10 s limit: a lock the kernel failed to
// free fails the test instead of hanging it.
int lock_within_10s(pthread_mutex_t* m) {
  timespec at;
  ::clock_gettime(CLOCK_REALTIME, &at);
  at.tv_sec += 10;
  return pthread_mutex_timedlock(m, &at);
}

}  // namespace

TEST_CASE("a process dying with glibc and mp robust mutexes mixed on its list frees exactly those it held",
          "[core][lock][robust]") {
  mp::Shared<GlibcRobustPair> glibc;
  init_robust(&glibc->a);
  init_robust(&glibc->c);
  mp::Lock b, d;
  mp::Process victim([&] {
    // Taken in turns, so that each kind is linked between two of the other
    // and unlinked from the middle of the list.
    if (pthread_mutex_lock(&glibc->a) != 0) ::_exit(2);
    b.acquire();
    if (pthread_mutex_lock(&glibc->c) != 0) ::_exit(2);
    d.acquire();
    b.release();
    if (pthread_mutex_unlock(&glibc->c) != 0) ::_exit(2);
    b.acquire();
    ::_exit(0);  // dies holding a, b and d; c was let go
  });
  victim.start();
  REQUIRE(test::join_one(victim));
  REQUIRE(victim.exitcode() == 0);

  CHECK(lock_within_10s(&glibc->a) == EOWNERDEAD);
  pthread_mutex_consistent(&glibc->a);
  pthread_mutex_unlock(&glibc->a);
  REQUIRE(b.acquire(true, 10.0));
  CHECK(b.recovered());
  CHECK(b.recovered_from() == victim.pid());
  b.release();
  CHECK(lock_within_10s(&glibc->c) == 0);  // let go before the death: an ordinary lock
  pthread_mutex_unlock(&glibc->c);
  REQUIRE(d.acquire(true, 10.0));
  CHECK(d.recovered());
  d.release();
}

TEST_CASE("each thread links its Locks on its own robust list", "[core][lock][robust]") {
  // A Lock taken by a second thread must go on that thread's list: the
  // kernel frees it when the thread ends, and frees the main thread's own
  // when the process ends, each for the tid that held it.
  mp::Lock by_main, by_thread;
  mp::Process victim([&] {
    by_main.acquire();
    std::thread([&] { by_thread.acquire(); }).join();  // ends holding it
    ::_exit(0);                                          // dies holding by_main
  });
  victim.start();
  REQUIRE(test::join_one(victim));
  REQUIRE(victim.exitcode() == 0);
  REQUIRE(by_thread.acquire(true, 10.0));
  CHECK(by_thread.recovered());
  by_thread.release();
  REQUIRE(by_main.acquire(true, 10.0));
  CHECK(by_main.recovered());
  CHECK(by_main.recovered_from() == victim.pid());
  by_main.release();
}
