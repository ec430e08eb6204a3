// spawn: the two ways to start a child process (seed 000 两种方式, 002
// 方法一/方法二, 003).
//
// Half of the children run a function given as the target (Python's
// Process(target=task, name=...)); the other half are a subclass of
// mp::Process that overrides run() (Python's class MyProcess(Process)).
// Right after each start() returns, the main process says so; each child's
// first act is to say that it runs. start() only asks the OS for a new
// process: fork returns in the main process at once, without waiting for the
// child's code, and the child runs when the scheduler gets to it. On an idle
// machine that is usually after main's line; on a busy one the new child
// often gets the CPU first. The scenario measures which, truthfully: the
// times are taken in the processes themselves (kept in shared memory), not
// when the lines are printed. What always holds is checked: every start()
// returned while its child was still at work.
//
// Try:  mpdemo spawn
//       mpdemo spawn --per-way 4 --seed 7
// Watch for: each "start() returned" line of MainProcess and that child's
// first line (which came first, and the microseconds in between), and the
// children finishing in the order of their random work, not of start.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "seconds_text.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

struct SpawnOptions {
  int per_way = 2;    // children started each way (seed 002: four names, both ways)
  int work_min = 1;   // seed 002: each child works randrange(1, 5) seconds
  int work_max = 4;
};

// The least work (after --speed) that lets a child be seen still working
// when its start() returns: on a busy machine main can wait milliseconds for
// the CPU after fork.
constexpr double kLeastWork = 0.02;

// What one child writes about itself, in memory shared with the main process.
struct ChildRecord {
  std::atomic<int> runs{0};  // times the child's code ran: the lesson says exactly once
  double began = 0;          // CLOCK_MONOTONIC at the child's first line of code
  double finished = 0;       // CLOCK_MONOTONIC when its work was over
  pid_t pid = 0;             // getpid() in the child
  char name[64] = {};        // current_process().name in the child
};

// What both kinds of child do: note the moment they first run, say so, work.
void child_body(const Context& ctx, ChildRecord& record, const char* running_kind, int work) {
  record.began = mp::monotonic_seconds();  // first: this is the moment the child got the CPU
  record.runs.fetch_add(1);
  record.pid = ::getpid();
  const std::string& name = mp::current_process().name;
  std::strncpy(record.name, name.c_str(), sizeof record.name - 1);
  ctx.emit(running_kind, {{"work", ctx.scaled(work)}, {"span_begin", "spawn.working"}});
  ctx.sleep(work);
  record.finished = mp::monotonic_seconds();
  ctx.emit("spawn.child_done", {{"work", ctx.scaled(work)}, {"span_end", "spawn.working"}});
}

// Way 2, Python's `class MyProcess(Process)` with `def run(self)`: the
// subclass gets what run() needs through its constructor and overrides run().
// start() calls run() in the new process.
class Worker final : public mp::Process {
 public:
  Worker(std::string name, const Context& ctx, ChildRecord& record, int work)
      : mp::Process(std::move(name)), ctx_(ctx), record_(record), work_(work) {}

 protected:
  void run() override { child_body(ctx_, record_, "spawn.subclass_running", work_); }

 private:
  const Context& ctx_;
  ChildRecord& record_;
  int work_;
};

Summary run_spawn(const SpawnOptions& o, Context& ctx) {
  if (o.work_min > o.work_max)
    throw UsageError("option.min_above_max",
                     {{"min_option", "--work-min"}, {"min", o.work_min}, {"max_option", "--work-max"}, {"max", o.work_max}});
  if (ctx.scaled(o.work_min) < kLeastWork)
    throw UsageError("spawn.work_too_short", {{"seconds", seconds_text(ctx.scaled(o.work_min))}});
  const int total = 2 * o.per_way;
  ctx.emit("spawn.setup", {{"per_way", o.per_way}, {"main_pid", ::getpid()}});

  mp::SharedMapping memory(sizeof(ChildRecord) * static_cast<std::size_t>(total));
  auto* records = static_cast<ChildRecord*>(memory.data());
  for (int i = 0; i < total; ++i) new (&records[i]) ChildRecord;

  // Both kinds are mp::Process, so one list holds them (by pointer: a
  // subclass must not be sliced).
  Rng rng = ctx.rng(0);
  std::vector<std::unique_ptr<mp::Process>> children;
  std::vector<int> works;
  for (int i = 0; i < total; ++i) {
    const int work = static_cast<int>(rng.integer(o.work_min, o.work_max));
    works.push_back(work);
    ChildRecord& record = records[i];
    if (i < o.per_way) {
      // Way 1, Python's Process(target=task, name=...): any callable.
      auto task = [&ctx, &record, work] { child_body(ctx, record, "spawn.target_running", work); };
      children.push_back(std::make_unique<mp::Process>(task, "Target-" + std::to_string(i + 1)));
    } else {
      children.push_back(std::make_unique<Worker>("Subclass-" + std::to_string(i - o.per_way + 1), ctx, record, work));
    }
  }

  std::vector<double> start_returned(static_cast<std::size_t>(total));
  std::vector<double> main_line_written(static_cast<std::size_t>(total));
  double longest_start = 0;  // seconds one start() call took
  for (int i = 0; i < total; ++i) {
    auto& child = *children[static_cast<std::size_t>(i)];
    const double before_start = mp::monotonic_seconds();
    child.start();
    start_returned[static_cast<std::size_t>(i)] = mp::monotonic_seconds();
    longest_start = std::max(longest_start, start_returned[static_cast<std::size_t>(i)] - before_start);
    ctx.emit("spawn.started", {{"child", child.name()}, {"child_pid", child.pid()}, {"way", i < o.per_way ? "target" : "subclass"}});
    // Taken after the event is written: if the child's first line comes
    // later, main's line is surely ahead of the child's in the event pipe.
    main_line_written[static_cast<std::size_t>(i)] = mp::monotonic_seconds();
  }
  ctx.emit("spawn.main_line", {{"children", total}});

  for (auto& child : children) child->join();

  int ran_once = 0, main_first = 0, returned_while_working = 0;
  std::vector<std::string> problems;
  std::vector<double> gaps_us;
  for (int i = 0; i < total; ++i) {
    auto& child = *children[static_cast<std::size_t>(i)];
    const ChildRecord& r = records[i];
    const bool once = r.runs.load() == 1 && child.name() == r.name && r.pid == child.pid() && child.exitcode() == 0;
    if (once) ++ran_once;
    else problems.push_back(child.name());
    if (r.runs.load() > 0) {
      if (main_line_written[static_cast<std::size_t>(i)] < r.began) ++main_first;
      if (start_returned[static_cast<std::size_t>(i)] < r.finished) ++returned_while_working;
      gaps_us.push_back((r.began - start_returned[static_cast<std::size_t>(i)]) * 1e6);
    }
  }
  std::sort(gaps_us.begin(), gaps_us.end());
  const long gap_min = gaps_us.empty() ? 0 : static_cast<long>(gaps_us.front());
  const long gap_max = gaps_us.empty() ? 0 : static_cast<long>(gaps_us.back());
  ctx.emit(main_first == total ? "spawn.verdict_main_first" : "spawn.verdict_child_first",
           {{"main_first", main_first}, {"child_first", total - main_first}, {"children", total},
            {"gap_min_us", gap_min}, {"gap_max_us", gap_max}});
  ctx.emit(returned_while_working == total ? "spawn.verdict_no_wait" : "spawn.verdict_finished_before_start_returned",
           {{"returned_while_working", returned_while_working}, {"children", total},
            {"longest_start_ms", std::round(longest_start * 1e6) / 1e3}});

  Summary s;
  s.figures = {{"children", total},           {"per_way", o.per_way},         {"ran_once", ran_once},
               {"main_line_first", main_first}, {"child_began_after_start_us", {{"min", gap_min}, {"max", gap_max}}},
               {"longest_start_ms", std::round(longest_start * 1e6) / 1e3}, {"works", works}};
  s.check("each_child_ran_once_with_its_name", ran_once == total,
          problems.empty() ? json(ran_once) : json(problems), total);
  s.check("start_returned_while_child_worked", returned_while_working == total, returned_while_working, total);
  return s;
}

}  // namespace

RunFunction setup_spawn(CLI::App& app) {
  auto o = std::make_shared<SpawnOptions>();
  add_whole(app, "--per-way", o->per_way, "children started each way (function target, Process subclass)", 1, 500);
  add_whole(app, "--work-min", o->work_min, "each child works a random whole number of seconds, at least this", 0, 3600);
  add_whole(app, "--work-max", o->work_max, "each child works a random whole number of seconds, at most this", 0, 3600);
  return [o](Context& ctx) { return run_spawn(*o, ctx); };
}

}  // namespace mpdemo
