// orphan: the parent exits first; the child lives on and reports its new
// parent (seeds 002 and 003, os.fork).
//
// mpdemo starts a process "Parent", which forks "Child" (os.fork style,
// mp::fork_raw) and exits. The kernel then gives the child a new parent:
// the nearest ancestor that declared itself a "child subreaper"
// (prctl PR_SET_CHILD_SUBREAPER), or else init, pid 1 of the pid namespace.
// By default mpdemo makes itself a subreaper, so the orphan is handed to
// mpdemo, which reaps it when it ends: nothing is left behind. With
// --no-subreaper the system chooses, and the scenario says truthfully who
// adopted the child and whether that process reaped it.
//
// The steps are ordered by pipes, not by sleeps: the child reports its pid and
// first parent, then waits; mpdemo reaps Parent, then tells the child to look
// at its parent again.
//
// Try:  mpdemo orphan
//       mpdemo orphan --no-subreaper    (who is the system's reaper here?)
// Watch for: the child's ppid before and after Parent exits, and the name of
// the new parent (/proc/<ppid>/comm).
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <memory>
#include <optional>
#include <string>

#include "mp/errors.hpp"
#include "mp/parent_death.hpp"
#include "mp/process.hpp"
#include "mp/unique_fd.hpp"
#include "proc_table.hpp"
#include "sentinels.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

struct OrphanOptions {
  bool subreaper = true;  // make mpdemo the child subreaper (off: --no-subreaper)
  double linger = 1.0;    // seconds the orphan lives on after it was re-parented
  double reaper_wait = 3.0;  // seconds to watch whether another reaper collects it (--no-subreaper);
                             // some inits reap only every second or so
};


// Makes this process a child subreaper for one scope and restores the flag.
// Orphaned descendants are re-parented to the nearest living subreaper
// ancestor instead of init.
class ChildSubreaper {
 public:
  ChildSubreaper() {
    if (::prctl(PR_GET_CHILD_SUBREAPER, &previous_) != 0) mp::throw_os_error("prctl(PR_GET_CHILD_SUBREAPER)");
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) mp::throw_os_error("prctl(PR_SET_CHILD_SUBREAPER)");
  }
  ~ChildSubreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, previous_); }
  ChildSubreaper(const ChildSubreaper&) = delete;
  ChildSubreaper& operator=(const ChildSubreaper&) = delete;

 private:
  int previous_ = 0;
};

// Reads one pid from `fd`, waiting at most `timeout` seconds.
pid_t read_pid(int fd, double timeout, const char* what) {
  mp::Deadline deadline(timeout);
  pollfd p{fd, POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, deadline.poll_ms());
  } while (r < 0 && errno == EINTR);
  if (r == 0) throw mp::Error(std::string("timed out waiting for ") + what);
  if (r < 0) mp::throw_os_error("poll");
  pid_t pid = 0;
  if (!mp::read_exact(fd, &pid, sizeof pid)) throw mp::Error(std::string("pipe closed before ") + what);
  return pid;
}

void write_pid(int fd, pid_t pid) { mp::write_all(fd, &pid, sizeof pid); }

// Who a re-parented process got, in words for the summary.
std::string adopter_kind(pid_t new_ppid, bool we_are_subreaper) {
  if (we_are_subreaper && new_ppid == ::getpid()) return "mpdemo (subreaper)";
  if (new_ppid == 1) return "init (pid 1)";
  if (new_ppid == 0) return "outside this pid namespace";
  return "another subreaper";
}

// The grandchild. Never returns: it is a bare fork (os.fork), not a Process.
[[noreturn]] void child_body(const OrphanOptions& o, const Context& ctx, int report_fd, mp::UniqueFd ready_w,
                             int go_fd) {
  int code = 0;
  try {
    const pid_t first_parent = ::getppid();
    write_pid(report_fd, ::getpid());
    ctx.emit("orphan.child_before", {{"parent", first_parent}, {"comm", read_comm(first_parent)},
                                     {"span_begin", "orphan.with_parent"}});
    ready_w.reset();  // EOF for Parent: it may exit now
    char byte;
    while (::read(go_fd, &byte, 1) < 0 && errno == EINTR) {
    }
    // Parent has exited and been reaped: the kernel re-parented us.
    const pid_t now = ::getppid();
    ctx.emit("orphan.child_after",
             {{"old_parent", first_parent}, {"new_parent", now}, {"comm", now > 0 ? read_comm(now) : ""},
              {"span_end", "orphan.with_parent"}, {"span_begin", "orphan.orphaned"}});
    write_pid(report_fd, now);
    ctx.sleep(o.linger);  // an orphan runs on as long as it likes
    ctx.emit("orphan.child_exits", {{"span_end", "orphan.orphaned"}});
  } catch (...) {
    code = 1;
  }
  ::_exit(code);
}

Summary run_orphan(const OrphanOptions& o, Context& ctx) {
  std::optional<ChildSubreaper> subreaper;
  if (o.subreaper) subreaper.emplace();
  ctx.emit(o.subreaper ? "orphan.setup_subreaper" : "orphan.setup_system", {{"mpdemo", ::getpid()}});

  auto report = mp::make_pipe();  // Child -> mpdemo: its pid, then its new parent's pid
  auto go = mp::make_pipe();      // mpdemo -> Child: "your parent is gone, look again"
  const int go_read = go.first.get();

  mp::Process parent(
      [&] {
        go.second.reset();       // only mpdemo may write "go", or EOF would come early
        report.first.reset();    // the report is for mpdemo to read
        auto ready = mp::make_pipe();  // Child -> Parent: "I have reported; you may exit"
        ctx.emit("orphan.parent_forks");
        // The lesson is a child that outlives its parent: this one fork is
        // not tied to Parent's death. It still ends by itself: it waits for
        // "go" from mpdemo, whose death closes that pipe, then lingers and exits.
        mp::set_parent_death_policy(mp::ParentDeath::LeaveChild);
        pid_t pid = mp::fork_raw("Child");
        switch (pid) {
          case 0:
            ready.first.reset();
            child_body(o, ctx, report.second.get(), std::move(ready.second), go_read);
          default:
            ready.second.reset();  // close our write end so we see EOF when Child has reported
            char byte;
            while (::read(ready.first.get(), &byte, 1) < 0 && errno == EINTR) {
            }
            ctx.emit("orphan.parent_exits", {{"child", pid}});
        }
      },
      "Parent");
  parent.start();
  report.second.reset();  // close our write end: EOF if Child dies before reporting
  go.first.reset();

  const pid_t child = read_pid(report.first.get(), kStepTimeout, "the child's pid");
  // A pidfd tells us when Child ends even though it is not our child; it is
  // opened while Child waits for "go", so the pid cannot be someone else's.
  mp::UniqueFd child_pidfd(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));
  if (!child_pidfd) mp::throw_os_error("pidfd_open(" + std::to_string(child) + ")");
  const auto child_entry = read_proc_stat(child);
  if (!child_entry) throw mp::Error("no /proc entry for child " + std::to_string(child));

  parent.join(kStepTimeout);
  const pid_t parent_pid = parent.pid();
  ctx.emit("orphan.parent_reaped", {{"parent", parent_pid}, {"exitcode", parent.exitcode().value_or(-1)}});

  const char byte = 1;
  mp::write_all(go.second.get(), &byte, 1);
  go.second.reset();
  const pid_t new_ppid = read_pid(report.first.get(), kStepTimeout, "the child's new parent");
  const std::string adopter = adopter_kind(new_ppid, o.subreaper);
  const std::string adopter_comm = new_ppid > 0 ? read_comm(new_ppid) : "";
  ctx.emit("orphan.adopted", {{"child", child}, {"new_parent", new_ppid}, {"comm", adopter_comm}, {"adopter", adopter}});

  const bool ended = wait_pidfd(child_pidfd.get(), ctx.scaled(o.linger) + kStepTimeout);
  bool reaped = false;
  std::string reaped_by = "nobody";
  if (ended && o.subreaper && new_ppid == ::getpid()) {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(child, &status, 0);
    } while (r < 0 && errno == EINTR);
    reaped = r == child && entry_gone(*child_entry);
    reaped_by = "mpdemo";
    ctx.emit("orphan.reaped_by_us", {{"child", child}, {"exitcode", mp::exitcode_from_status(status)}, {"gone", reaped}});
  } else if (ended) {
    // Someone else's child now: all we can do is watch whether it reaps it.
    mp::Deadline deadline(ctx.timeout(o.reaper_wait, 0.2));
    while (!entry_gone(*child_entry) && !deadline.expired()) mp::sleep_for(0.001);
    reaped = entry_gone(*child_entry);
    if (reaped) {
      reaped_by = adopter_comm.empty() ? adopter : adopter_comm;
      ctx.emit("orphan.reaped_by_other", {{"child", child}, {"reaper", new_ppid}, {"comm", adopter_comm}});
    } else {
      auto now = read_proc_stat(child);
      ctx.emit("orphan.not_reaped", {{"child", child}, {"reaper", new_ppid}, {"comm", adopter_comm},
                                     {"stat", now ? std::string(1, now->state) : "-"},
                                     {"seconds", ctx.timeout(o.reaper_wait, 0.2).value_or(0)}});
    }
  }
  subreaper.reset();

  Summary s;
  s.figures = {{"parent_pid", parent_pid},     {"child_pid", child},   {"new_ppid", new_ppid},
               {"new_parent_comm", adopter_comm}, {"adopter", adopter}, {"subreaper", o.subreaper},
               {"child_ended", ended},          {"reaped_by", reaped_by}};
  s.check("ppid_changed", new_ppid != parent_pid, new_ppid, "!= " + std::to_string(parent_pid));
  s.check("child_ended", ended, ended, true);
  if (o.subreaper) {
    s.check("adopted_by_mpdemo", new_ppid == ::getpid(), new_ppid, ::getpid());
    s.check("orphan_reaped", reaped, reaped, true);
  }
  return s;
}

}  // namespace

RunFunction setup_orphan(CLI::App& app) {
  auto o = std::make_shared<OrphanOptions>();
  app.add_flag("!--no-subreaper", o->subreaper,
               "do not make mpdemo a child subreaper: the system picks the orphan's new parent");
  add_seconds(app, "--linger", o->linger, "seconds the orphan lives on after its parent died");
  add_seconds(app, "--reaper-wait", o->reaper_wait, "with --no-subreaper: seconds to watch whether the new parent reaps the orphan");
  return [o](Context& ctx) { return run_orphan(*o, ctx); };
}

}  // namespace mpdemo
