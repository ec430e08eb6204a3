// queue: what a bounded Queue does when it is full or empty (seeds 000, 002
// and 003 walk through Queue(3) by hand; this runs the same steps).
//
//   1. put three items into Queue(3): full() is now true;
//   2. put_nowait a fourth: raises Full at once; put(timeout) raises Full
//      after the timeout;
//   3. put the fourth with block=True while a consumer process sleeps, then
//      takes one: the put waits exactly until that get frees a slot;
//   4. qsize/empty/full are snapshots: two processes both see empty() ==
//      False with one item left, then both get_nowait(): one gets it, the
//      other gets Empty (a pipe makes them act at the same moment);
//   5. get(timeout) on the empty queue raises Empty after the timeout;
//      get_nowait raises it at once.
//
// Try:  mpdemo queue
//       mpdemo queue --consumer-delay 3      (the blocked put waits 3 s)
//       mpdemo queue --order 1,2,1,2         (step 4: both look, then both take: one gets Empty)
//       mpdemo queue --order 1,1,2,2         (one looks and takes first: no stale snapshot)
//
// Watch the time column of "put returned": it follows the consumer's get.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cmath>
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

struct QueueOptions {
  int maxsize = 3;              // seeds 000 and 003: Queue(3)
  double consumer_delay = 1.0;  // the consumer sleeps this long before its get
  double timeout = 0.5;         // for put(timeout) and get(timeout)
};

// Written by the child processes, read by the main process after join.
struct QueueShared {
  double consumer_get_at;  // monotonic time just before the consumer's get()
  int consumer_got;        // which item it got (1-based, 0 = none)
  int checker_saw_items[2];  // 1 when a checker saw empty() == false
  int checker_got[2];        // 1 when its get_nowait() returned an item
  int checker_empty[2];      // 1 when its get_nowait() raised Empty
};

std::string item(int n) { return "item-" + std::to_string(n); }
int item_number(const std::string& text) { return std::stoi(text.substr(5)); }

// Step 4's process: look (empty()), report, wait for "go", then act.
// Stepped (--order, --step), the step points take the place of the "go"
// handshake: the order says who looks and who takes when.
void checker(const Context& ctx, mp::Queue<std::string>& q, mp::Connection& to_main, QueueShared& shared, int index) {
  steps::at(index + 1, "queue.look");
  const bool empty = q.empty();
  const auto size = q.qsize();
  shared.checker_saw_items[index] = empty ? 0 : 1;
  ctx.emit("queue.checker_looked", {{"empty", empty}, {"qsize", size}});
  if (!steps::active()) {
    to_main.send(empty);
    (void)to_main.recv<bool>();  // "go": both have looked; now both act at once
  }
  steps::at(index + 1, "queue.get_nowait");
  try {
    std::string got = q.get_nowait();
    shared.checker_got[index] = 1;
    ctx.emit("queue.checker_got", {{"item", got}, {"flow_in", got}});
  } catch (const mp::Empty& e) {
    shared.checker_empty[index] = 1;
    ctx.emit("queue.checker_empty", {{"error", e.what()}});
  }
  steps::finish(index + 1);
}

Summary run_queue(const QueueOptions& o, Context& ctx) {
  mp::Queue<std::string> q(static_cast<std::size_t>(o.maxsize));
  mp::Shared<QueueShared> shared;
  const mp::Timeout safety = ctx.timeout(o.consumer_delay * 10 + 10, 10.0);  // only a broken queue reaches it
  ctx.emit("queue.setup", {{"maxsize", o.maxsize}});

  // 1. Fill it.
  int next = 1;
  for (; next <= o.maxsize; ++next) {
    q.put(item(next));
    ctx.emit("queue.put", {{"item", item(next)}, {"qsize", q.qsize()}, {"flow_out", item(next)}});
  }
  ctx.emit("queue.snapshot", {{"qsize", q.qsize()}, {"empty", q.empty()}, {"full", q.full()}});

  // 2. No room: put_nowait and put(timeout) raise Full.
  bool nowait_full = false, timeout_full = false;
  try {
    q.put_nowait(item(next));
  } catch (const mp::Full& e) {
    nowait_full = true;
    ctx.emit("queue.full_at_once", {{"call", "put_nowait(" + item(next) + ")"}, {"error", e.what()}});
  }
  const double t0 = mp::monotonic_seconds();
  ctx.span("queue.blocked_put");
  try {
    q.put(item(next), true, ctx.timeout(o.timeout));
  } catch (const mp::Full& e) {
    timeout_full = true;
    ctx.emit("queue.full_after", {{"call", fmt::format("put({}, timeout={:.2f})", item(next), *ctx.timeout(o.timeout))},
                                   {"error", e.what()},
                                   {"waited", mp::monotonic_seconds() - t0},
                                   {"span_end", "queue.blocked_put"}});
  }
  if (!timeout_full) ctx.span({}, "queue.blocked_put");

  // 3. A blocking put, released by a consumer's get.
  mp::Process consumer(
      [&] {
        ctx.sleep(o.consumer_delay);
        shared->consumer_get_at = mp::monotonic_seconds();
        std::string got = q.get(true, safety);
        shared->consumer_got = item_number(got);
        // No qsize here: the blocked put refills the slot at once, so the
        // figure would say 3 in the line announcing a free slot.
        ctx.emit("queue.consumer_got", {{"item", got}, {"flow_in", got}});
      },
      "Consumer");
  consumer.start();
  ctx.emit("queue.put_blocking", {{"item", item(next)}, {"delay", ctx.scaled(o.consumer_delay)},
                                  {"span_begin", "queue.blocked_put"}, {"flow_out", item(next)}});
  const double put_start = mp::monotonic_seconds();
  q.put(item(next), true, safety);
  const double put_done = mp::monotonic_seconds();
  ctx.span({}, "queue.blocked_put");
  const auto qsize_after_put = q.qsize();
  // Said after the consumer has said its get, so the lines come in the order
  // the two things happened, whichever process the scheduler ran first.
  consumer.join(safety);
  ctx.emit("queue.put_released", {{"item", item(next)}, {"waited", put_done - put_start}, {"qsize", qsize_after_put}});
  ++next;
  const bool consumer_ok = consumer.exitcode() == 0;
  const bool put_waited_for_get = consumer_ok && put_done >= shared->consumer_get_at;

  // FIFO: the consumer got item 1; the main process now takes all but one.
  std::vector<int> order{shared->consumer_got};
  while (q.qsize() > 1) {
    std::string got = q.get_nowait();
    order.push_back(item_number(got));
    ctx.emit("queue.got", {{"item", got}, {"qsize", q.qsize()}, {"flow_in", got}});
  }
  bool fifo = true;
  for (std::size_t i = 0; i < order.size(); ++i) fifo = fifo && order[i] == static_cast<int>(i) + 1;

  // 4. Snapshots go stale: one item left, two processes look, then both take.
  ctx.emit("queue.snapshot_race", {{"qsize", q.qsize()}});
  std::array<std::pair<mp::Connection, mp::Connection>, 2> links{mp::Pipe(), mp::Pipe()};
  std::vector<mp::Process> checkers;
  checkers.reserve(2);
  for (int i = 0; i < 2; ++i)
    checkers.emplace_back(
        [&, i] {
          links[i].first.close();  // the main process's end: unused here
          checker(ctx, q, links[i].second, *shared, i);
        },
        "Checker-" + std::to_string(i + 1));
  // Stepped (--order, --step), the checkers' step points decide who looks
  // and who takes when, in place of the "go" handshake.
  const auto phase = steps::begin_for(checkers, json::object(), [&q] { return json{{"qsize", q.qsize()}}; });
  for (int i = 0; i < 2; ++i) {
    checkers[static_cast<std::size_t>(i)].start();
    links[static_cast<std::size_t>(i)].second.close();  // the checker's end: the main process talks on the other
  }
  bool both_looked = true;
  if (!steps::active()) {
    for (auto& link : links) both_looked = both_looked && link.first.poll(safety) && !link.first.recv<bool>();
    ctx.emit("queue.go", {{"qsize", q.qsize()}});
    for (auto& link : links) link.first.send(true);
  }
  for (auto& c : checkers) c.join(steps::active() ? mp::Timeout() : safety);
  const int saw = shared->checker_saw_items[0] + shared->checker_saw_items[1];
  const int got = shared->checker_got[0] + shared->checker_got[1];
  const int empties = shared->checker_empty[0] + shared->checker_empty[1];
  const bool stale = both_looked && saw == 2 && got == 1 && empties == 1;

  // 5. Empty: get(timeout) and get_nowait raise Empty.
  bool timeout_empty = false, nowait_empty = false;
  const double t1 = mp::monotonic_seconds();
  try {
    q.get(true, ctx.timeout(o.timeout));
  } catch (const mp::Empty& e) {
    timeout_empty = true;
    ctx.emit("queue.empty_after", {{"call", fmt::format("get(timeout={:.2f})", *ctx.timeout(o.timeout))},
                                    {"error", e.what()},
                                    {"waited", mp::monotonic_seconds() - t1}});
  }
  try {
    q.get_nowait();
  } catch (const mp::Empty& e) {
    nowait_empty = true;
    ctx.emit("queue.empty_at_once", {{"call", "get_nowait()"}, {"error", e.what()}});
  }

  Summary s;
  s.figures = {{"maxsize", o.maxsize},
               {"put_waited", std::round((put_done - put_start) * 1000) / 1000},
               {"fifo_order", order},
               {"checkers_saw_items", saw},
               {"checkers_got", got},
               {"checkers_empty", empties}};
  s.check("put_nowait_raised_full", nowait_full, nowait_full, true);
  s.check("put_timeout_raised_full", timeout_full, timeout_full, true);
  s.check("put_blocked_until_get", put_waited_for_get, put_waited_for_get, true);
  std::vector<int> expected_order(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) expected_order[i] = static_cast<int>(i) + 1;
  s.check("fifo_order", fifo, order, expected_order);
  s.check("snapshot_went_stale", stale, json{{"saw_items", saw}, {"got", got}, {"empty", empties}},
          json{{"saw_items", 2}, {"got", 1}, {"empty", 1}});
  s.check("get_timeout_raised_empty", timeout_empty, timeout_empty, true);
  s.check("get_nowait_raised_empty", nowait_empty, nowait_empty, true);
  return s;
}

}  // namespace

RunFunction setup_queue(CLI::App& app) {
  auto o = std::make_shared<QueueOptions>();
  add_whole(app, "--maxsize", o->maxsize, "the queue's maxsize", 1, 1000);
  add_seconds(app, "--consumer-delay", o->consumer_delay, "the consumer sleeps S seconds before its get");
  add_seconds(app, "--timeout", o->timeout, "timeout of put(timeout) and get(timeout), seconds");
  return [o](Context& ctx) { return run_queue(*o, ctx); };
}

}  // namespace mpdemo
