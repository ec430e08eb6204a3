// daemon: a daemon child dies with the end of the main process's code; a
// normal child runs to its end (seeds 000, 002 and 003 守护进程).
//
// Main starts two children and then does its own work (2 s):
//   daemon  (Process(..., Daemon::Yes), Python's p.daemon = True) works in
//           5 steps of 0.7 s and would say "done" at the end;
//   worker  (a normal child) works 3 s and says "done".
// When main's code ends, the Process objects go out of scope, which does
// what Python does at the end of the main module: the daemon is terminated
// at once, mid-work; the normal child is waited for. The daemon also tries
// to start a child of its own first, which is refused: a daemon's children
// would be orphaned when it is killed.
//
// Try:  mpdemo daemon
//       mpdemo daemon --main 6     (main outlives the daemon: it finishes)
// Watch for: the daemon's steps stopping when main ends, never "done"; the
// worker's "done" after main's last line; the refusal with its message.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <memory>
#include <string>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "seconds_text.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

struct DaemonOptions {
  double main = 2;       // seed 000: main sleeps 2 s, then ends
  int daemon_steps = 5;  // the daemon works longer than main (seed 000 sleeps 50 s);
  double step = 0.7;     // its steps do not end at main's 2 s, so the cut is clear
  double worker = 3;     // the normal child: longer than main too, and it still finishes
};

// The least time (after --speed) the daemon must still have to work when main
// ends, for its cut to be seen despite process start-up and scheduling.
constexpr double kLeastMargin = 0.02;

// What the children did, written by them into memory shared with main.
struct Progress {
  std::atomic<bool> daemon_started{false};
  std::atomic<int> daemon_steps_done{0};
  std::atomic<bool> daemon_done{false};          // set right after the daemon's "done" line
  std::atomic<bool> grandchild_refused{false};
  std::atomic<bool> grandchild_started{false};   // would be a bug: daemons may not have children
  std::atomic<bool> worker_done{false};
};

void daemon_work(const DaemonOptions& o, const Context& ctx, Progress& progress) {
  progress.daemon_started = true;
  ctx.emit("daemon.daemon_starts", {{"steps", o.daemon_steps},
                                    {"total", ctx.scaled(o.daemon_steps * o.step)},
                                    {"span_begin", "daemon.daemon_working"}});
  try {
    mp::Process grandchild([] {}, "Grandchild");
    grandchild.start();
    progress.grandchild_started = true;
    grandchild.join();
  } catch (const mp::ProcessError& e) {
    progress.grandchild_refused = true;
    ctx.emit("daemon.refused", {{"error", e.what()}});
  }
  for (int i = 1; i <= o.daemon_steps; ++i) {
    ctx.sleep(o.step);
    progress.daemon_steps_done = i;
    ctx.emit("daemon.step", {{"step", i}, {"of", o.daemon_steps}});
  }
  ctx.emit("daemon.done", {{"span_end", "daemon.daemon_working"}});
  progress.daemon_done = true;
}

void worker_work(const DaemonOptions& o, const Context& ctx, Progress& progress) {
  ctx.emit("daemon.worker_starts", {{"work", ctx.scaled(o.worker)}, {"span_begin", "daemon.working"}});
  ctx.sleep(o.worker);
  ctx.emit("daemon.worker_done", {{"span_end", "daemon.working"}});
  progress.worker_done = true;
}

Summary run_daemon(const DaemonOptions& o, Context& ctx) {
  // A daemon set up to finish before main ends simply finishes: the run then
  // shows (and its check reports) that nothing was cut off. But a --speed
  // that squeezes a longer daemon into the same instant as main's end shows
  // nothing at all: that is bad usage.
  const double left_at_main_end = ctx.scaled(o.daemon_steps * o.step - o.main);
  if (o.daemon_steps * o.step > o.main && left_at_main_end < kLeastMargin)
    throw UsageError("daemon.too_little_work", {{"speed", seconds_text(ctx.speed())}, {"seconds", seconds_text(left_at_main_end)}});
  mp::Shared<Progress> progress;
  double main_ended = 0;
  {
    // Declared first, destroyed last: as in Python, daemons are terminated
    // before the other children are joined.
    mp::Process worker([&] { worker_work(o, ctx, *progress); }, "Worker");
    mp::Process daemon([&] { daemon_work(o, ctx, *progress); }, "Daemon", mp::Daemon::Yes);
    worker.start();
    daemon.start();
    ctx.emit("daemon.main_works", {{"work", ctx.scaled(o.main)},
                                   {"daemon_pid", daemon.pid()},
                                   {"worker_pid", worker.pid()},
                                   {"span_begin", "daemon.working"}});
    ctx.sleep(o.main);
    ctx.emit("daemon.main_ends", {{"span_end", "daemon.working"}});
    main_ended = mp::monotonic_seconds();
  }  // the end of main's code: ~Process terminates the daemon, then waits for the worker
  const double waited = rounded_seconds(mp::monotonic_seconds() - main_ended);
  const bool nothing_left = mp::active_children().empty();

  const int steps_done = progress->daemon_steps_done;
  const bool daemon_done = progress->daemon_done;
  const bool cut_off = progress->daemon_started && !daemon_done && steps_done < o.daemon_steps;
  if (cut_off) {
    ctx.emit("daemon.verdict_cut_off", {{"steps_done", steps_done}, {"of", o.daemon_steps}, {"waited", waited}});
  } else if (!progress->daemon_started) {
    ctx.emit("daemon.verdict_never_ran", {{"of", o.daemon_steps}});
  } else {
    ctx.emit("daemon.verdict_finished", {{"steps_done", steps_done}, {"of", o.daemon_steps}, {"waited", waited}});
  }

  Summary s;
  s.figures = {{"daemon_steps_done", steps_done}, {"daemon_steps", o.daemon_steps},
               {"daemon_done", daemon_done},      {"worker_done", progress->worker_done.load()},
               {"grandchild_refused", progress->grandchild_refused.load()},
               {"waited_after_main", waited}};
  s.check("daemon_cut_off_never_done", cut_off, json{{"steps_done", steps_done}, {"done", daemon_done}},
          json{{"steps_done", "< " + std::to_string(o.daemon_steps)}, {"done", false}});
  s.check("worker_ran_to_done", progress->worker_done.load(), progress->worker_done.load(), true);
  s.check("child_of_daemon_refused", progress->grandchild_refused && !progress->grandchild_started,
          progress->grandchild_refused.load(), true);
  s.check("no_child_left", nothing_left, nothing_left, true);
  return s;
}

}  // namespace

RunFunction setup_daemon(CLI::App& app) {
  auto o = std::make_shared<DaemonOptions>();
  add_seconds(app, "--main", o->main, "seconds main works before its code ends");
  add_whole(app, "--daemon-steps", o->daemon_steps, "steps the daemon works", 1, 1000);
  add_seconds(app, "--step", o->step, "seconds per daemon step");
  add_seconds(app, "--worker", o->worker, "seconds the normal child works");
  return [o](Context& ctx) { return run_daemon(*o, ctx); };
}

}  // namespace mpdemo
