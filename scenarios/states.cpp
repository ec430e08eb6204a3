// states: the process states of seed 003 (ready, running, blocked), as the
// Linux process table really shows them.
//
// Six children each settle into one state, and mpdemo samples the state
// letter of every child from /proc/<pid>/stat --samples times, one row of a
// timeline table per sample:
//   Compute   loops on the CPU                   R  running or ready (one letter for both)
//   Sleep     sleeps like time.sleep (ppoll      S  interruptible sleep
//             with a timeout), woken by SIGUSR1
//   ReadPipe  blocks in read() on an empty pipe  S  waiting for a pipe or socket is an
//                                                   interruptible sleep too
//   Vfork     waits for its vfork()-style child  D  uninterruptible sleep: the state of
//             (clone CLONE_VM|CLONE_VFORK)          disk waits, which are too short to
//                                                   catch on purpose; the kernel gives it
//                                                   to a vfork parent for as long as we like
//   Stopped   stopped by SIGSTOP                 T
//   Exited    has exited, not yet reaped         Z
// Then mpdemo releases them all (a flag, a byte down each pipe, SIGCONT,
// SIGUSR1): every child exits, the last row shows them all as Z, and join()
// reaps them.
//
// Try:  mpdemo states
//       mpdemo states --interval 2     (time to run: ps -o pid,stat,wchan:20,cmd --ppid <pid>)
// Watch for: one column per child, one letter per sample; the last row all Z.
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "mp/unique_fd.hpp"
#include "proc_table.hpp"
#include "sentinels.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

struct StatesOptions {
  int samples = 6;       // rows of the timeline
  double interval = 0.2;  // seconds between samples
};

constexpr int kColumnWidth = 10;

enum class Role { Compute, Sleep, ReadPipe, Vfork, Stopped, Exited };

// The children, in the order of the table's columns.
struct RoleInfo {
  Role role;
  const char* name;   // process name and column header
  const char* check;  // check id: "<what it does>_<state name>"
  char expected;      // the state letter it should show while it does it
};
constexpr RoleInfo kRoles[] = {
    {Role::Compute, "Compute", "compute_running", 'R'},   {Role::Sleep, "Sleep", "sleep_sleeping", 'S'},
    {Role::ReadPipe, "ReadPipe", "read_pipe_sleeping", 'S'}, {Role::Vfork, "Vfork", "vfork_disk_sleep", 'D'},
    {Role::Stopped, "Stopped", "stopped_stopped", 'T'},   {Role::Exited, "Exited", "exited_zombie", 'Z'},
};
constexpr std::size_t kRoleCount = std::size(kRoles);

// Shared with every child (MAP_SHARED): the main process sets `release`
// when the children may leave their states.
struct Control {
  std::atomic<int> release{0};
};

// The pipes of one run. Children inherit all ends; each closes what it does not use.
struct Pipes {
  std::pair<mp::UniqueFd, mp::UniqueFd> ready = mp::make_pipe();  // child -> main: "entering my state"
  std::pair<mp::UniqueFd, mp::UniqueFd> input = mp::make_pipe();  // main -> ReadPipe: the byte it waits for
  std::pair<mp::UniqueFd, mp::UniqueFd> vfork = mp::make_pipe();  // main -> Vfork's helper: "you may exit"
};

void read_one_byte(int fd) {
  char byte;
  while (::read(fd, &byte, 1) < 0 && errno == EINTR) {
  }
}

void say_ready(int fd) {
  const char byte = 1;
  mp::write_all(fd, &byte, 1);
}

extern "C" void on_release(int) {}  // only interrupts the sleep below

// Sleeps (like time.sleep) until the main process sets `release` and sends
// SIGUSR1. SIGUSR1 is blocked except inside ppoll, which unblocks it and
// sleeps in one step, so a release that comes just before the sleep cannot
// be missed.
void sleep_until_released(const Control& control, int ready_fd) {
  struct sigaction sa {};
  sa.sa_handler = on_release;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGUSR1, &sa, nullptr);
  sigset_t usr1, awake_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ::sigprocmask(SIG_BLOCK, &usr1, &awake_mask);
  say_ready(ready_fd);
  while (control.release.load() == 0) {
    const timespec one_second{1, 0};
    ::ppoll(nullptr, 0, &one_second, &awake_mask);
  }
}

// The vfork child. It shares the parent's memory (CLONE_VM) but runs on its
// own stack, so it may block in read() before it leaves; the parent stays
// suspended in the kernel, in state D, until it does.
int vfork_helper(void* arg) {
  read_one_byte(*static_cast<int*>(arg));
  ::_exit(0);
}

void run_role(Role role, const Context& ctx, Control& control, Pipes& pipes) {
  pipes.ready.first.reset();
  pipes.input.second.reset();
  pipes.vfork.second.reset();
  const int ready = pipes.ready.second.get();
  switch (role) {
    case Role::Compute: {
      ctx.emit("states.compute", {{"span_begin", "states.running"}});
      say_ready(ready);
      std::uint64_t x = 1;
      while (control.release.load(std::memory_order_relaxed) == 0)
        for (int i = 0; i < 1000; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      [[maybe_unused]] volatile std::uint64_t sink = x;  // keeps the loop from being optimised away
      ctx.span({}, "states.running");
      break;
    }
    case Role::Sleep:
    case Role::Stopped:
      ctx.emit(role == Role::Sleep ? "states.sleep" : "states.will_be_stopped", {{"span_begin", "states.sleeping"}});
      sleep_until_released(control, ready);
      ctx.span({}, "states.sleeping");
      break;
    case Role::ReadPipe:
      ctx.emit("states.read_pipe", {{"span_begin", "states.reading_pipe"}});
      say_ready(ready);
      read_one_byte(pipes.input.first.get());
      ctx.span({}, "states.reading_pipe");
      break;
    case Role::Vfork: {
      std::vector<char> stack(64 * 1024);  // allocated before the clone, as everything must be
      int fd = pipes.vfork.first.get();
      ctx.emit("states.vfork", {{"span_begin", "states.in_vfork"}});
      say_ready(ready);
      pid_t helper = ::clone(vfork_helper, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | SIGCHLD, &fd);
      if (helper < 0) mp::throw_os_error("clone(CLONE_VFORK)");
      int status;
      while (::waitpid(helper, &status, 0) < 0 && errno == EINTR) {
      }
      ctx.span({}, "states.in_vfork");
      break;
    }
    case Role::Exited:
      ctx.emit("states.exits");
      break;
  }
}

// Sends SIGCONT on scope exit, so an error never leaves a child stopped.
class ResumeOnExit {
 public:
  explicit ResumeOnExit(pid_t pid) : pid_(pid) {}
  ~ResumeOnExit() { ::kill(pid_, SIGCONT); }
  ResumeOnExit(const ResumeOnExit&) = delete;
  ResumeOnExit& operator=(const ResumeOnExit&) = delete;

 private:
  pid_t pid_;
};

std::string pad(std::string text) {
  if (text.size() < kColumnWidth) text.resize(kColumnWidth, ' ');
  return text;
}

// One row of the timeline: the state letter of every child, now.
struct Row {
  std::string letters;  // one per child, in kRoles order ('-' when the entry is gone)
};

Row sample(const std::vector<mp::Process>& children) {
  Row row;
  for (const auto& c : children) {
    auto s = read_proc_stat(c.pid());
    row.letters += s ? s->state : '-';
  }
  return row;
}

void emit_row(const Context& ctx, const Row& row, double t, const char* kind) {
  std::string cells;
  json states = json::object();
  for (std::size_t i = 0; i < kRoleCount; ++i) {
    cells += pad(std::string(1, row.letters[i]));
    states[kRoles[i].name] = std::string(1, row.letters[i]);
  }
  char when[16];
  std::snprintf(when, sizeof when, "%6.3f", t);
  ctx.emit(kind, {{"t_sample", t}, {"when", when}, {"cells", cells}, {"states", states}});
}

Summary run_states(const StatesOptions& o, Context& ctx) {
  ctx.emit("states.setup", {{"samples", o.samples}, {"interval", ctx.scaled(o.interval)}, {"parent", ::getpid()}});
  ctx.emit("states.legend");

  mp::Shared<Control> control;
  Pipes pipes;
  std::vector<mp::Process> children;
  children.reserve(kRoleCount);
  for (const auto& r : kRoles)
    children.emplace_back([&, role = r.role] { run_role(role, ctx, *control, pipes); }, r.name);
  for (auto& c : children) c.start();
  pipes.ready.second.reset();  // ours closed: EOF if every child died before reporting
  pipes.input.first.reset();
  pipes.vfork.first.reset();

  mp::Process& stopped = children[static_cast<std::size_t>(Role::Stopped)];
  mp::Process& exited = children[static_cast<std::size_t>(Role::Exited)];
  ResumeOnExit resume(stopped.pid());

  // Wait until each child has entered its state: a byte from every one
  // that stays, and Exited's sentinel (it has ended; nobody reaps it yet).
  const int ready_expected = static_cast<int>(kRoleCount) - 1;
  for (int got = 0; got < ready_expected; ++got) {
    mp::Deadline deadline(kStepTimeout);
    pollfd p{pipes.ready.first.get(), POLLIN, 0};
    if (::poll(&p, 1, deadline.poll_ms()) <= 0) throw mp::Error("a child did not report that it is ready");
    read_one_byte(pipes.ready.first.get());
  }
  if (!wait_all_ended(std::span(&exited, 1), kStepTimeout)) throw mp::Error("child 'Exited' did not exit");
  ::kill(stopped.pid(), SIGSTOP);
  ctx.emit("states.sigstop", {{"child", stopped.pid()}});
  wait_for_state(stopped.pid(), 'T', kStepTimeout);
  // A child says it is ready just before it enters its state, and /proc
  // shows that state a moment later. At --speed 0 the samples follow at
  // once (4 of 100 runs sampled Sleep or Vfork still running, R), so wait,
  // as for Stopped, until /proc shows each one in its state; one that never
  // gets there still fails its check below.
  for (const auto& r : kRoles)
    if (r.role == Role::Sleep || r.role == Role::ReadPipe || r.role == Role::Vfork)
      wait_for_state(children[static_cast<std::size_t>(r.role)].pid(), r.expected, kStepTimeout);

  std::string header;
  for (const auto& r : kRoles) header += pad(r.name);
  ctx.emit("states.table_head", {{"cells", header}});

  std::vector<std::string> seen(kRoleCount);  // every letter seen per child
  const double first = mp::monotonic_seconds();
  for (int k = 0; k < o.samples; ++k) {
    if (k > 0) ctx.sleep(o.interval);
    Row row = sample(children);
    for (std::size_t i = 0; i < kRoleCount; ++i)
      if (seen[i].find(row.letters[i]) == std::string::npos) seen[i] += row.letters[i];
    emit_row(ctx, row, mp::monotonic_seconds() - first, "states.row");
  }

  // Release everyone: the flag, a byte down each pipe, SIGCONT.
  control->release.store(1);
  const char byte = 1;
  mp::write_all(pipes.input.second.get(), &byte, 1);
  mp::write_all(pipes.vfork.second.get(), &byte, 1);
  ::kill(stopped.pid(), SIGCONT);
  for (Role sleeper : {Role::Sleep, Role::Stopped}) ::kill(children[static_cast<std::size_t>(sleeper)].pid(), SIGUSR1);
  ctx.emit("states.release");
  const bool all_ended = wait_all_ended(children, kStepTimeout);
  Row last = sample(children);
  emit_row(ctx, last, mp::monotonic_seconds() - first, "states.row_ended");
  int zombies = 0;
  for (char c : last.letters) zombies += c == 'Z' ? 1 : 0;

  std::vector<ProcStat> entries;
  for (const auto& c : children)
    if (auto s = read_proc_stat(c.pid())) entries.push_back(*s);
  for (auto& c : children) c.join(kStepTimeout);
  int gone = 0;
  for (const auto& e : entries) gone += entry_gone(e) ? 1 : 0;
  gone += static_cast<int>(kRoleCount - entries.size());  // no entry left to read even before the join
  ctx.emit("states.reaped", {{"gone", gone}, {"count", kRoleCount}});

  Summary s;
  json seen_json = json::object();
  for (std::size_t i = 0; i < kRoleCount; ++i) seen_json[kRoles[i].name] = seen[i];
  s.figures = {{"samples", o.samples}, {"seen", seen_json}, {"last_row", last.letters}};
  for (std::size_t i = 0; i < kRoleCount; ++i)
    s.check(kRoles[i].check, seen[i].find(kRoles[i].expected) != std::string::npos, seen[i],
            std::string(1, kRoles[i].expected));
  s.check("all_zombies_before_reap", all_ended && zombies == static_cast<int>(kRoleCount), last.letters,
          std::string(kRoleCount, 'Z'));
  s.check("gone_after_reap", gone == static_cast<int>(kRoleCount), gone, kRoleCount);
  return s;
}

}  // namespace

RunFunction setup_states(CLI::App& app) {
  auto o = std::make_shared<StatesOptions>();
  add_whole(app, "--samples", o->samples, "rows of the timeline (samples of /proc/<pid>/stat)", 1, 1000);
  add_seconds(app, "--interval", o->interval, "seconds between samples");
  return [o](Context& ctx) { return run_states(*o, ctx); };
}

}  // namespace mpdemo
