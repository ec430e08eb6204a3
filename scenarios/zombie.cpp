// zombie: a child that has exited but was not waited for (seeds 000, 002, 003).
//
// When a process ends, the kernel frees its memory and files but keeps a
// small entry in the process table: its pid and exit status, for the parent
// to collect with wait(). Until then the entry shows in ps with state Z and
// the command "[name] <defunct>". This scenario starts --count children that
// wait on a pipe, lets them all exit at once, reads their entries in
// /proc/<pid>/stat and shows them as zombies, then reaps them three ways:
//   --mode wait     the parent is busy for --hold seconds, then join()s
//                   (waitpid) each child: the entries vanish. While it
//                   holds it shows what ps shows and counts down (a few
//                   lines: 7, 4, 1 s left at the default --hold 10);
//   --mode sigchld  a SIGCHLD handler only writes a byte to a self-pipe; the
//                   main loop wakes on it and reaps every ended child (one
//                   signal may stand for several children: they do not queue);
//   --mode ignore   SIGCHLD set to SIG_IGN: the kernel reaps at exit, no
//                   zombie is ever seen, and the exit statuses are lost.
// The previous SIGCHLD disposition is restored afterwards.
//
// Try:  mpdemo zombie                      (and run the ps line it prints)
//       mpdemo zombie --mode sigchld --count 20
//       mpdemo zombie --mode ignore
// Watch for: state Z and <defunct> before the reap, "gone" after it; under
// ignore, no Z at all and no exit code.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cmath>
#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/unique_fd.hpp"
#include "proc_table.hpp"
#include "sentinels.hpp"
#include "number_options.hpp"
#include "setups.hpp"
#include "zombie_watch.hpp"

namespace mpdemo {
namespace {

enum class ReapMode { Wait, Sigchld, Ignore };

// Kept as the word the user typed, so that the "rerun with" line shows it.
ReapMode reap_mode(const std::string& word) {
  if (word == "sigchld") return ReapMode::Sigchld;
  if (word == "ignore") return ReapMode::Ignore;
  return ReapMode::Wait;
}

struct ZombieOptions {
  std::string mode_word = "wait";  // --mode: wait, sigchld or ignore
  ReapMode mode = ReapMode::Wait;  // set from mode_word when the run starts
  int count = 3;      // children
  double hold = 10.0;  // seconds the parent stays busy before reaping (--mode wait): time to run ps yourself
  int show = 5;       // children whose lines are shown (all are counted)
};

// Each child is watched through a pidfd (its sentinel), one descriptor per
// child, and /proc reads need a few more. Raises the soft limit (up to the
// hard one) when --count needs it; the change lasts until mpdemo exits.
void ensure_descriptors(int count, const Context& ctx) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) mp::throw_os_error("getrlimit(RLIMIT_NOFILE)");
  const auto needed = static_cast<rlim_t>(count) + 64;
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) return;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed)
    throw UsageError("zombie.too_many_fds", {{"count", count}, {"needed", needed}, {"limit", limit.rlim_max}});
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = needed;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) mp::throw_os_error("setrlimit(RLIMIT_NOFILE)");
  ctx.emit("zombie.fd_limit_raised", {{"from", before}, {"to", needed}});
}

// A safety net, not a lesson: children that exit at once end well within it.
constexpr double kEndTimeout = 10.0;

// The state of the SIGCHLD handler. Plain globals: a handler can reach
// nothing else, and it may only touch lock-free atomics and call write().
std::atomic<int> sigchld_count{0};
int sigchld_pipe_write = -1;
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_sigchld(int) {
  const int saved_errno = errno;  // write() may change errno under the interrupted code
  sigchld_count.fetch_add(1, std::memory_order_relaxed);
  char byte = 1;
  // Non-blocking: when the pipe is full it already says "wake up".
  [[maybe_unused]] ssize_t n = ::write(sigchld_pipe_write, &byte, 1);
  errno = saved_errno;
}

// Sets SIGCHLD's disposition for one scope and puts the old one back.
class SigchldDisposition {
 public:
  explicit SigchldDisposition(const struct sigaction& now) {
    if (::sigaction(SIGCHLD, &now, &old_) != 0) mp::throw_os_error("sigaction(SIGCHLD)");
  }
  ~SigchldDisposition() { ::sigaction(SIGCHLD, &old_, nullptr); }
  SigchldDisposition(const SigchldDisposition&) = delete;
  SigchldDisposition& operator=(const SigchldDisposition&) = delete;

 private:
  struct sigaction old_ {};
};

struct sigaction handler_action() {
  struct sigaction sa {};
  sa.sa_handler = on_sigchld;
  sigemptyset(&sa.sa_mask);
  // SA_RESTART: calls in other threads (the event pump's read) resume instead
  // of failing with EINTR; SA_NOCLDSTOP: only exits, not stops, are reported.
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  return sa;
}

struct sigaction ignore_action() {
  struct sigaction sa {};
  sa.sa_handler = SIG_IGN;
  sigemptyset(&sa.sa_mask);
  return sa;
}

const char* mode_name(ReapMode m) {
  switch (m) {
    case ReapMode::Wait: return "wait";
    case ReapMode::Sigchld: return "sigchld";
    case ReapMode::Ignore: return "ignore";
  }
  return "?";
}

// The exit status child `index` (1-based) leaves in its zombie entry.
int exit_status_of(int index) { return index % 256; }

// One child as the parent tracks it.
struct Tracked {
  int index = 0;
  ProcStat first;           // its entry while it was alive (for the pid-reuse-safe "gone" test)
  bool zombie_seen = false;  // state Z seen before it was reaped
  bool reaped = false;
  bool gone = false;         // its entry vanished after the reap
  std::optional<int> exitcode;
};

// What this run found, across modes.
struct Tally {
  int zombies_seen = 0;
  int gone = 0;
  int status_matched = 0;  // exit code read by the reap = the one the child chose
  int status_lost = 0;     // reaped by the kernel: no exit code to read
};

// Samples the entry of an ended child just before the parent reaps it.
void show_before_reap(const Context& ctx, Tracked& t, bool shown) {
  auto s = read_proc_stat(t.first.pid);
  const char state = s ? s->state : '-';
  t.zombie_seen = state == 'Z';
  if (shown && s)
    ctx.emit("zombie.ps", {{"child", t.first.pid}, {"stat", std::string(1, state)}, {"state_name", state_name(state)},
                           {"command", ps_command(*s, read_cmdline(t.first.pid))}});
}

// join() is waitpid(): it collects the exit status and frees the entry.
void reap(const Context& ctx, mp::Process& child, Tracked& t, bool shown) {
  if (!child.join(0.0)) return;  // not ended after all; a later wake-up reaps it
  t.reaped = true;
  t.exitcode = child.exitcode();
  t.gone = entry_gone(t.first);
  if (shown)
    ctx.emit("zombie.reaped", {{"child", t.first.pid}, {"exitcode", t.exitcode ? json(*t.exitcode) : json(nullptr)},
                               {"gone", t.gone}});
}

// The moments, in tutorial seconds left, at which the parent says how long
// it will still hold: at most three (a projected screen has room for a few
// lines, not one a second), whole seconds apart, the last one second or less
// before the reap. --hold 10: 7, 4, 1.
std::vector<double> countdown_marks(double hold) {
  const double step = hold <= 3 ? 1.0 : std::ceil(hold / 4);
  std::vector<double> left;
  for (double l = hold - step; l > 0 && left.size() < 3; l -= step) left.push_back(l);
  return left;
}

// What ps shows for the first --show children now, one "pid STAT" each, and
// how many of all the children are zombies.
std::pair<std::string, int> ps_states(const ZombieOptions& o, const std::vector<Tracked>& tracked) {
  std::string shown;
  int zombies = 0;
  for (const auto& t : tracked) {
    auto s = read_proc_stat(t.first.pid);
    const char state = s && s->starttime == t.first.starttime ? s->state : '-';
    zombies += state == 'Z' ? 1 : 0;
    if (t.index <= o.show) shown += (shown.empty() ? "" : ", ") + std::to_string(t.first.pid) + " " + state;
  }
  return {shown, zombies};
}

void run_wait_mode(const ZombieOptions& o, const Context& ctx, std::vector<mp::Process>& children,
                   std::vector<Tracked>& tracked) {
  ctx.emit("zombie.hold", {{"seconds", ctx.scaled(o.hold)}, {"parent", ::getpid()}});
  // What ps shows now, at the start of the hold, for the student to compare
  // with their own ps in another terminal.
  for (auto& t : tracked) {
    show_before_reap(ctx, t, t.index <= o.show);
  }
  // The parent "does other work"; the zombies stay. It says how long it
  // still holds, and what ps still shows, a few times on the way.
  double slept = 0;
  for (double left : countdown_marks(o.hold)) {
    ctx.sleep(o.hold - left - slept);
    slept = o.hold - left;
    const auto [shown, zombies] = ps_states(o, tracked);
    ctx.emit("zombie.countdown", {{"left", ctx.scaled(left)}, {"zombies", zombies}, {"count", o.count}, {"ps", shown}});
  }
  ctx.sleep(o.hold - slept);
  // Looked at again just before the reap: still zombies, every one?
  int zombies = 0;
  for (auto& t : tracked) {
    show_before_reap(ctx, t, false);
    zombies += t.zombie_seen ? 1 : 0;
  }
  ctx.emit("zombie.count", {{"zombies", zombies}, {"count", o.count}});
  ctx.emit("zombie.joining");
  for (std::size_t i = 0; i < children.size(); ++i) reap(ctx, children[i], tracked[i], tracked[i].index <= o.show);
}

void run_sigchld_mode(const ZombieOptions& o, const Context& ctx, std::vector<mp::Process>& children,
                      std::vector<Tracked>& tracked, int wake_fd, int& wakeups) {
  mp::Deadline deadline(kEndTimeout);
  int signals_seen = 0;
  std::size_t left = children.size();
  while (left > 0 && !deadline.expired()) {
    pollfd p{wake_fd, POLLIN, 0};
    int r = ::poll(&p, 1, deadline.poll_ms());
    if (r < 0 && errno != EINTR) mp::throw_os_error("poll(self-pipe)");
    if (r <= 0) continue;
    char drain[256];
    while (::read(wake_fd, drain, sizeof drain) > 0) {
    }
    ++wakeups;
    const int signals_now = sigchld_count.load(std::memory_order_relaxed);
    // Signals do not queue: reap every child that has ended, not just one.
    int reaped_now = 0;
    for (std::size_t i = 0; i < children.size(); ++i) {
      Tracked& t = tracked[i];
      if (t.reaped || !has_ended(children[i])) continue;
      const bool shown = t.index <= o.show;
      show_before_reap(ctx, t, shown);
      reap(ctx, children[i], t, shown);
      if (t.reaped) {
        ++reaped_now;
        --left;
      }
    }
    ctx.emit("zombie.wakeup", {{"signals", signals_now - signals_seen}, {"reaped", reaped_now}, {"left", left}});
    signals_seen = signals_now;
  }
}

void run_ignore_mode(const ZombieOptions& o, const Context& ctx, std::vector<mp::Process>& children,
                     std::vector<Tracked>& tracked) {
  for (std::size_t i = 0; i < children.size(); ++i) {
    Tracked& t = tracked[i];
    // The child has ended (its sentinel said so); watch its entry until it
    // vanishes, noting every state it shows on the way.
    ZombieWatch watch;
    mp::Deadline deadline(kEndTimeout);
    for (;;) {
      auto s = read_proc_stat(t.first.pid);
      if (!s || s->starttime != t.first.starttime) break;
      watch.sample(s->state, mp::monotonic_seconds());
      if (deadline.expired()) break;
      mp::sleep_for(0.0005);
    }
    t.zombie_seen = watch.stayed_zombie();
    const std::string& seen = watch.states_seen();
    t.gone = entry_gone(t.first);
    if (t.index <= o.show)
      ctx.emit("zombie.vanished", {{"child", t.first.pid}, {"gone", t.gone}, {"seen", seen.empty() ? "-" : seen}});
    // join() finds nothing to collect: waitpid fails with ECHILD.
    children[i].join(kEndTimeout);
    t.reaped = true;
    t.exitcode = children[i].exitcode();
    if (t.index <= o.show)
      ctx.emit("zombie.status_lost", {{"child", t.first.pid},
                                      {"exitcode", t.exitcode ? json(*t.exitcode) : json(nullptr)}});
  }
}

Summary run_zombie(const ZombieOptions& o, Context& ctx) {
  ctx.emit("zombie.setup", {{"count", o.count}, {"mode", mode_name(o.mode)}, {"parent", ::getpid()}});
  ensure_descriptors(o.count, ctx);

  // The self-pipe of the SIGCHLD handler, declared before the disposition so
  // that it outlives the handler that writes to it.
  auto [wake_r, wake_w] = mp::make_pipe();
  for (int fd : {wake_r.get(), wake_w.get()}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  sigchld_pipe_write = wake_w.get();
  sigchld_count.store(0);
  std::optional<SigchldDisposition> disposition;
  if (o.mode == ReapMode::Sigchld) {
    disposition.emplace(handler_action());
    ctx.emit("zombie.handler_installed");
  } else if (o.mode == ReapMode::Ignore) {
    disposition.emplace(ignore_action());
    ctx.emit("zombie.ignore_set");
  }

  // Every child waits for EOF on `go`, so none ends before the parent has
  // looked at it alive, and all end together.
  auto go = mp::make_pipe();
  mp::UniqueFd& go_r = go.first;
  mp::UniqueFd& go_w = go.second;
  std::vector<mp::Process> children;
  children.reserve(static_cast<std::size_t>(o.count));
  for (int i = 1; i <= o.count; ++i) {
    children.emplace_back(
        [&, i] {
          go_w.reset();  // close our copy of the write end, or EOF would never come
          char byte;
          while (::read(go_r.get(), &byte, 1) < 0 && errno == EINTR) {
          }
          if (i <= o.show) ctx.emit("zombie.child_exits", {{"code", exit_status_of(i)}});
          throw mp::SystemExit{exit_status_of(i)};
        },
        "Child-" + std::to_string(i));
  }
  std::vector<Tracked> tracked(children.size());
  for (std::size_t i = 0; i < children.size(); ++i) {
    children[i].start();
    tracked[i].index = static_cast<int>(i) + 1;
    auto alive = read_proc_stat(children[i].pid());
    if (!alive) throw mp::Error("no /proc entry for child " + std::to_string(children[i].pid()) + " right after start");
    tracked[i].first = *alive;
    if (tracked[i].index <= o.show) {
      alive->state = wait_for_state(alive->pid, 'S', 1.0);  // blocked in read() on the pipe
      ctx.emit("zombie.ps_alive", {{"child", alive->pid}, {"stat", std::string(1, alive->state)},
                                   {"command", ps_command(*alive, read_cmdline(alive->pid))}});
    }
  }
  ctx.emit("zombie.try_ps", {{"parent", ::getpid()}});

  ctx.emit("zombie.go");
  go_w.reset();  // EOF for every child: they all exit now

  int wakeups = 0;
  bool all_ended = true;
  if (o.mode == ReapMode::Sigchld) {
    run_sigchld_mode(o, ctx, children, tracked, wake_r.get(), wakeups);
  } else {
    all_ended = wait_all_ended(children, kEndTimeout);  // ended, not reaped: zombies now (unless ignored)
    if (all_ended) {
      if (o.mode == ReapMode::Wait) run_wait_mode(o, ctx, children, tracked);
      else run_ignore_mode(o, ctx, children, tracked);
    }
  }
  for (auto& c : children) c.join(kEndTimeout);  // anything a failed step left behind

  Tally tally;
  for (const auto& t : tracked) {
    tally.zombies_seen += t.zombie_seen ? 1 : 0;
    tally.gone += t.gone ? 1 : 0;
    if (t.exitcode && *t.exitcode == exit_status_of(t.index)) ++tally.status_matched;
    if (!t.exitcode) ++tally.status_lost;
  }
  ctx.emit("zombie.gone", {{"gone", tally.gone}, {"count", o.count}});
  const int signals = sigchld_count.load();
  if (o.mode == ReapMode::Sigchld && signals < o.count)
    ctx.emit("zombie.coalesced", {{"signals", signals}, {"count", o.count}});
  disposition.reset();
  sigchld_pipe_write = -1;
  if (o.mode != ReapMode::Wait) ctx.emit("zombie.restored");

  Summary s;
  s.figures = {{"mode", mode_name(o.mode)},     {"count", o.count},
               {"zombies_seen", tally.zombies_seen}, {"gone", tally.gone},
               {"exit_status_collected", tally.status_matched}, {"exit_status_lost", tally.status_lost}};
  if (o.mode == ReapMode::Sigchld) {
    s.figures["sigchld_signals"] = signals;
    s.figures["wakeups"] = wakeups;
  }
  s.check("children_ended", all_ended, all_ended, true);
  if (o.mode == ReapMode::Ignore) {
    s.check("no_zombie_seen", tally.zombies_seen == 0, tally.zombies_seen, 0);
    s.check("gone_without_wait", tally.gone == o.count, tally.gone, o.count);
    s.check("exit_status_lost", tally.status_lost == o.count, tally.status_lost, o.count);
  } else {
    s.check("zombie_before_reap", tally.zombies_seen == o.count, tally.zombies_seen, o.count);
    s.check("gone_after_reap", tally.gone == o.count, tally.gone, o.count);
    s.check("exit_status_collected", tally.status_matched == o.count, tally.status_matched, o.count);
  }
  return s;
}

}  // namespace

RunFunction setup_zombie(CLI::App& app) {
  auto o = std::make_shared<ZombieOptions>();
  app.add_option("--mode", o->mode_word,
                 "how the zombies are reaped: wait (join after --hold), sigchld (a handler wakes the main loop), "
                 "ignore (SIGCHLD=SIG_IGN: the kernel reaps)")
      ->check(CLI::IsMember({"wait", "sigchld", "ignore"}))
      ->capture_default_str();
  add_whole(app, "--count", o->count, "number of children", 1, 5000);
  add_seconds(app, "--hold", o->hold, "seconds the parent stays busy before reaping (--mode wait)");
  add_whole(app, "--show", o->show, "show lines for the first N children (all are counted)", 0, 2147483647);
  return [o](Context& ctx) {
    o->mode = reap_mode(o->mode_word);
    return run_zombie(*o, ctx);
  };
}

}  // namespace mpdemo
