// mp::Process: lifecycle, exit codes, join timeouts, errors.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/unique_fd.hpp"
#include "support/child.hpp"
#include "support/proc_watch.hpp"

using mp::Process;

TEST_CASE("a target that returns gives exit code 0", "[core][process]") {
  Process p([] {});
  CHECK_FALSE(p.exitcode().has_value());
  p.start();
  CHECK(p.pid() > 0);
  CHECK(p.join());
  CHECK(p.exitcode() == 0);
  CHECK_FALSE(p.is_alive());
}

TEST_CASE("SystemExit{N} gives exit code N, an exception gives 1", "[core][process]") {
  Process a([] { throw mp::SystemExit{7}; });
  Process b([] { throw std::runtime_error("boom"); });
  a.start();
  b.start();
  a.join();
  b.join();
  CHECK(a.exitcode() == 7);
  CHECK(b.exitcode() == 1);
}

TEST_CASE("exitcode is empty while running then terminate gives -SIGTERM, kill -SIGKILL", "[core][process]") {
  auto [r, w] = mp::make_pipe();
  int read_fd = r.get();
  // The child blocks on a pipe that never gets data, so it is surely running.
  auto block = [read_fd] {
    char c;
    while (::read(read_fd, &c, 1) != 0) {
    }
  };
  Process t(block), k(block);
  t.start();
  k.start();
  CHECK(t.is_alive());
  CHECK_FALSE(t.exitcode().has_value());
  t.terminate();
  k.kill();
  t.join();
  k.join();
  CHECK(t.exitcode() == -SIGTERM);
  CHECK(k.exitcode() == -SIGKILL);
  CHECK_FALSE(t.is_alive());
}

TEST_CASE("join(timeout) returns false while the child runs, true once it ended", "[core][process]") {
  auto [r, w] = mp::make_pipe();
  int read_fd = r.get(), write_fd = w.get();
  Process p([read_fd, write_fd] {
    ::close(write_fd);  // close our copy of the write end, or EOF could never come
    char c;
    (void)::read(read_fd, &c, 1);  // returns when the parent closes the write end
  });
  p.start();
  r.reset();
  const double t0 = mp::monotonic_seconds();
  CHECK_FALSE(p.join(0.2));
  const double waited = mp::monotonic_seconds() - t0;
  CHECK(waited >= 0.19);
  CHECK(waited < 5.0);
  CHECK(p.is_alive());
  w.reset();  // EOF lets the child finish
  CHECK(p.join(30.0));
  CHECK(p.exitcode() == 0);
}

TEST_CASE("misuse is a clear error", "[core][process]") {
  SECTION("starting twice") {
    Process p([] {});
    p.start();
    CHECK_THROWS_AS(p.start(), mp::ProcessError);
    p.join();
  }
  SECTION("joining a process never started") {
    Process p([] {});
    CHECK_THROWS_AS(p.join(), mp::ProcessError);
    CHECK_FALSE(p.is_alive());
  }
  SECTION("changing daemon after start") {
    Process p([] {});
    p.start();
    CHECK_THROWS_AS(p.set_daemon(true), mp::ProcessError);
    p.join();
  }
}

TEST_CASE("a daemon process may not start children", "[core][process]") {
  // The daemon reports through its exit code: 3 when start() refused.
  Process d(
      [] {
        Process grandchild([] {});
        try {
          grandchild.start();
        } catch (const mp::ProcessError&) {
          throw mp::SystemExit{3};
        }
        grandchild.join();
      },
      "", mp::Daemon::Yes);
  d.start();
  d.join();
  CHECK(d.exitcode() == 3);
}

TEST_CASE("names follow Python: Process-N, nested Process-N:M, current_process in the child", "[core][process]") {
  auto [r, w] = mp::make_pipe();
  int write_fd = w.get();
  Process p([write_fd] {
    std::string mine = mp::current_process().name;
    Process inner([] {});
    std::string line = mine + " " + inner.name() + "\n";
    mp::write_all(write_fd, line.data(), line.size());
  });
  p.start();
  p.join();
  w.reset();
  char buf[256] = {};
  ssize_t n = ::read(r.get(), buf, sizeof buf - 1);
  REQUIRE(n > 0);
  std::string got(buf, static_cast<std::size_t>(n));
  CHECK(got == p.name() + " " + p.name() + ":1\n");
  CHECK(p.name().rfind("Process-", 0) == 0);
  CHECK(mp::current_process().name == "MainProcess");
}

TEST_CASE("default names are numbered at construction as Python numbers them", "[core][process]") {
  // Python: [Process() for _ in range(3)] are Process-N, N+1, N+2 before any
  // starts; a named Process takes a number too; a grandchild is Process-N:1.
  std::vector<Process> ps;
  for (int i = 0; i < 3; ++i) ps.emplace_back([] {});
  Process named([] {}, "Named");
  Process after([] {});
  const auto number = [](const Process& p) { return std::stoi(p.name().substr(std::string("Process-").size())); };
  REQUIRE(ps[0].name().rfind("Process-", 0) == 0);
  const int first = number(ps[0]);
  CHECK(number(ps[1]) == first + 1);
  CHECK(number(ps[2]) == first + 2);
  CHECK(named.name() == "Named");
  CHECK(number(after) == first + 4);

  auto [r, w] = mp::make_pipe();
  int write_fd = w.get();
  Process parent([write_fd] {
    Process grandchild([] {});
    std::string line = grandchild.name() + "\n";
    mp::write_all(write_fd, line.data(), line.size());
  });
  parent.start();
  REQUIRE(test::join_one(parent));
  w.reset();
  char buf[128] = {};
  ssize_t n = ::read(r.get(), buf, sizeof buf - 1);
  REQUIRE(n > 0);
  CHECK(std::string(buf, static_cast<std::size_t>(n)) == parent.name() + ":1\n");
}

namespace {

// A Process subclass in the two orders a Python __init__ can take:
// self.name = name before or after super().__init__().
enum class NameSet { BeforeInit, AfterInit };
class Job final : public Process {
 public:
  Job(std::string name, NameSet when, int report_fd) : Process(NotInitialised{}), report_fd_(report_fd) {
    if (when == NameSet::BeforeInit) set_name(name);
    initialise("Job");  // super().__init__()
    if (when == NameSet::AfterInit) set_name(name);
  }

 protected:
  void run() override {  // the child reports the name it runs under
    const std::string line = mp::current_process().name + "\n";
    mp::write_all(report_fd_, line.data(), line.size());
  }

 private:
  int report_fd_;
};

std::string run_and_read_name(Process& p, int read_fd) {
  p.start();
  REQUIRE(test::join_one(p));
  char buf[128] = {};
  const ssize_t n = ::read(read_fd, buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n) - 1) : std::string();
}

}  // namespace

TEST_CASE("a subclass that sets its name before the base initialiser loses it to <Class>-N, as in Python",
          "[core][process]") {
  auto [r, w] = mp::make_pipe();
  Process before_it([] {});
  Job first("egon", NameSet::BeforeInit, w.get());
  Job second("egon", NameSet::AfterInit, w.get());
  const int n = std::stoi(before_it.name().substr(std::string("Process-").size()));
  // The base initialiser numbered it and wrote its default name over "egon".
  CHECK(first.name() == "Job-" + std::to_string(n + 1));
  CHECK(second.name() == "egon");
  // The children run under those names.
  CHECK(run_and_read_name(first, r.get()) == first.name());
  CHECK(run_and_read_name(second, r.get()) == "egon");
}

namespace {
class NeverInitialised final : public Process {
 public:
  NeverInitialised() : Process(NotInitialised{}) { set_name("lost"); }
  void initialise_twice() {
    initialise("NeverInitialised");
    initialise("NeverInitialised");
  }
};
}  // namespace

TEST_CASE("a subclass that never calls the base initialiser cannot start, and calling it twice is an error",
          "[core][process]") {
  NeverInitialised p;
  CHECK_THROWS_AS(p.start(), mp::ProcessError);
  CHECK(p.pid() == 0);
  NeverInitialised q;
  CHECK_THROWS_AS(q.initialise_twice(), mp::ProcessError);
}

TEST_CASE("leaving scope terminates a daemon child and joins a non-daemon one", "[core][process]") {
  auto [r, w] = mp::make_pipe();
  int read_fd = r.get();
  pid_t daemon_pid = 0;
  {
    Process d(
        [read_fd] {
          char c;
          while (::read(read_fd, &c, 1) != 0) {
          }
        },
        "", mp::Daemon::Yes);
    d.start();
    daemon_pid = d.pid();
  }  // would hang here if the daemon were joined instead of terminated
  CHECK(::kill(daemon_pid, 0) != 0);  // gone and reaped
  {
    Process n([] { mp::sleep_for(0.05); });
    n.start();
  }  // joined: returns once the child has finished
  CHECK(test::no_children_left());
}

TEST_CASE("many processes start and join", "[core][process]") {
  auto count = GENERATE(1, 10, 200);
  std::vector<Process> ps;
  for (int i = 0; i < count; ++i) ps.emplace_back([i] { throw mp::SystemExit{i % 7}; });
  for (auto& p : ps) p.start();
  int wrong = 0;
  for (int i = 0; i < count; ++i) {
    ps[static_cast<std::size_t>(i)].join();
    if (ps[static_cast<std::size_t>(i)].exitcode() != i % 7) ++wrong;
  }
  CHECK(wrong == 0);
  CHECK(test::no_children_left());
}
