// pool: what a process Pool buys and how its calls differ (seeds 003 and
// 004 on multiprocessing.Pool).
//
//   1. map: Pool(5).map over 100 tasks, against 100 separate processes
//      doing the same work; both are timed. map returns results in input
//      order whichever worker finished first.
//   2. apply runs one task and waits for it: one at a time, however many
//      workers there are. apply_async only queues the task and returns an
//      AsyncResult at once; get() waits for its value. A counter in shared
//      memory measures how many tasks ran at the same moment.
//   3. callbacks: apply_async(..., callback) calls the callback with the
//      result in the MAIN process (compare the pids), not in the worker.
//   4. imap yields results in input order, imap_unordered as they finish.
//   5. close() then join(): join before close is refused, and so is a task
//      submitted after close.
//
// Try:  mpdemo pool
//       mpdemo pool --workers 2 --work 1       (apply_async: 10 tasks, 2 at a time)
//
// Watch the pid column: the same five worker pids run every task.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <tuple>

#include "mp/events.hpp"
#include "mp/pool.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

struct PoolOptions {
  int workers = 5;      // seed 003: Pool(5)
  int map_tasks = 100;  // seed 003: map over range(100), and 100 Processes
  int tasks = 10;       // seed 003: ten apply / apply_async calls
  double work = 0.5;    // seconds each apply / apply_async task sleeps
  int callbacks = 5;    // apply_async calls with a callback
  int imap_tasks = 5;   // items for imap and imap_unordered
  double step = 0.2;    // imap item n sleeps (items - n) * step: the first finishes last
};

// How many tasks run at one moment, counted by the tasks themselves.
struct Concurrency {
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  void reset() {
    running = 0;
    max_running = 0;
  }
};

// Task arguments travel as bytes, so a task gets what it needs in one
// trivially copyable struct. The pointer is valid in every worker: the
// counters were mapped before the pool forked them.
struct WorkArgs {
  int n;
  double seconds;
  Concurrency* concurrency;
};

// The result of a task that also says where it ran.
struct Square {
  int value;
  pid_t pid;
};

// map's task: cheap work, so the cost of processes shows.
Square square(int n) { return {n * n, ::getpid()}; }

// apply / apply_async's task (seed 003's work(n): sleep, return n**2).
// Tasks are plain functions, without a Context: they emit through
// mp::events, which is what Context::emit calls.
int work(WorkArgs a) {
  const int now = a.concurrency->running.fetch_add(1) + 1;
  int seen = a.concurrency->max_running.load();
  while (now > seen && !a.concurrency->max_running.compare_exchange_weak(seen, now)) {
  }
  mp::events::emit("pool.work", {{"n", a.n}, {"running", now}, {"span_begin", "pool.task"}});
  mp::sleep_for(a.seconds);
  if (mp::events::tracing()) mp::events::emit("trace.span", {{"span_end", "pool.task"}});
  a.concurrency->running.fetch_sub(1);
  return a.n * a.n;
}

// imap's task: item n sleeps (items - n) * step, so later items finish first.
int staggered(std::tuple<int, double> a) {
  mp::sleep_for(std::get<1>(a));
  return std::get<0>(a);
}

struct Timings {
  double map = 0, processes = 0, apply = 0, apply_async = 0;
};

// Part 1: Pool.map against one process per task. Returns how many workers
// took part in the map.
std::size_t part_map(const PoolOptions& o, Context& ctx, mp::Pool& pool, Timings& t, bool& in_order, bool& processes_ok) {
  std::vector<int> inputs(static_cast<std::size_t>(o.map_tasks));
  for (int i = 0; i < o.map_tasks; ++i) inputs[static_cast<std::size_t>(i)] = i;
  double start = mp::monotonic_seconds();
  const std::vector<Square> results = pool.map(square, inputs);
  t.map = mp::monotonic_seconds() - start;
  std::map<std::string, int> per_worker;
  in_order = results.size() == inputs.size();
  for (std::size_t i = 0; i < results.size(); ++i) {
    in_order = in_order && results[i].value == inputs[i] * inputs[i];
    ++per_worker[std::to_string(results[i].pid)];
  }
  ctx.emit("pool.map_done", {{"tasks", o.map_tasks}, {"ms", std::round(t.map * 10000) / 10}, {"in_order", in_order},
                             {"per_worker", per_worker}, {"workers", per_worker.size()}});

  // The same work, one new process per task (seed 003's comparison).
  mp::SharedMapping memory(sizeof(int) * static_cast<std::size_t>(std::max(o.map_tasks, 1)));
  auto* squares = static_cast<int*>(memory.data());
  start = mp::monotonic_seconds();
  {
    std::vector<mp::Process> processes;
    processes.reserve(inputs.size());
    for (int i = 0; i < o.map_tasks; ++i)
      processes.emplace_back([squares, i] { squares[i] = square(i).value; }, "Task-" + std::to_string(i + 1));
    for (auto& p : processes) p.start();
    for (auto& p : processes) p.join();
  }
  t.processes = mp::monotonic_seconds() - start;
  processes_ok = true;
  for (int i = 0; i < o.map_tasks; ++i) processes_ok = processes_ok && squares[i] == i * i;
  ctx.emit("pool.processes_done", {{"tasks", o.map_tasks}, {"ms", std::round(t.processes * 10000) / 10},
                                   {"ratio", t.map > 0 ? std::lround(t.processes / t.map) : 0L}});
  return per_worker.size();
}

// Part 2: apply (one at a time) against apply_async (up to `workers` at once).
void part_apply(const PoolOptions& o, Context& ctx, mp::Pool& pool, Concurrency& c, Timings& t, int& apply_max,
                int& async_max, bool& results_ok) {
  const double seconds = ctx.scaled(o.work);
  results_ok = true;
  c.reset();
  ctx.emit("pool.apply_start", {{"tasks", o.tasks}, {"work", seconds}});
  double start = mp::monotonic_seconds();
  for (int n = 0; n < o.tasks; ++n) {
    const int r = pool.apply(work, WorkArgs{n, seconds, &c});  // waits for this one task
    results_ok = results_ok && r == n * n;
    ctx.emit("pool.apply_result", {{"n", n}, {"result", r}});
  }
  t.apply = mp::monotonic_seconds() - start;
  apply_max = c.max_running.load();
  ctx.emit("pool.apply_done", {{"seconds", t.apply}, {"max", apply_max}});

  c.reset();
  start = mp::monotonic_seconds();
  std::vector<mp::AsyncResult<int>> pending;
  for (int n = 0; n < o.tasks; ++n) pending.push_back(pool.apply_async(work, WorkArgs{n, seconds, &c}));
  ctx.emit("pool.async_submitted", {{"tasks", o.tasks}, {"seconds", mp::monotonic_seconds() - start}});
  for (int n = 0; n < o.tasks; ++n) {
    const int r = pending[static_cast<std::size_t>(n)].get(ctx.timeout(o.work * o.tasks * 4 + 10, 10.0));
    results_ok = results_ok && r == n * n;
    ctx.emit("pool.async_result", {{"n", n}, {"result", r}});
  }
  t.apply_async = mp::monotonic_seconds() - start;
  async_max = c.max_running.load();
  ctx.emit("pool.async_done", {{"seconds", t.apply_async}, {"max", async_max}, {"workers", o.workers}});
}

// Part 3: callbacks run in the main process.
std::set<pid_t> part_callbacks(const PoolOptions& o, Context& ctx, mp::Pool& pool, bool& results_ok) {
  std::mutex mutex;  // callbacks run on the pool's callback thread; this thread reads the set after get()
  std::set<pid_t> callback_pids;
  ctx.emit("pool.callback_start", {{"main", ::getpid()}, {"tasks", o.callbacks}});
  std::vector<mp::AsyncResult<Square>> pending;
  for (int n = 10; n < 10 + o.callbacks; ++n) {
    pending.push_back(pool.apply_async(square, n, [&ctx, &mutex, &callback_pids, n](const Square& s) {
      std::lock_guard lock(mutex);
      callback_pids.insert(::getpid());
      ctx.emit("pool.callback", {{"n", n}, {"result", s.value}, {"worker", s.pid}, {"here", ::getpid()}});
    }));
  }
  results_ok = true;
  for (int i = 0; i < o.callbacks; ++i) {
    const int n = 10 + i;
    // get() returns after the callback has run (as in Python).
    results_ok = results_ok && pending[static_cast<std::size_t>(i)].get(ctx.timeout(10, 10.0)).value == n * n;
  }
  std::lock_guard lock(mutex);
  return callback_pids;
}

// Part 4: imap in input order, imap_unordered as the results come.
void part_imap(const PoolOptions& o, Context& ctx, mp::Pool& pool, std::vector<int>& ordered,
               std::vector<int>& unordered) {
  std::vector<std::tuple<int, double>> items;
  for (int n = 0; n < o.imap_tasks; ++n) items.emplace_back(n, ctx.scaled((o.imap_tasks - n) * o.step));
  const mp::Timeout each = ctx.timeout(o.step * o.imap_tasks * 4 + 10, 10.0);
  ctx.emit("pool.imap_start", {{"tasks", o.imap_tasks}});
  auto in_order = pool.imap(staggered, items);
  while (auto v = in_order.next(each)) {
    ordered.push_back(*v);
    ctx.emit("pool.imap_item", {{"call", "imap"}, {"item", *v}});
  }
  auto as_done = pool.imap_unordered(staggered, items);
  while (auto v = as_done.next(each)) {
    unordered.push_back(*v);
    ctx.emit("pool.imap_item", {{"call", "imap_unordered"}, {"item", *v}});
  }
  ctx.emit("pool.imap_done", {{"imap", ordered}, {"imap_unordered", unordered}});
}

Summary run_pool(const PoolOptions& o, Context& ctx) {
  const pid_t main_pid = ::getpid();
  mp::Shared<Concurrency> concurrency;
  Timings t;
  bool map_in_order = false, processes_ok = false, apply_ok = false, callbacks_ok = false;
  int apply_max = 0, async_max = 0;
  std::set<pid_t> callback_pids;
  std::vector<int> ordered, unordered;
  bool join_refused = false, submit_refused = false;

  // Each worker's start is told by the pool itself (pool.worker_started,
  // with its name and pid); the main pid is in the summary.
  mp::Pool pool(o.workers);
  // A task that fails (its worker was killed while running it: the pool
  // replaces the worker and fails that one task) ends its part, not the run:
  // the next parts go on with the replacement, and a check says what
  // happened, so the summary is still the last line.
  json failures = json::array();
  auto part = [&](const char* name, auto&& body) {
    try {
      body();
    } catch (const mp::RemoteError& e) {
      failures.push_back(std::string(name) + ": " + e.what());
      ctx.emit("pool.part_failed", {{"part", name}, {"error", e.what()}});
    } catch (const mp::TimeoutError& e) {
      failures.push_back(std::string(name) + ": " + e.what());
      ctx.emit("pool.part_failed", {{"part", name}, {"error", e.what()}});
    }
  };
  std::size_t map_workers = 0;
  part("map", [&] { map_workers = part_map(o, ctx, pool, t, map_in_order, processes_ok); });
  part("apply", [&] { part_apply(o, ctx, pool, *concurrency, t, apply_max, async_max, apply_ok); });
  part("callbacks", [&] { callback_pids = part_callbacks(o, ctx, pool, callbacks_ok); });
  part("imap", [&] { part_imap(o, ctx, pool, ordered, unordered); });

  // Part 5: close, then join.
  try {
    pool.join();
  } catch (const mp::ValueError& e) {
    join_refused = true;
    ctx.emit("pool.join_refused", {{"error", e.what()}});
  }
  pool.close();
  ctx.emit("pool.closed");
  try {
    pool.apply_async(square, 1);
  } catch (const mp::ValueError& e) {
    submit_refused = true;
    ctx.emit("pool.submit_refused", {{"error", e.what()}});
  }
  pool.join();
  ctx.emit("pool.joined", {{"alive", pool.worker_pids().size()}});

  std::vector<int> expected_order(static_cast<std::size_t>(o.imap_tasks));
  for (int n = 0; n < o.imap_tasks; ++n) expected_order[static_cast<std::size_t>(n)] = n;
  std::vector<int> sorted_unordered = unordered;
  std::sort(sorted_unordered.begin(), sorted_unordered.end());
  const bool callbacks_in_main = callback_pids == std::set<pid_t>{main_pid};
  auto ms = [](double s) { return std::round(s * 1000) / 1000; };

  Summary s;
  s.figures = {{"workers", o.workers},
               {"map_tasks", o.map_tasks},
               {"map_seconds", ms(t.map)},
               {"processes_seconds", ms(t.processes)},
               {"map_worker_pids", map_workers},
               {"apply_seconds", ms(t.apply)},
               {"apply_async_seconds", ms(t.apply_async)},
               {"apply_max_concurrent", apply_max},
               {"apply_async_max_concurrent", async_max},
               {"main_pid", main_pid},
               {"imap_order", ordered},
               {"imap_unordered_order", unordered}};
  s.check("every_task_completed", failures.empty(), failures, json::array());
  s.check("map_results_in_order", map_in_order, map_in_order, true);
  s.check("processes_results_correct", processes_ok, processes_ok, true);
  s.check("apply_one_at_a_time", apply_max == 1 && apply_ok, apply_max, 1);
  s.check("callbacks_in_main_process", callbacks_in_main && callbacks_ok, json(callback_pids), json::array({main_pid}));
  s.check("imap_in_order", ordered == expected_order, ordered, expected_order);
  s.check("imap_unordered_same_results", sorted_unordered == expected_order, sorted_unordered, expected_order);
  // One check for both refusals around close() (how many came): one line on the screen.
  s.check("close_refusals", join_refused && submit_refused, (join_refused ? 1 : 0) + (submit_refused ? 1 : 0), 2);
  return s;
}

}  // namespace

RunFunction setup_pool(CLI::App& app) {
  auto o = std::make_shared<PoolOptions>();
  add_whole(app, "--workers", o->workers, "pool size", 1, 64);
  add_whole(app, "--map-tasks", o->map_tasks, "tasks for map, and processes for the comparison", 0, 5000);
  add_whole(app, "--tasks", o->tasks, "apply and apply_async calls", 0, 1000);
  add_seconds(app, "--work", o->work, "seconds each apply / apply_async task sleeps");
  add_whole(app, "--callbacks", o->callbacks, "apply_async calls with a callback", 0, 1000);
  add_whole(app, "--imap-tasks", o->imap_tasks, "items for imap and imap_unordered", 0, 1000);
  add_seconds(app, "--step", o->step, "imap item n sleeps (items - n) * S seconds");
  return [o](Context& ctx) { return run_pool(*o, ctx); };
}

}  // namespace mpdemo
