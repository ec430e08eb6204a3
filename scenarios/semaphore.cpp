// semaphore: a KTV with 4 rooms and 13 singers (seed 003's Semaphore example).
//
// Every singer is a process that arrives at once with the others, takes a
// room (Semaphore.acquire), sings for a random 0..3 s and leaves (release).
// A Semaphore(4) lets four holders in at a time; the fifth waits until
// someone leaves. How many are inside is measured, not assumed: each singer
// counts itself in right after acquire and out right before release, on an
// atomic counter in shared memory, and the highest value ever seen is kept.
//
// Try:  mpdemo semaphore                     (never more than 4 inside)
//       mpdemo semaphore --rooms 2 --users 6
//       mpdemo semaphore --rooms 1 --users 2 --order 1,2   (refused: User-1 has the only room)
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/process.hpp"
#include "mp/semaphore.hpp"
#include "mp/shared_memory.hpp"
#include "number_options.hpp"
#include "setups.hpp"
#include "step_points.hpp"

namespace mpdemo {
namespace {

struct SemaphoreOptions {
  int rooms = 4;          // seed 003: Semaphore(4)
  int users = 13;         // seed 003: range(13)
  double stay_min = 0.0;  // seed 003: each stays randint(0, 3) s
  double stay_max = 3.0;
};

// The rooms as the singers measure them; atomics, since every singer
// updates them without any other lock.
struct Occupancy {
  std::atomic<int> inside{0};  // singers between acquire and release now
  std::atomic<int> peak{0};    // the most that were ever inside at once
  std::atomic<int> entered{0}; // singers who got a room so far
  std::atomic<int> waited{0};  // singers who found every room taken
};

// Raises `peak` to at least `value`.
void raise_peak(std::atomic<int>& peak, int value) {
  int seen = peak.load();
  while (value > seen && !peak.compare_exchange_weak(seen, value)) {
  }
}

void singer(const SemaphoreOptions& o, const Context& ctx, mp::Semaphore& rooms, Occupancy& occupancy, int index) {
  Rng rng = ctx.rng(static_cast<std::uint64_t>(index));
  const double stay = rng.uniform(o.stay_min, o.stay_max);

  const double arrived = mp::monotonic_seconds();
  // Step points (--order, --step): acquire and release. Stepped, a singer is
  // let go only when a room is free, so it never waits in acquire().
  steps::at(index, "semaphore.acquire", {{"takes", "rooms"}});
  if (!rooms.acquire(false)) {  // every room taken: say so, then queue up
    occupancy.waited.fetch_add(1);
    ctx.emit("semaphore.wait", {{"span_begin", "semaphore.waiting"}});
    rooms.acquire();
    ctx.span({}, "semaphore.waiting");  // timed before anyone is counted in
  }
  const int now_inside = occupancy.inside.fetch_add(1) + 1;
  raise_peak(occupancy.peak, now_inside);
  occupancy.entered.fetch_add(1);
  ctx.emit("semaphore.enter", {{"inside", now_inside},
                               {"rooms", o.rooms},
                               {"waited", mp::monotonic_seconds() - arrived},
                               {"stay", ctx.scaled(stay)},
                               {"span_begin", "semaphore.inside"}});
  ctx.sleep(stay);
  steps::at(index, "semaphore.release", {{"gives", "rooms"}});
  const int left_inside = occupancy.inside.fetch_sub(1) - 1;
  ctx.emit("semaphore.leave", {{"inside", left_inside}, {"span_end", "semaphore.inside"}});  // before release(): the next singer's line comes after
  rooms.release();
  steps::finish(index);
}

Summary run_semaphore(const SemaphoreOptions& o, Context& ctx) {
  if (o.stay_min > o.stay_max)
    throw UsageError("option.min_above_max",
                     {{"min_option", "--stay-min"}, {"min", o.stay_min}, {"max_option", "--stay-max"}, {"max", o.stay_max}});
  ctx.emit("semaphore.setup", {{"rooms", o.rooms}, {"users", o.users}});

  mp::Semaphore rooms(o.rooms);
  mp::Shared<Occupancy> occupancy;

  std::vector<mp::Process> singers;
  singers.reserve(static_cast<std::size_t>(o.users));
  for (int i = 1; i <= o.users; ++i)
    singers.emplace_back([&, i] { singer(o, ctx, rooms, *occupancy, i); }, "User-" + std::to_string(i));
  const auto phase = steps::begin_for(singers, {{"rooms", o.rooms}},
                                      [&occupancy] { return json{{"inside", occupancy->inside.load()}}; });
  for (auto& s : singers) s.start();
  int failed = 0;
  for (auto& s : singers) {
    s.join();
    if (s.exitcode().value_or(1) != 0) ++failed;
  }

  const int peak = occupancy->peak.load();
  const int entered = occupancy->entered.load();
  const int waited = occupancy->waited.load();
  const int reachable = std::min(o.rooms, o.users);  // fewer users than rooms cannot fill them
  ctx.emit(peak <= o.rooms ? "semaphore.verdict_ok" : "semaphore.verdict_overfull",
           {{"peak", peak}, {"rooms", o.rooms}, {"entered", entered}, {"users", o.users}, {"waited", waited}});

  Summary s;
  s.figures = {{"rooms", o.rooms},     {"users", o.users},   {"peak", peak},
               {"entered", entered},   {"waited", waited},   {"free_at_end", rooms.get_value()},
               {"failed", failed}};
  s.check("peak_equals_rooms", peak == reachable, peak, reachable);
  s.check("everyone_got_in", entered == o.users && failed == 0, entered, o.users);
  s.check("all_rooms_free_at_end", rooms.get_value() == o.rooms, rooms.get_value(), o.rooms);
  return s;
}

}  // namespace

RunFunction setup_semaphore(CLI::App& app) {
  auto o = std::make_shared<SemaphoreOptions>();
  add_whole(app, "--rooms", o->rooms, "rooms: the semaphore's initial value", 1, 1000);
  add_whole(app, "--users", o->users, "singer processes", 1, 2000);
  add_seconds(app, "--stay-min", o->stay_min, "a singer stays at least S seconds");
  add_seconds(app, "--stay-max", o->stay_max, "a singer stays at most S seconds");
  return [o](Context& ctx) { return run_semaphore(*o, ctx); };
}

}  // namespace mpdemo
