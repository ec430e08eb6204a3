// rlock: Lock vs RLock, and a Condition (seed 000: "acquire twice and you
// deadlock"; seed 004's list of sync primitives: RLock, Condition).
//
// Part 1: a process acquires a plain Lock, then acquires it again. A Lock
// does not know who holds it in the way an RLock does: the second acquire
// waits for a release that can never come (a deadlock). Here it waits with
// a timeout, so it returns false instead of hanging.
// Part 2: a process acquires an RLock several times (its depth grows) and
// releases it as often. Another process is refused while the owner holds it
// at any depth, and gets it only after the last release.
// Part 3: a Condition: consumers wait for items on a shelf; a producer adds
// items in batches of 1, 2, 3, ... and calls notify(n) with the batch size.
// Every item is taken exactly once; closing the shelf wakes everyone with
// notify_all().
//
// Try:  mpdemo rlock
//       mpdemo rlock --depth 5 --consumers 4 --batches 4
//       mpdemo rlock --step      (you pick each step; Twice's second acquire is the classic deadlock)
//       mpdemo rlock --order 1,1 (refused: Twice cannot go, it holds the Lock itself)
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <memory>
#include <span>
#include <mutex>
#include <string>
#include <vector>

#include "mp/condition.hpp"
#include "mp/deadline.hpp"
#include "mp/event.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"
#include "mp/rlock.hpp"
#include "mp/shared_memory.hpp"
#include "number_options.hpp"
#include "sentinels.hpp"
#include "setups.hpp"
#include "step_points.hpp"

namespace mpdemo {
namespace {

constexpr int kMaxDepth = 64;
constexpr int kMaxBatches = 20;
constexpr int kMaxItems = kMaxBatches * (kMaxBatches + 1) / 2;

struct RLockOptions {
  double timeout = 1.0;  // the second Lock.acquire gives up after S s
  int depth = 3;         // RLock acquisitions by its owner
  double hold = 0.5;     // the owner keeps the RLock this long while another process waits
  int consumers = 3;
  int batches = 3;       // batch k holds k items
  double pause = 0.5;    // the producer waits this long before each batch
  double eat = 0.2;      // a consumer spends this long on an item
};

// Part 1, as measured by the process that acquired twice.
struct TwiceReport {
  int first = 0;     // 1 once the first acquire succeeded
  int second = -1;   // the second acquire: 1 got it, 0 gave up, -1 never returned
  double waited = 0; // seconds the second acquire took
};

// Part 2.
struct ReentryReport {
  int depths[kMaxDepth] = {};   // depth() after each of the owner's acquires
  int refused = -1;             // the other process's acquire(false): 1 refused, 0 got it
  double owner_released = 0;    // CLOCK_MONOTONIC just before the owner's last release
  double other_acquired = 0;    // ... when the other process got the lock
};

// Part 3: the shelf, guarded by the Condition's lock.
struct Shelf {
  int made = 0;                 // items put on the shelf so far, numbered 1..made
  int taken = 0;                // items taken so far (always the oldest first)
  bool closed = false;          // no more items will come
  int taker[kMaxItems] = {};    // taker[i]: consumer that took item i+1, 0 if none
  int taken_twice = 0;          // items someone found already taken (must stay 0)
};

// Returns whether the second acquire gave up (the deadlock, seen by timeout)
// without the process hanging.
bool lock_twice(const RLockOptions& o, const Context& ctx, TwiceReport& report) {
  ctx.emit("rlock.part_lock");
  mp::Lock lock;
  const mp::Timeout timeout = ctx.timeout(o.timeout);
  // Step points (--order, --step): each acquire. The second one waits for
  // Twice itself: stepped, it shows as a deadlock instead of timing out.
  mp::Process twice(
      [&] {
        steps::at(1, "rlock.lock_first", {{"acquires", "lock"}});
        lock.acquire();
        report.first = 1;
        ctx.emit("rlock.lock_first");
        ctx.emit("rlock.lock_second_try", {{"timeout", *timeout}});
        steps::at(1, "rlock.lock_second", {{"acquires", "lock"}, {"seconds", *timeout}});
        const double start = mp::monotonic_seconds();
        const bool again = lock.acquire(true, timeout);
        report.waited = mp::monotonic_seconds() - start;
        report.second = again ? 1 : 0;
        ctx.emit(again ? "rlock.lock_second_got" : "rlock.lock_deadlock", {{"waited", report.waited}});
        if (again) lock.release();
        lock.release();
        steps::finish(1);
      },
      "Twice");
  const auto phase = steps::begin(std::vector<std::string>{twice.name()});
  twice.start();
  // A backstop far beyond the timeout: if acquire(timeout) ever hung, the
  // scenario still ends, and says so. Stepped, a person may take their
  // time at each step: no backstop then (Ctrl-C and q still end the run).
  if (!twice.join(steps::active() ? mp::Timeout() : mp::Timeout(*timeout + 10.0))) {
    twice.kill();
    twice.join();
    ctx.emit("rlock.lock_hung");
    return false;
  }
  return twice.exitcode() == 0 && report.first == 1 && report.second == 0;
}

bool rlock_reentry(const RLockOptions& o, const Context& ctx, ReentryReport& report) {
  ctx.emit("rlock.part_rlock", {{"depth", o.depth}});
  mp::RLock rlock;
  mp::Event held;   // the owner holds the RLock
  mp::Event tried;  // the other process has been refused once
  // Step points: each of the owner's acquires and releases, the other's
  // look (once the owner holds it) and its blocking acquire. The events
  // `held` and `tried` are in the driver's model too, so a stepped process
  // never waits on them outside a step point.
  mp::Process owner(
      [&] {
        for (int d = 1; d <= o.depth; ++d) {
          json does = {{"acquires", "rlock"}, {"reentrant", true}, {"depth", d}};
          if (d == 1) does["sets"] = "held";
          steps::at(1, "rlock.rlock_enter", does);
          rlock.acquire();
          report.depths[d - 1] = rlock.depth();
          ctx.emit("rlock.rlock_enter", {{"depth", rlock.depth()}});
          if (d == 1) held.set();
        }
        steps::at(1, "rlock.owner_hold", {{"waits", "tried"}});
        tried.wait(10.0);  // a backstop, not a lesson duration: the other process answers at once
        ctx.sleep(o.hold);  // the other process is blocked in acquire() now
        for (int d = o.depth; d >= 1; --d) {
          // Said before release(): the other process's lines come after this one.
          steps::at(1, "rlock.rlock_leave", {{"releases", "rlock"}, {"depth", d - 1}});
          ctx.emit("rlock.rlock_leave", {{"depth", d - 1}});
          if (d == 1) report.owner_released = mp::monotonic_seconds();
          rlock.release();
        }
        steps::finish(1);
      },
      "Owner");
  mp::Process other(
      [&] {
        steps::at(2, "rlock.other_try", {{"waits", "held"}, {"sets", "tried"}});
        held.wait();
        const bool got = rlock.acquire(false);
        report.refused = got ? 0 : 1;
        ctx.emit(got ? "rlock.other_got_early" : "rlock.other_refused", {{"holder", rlock.holder()}});
        if (got) rlock.release();
        tried.set();
        steps::at(2, "rlock.other_acquire", {{"acquires", "rlock"}, {"reentrant", true}, {"releases", "rlock"}});
        rlock.acquire();
        report.other_acquired = mp::monotonic_seconds();
        ctx.emit("rlock.other_got", {{"depth", rlock.depth()}});
        rlock.release();
        steps::finish(2);
      },
      "Other");
  std::vector<mp::Process> both;
  both.push_back(std::move(owner));
  both.push_back(std::move(other));
  const auto phase = steps::begin_for(both, {{"held", false}, {"tried", false}});
  for (auto& p : both) p.start();
  const bool ended_by_themselves = join_lesson_part(both, ctx);

  bool depths_ok = true;
  for (int d = 1; d <= o.depth; ++d) depths_ok = depths_ok && report.depths[d - 1] == d;
  return ended_by_themselves && both[0].exitcode() == 0 && both[1].exitcode() == 0 && depths_ok && report.refused == 1 &&
         report.other_acquired >= report.owner_released;
}

void consumer(const RLockOptions& o, const Context& ctx, mp::Condition& cond, Shelf& shelf, int index) {
  for (;;) {
    int item = 0;
    {
      std::unique_lock guard(cond);
      bool waited = false;  // the span covers every wake-up that found nothing
      while (shelf.taken == shelf.made && !shelf.closed) {
        ctx.emit("rlock.consumer_wait", waited ? json::object() : json{{"span_begin", "rlock.waiting"}});
        waited = true;
        cond.wait();  // frees the lock while asleep, holds it again on waking
      }
      if (waited) ctx.span({}, "rlock.waiting");
      if (shelf.taken == shelf.made) break;  // closed and empty
      item = ++shelf.taken;
      if (shelf.taker[item - 1] != 0) ++shelf.taken_twice;
      shelf.taker[item - 1] = index;
    }
    ctx.emit("rlock.consumer_took", {{"item", item}});
    ctx.sleep(o.eat);
  }
  ctx.emit("rlock.consumer_done");
}

void producer(const RLockOptions& o, const Context& ctx, mp::Condition& cond, Shelf& shelf) {
  for (int batch = 1; batch <= o.batches; ++batch) {
    ctx.sleep(o.pause);
    std::lock_guard guard(cond);
    shelf.made += batch;
    ctx.emit("rlock.producer_made", {{"count", batch}, {"made", shelf.made}});
    cond.notify(batch);  // wakes at most `batch` waiting consumers
  }
  std::lock_guard guard(cond);
  shelf.closed = true;
  ctx.emit("rlock.producer_closed");
  cond.notify_all();
}

// Returns {every item taken exactly once, items made}.
std::pair<bool, int> condition_shelf(const RLockOptions& o, const Context& ctx, Shelf& shelf) {
  ctx.emit("rlock.part_condition", {{"consumers", o.consumers}, {"batches", o.batches}});
  mp::Condition cond;  // with its own RLock, as Python's Condition()
  std::vector<mp::Process> procs;
  procs.reserve(static_cast<std::size_t>(o.consumers) + 1);
  for (int i = 1; i <= o.consumers; ++i)
    procs.emplace_back([&, i] { consumer(o, ctx, cond, shelf, i); }, "Consumer-" + std::to_string(i));
  procs.emplace_back([&] { producer(o, ctx, cond, shelf); }, "Producer");
  for (auto& p : procs) p.start();
  bool ok = join_lesson_part(procs, ctx);
  for (auto& p : procs) ok = ok && p.exitcode() == 0;
  const int expected = o.batches * (o.batches + 1) / 2;
  for (int i = 0; i < expected; ++i) ok = ok && shelf.taker[i] != 0;
  return {ok && shelf.made == expected && shelf.taken == expected && shelf.taken_twice == 0, expected};
}

Summary run_rlock(const RLockOptions& o, Context& ctx) {
  mp::Shared<TwiceReport> twice;
  mp::Shared<ReentryReport> reentry;
  mp::Shared<Shelf> shelf;

  const bool deadlock_seen = lock_twice(o, ctx, *twice);
  const bool reentry_ok = rlock_reentry(o, ctx, *reentry);
  const auto [delivered, items] = condition_shelf(o, ctx, *shelf);

  std::vector<int> depths(reentry->depths, reentry->depths + o.depth);
  std::vector<int> takers(shelf->taker, shelf->taker + items);
  Summary s;
  s.figures = {{"lock_second_acquire", twice->second == 1 ? "acquired" : twice->second == 0 ? "timed out" : "hung"},
               {"lock_waited", std::round(twice->waited * 1000) / 1000},
               {"rlock_depths", depths},
               {"rlock_other_refused", reentry->refused == 1},
               {"items", items},
               {"items_taken", shelf->taken},
               {"item_takers", takers}};
  s.check("deadlock_detected_by_timeout", deadlock_seen, twice->second == 0, true);
  s.check("rlock_reentry_ok", reentry_ok, depths,
          {{"depths", "1.." + std::to_string(o.depth)}, {"then_other", "after the last release"}});
  s.check("condition_delivered_every_item", delivered, shelf->taken, items);
  return s;
}

}  // namespace

RunFunction setup_rlock(CLI::App& app) {
  auto o = std::make_shared<RLockOptions>();
  add_seconds(app, "--timeout", o->timeout, "the second Lock.acquire gives up after S seconds");
  add_whole(app, "--depth", o->depth, "times the owner acquires the RLock", 1, kMaxDepth);
  add_seconds(app, "--hold", o->hold, "the owner holds the RLock S seconds while another process waits");
  add_whole(app, "--consumers", o->consumers, "consumer processes waiting on the Condition", 1, 100);
  add_whole(app, "--batches", o->batches, "the producer adds batches of 1, 2, ..., N items", 1, kMaxBatches);
  add_seconds(app, "--pause", o->pause, "the producer waits S seconds before each batch");
  add_seconds(app, "--eat", o->eat, "a consumer spends S seconds on each item");
  return [o](Context& ctx) { return run_rlock(*o, ctx); };
}

}  // namespace mpdemo
