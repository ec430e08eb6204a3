// Python's Process.close(), sentinel() lifetime and parent_process().
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "mp/errors.hpp"
#include "mp/event.hpp"
#include "mp/process.hpp"
#include "mp/queue.hpp"
#include "support/proc_watch.hpp"

// Issue 11 item 8: the sentinel was closed when join() or is_alive() reaped
// the child, so a saved sentinel named a closed fd and the next open() took
// its number.
TEST_CASE("a sentinel stays open and readable after the child is reaped, until close()", "[core][process]") {
  mp::Process p([] {});
  p.start();
  const int sentinel = p.sentinel();
  REQUIRE(sentinel >= 0);
  CHECK(p.join(30.0));
  CHECK(::fcntl(sentinel, F_GETFD) != -1);  // still open
  mp::UniqueFd next(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  CHECK(next.get() != sentinel);
  pollfd ended{sentinel, POLLIN, 0};
  CHECK(::poll(&ended, 1, 0) == 1);  // and says the child has ended
  CHECK(p.sentinel() == sentinel);
  p.close();
  CHECK(::fcntl(sentinel, F_GETFD) == -1);  // close() released it
}

TEST_CASE("close() of a running process raises and later calls raise", "[core][process]") {
  mp::Event go;
  mp::Process p([&] { go.wait(); });
  CHECK_THROWS_AS(p.sentinel(), mp::ValueError);  // not started
  p.start();
  CHECK_THROWS_AS(p.close(), mp::ValueError);  // still running
  CHECK(p.is_alive());                         // and still usable
  go.set();
  CHECK(test::join_one(p, 30.0));
  p.close();
  p.close();  // again: nothing more to release, no error (as in Python)
  CHECK_THROWS_AS(p.join(), mp::ValueError);
  CHECK_THROWS_AS(p.is_alive(), mp::ValueError);
  CHECK_THROWS_AS(p.exitcode(), mp::ValueError);
  CHECK_THROWS_AS(p.pid(), mp::ValueError);
  CHECK_THROWS_AS(p.sentinel(), mp::ValueError);
  CHECK_THROWS_AS(p.terminate(), mp::ValueError);
  CHECK_THROWS_AS(p.kill(), mp::ValueError);
  CHECK_THROWS_AS(p.start(), mp::ValueError);
  CHECK(!p.name().empty());  // name and daemon stay readable
}

TEST_CASE("a closed process that never started cannot start", "[core][process]") {
  mp::Process p([] {});
  p.close();
  CHECK_THROWS_AS(p.start(), mp::ValueError);
}

TEST_CASE("parent_process is empty in the main process and names the parent in a child", "[core][process]") {
  CHECK_FALSE(mp::parent_process().has_value());
  mp::Queue<std::string> seen;
  mp::Process p([&] {
    auto parent = mp::parent_process();
    if (!parent) throw mp::SystemExit{2};
    seen.put(parent->name() + " " + std::to_string(parent->pid()) + " " + (parent->is_alive() ? "alive" : "dead") +
             " " + (parent->join(0.05) ? "ended" : "running"));
  }, "Child");
  p.start();
  CHECK(test::finish(p, 30.0) == 0);
  CHECK(seen.get(true, 5.0) == mp::current_process().name + " " + std::to_string(::getpid()) + " alive running");
}

TEST_CASE("a grandchild sees its parent end through parent_process", "[core][process]") {
  mp::Queue<int> report;
  mp::Process middle([&] {
    mp::Process grandchild([&] {
      auto parent = mp::parent_process();
      if (!parent || parent->name() != "Middle") throw mp::SystemExit{2};
      report.put(1);  // started: the middle process may leave now
      if (!parent->join(60.0)) throw mp::SystemExit{3};
      report.put(parent->is_alive() ? 4 : 0);
    }, "Grandchild", mp::Daemon::No);
    grandchild.start();
    report.get(true, 30.0);
    ::_exit(0);  // leaves at once, without joining: the grandchild is orphaned
  }, "Middle");
  middle.start();
  CHECK(test::finish(middle, 30.0) == 0);
  CHECK(report.get(true, 60.0) == 0);
}
