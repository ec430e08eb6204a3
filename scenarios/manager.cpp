// manager: a dict in a Manager's server process, shared by 100 processes
// (seed 003's Manager example: m.dict({"count": 100}), 100 processes each
// doing d["count"] -= 1).
//
// The dict lives in one server process; every worker holds a proxy and
// talks to the server over a socket. Each call (get, set) is served whole,
// one at a time, but "d['count'] -= 1" is two calls: read, then write, and
// other workers read the same count in between: their writes overwrite each
// other, and without --lock the count ends well above 0. The default is the
// tutorial's shape: no pause between the read and the write. The tutorial's
// own program ends at 11-36; on a loaded 2-core machine (load 8-10) the
// Python twin ended at 17-51 in 20 runs and this scenario at 34-71 in 20
// runs (49-94 in 40 earlier runs): 100 forks start faster than Python's
// processes, so more workers overlap. --delay adds a pause between the two
// calls, as if the worker did some work, and makes the loss nearly total.
// With --lock every worker holds one process-shared Lock around
// read-and-write, and the count ends at exactly 0.
//
// Try:  mpdemo manager            (updates lost: count ends above 0)
//       mpdemo manager --lock     (count ends at 0)
//       mpdemo manager --delay 0.05   (a pause between read and write: nearly every update lost)
//       mpdemo manager --workers 2 --count 2 --order 1,2,1,2   (both read 2, both write 1: one update lost)
#include <CLI/CLI.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mp/lock.hpp"
#include "mp/manager.hpp"
#include "mp/process.hpp"
#include "number_options.hpp"
#include "setups.hpp"
#include "step_points.hpp"

namespace mpdemo {
namespace {

struct ManagerOptions {
  int workers = 100;        // seed 003: range(100)
  std::int64_t count = 100; // seed 003: m.dict({"count": 100})
  bool lock = false;
  double delay = 0.0;       // seed 003 pauses nowhere between the read and the write
};

void worker(const ManagerOptions& o, const Context& ctx, const mp::DictProxy& dict, mp::Lock& lock, int index) {
  std::unique_lock<mp::Lock> guard(lock, std::defer_lock);
  // Step points (--order): [take the lock,] read, write.
  if (o.lock) {
    steps::at(index, "manager.acquire", {{"acquires", "lock"}});
    ctx.span("manager.waiting_lock");
    guard.lock();
    ctx.span("manager.holding_lock", "manager.waiting_lock");
  }
  steps::at(index, "manager.read");
  ctx.span("manager.read_to_write");
  const auto read = dict.get("count").get<std::int64_t>();  // one request to the server
  ctx.sleep(o.delay);                                        // others may read the same value now
  if (steps::active()) {
    json next = {{"value", read - 1}};
    if (o.lock) next["releases"] = "lock";
    steps::at(index, "manager.write", next);
  }
  dict.set("count", read - 1);                               // a second request
  ctx.emit("manager.update", {{"read", read}, {"wrote", read - 1}, {"span_end", "manager.read_to_write"}});
  if (o.lock) ctx.span({}, "manager.holding_lock");  // timed while held: holders never overlap on the page
  if (guard.owns_lock()) guard.unlock();
  steps::finish(index);
}

Summary run_manager(const ManagerOptions& o, Context& ctx) {
  mp::Manager manager;
  const mp::DictProxy dict = manager.dict({{"count", o.count}});
  ctx.emit(o.lock ? "manager.setup_lock" : "manager.setup",
           {{"workers", o.workers}, {"count", o.count}, {"server", manager.pid()}});

  mp::Lock lock;
  std::vector<mp::Process> workers;
  workers.reserve(static_cast<std::size_t>(o.workers));
  for (int i = 1; i <= o.workers; ++i)
    workers.emplace_back([&, i] { worker(o, ctx, dict, lock, i); }, "Worker-" + std::to_string(i));
  const auto phase = steps::begin_for(workers);
  for (auto& w : workers) w.start();
  int failed = 0;
  for (auto& w : workers) {
    w.join();
    if (w.exitcode().value_or(1) != 0) ++failed;
  }

  const auto final_count = dict.get("count").get<std::int64_t>();
  const std::int64_t expected = o.count - (o.workers - failed);
  const std::int64_t lost = final_count - expected;  // decrements that were overwritten
  manager.shutdown();
  const bool server_clean = manager.exitcode().value_or(1) == 0;

  if (lost > 0) {
    ctx.emit("manager.verdict_lost", {{"final", final_count}, {"expected", expected}, {"lost", lost}});
  } else {
    // Nothing lost: say whether the lock did it or the run gave no chance to race.
    ctx.emit(o.lock            ? "manager.verdict_ok"
             : o.workers < 2   ? "manager.verdict_one_worker"
                               : "manager.verdict_no_race",
             {{"final", final_count}, {"workers", o.workers}, {"count", o.count}});
  }

  Summary s;
  s.figures = {{"workers", o.workers},   {"start", o.count},         {"final", final_count},
               {"expected", expected},   {"lost_updates", lost},     {"lock", o.lock},
               {"failed", failed},       {"server_pid", manager.pid()}, {"server_exit_clean", server_clean}};
  s.check("workers_finished", failed == 0, failed, 0);
  if (o.lock) {
    s.check("count_exact", final_count == expected, final_count, expected);
  } else if (o.workers >= 2) {
    s.check("updates_lost", lost > 0, lost, "> 0");
  } else {
    s.check("count_exact", final_count == expected, final_count, expected);  // one worker cannot race
  }
  s.check("server_shut_down", server_clean, server_clean, true);
  return s;
}

}  // namespace

RunFunction setup_manager(CLI::App& app) {
  auto o = std::make_shared<ManagerOptions>();
  add_whole(app, "--workers", o->workers, "worker processes, each decrementing the count once", 1, 2000);
  add_whole(app, "--count", o->count, "the count in the dict at start", 0, 1000000000000);
  app.add_flag("--lock", o->lock, "hold a process-shared Lock around each read-and-write");
  add_seconds(app, "--delay", o->delay, "seconds between a worker's read and its write");
  return [o](Context& ctx) { return run_manager(*o, ctx); };
}

}  // namespace mpdemo
