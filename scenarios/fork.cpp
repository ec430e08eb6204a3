// fork: fork() is called once and returns twice (seed 004 os.fork, 002's
// orphan example).
//
// Main calls fork (mp::fork_raw, Python's os.fork) once. The kernel copies
// the calling process, and the call returns in both copies: in the child it
// returns 0, in the parent the child's pid. The same `switch` then takes a
// different branch in each process, and both branches report. The parent
// reaps the child with waitpid, as any parent of a raw fork must.
// With --rounds N it forks N times and counts whose line came first after
// fork returned (TLPI's fork_whos_on_first): the scheduler decides, not the
// program.
//
// Try:  mpdemo fork
//       mpdemo fork --rounds 100 --quiet    (then read parent_first/child_first)
// Watch for: one line before fork and two after it, from two pids; the value
// the parent got from fork equal to the pid the child reports.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <memory>
#include <new>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

struct ForkOptions {
  int rounds = 1;  // seed 004 forks once
};

// What the child branch saw, written by the child into shared memory.
struct ChildBranch {
  bool ran = false;
  pid_t returned = -1;  // what fork returned in the child
  pid_t pid = 0;        // getpid() in the child
  pid_t ppid = 0;       // getppid() in the child
  double at = 0;        // CLOCK_MONOTONIC right after fork returned
};

// The one owner of a raw child: wait() reaps it; if the parent leaves early
// (an exception), the destructor kills and reaps it, so no zombie is left.
class ForkedChild {
 public:
  explicit ForkedChild(pid_t pid) : pid_(pid) {}
  ForkedChild(const ForkedChild&) = delete;
  ForkedChild& operator=(const ForkedChild&) = delete;
  ~ForkedChild() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    try {
      wait();
    } catch (...) {
      // Nothing left to do in a destructor; the kernel reaps it when we exit.
    }
  }

  // waitpid, retried on EINTR; returns Python's exitcode (code or -signal).
  int wait() {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &status, 0);
    } while (r < 0 && errno == EINTR);
    pid_ = 0;
    if (r < 0) mp::throw_os_error("waitpid");
    return mp::exitcode_from_status(status);
  }

 private:
  pid_t pid_;
};

struct RoundResult {
  pid_t returned_in_parent = 0;
  double parent_at = 0;
  int exitcode = -1;
};

RoundResult fork_once(int round, const Context& ctx, ChildBranch& child_side) {
  RoundResult result;
  ctx.emit("fork.before", {{"round", round}});
  const pid_t pid = mp::fork_raw("Child");
  const double at = mp::monotonic_seconds();
  switch (pid) {
    // No `case -1`: fork_raw throws OSError when fork fails.
    case 0:  // the child: fork returned 0 here
      try {
        child_side = ChildBranch{true, pid, ::getpid(), ::getppid(), at};
        ctx.emit("fork.in_child", {{"returned", pid}, {"round", round}});
      } catch (...) {
        ::_exit(1);
      }
      ::_exit(0);  // never return into the parent's code: its stack frames are copies here

    default: {  // the parent: fork returned the child's pid
      result.returned_in_parent = pid;
      result.parent_at = at;
      ForkedChild child(pid);
      ctx.emit("fork.in_parent", {{"returned", pid}, {"round", round}, {"span_begin", "fork.waiting_child"}});
      result.exitcode = child.wait();
      ctx.emit("fork.reaped", {{"child_pid", pid}, {"exitcode", result.exitcode}, {"span_end", "fork.waiting_child"}});
    }
  }
  return result;
}

Summary run_fork(const ForkOptions& o, Context& ctx) {
  mp::SharedMapping memory(sizeof(ChildBranch) * static_cast<std::size_t>(o.rounds));
  auto* children = static_cast<ChildBranch*>(memory.data());
  for (int i = 0; i < o.rounds; ++i) new (&children[i]) ChildBranch;

  int child_ran = 0, parent_ran = 0, pid_matches = 0, ppid_matches = 0, reaped_clean = 0;
  int parent_first = 0, child_first = 0;
  for (int round = 1; round <= o.rounds; ++round) {
    ChildBranch& child_side = children[round - 1];
    const RoundResult r = fork_once(round, ctx, child_side);
    if (child_side.ran && child_side.returned == 0) ++child_ran;
    if (r.returned_in_parent > 0) ++parent_ran;
    if (child_side.ran && child_side.pid == r.returned_in_parent) ++pid_matches;
    if (child_side.ran && child_side.ppid == ::getpid()) ++ppid_matches;
    if (r.exitcode == 0) ++reaped_clean;
    if (child_side.ran) (r.parent_at <= child_side.at ? parent_first : child_first) += 1;
  }
  ctx.emit("fork.verdict", {{"rounds", o.rounds}, {"parent_first", parent_first}, {"child_first", child_first}});

  Summary s;
  s.figures = {{"rounds", o.rounds},          {"main_pid", ::getpid()},      {"parent_first", parent_first},
               {"child_first", child_first}, {"child_pid", children[0].pid}};
  s.check("child_branch_ran_with_0", child_ran == o.rounds, child_ran, o.rounds);
  s.check("parent_branch_ran_with_pid", parent_ran == o.rounds, parent_ran, o.rounds);
  s.check("returned_pid_is_child_pid", pid_matches == o.rounds, pid_matches, o.rounds);
  s.check("child_ppid_is_parent", ppid_matches == o.rounds, ppid_matches, o.rounds);
  s.check("child_reaped_with_waitpid", reaped_clean == o.rounds, reaped_clean, o.rounds);
  return s;
}

}  // namespace

RunFunction setup_fork(CLI::App& app) {
  auto o = std::make_shared<ForkOptions>();
  add_whole(app, "--rounds", o->rounds, "fork this many times, one after the other", 1, 10000);
  return [o](Context& ctx) { return run_fork(*o, ctx); };
}

}  // namespace mpdemo
