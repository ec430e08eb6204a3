// mp::Manager: a server process holding dicts, lists and Namespaces; proxies
// used from many processes and threads; errors that cross the connection;
// the server's end with its manager, and what is left afterwards (nothing).
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/lock.hpp"
#include "mp/manager.hpp"
#include "mp/process.hpp"
#include "mp/unique_fd.hpp"
#include "support/child.hpp"

using nlohmann::json;

namespace {

// Joins every process within `timeout_s` in all; the ones still running then
// are killed (and the test fails on their exit code).
std::vector<int> join_all(std::vector<mp::Process>& procs, double timeout_s = 60.0) {
  mp::Deadline deadline(timeout_s);
  std::vector<int> codes;
  for (auto& p : procs) {
    if (!p.join(deadline.remaining())) {
      p.kill();
      p.join();
    }
    codes.push_back(p.exitcode().value_or(-1000));
  }
  return codes;
}

std::size_t open_fd_count() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// A pidfd for any process (not only our children), to see when it ends.
mp::UniqueFd pidfd_of(pid_t pid) { return mp::UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

// True when the process behind `pidfd` ends within `timeout_s`.
bool ends_within(const mp::UniqueFd& pidfd, double timeout_s) {
  pollfd p{pidfd.get(), POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout_s * 1000)) == 1;
}

template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace

TEST_CASE("a managed dict behaves like Python's dict", "[core][manager]") {
  mp::Manager manager;
  mp::DictProxy d = manager.dict({{"b", 2}, {"a", 1}});
  CHECK(d.size() == 2);
  CHECK(d.get("a") == 1);
  d.set("c", json::array({1, 2}));
  d.set("b", 20);  // an existing key keeps its place
  CHECK(d.keys() == std::vector<std::string>{"a", "b", "c"});
  CHECK(d.get("b") == 20);
  CHECK(d.contains("c"));
  CHECK_FALSE(d.contains("z"));
  CHECK(d.get("z", "fallback") == "fallback");
  CHECK(d.setdefault("z", 26) == 26);
  CHECK(d.setdefault("z", 0) == 26);
  CHECK(d.pop("z") == 26);
  CHECK(d.pop("z", nullptr).is_null());
  d.update({{"d", 4}, {"a", 10}});
  auto items = d.items();
  REQUIRE(items.size() == 4);
  CHECK(items[0] == std::pair<std::string, json>{"a", 10});
  CHECK(items[3] == std::pair<std::string, json>{"d", 4});
  CHECK(d.copy() == json({{"a", 10}, {"b", 20}, {"c", {1, 2}}, {"d", 4}}));
  d.erase("a");
  CHECK(d.keys() == std::vector<std::string>{"b", "c", "d"});
  d.clear();
  CHECK(d.size() == 0);

  SECTION("a missing key is a KeyError naming it") {
    CHECK(message_of<mp::KeyError>([&] { d.get("nope"); }) == "dict has no key 'nope'");
    CHECK_THROWS_AS(d.erase("nope"), mp::KeyError);
    CHECK_THROWS_AS(d.pop("nope"), mp::KeyError);
  }
  SECTION("update needs an object") { CHECK_THROWS_AS(d.update(json::array({1})), mp::ValueError); }
  SECTION("two dicts of one manager are separate objects") {
    mp::DictProxy other = manager.dict();
    other.set("x", 1);
    CHECK_FALSE(d.contains("x"));
    CHECK(other.id() != d.id());
  }
}

TEST_CASE("a managed list behaves like Python's list", "[core][manager]") {
  mp::Manager manager;
  mp::ListProxy l = manager.list({1, 2, 3});
  l.append("four");
  l.extend({5, 6});
  CHECK(l.size() == 6);
  CHECK(l.get(0) == 1);
  CHECK(l.get(-1) == 6);
  l.set(-3, 4);
  CHECK(l.get(3) == 4);
  l.insert(0, 0);
  l.insert(100, 7);   // past the end: appended
  l.insert(-100, -1);  // before the start: first
  CHECK(l.copy() == json({-1, 0, 1, 2, 3, 4, 5, 6, 7}));
  CHECK(l.pop() == 7);
  CHECK(l.pop(0) == -1);
  l.erase(-1);
  l.append(2);
  CHECK(l.count(2) == 2);
  CHECK(l.index(2) == 2);
  l.remove(2);  // the first one only
  CHECK(l.copy() == json({0, 1, 3, 4, 5, 2}));

  SECTION("a bad index is an IndexError with Python's message") {
    CHECK(message_of<mp::IndexError>([&] { l.get(6); }) == "list index out of range");
    CHECK_THROWS_AS(l.get(-7), mp::IndexError);
    CHECK_THROWS_AS(l.set(6, 0), mp::IndexError);
    CHECK_THROWS_AS(l.erase(6), mp::IndexError);
    CHECK_THROWS_AS(l.pop(6), mp::IndexError);
    l.clear();
    CHECK(message_of<mp::IndexError>([&] { l.pop(); }) == "pop from empty list");
  }
  SECTION("a missing value is a ValueError") {
    CHECK(message_of<mp::ValueError>([&] { l.remove(99); }) == "list.remove(x): x not in list");
    CHECK(message_of<mp::ValueError>([&] { l.index("x"); }) == "\"x\" is not in list");
  }
  SECTION("extend needs an array") { CHECK_THROWS_AS(l.extend(json::object()), mp::ValueError); }
}

TEST_CASE("a managed Namespace holds named attributes", "[core][manager]") {
  mp::Manager manager;
  mp::NamespaceProxy ns = manager.Namespace({{"x", 1}});
  ns.set("y", "why");
  CHECK(ns.get("x") == 1);
  CHECK(ns.get("y") == "why");
  CHECK(ns.contains("x"));
  CHECK(ns.get("z", 0) == 0);
  ns.erase("x");
  CHECK_FALSE(ns.contains("x"));
  CHECK(ns.copy() == json({{"y", "why"}}));
  CHECK(message_of<mp::AttributeError>([&] { ns.get("x"); }) == "namespace has no attribute 'x'");
  CHECK_THROWS_AS(ns.erase("x"), mp::AttributeError);
}

TEST_CASE("initial values of the wrong JSON type are a ValueError", "[core][manager]") {
  mp::Manager manager;
  CHECK_THROWS_AS(manager.dict(json::array()), mp::ValueError);
  CHECK_THROWS_AS(manager.Namespace(3), mp::ValueError);
  CHECK_THROWS_AS(manager.list(json::object()), mp::ValueError);
  CHECK(manager.list().size() == 0);  // the server is still fine
}

TEST_CASE("8 processes x 200 appends: the list holds every item exactly once", "[core][manager]") {
  mp::Manager manager;
  mp::ListProxy l = manager.list();
  const int procs = 8, appends = 200;
  std::vector<mp::Process> ps;
  for (int i = 0; i < procs; ++i)
    ps.emplace_back([l, i] {
      for (int k = 0; k < appends; ++k) l.append(i * 1000 + k);
    });
  for (auto& p : ps) p.start();
  for (int code : join_all(ps)) CHECK(code == 0);
  json items = l.copy();
  REQUIRE(items.size() == static_cast<std::size_t>(procs * appends));
  std::vector<int> got = items.get<std::vector<int>>();
  std::sort(got.begin(), got.end());
  std::vector<int> expected;
  for (int i = 0; i < procs; ++i)
    for (int k = 0; k < appends; ++k) expected.push_back(i * 1000 + k);
  CHECK(got == expected);
}

TEST_CASE("dict counters updated under an mp::Lock are exact", "[core][manager]") {
  mp::Manager manager;
  const int procs = 8, rounds = 100;
  mp::DictProxy d = manager.dict({{"count", procs * rounds}, {"sold", 0}});
  mp::Lock lock;
  std::vector<mp::Process> ps;
  for (int i = 0; i < procs; ++i)
    ps.emplace_back([d, &lock] {
      for (int k = 0; k < rounds; ++k) {
        std::lock_guard guard(lock);
        // Python's d["count"] -= 1: a get and a set, safe only under the lock.
        d.set("count", d.get("count").get<int>() - 1);
        d.set("sold", d.get("sold").get<int>() + 1);
      }
    });
  for (auto& p : ps) p.start();
  for (int code : join_all(ps)) CHECK(code == 0);
  CHECK(d.get("count") == 0);
  CHECK(d.get("sold") == procs * rounds);
}

TEST_CASE("children that inherit the parent's connection open their own", "[core][manager]") {
  mp::Manager manager;
  mp::DictProxy d = manager.dict({{"first", "one"}, {"second", "two"}});
  REQUIRE(d.get("first") == "one");  // the parent's connection is open now, and is inherited
  // Two children ask at the same time for different values: sharing the
  // parent's socket they would read each other's replies (or hang).
  auto asker = [d](const char* key, const char* value) {
    return [d, key, value] {
      for (int k = 0; k < 2000; ++k)
        if (d.get(key) != value) throw mp::SystemExit{3};
    };
  };
  std::vector<mp::Process> ps;
  ps.emplace_back(asker("first", "one"));
  ps.emplace_back(asker("second", "two"));
  for (auto& p : ps) p.start();
  for (int code : join_all(ps, 60.0)) CHECK(code == 0);
  CHECK(d.get("second") == "two");  // and the parent's own connection still works
}

TEST_CASE("threads of one process each get their own connection", "[core][manager]") {
  mp::Manager manager;
  mp::ListProxy l = manager.list();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([l, t, &failures] {
      try {
        for (int k = 0; k < 300; ++k) l.append(t);
      } catch (...) {
        ++failures;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(l.size() == 1200);
  for (int t = 0; t < 4; ++t) CHECK(l.count(t) == 300);
}

TEST_CASE("a child writes a Namespace and a dict that the parent then reads", "[core][manager]") {
  mp::Manager manager;
  mp::NamespaceProxy ns = manager.Namespace();
  mp::DictProxy d = manager.dict();
  mp::Process child([ns, d] {
    ns.set("greeting", "hello from " + std::to_string(::getpid()));
    d.set("pid", ::getpid());
  });
  child.start();
  REQUIRE(child.join(30.0));
  CHECK(child.exitcode() == 0);
  CHECK(ns.get("greeting") == "hello from " + std::to_string(child.pid()));
  CHECK(d.get("pid") == child.pid());
}

TEST_CASE("the server ends with the manager and nothing is left behind", "[core][manager]") {
  const std::size_t fds_before = open_fd_count();
  pid_t server_pid = 0;
  mp::UniqueFd server_pidfd;
  {
    mp::Manager manager;
    server_pid = manager.pid();
    REQUIRE(server_pid > 0);
    CHECK(server_pid != ::getpid());
    server_pidfd = pidfd_of(server_pid);
    REQUIRE(server_pidfd);
    mp::DictProxy d = manager.dict();
    d.set("k", 1);
    CHECK_FALSE(ends_within(server_pidfd, 0.0));

    SECTION("by shutdown(): a clean exit, and later calls throw at once") {
      manager.shutdown();
      CHECK(ends_within(server_pidfd, 0.0));
      CHECK(manager.exitcode() == 0);
      const double t0 = mp::monotonic_seconds();
      CHECK_THROWS_AS(d.get("k"), mp::RemoteError);
      CHECK_THROWS_AS(manager.dict(), mp::ProcessError);
      CHECK(mp::monotonic_seconds() - t0 < 5.0);
      manager.shutdown();  // a second time does nothing
    }
    SECTION("by scope exit") {}
  }
  CHECK(ends_within(server_pidfd, 0.0));
  // Reaped by the manager: no zombie, no child, and the pid is not ours any more.
  int status;
  CHECK(::waitpid(server_pid, &status, WNOHANG) < 0);
  CHECK(test::no_children_left());
  server_pidfd.reset();
  CHECK(open_fd_count() == fds_before);
}

TEST_CASE("a proxy whose server was killed throws instead of hanging", "[core][manager]") {
  mp::Manager manager;
  mp::DictProxy d = manager.dict({{"k", 1}});
  mp::ListProxy never_used = manager.list();
  REQUIRE(d.get("k") == 1);  // this thread's connection is open
  mp::UniqueFd server_pidfd = pidfd_of(manager.pid());
  REQUIRE(::kill(manager.pid(), SIGKILL) == 0);
  REQUIRE(ends_within(server_pidfd, 10.0));
  const double t0 = mp::monotonic_seconds();
  // The open connection sees EOF; a new one is refused.
  CHECK(message_of<mp::RemoteError>([&] { d.get("k"); }).find("cannot be reached") != std::string::npos);
  CHECK_THROWS_AS(d.get("k"), mp::RemoteError);
  CHECK_THROWS_AS(never_used.size(), mp::RemoteError);
  CHECK(mp::monotonic_seconds() - t0 < 5.0);
  manager.shutdown();  // reaps the dead server without waiting for it
  CHECK(manager.exitcode() == -SIGKILL);
  CHECK(test::no_children_left());
}

TEST_CASE("the server ends when the process that made the manager dies", "[core][manager]") {
  // In a child that is a subreaper, so the orphaned server comes to it to be
  // reaped: nothing is left for init.
  int code = test::run_in_child([] {
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return 10;
    auto [r, w] = mp::make_pipe();
    const int write_fd = w.get();
    // The owner makes a manager, reports its server's pid and is killed
    // before any destructor runs: only the server's watch on it can end it.
    mp::Process owner([write_fd] {
      mp::Manager manager;
      manager.dict();  // served, so the server is past its start-up and watching us
      pid_t server = manager.pid();
      mp::write_all(write_fd, &server, sizeof server);
      ::kill(::getpid(), SIGKILL);
    });
    owner.start();
    w.reset();
    pid_t server_pid = 0;
    if (!mp::read_exact(r.get(), &server_pid, sizeof server_pid)) return 11;
    mp::UniqueFd server_pidfd = pidfd_of(server_pid);
    if (!owner.join(30.0) || owner.exitcode() != -SIGKILL) return 12;
    const bool ended = !server_pidfd || ends_within(server_pidfd, 10.0);
    if (!ended) ::kill(server_pid, SIGKILL);
    int status;
    ::waitpid(server_pid, &status, 0);  // ours to reap now, as the subreaper
    return ended ? 0 : 13;
  });
  CHECK(code == 0);
}

TEST_CASE("only the process that made a manager may shut it down", "[core][manager]") {
  mp::Manager manager;
  mp::DictProxy d = manager.dict();
  int code = test::run_in_child([&manager, d] {
    try {
      manager.shutdown();
    } catch (const mp::ProcessError&) {
      d.set("child", "refused");  // and the server is still there for it
      return 0;
    }
    return 2;
  });
  CHECK(code == 0);
  CHECK(d.get("child") == "refused");
}

TEST_CASE("a moved manager keeps its server", "[core][manager]") {
  mp::Manager first;
  pid_t pid = first.pid();
  mp::DictProxy d = first.dict({{"k", 1}});
  mp::Manager second(std::move(first));
  CHECK(second.pid() == pid);
  CHECK(d.get("k") == 1);
  CHECK(second.list({1}).size() == 1);
}
