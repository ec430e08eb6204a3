// baozi: producers and consumers of buns (the producer/consumer model of
// seeds 000, 002, 003 and 004: cooks put buns in a basin, eaters take them).
//
// The basin is the channel between them:
//   --via queue     a Queue; eaters stop when get(timeout) raises Empty
//                   (--end timeout, the default: seed 000's eater leaves after
//                   get(timeout=5) finds nothing) or on a sentinel (--end
//                   sentinel: the main process puts one per eater once the
//                   cooks are done, like Python's None; the default under
//                   --order/--step, whose driver needs an end it can see);
//   --via pipe      a Pipe; every process closes the end it does not use, so
//                   the eaters' recv() raises EOFError once every cook has
//                   closed its sending end (--end eof), or a sentinel
//                   (--end sentinel). Several eaters may share the receiving
//                   end: each recv() hands out one whole message (Python
//                   needs a Lock around recv() for that);
//   --via joinable  a JoinableQueue; eaters call task_done() for every bun
//                   and run for ever as daemon processes; each cook calls
//                   join(), which returns once every bun put so far is eaten;
//                   the main process then stops the daemon eaters (--end join).
// A tally in shared memory counts how often each bun was eaten.
//
// Try:  mpdemo baozi
//       mpdemo baozi --via joinable --producers 3 --consumers 2
//       mpdemo baozi --via pipe --producers 2 --consumers 2
//       mpdemo baozi --end sentinel --consumers 3   (no waiting out the timeout at the end)
//       mpdemo baozi --consumers 2 --order 2   (refused: Eater-1 asks for a bun before any is made)
//       mpdemo baozi --items 2 --order 1,2,1,2,*   (each bun eaten as soon as it is put)
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <memory>

#include "mp/connection.hpp"
#include "mp/process.hpp"
#include "mp/queue.hpp"
#include "mp/shared_memory.hpp"
#include "number_options.hpp"
#include "setups.hpp"
#include "step_points.hpp"

namespace mpdemo {
namespace {

struct BaoziOptions {
  std::string via = "queue";  // queue | pipe | joinable
  std::string end = "auto";   // sentinel | timeout | eof | join; auto: queue->timeout (seed 000; sentinel when
                              // stepped), pipe->eof, joinable->join
  int producers = 1;          // seed 000: one cook
  int consumers = 1;          // seed 000: one eater
  int items = 5;              // buns per cook (seed 000: 1..5)
  double make_max = 1.0;      // a cook needs a random 0..S seconds per bun (seed 003: random.random())
  double eat_max = 1.0;       // an eater needs a random 0..S seconds per bun
  double get_timeout = 5.0;   // --end timeout: an eater leaves after S seconds without a bun (seed 000: get(timeout=5))
};

// One bun: made by cook `cook` (1-based), its `number`-th. Cook 0 is the
// sentinel, Python's None: "no more buns".
struct Bun {
  int cook;
  int number;
};
constexpr Bun kSentinel{0, 0};

// The basin between cooks and eaters. Made before any fork.
struct Basin {
  std::unique_ptr<mp::Queue<Bun>> queue;       // --via queue, or joinable (then a JoinableQueue)
  mp::JoinableQueue<Bun>* joinable = nullptr;  // the same object, when --via joinable
  mp::Connection recv_end, send_end;           // --via pipe: eaters recv, cooks send
};

enum class Via { Queue, Pipe, Joinable };
enum class End { Sentinel, Timeout, Eof, Join };

struct Plan {
  Via via;
  End end;
  mp::Timeout safety;  // bounds waits that should never run out; running out means a lost bun
};

// Which bun an arrow on the timeline follows: its cook and number.
std::string bun_id(const Bun& bun) { return std::to_string(bun.cook) + "/" + std::to_string(bun.number); }

void cook(const BaoziOptions& o, const Context& ctx, const Plan& plan, Basin& basin, int index) {
  if (plan.via == Via::Pipe) {
    basin.recv_end.close();
    ctx.emit("baozi.cook_closed_unused");
  }
  Rng rng = ctx.rng(static_cast<std::uint64_t>(index));
  for (int n = 1; n <= o.items; ++n) {
    ctx.span("baozi.making");
    ctx.sleep(rng.uniform(0.0, o.make_max));
    const Bun bun{index, n};
    // Step point (--order, --step; --via queue): put.
    steps::at(index, "baozi.put", {{"gives", "buns"}, {"number", n}});
    if (plan.via == Via::Pipe) {
      basin.send_end.send(bun);
    } else {
      basin.queue->put(bun, true, plan.safety);
    }
    ctx.emit("baozi.made", {{"number", n}, {"span_end", "baozi.making"}, {"flow_out", bun_id(bun)}});
  }
  if (plan.via == Via::Pipe) basin.send_end.close();  // one copy fewer: EOF comes when the last cook does this
  if (plan.via == Via::Joinable) {
    ctx.emit("baozi.cook_joining", {{"items", o.items}});
    if (!basin.joinable->join(plan.safety)) {
      ctx.emit("baozi.stuck", {{"waiting_for", "join"}});
      throw mp::SystemExit{1};
    }
    ctx.emit("baozi.cook_joined");
  } else {
    ctx.emit("baozi.cook_done", {{"items", o.items}});
  }
  steps::finish(index);
}

// The next bun, or nullopt when this eater should leave (after saying why).
std::optional<Bun> next_bun(const BaoziOptions& o, const Context& ctx, const Plan& plan, Basin& basin) {
  if (plan.via == Via::Pipe) {
    if (!basin.recv_end.poll(plan.safety)) {
      ctx.emit("baozi.stuck", {{"waiting_for", "recv"}});
      throw mp::SystemExit{1};
    }
    try {
      return basin.recv_end.recv<Bun>();
    } catch (const mp::EOFError&) {
      ctx.emit("baozi.eof");
      return std::nullopt;
    }
  }
  // Joinable eaters are daemons: they wait for ever and the main process
  // stops them. The others wait a bounded time.
  // The floor keeps --speed 0 honest: a cook that is still being forked
  // must not end the meal.
  const mp::Timeout wait = plan.end == End::Timeout ? ctx.timeout(o.get_timeout, 0.25)
                           : plan.via == Via::Joinable ? std::nullopt
                                                       : plan.safety;
  try {
    return basin.queue->get(true, wait);
  } catch (const mp::Empty&) {
    if (plan.end == End::Timeout) {
      ctx.emit("baozi.timeout", {{"timeout", *wait}});
      return std::nullopt;
    }
    ctx.emit("baozi.stuck", {{"waiting_for", "get"}});
    throw mp::SystemExit{1};
  }
}

// `step_index`: the eater's number among the step participants (after the cooks).
void eater(const BaoziOptions& o, const Context& ctx, const Plan& plan, Basin& basin, std::atomic<int>* tally,
           int index, int step_index) {
  if (plan.via == Via::Pipe) {
    basin.send_end.close();
    ctx.emit("baozi.eater_closed_unused");
  }
  Rng rng = ctx.rng(static_cast<std::uint64_t>(1000 + index));
  for (;;) {
    ctx.span("baozi.waiting");
    // Step point: get. Stepped, an eater is let go only when a bun (or a
    // sentinel) is in the queue, so it never waits in get().
    steps::at(step_index, "baozi.get", {{"takes", "buns"}});
    const auto bun = next_bun(o, ctx, plan, basin);
    if (!bun) {
      ctx.span({}, "baozi.waiting");
      steps::finish(step_index);
      return;
    }
    if (bun->cook == kSentinel.cook) {
      ctx.emit("baozi.got_sentinel", {{"span_end", "baozi.waiting"}});
      steps::finish(step_index);
      return;
    }
    ctx.span("baozi.eating", "baozi.waiting");
    ctx.sleep(rng.uniform(0.0, o.eat_max));
    tally[(bun->cook - 1) * o.items + (bun->number - 1)].fetch_add(1);
    ctx.emit("baozi.ate",
             {{"cook", bun->cook}, {"number", bun->number}, {"span_end", "baozi.eating"}, {"flow_in", bun_id(*bun)}});
    if (plan.via == Via::Joinable) basin.joinable->task_done();  // after eating: join() counts finished buns
  }
}

Plan make_plan(const BaoziOptions& o, const Context& ctx) {
  Plan p{};
  p.via = o.via == "pipe" ? Via::Pipe : o.via == "joinable" ? Via::Joinable : Via::Queue;
  std::string end = o.end;
  // Stepped runs end by sentinel: the step driver sees a sentinel put, not a
  // timeout running out.
  if (end == "auto")
    end = p.via == Via::Pipe ? "eof" : p.via == Via::Joinable ? "join" : steps::active() ? "sentinel" : "timeout";
  p.end = end == "timeout" ? End::Timeout : end == "eof" ? End::Eof : end == "join" ? End::Join : End::Sentinel;
  const bool fits = (p.via == Via::Queue && (p.end == End::Sentinel || p.end == End::Timeout)) ||
                    (p.via == Via::Pipe && (p.end == End::Eof || p.end == End::Sentinel)) ||
                    (p.via == Via::Joinable && p.end == End::Join);
  if (!fits)
    throw UsageError("baozi.end_not_with_via", {{"end", end}, {"via", o.via}});
  if (steps::active() && !(p.via == Via::Queue && p.end == End::Sentinel))
    throw UsageError("baozi.steps_need_queue");
  const double longest = o.items * (o.make_max + o.eat_max) * o.producers + o.get_timeout;
  // Stepped, a person may take their time at each step: no backstop.
  p.safety = steps::active() ? mp::Timeout() : ctx.timeout(longest * 4 + 10, 10.0);
  return p;
}

Summary run_baozi(const BaoziOptions& o, Context& ctx) {
  const Plan plan = make_plan(o, ctx);
  const int total = o.producers * o.items;
  Basin basin;
  if (plan.via == Via::Joinable) {
    auto q = std::make_unique<mp::JoinableQueue<Bun>>();
    basin.joinable = q.get();
    basin.queue = std::move(q);
  } else if (plan.via == Via::Queue) {
    basin.queue = std::make_unique<mp::Queue<Bun>>();
  } else {
    std::tie(basin.recv_end, basin.send_end) = mp::Pipe(false);
  }
  mp::SharedMapping tally_memory(sizeof(std::atomic<int>) * static_cast<std::size_t>(std::max(total, 1)));
  auto* tally = static_cast<std::atomic<int>*>(tally_memory.data());
  for (int i = 0; i < total; ++i) new (&tally[i]) std::atomic<int>(0);
  const char* end_names[] = {"sentinel", "timeout", "eof", "join"};
  const char* basin_names[] = {"Queue", "Pipe", "JoinableQueue"};
  ctx.emit("baozi.setup", {{"basin", basin_names[static_cast<int>(plan.via)]},
                           {"end", end_names[static_cast<int>(plan.end)]}, {"producers", o.producers},
                           {"consumers", o.consumers}, {"items", o.items}});

  std::vector<mp::Process> cooks, eaters;
  cooks.reserve(static_cast<std::size_t>(o.producers));
  eaters.reserve(static_cast<std::size_t>(o.consumers));
  const mp::Daemon eater_daemon = plan.via == Via::Joinable ? mp::Daemon::Yes : mp::Daemon::No;
  for (int i = 1; i <= o.producers; ++i)
    cooks.emplace_back([&, i] { cook(o, ctx, plan, basin, i); }, "Cook-" + std::to_string(i));
  for (int i = 1; i <= o.consumers; ++i)
    eaters.emplace_back([&, i] { eater(o, ctx, plan, basin, tally, i, o.producers + i); }, "Eater-" + std::to_string(i),
                        eater_daemon);
  // Step participants: Cook-1..P, then Eater-1..C. The sentinels come from
  // the main process ("later"): eaters waiting for them are not stuck.
  std::vector<std::string> stepping;
  if (steps::active()) {
    for (const auto& p : cooks) stepping.push_back(p.name());
    for (const auto& p : eaters) stepping.push_back(p.name());
  }
  const auto phase = steps::active() ? steps::begin(stepping, {{"buns", 0}, {"later", {"buns"}}}) : steps::Phase();
  for (auto& p : cooks) p.start();
  for (auto& p : eaters) p.start();
  if (plan.via == Via::Pipe) {
    // The main process neither eats nor cooks: its copies would only keep the
    // pipe open. A sentinel still needs the sending end, until it is sent.
    basin.recv_end.close();
    if (plan.end != End::Sentinel) basin.send_end.close();
    ctx.emit(plan.end == End::Sentinel ? "baozi.main_kept_send_end" : "baozi.main_closed_ends");
  }

  int cooks_failed = 0;
  for (auto& p : cooks) {
    if (!p.join(plan.safety)) p.kill();
    if (p.exitcode().value_or(-1) != 0) ++cooks_failed;
  }
  if (plan.end == End::Sentinel) {
    // Every cook has finished: only now may the end be announced. One
    // sentinel per eater, because each eater takes one and leaves.
    for (int i = 0; i < o.consumers; ++i) {
      if (plan.via == Via::Pipe) {
        basin.send_end.send(kSentinel);
      } else {
        basin.queue->put(kSentinel);
      }
    }
    if (plan.via == Via::Pipe) basin.send_end.close();
    steps::supplied("buns", o.consumers);
    ctx.emit("baozi.sentinels_sent", {{"count", o.consumers}});
  }

  int eaters_failed = 0;
  if (plan.via == Via::Joinable) {
    // The cooks' join() returned, so every bun was eaten: the daemon eaters,
    // blocked in get(), have nothing left to do. Python terminates daemon
    // children when the main process ends; this does it here, to show it.
    ctx.emit("baozi.stopping_daemons", {{"count", o.consumers}});
    for (auto& p : eaters) {
      p.terminate();
      if (!p.join(plan.safety)) p.kill();
      const int code = p.exitcode().value_or(-1);
      if (code != -SIGTERM && code != 0) ++eaters_failed;
      ctx.emit("baozi.daemon_stopped", {{"eater", p.name()}, {"exitcode", code}});
    }
  } else {
    for (auto& p : eaters) {
      if (!p.join(plan.safety)) p.kill();
      if (p.exitcode().value_or(-1) != 0) ++eaters_failed;
    }
  }
  int alive = 0;
  for (auto& p : cooks) alive += p.is_alive() ? 1 : 0;
  for (auto& p : eaters) alive += p.is_alive() ? 1 : 0;

  int once = 0, never = 0, twice = 0;
  for (int i = 0; i < total; ++i) {
    const int n = tally[i].load();
    once += n == 1 ? 1 : 0;
    never += n == 0 ? 1 : 0;
    twice += n > 1 ? 1 : 0;
  }
  ctx.emit("baozi.verdict", {{"total", total}, {"once", once}, {"never", never}, {"twice", twice}});

  Summary s;
  s.figures = {{"via", o.via},         {"end", end_names[static_cast<int>(plan.end)]},
               {"producers", o.producers}, {"consumers", o.consumers},
               {"buns", total},        {"eaten_once", once},
               {"uneaten", never},     {"eaten_twice", twice},
               {"cooks_failed", cooks_failed}, {"eaters_failed", eaters_failed}};
  s.check("every_item_eaten_once", once == total && never == 0 && twice == 0, once, total);
  s.check("all_processes_ended", alive == 0 && cooks_failed == 0 && eaters_failed == 0,
          json{{"alive", alive}, {"failed", cooks_failed + eaters_failed}}, json{{"alive", 0}, {"failed", 0}});
  return s;
}

}  // namespace

RunFunction setup_baozi(CLI::App& app) {
  auto o = std::make_shared<BaoziOptions>();
  app.add_option("--via", o->via, "the basin: queue, pipe or joinable (a JoinableQueue)")
      ->capture_default_str()
      ->check(CLI::IsMember({"queue", "pipe", "joinable"}));
  app.add_option("--end", o->end, "how eaters stop: sentinel, timeout, eof (pipe), join (joinable); auto: timeout (queue), eof, join")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "sentinel", "timeout", "eof", "join"}));
  add_whole(app, "--producers", o->producers, "cook processes", 1, 500);
  add_whole(app, "--consumers", o->consumers, "eater processes", 1, 500);
  add_whole(app, "--items", o->items, "buns per cook", 0, 100000);
  add_seconds(app, "--make-max", o->make_max, "a cook needs a random 0..S seconds per bun");
  add_seconds(app, "--eat-max", o->eat_max, "an eater needs a random 0..S seconds per bun");
  add_seconds(app, "--get-timeout", o->get_timeout, "--end timeout: an eater leaves after S seconds without a bun");
  return [o](Context& ctx) { return run_baozi(*o, ctx); };
}

}  // namespace mpdemo
