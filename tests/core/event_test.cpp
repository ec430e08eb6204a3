// mp::Event: set/clear/is_set, wait with and without timeout, across
// processes.
#include "mp/event.hpp"

#include <catch2/catch.hpp>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "support/proc_watch.hpp"

TEST_CASE("an Event starts clear and follows set and clear", "[core][event]") {
  mp::Event event;
  CHECK_FALSE(event.is_set());
  const double t0 = mp::monotonic_seconds();
  CHECK_FALSE(event.wait(0.2));
  const double waited = mp::monotonic_seconds() - t0;
  CHECK(waited >= 0.19);
  CHECK(waited < 5.0);
  event.set();
  CHECK(event.is_set());
  CHECK(event.wait());
  CHECK(event.wait(0.0));
  event.set();  // setting a set event changes nothing
  CHECK(event.is_set());
  event.clear();
  CHECK_FALSE(event.is_set());
  CHECK_FALSE(event.wait(0.0));
}

TEST_CASE("one set() releases every process waiting on an Event", "[core][event]") {
  mp::Event event;
  const int waiters = 3;
  std::vector<mp::Process> ps;
  // Exit codes: 0 released by the set, 2 timed out, 3 flag not set on return.
  for (int i = 0; i < waiters; ++i)
    ps.emplace_back([&event] {
      if (!event.wait(30.0)) throw mp::SystemExit{2};
      if (!event.is_set()) throw mp::SystemExit{3};
    });
  for (auto& p : ps) p.start();
  for (auto& p : ps)
    REQUIRE(test::wait_until([&] { return test::blocked_in_futex(p.pid()); }));
  event.set();
  REQUIRE(test::join_all(ps));
  for (auto& p : ps) CHECK(p.exitcode() == 0);
}

TEST_CASE("a child's set() releases the parent's wait", "[core][event]") {
  mp::Event go, done;
  mp::Process child([&go, &done] {
    if (!go.wait(30.0)) throw mp::SystemExit{2};
    done.set();
  });
  child.start();
  CHECK_FALSE(done.wait(0.05));  // nothing happens before go
  go.set();
  CHECK(done.wait(30.0));
  REQUIRE(test::join_one(child));
  CHECK(child.exitcode() == 0);
}

TEST_CASE("a wait in a child times out while nobody sets the Event", "[core][event]") {
  mp::Event event;
  // Exit codes: 0 timed out after about 0.2 s, 2 returned true, 3 too early, 4 far too late.
  mp::Process child([&event] {
    const double t0 = mp::monotonic_seconds();
    if (event.wait(0.2)) throw mp::SystemExit{2};
    const double waited = mp::monotonic_seconds() - t0;
    if (waited < 0.19) throw mp::SystemExit{3};
    if (waited > 10.0) throw mp::SystemExit{4};
  });
  child.start();
  REQUIRE(test::join_one(child));
  CHECK(child.exitcode() == 0);
  CHECK_FALSE(event.is_set());
}

TEST_CASE("a set() followed at once by clear() still releases a sleeping waiter", "[core][event]") {
  mp::Event event;
  // Exit codes: 0 wait returned true, 2 it returned false.
  mp::Process child([&event] {
    if (!event.wait(30.0)) throw mp::SystemExit{2};
  });
  child.start();
  REQUIRE(test::wait_until([&] { return test::blocked_in_futex(child.pid()); }));
  event.set();
  event.clear();  // most likely before the child even runs again
  REQUIRE(test::join_one(child));
  CHECK(child.exitcode() == 0);
  CHECK_FALSE(event.is_set());
}
