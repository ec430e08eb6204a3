// mpdemo orphan through the real binary: the orphan's new parent is named
// truthfully, and no process is left behind.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>

#include "support/mpdemo_runner.hpp"

using test::run_json;

namespace {

bool proc_entry_exists(int pid) {
  struct stat st;
  return ::stat(("/proc/" + std::to_string(pid)).c_str(), &st) == 0;
}

int main_pid(const test::RunResult& r) {
  for (const auto& e : r.events)
    if (e["kind"] == "run.start") return e["pid"];
  return -1;
}

// Makes the test process a child subreaper for one scope, so that an orphan
// of the mpdemo it runs comes to the test, which can then reap it.
class TestSubreaper {
 public:
  TestSubreaper() { ok_ = ::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0; }
  ~TestSubreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
  bool ok() const { return ok_; }

 private:
  bool ok_ = false;
};

}  // namespace

TEST_CASE("orphan: mpdemo, the subreaper, adopts and reaps the orphan", "[cli][orphan]") {
  auto r = run_json({"orphan", "--speed", "0.02", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["ok"] == true);
  CHECK(s["subreaper"] == true);
  CHECK(s["new_ppid"] == main_pid(r));
  CHECK(s["new_ppid"] != s["parent_pid"]);
  CHECK(s["adopter"] == "mpdemo (subreaper)");
  CHECK(s["reaped_by"] == "mpdemo");
  CHECK(r.check("ppid_changed")["ok"] == true);
  CHECK(r.check("orphan_reaped")["ok"] == true);

  // The child spoke before and after: first parent = Parent, then mpdemo.
  bool before = false, after = false;
  for (const auto& e : r.events) {
    if (e["kind"] == "orphan.child_before") {
      before = true;
      CHECK(e["parent"] == s["parent_pid"]);
      CHECK(e["ppid"] == s["parent_pid"]);
    }
    if (e["kind"] == "orphan.child_after") {
      after = true;
      CHECK(e["new_parent"] == main_pid(r));
      CHECK(e["comm"] == "mpdemo");
    }
  }
  CHECK(before);
  CHECK(after);
  // Nothing left behind: neither Parent nor the orphan has an entry.
  CHECK_FALSE(proc_entry_exists(s["parent_pid"]));
  CHECK_FALSE(proc_entry_exists(s["child_pid"]));
}

TEST_CASE("orphan --no-subreaper: the nearest subreaper ancestor adopts it", "[cli][orphan]") {
  // The system's own reaper here may be init, which might never reap; the test
  // makes itself the nearest subreaper so the orphan comes to it.
  TestSubreaper subreaper;
  REQUIRE(subreaper.ok());
  auto r = run_json({"orphan", "--no-subreaper", "--speed", "0.02", "--seed", "1"});
  INFO(r.err);
  const auto& s = r.summary();
  const int child = s.value("child_pid", 0);
  // Reap the orphan whatever happened: it is our child now.
  int status = 0;
  pid_t reaped = child > 0 ? ::waitpid(child, &status, 0) : -1;
  REQUIRE(r.exit_code == 0);
  CHECK(s["ok"] == true);
  CHECK(s["subreaper"] == false);
  CHECK(s["new_ppid"] == ::getpid());
  CHECK(s["adopter"] == "another subreaper");
  CHECK(s["new_parent_comm"] == "cli_tests");
  CHECK(s["child_ended"] == true);
  CHECK(s["reaped_by"] == "nobody");  // the test did not wait until mpdemo had finished
  CHECK(r.check("adopted_by_mpdemo").is_null());
  CHECK(reaped == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK_FALSE(proc_entry_exists(child));
}

TEST_CASE("orphan: bad usage exits 2", "[cli][orphan][errors]") {
  auto bad = test::run_mpdemo({"orphan", "--linger", "-1"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("--linger") != std::string::npos);
}
