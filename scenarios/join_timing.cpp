// join-timing: what join() waits for, timed (seed 000 情景一/情景二, 002
// join(0.0001), 003).
//
// Three children sleep 1, 2 and 3 seconds. Way 1 starts all of them and
// then joins each: they sleep at the same time, so the joins end after about
// the longest sleep (3 s). Way 2 starts and joins one at a time: each waits
// for the one before, so it takes about the sum (6 s). Finally join(timeout)
// on a child that keeps working until main tells it to stop: join gives up
// after the timeout and returns, and the child is still alive. join only
// makes the caller wait; it never stops the child.
//
// Try:  mpdemo join-timing --speed 0.5
//       mpdemo join-timing --sleeps 2,2,2,2
// Watch for: the measured totals beside max and sum, the moment each join
// returns (way 1: at 1, 2, 3 s; way 2: at 1, 3, 6 s), and is_alive() = true
// after join(timeout) returned.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "mp/connection.hpp"
#include "mp/deadline.hpp"
#include "mp/process.hpp"
#include "seconds_text.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

struct JoinTimingOptions {
  std::vector<double> sleeps{1, 2, 3};  // seed 000: task(name, sec) with 1, 2, 3
  double join_timeout = 0.5;            // seed 002 waits 0.0001 s; long enough here to see it wait
};

// How much faster than the sum "all at once" must be before the scenario
// calls it concurrent, and the least time (after --speed) that this margin
// must leave for process start-up costs, which are milliseconds.
constexpr double kConcurrentBelowSum = 0.75;
constexpr double kLeastMargin = 0.02;
constexpr double kBelowExpected = 0.9;  // sleeps may end a little early on a coarse clock; never much

std::vector<mp::Process> make_sleepers(const std::vector<double>& sleeps, const Context& ctx) {
  std::vector<mp::Process> children;
  children.reserve(sleeps.size());
  for (std::size_t i = 0; i < sleeps.size(); ++i) {
    const double s = sleeps[i];
    children.emplace_back(
        [&ctx, s] {
          ctx.span("join-timing.sleeping");
          ctx.sleep(s);
          ctx.emit("join-timing.child_done", {{"slept", ctx.scaled(s)}, {"span_end", "join-timing.sleeping"}});
        },
        "p" + std::to_string(i + 1));
  }
  return children;
}

// Way 1: start every child, then join each. Returns the total seconds.
double start_all_then_join_all(const std::vector<double>& sleeps, const Context& ctx) {
  auto children = make_sleepers(sleeps, ctx);
  const double t0 = mp::monotonic_seconds();
  for (auto& c : children) c.start();
  for (auto& c : children) {
    ctx.span("join-timing.joining");
    c.join();
    ctx.emit("join-timing.joined", {{"child", c.name()}, {"at", rounded_seconds(mp::monotonic_seconds() - t0)},
                                    {"span_end", "join-timing.joining"}});
  }
  return mp::monotonic_seconds() - t0;
}

// Way 2: start one, join it, then the next. Returns the total seconds.
double start_and_join_one_by_one(const std::vector<double>& sleeps, const Context& ctx) {
  auto children = make_sleepers(sleeps, ctx);
  const double t0 = mp::monotonic_seconds();
  for (auto& c : children) {
    c.start();
    ctx.span("join-timing.joining");
    c.join();
    ctx.emit("join-timing.joined", {{"child", c.name()}, {"at", rounded_seconds(mp::monotonic_seconds() - t0)},
                                    {"span_end", "join-timing.joining"}});
  }
  return mp::monotonic_seconds() - t0;
}

struct TimeoutObservation {
  bool returned = true;   // what join(timeout) returned
  double waited = 0;      // how long it waited
  bool alive = false;     // is_alive() right after it returned
  bool exitcode_empty = false;
  bool final_join = false;
  int final_exitcode = -1;
};

// join(timeout) on a child that works until main closes the pipe it waits on,
// so it is surely still running when the timeout ends, at any --speed.
TimeoutObservation join_with_timeout(double timeout, const Context& ctx) {
  auto [stop_reader, stop_writer] = mp::Pipe(false);
  mp::Process busy(
      [&] {
        stop_writer.close();  // our copy of the write end, or EOF could never come
        ctx.emit("join-timing.busy_working", {{"span_begin", "join-timing.working"}});
        stop_reader.poll(std::nullopt);  // returns at EOF: main said stop
        ctx.emit("join-timing.busy_done", {{"span_end", "join-timing.working"}});
      },
      "busy");
  busy.start();
  stop_reader.close();

  TimeoutObservation seen;
  ctx.emit("join-timing.join_with_timeout",
           {{"child", busy.name()}, {"timeout", timeout}, {"span_begin", "join-timing.joining"}});
  const double t0 = mp::monotonic_seconds();
  seen.returned = busy.join(timeout);
  seen.waited = mp::monotonic_seconds() - t0;
  seen.alive = busy.is_alive();
  seen.exitcode_empty = !busy.exitcode().has_value();
  ctx.emit("join-timing.timeout_returned",
           {{"returned", seen.returned}, {"waited", rounded_seconds(seen.waited)}, {"alive", seen.alive},
            {"exitcode", seen.exitcode_empty ? "None" : std::to_string(busy.exitcode().value_or(0))},
            {"span_end", "join-timing.joining"}});

  ctx.emit("join-timing.stop");
  stop_writer.close();  // EOF: the child's wait ends
  ctx.span("join-timing.joining");
  seen.final_join = busy.join();
  ctx.span({}, "join-timing.joining");
  seen.final_exitcode = busy.exitcode().value_or(-1);
  ctx.emit("join-timing.final_join", {{"alive", busy.is_alive()}, {"exitcode", seen.final_exitcode}});
  return seen;
}

Summary run_join_timing(const JoinTimingOptions& o, Context& ctx) {
  const double max = *std::max_element(o.sleeps.begin(), o.sleeps.end());
  const double sum = std::accumulate(o.sleeps.begin(), o.sleeps.end(), 0.0);
  const double margin = ctx.scaled(kConcurrentBelowSum * sum - max);
  if (margin < kLeastMargin)
    throw UsageError("join-timing.too_close",
                     {{"speed", seconds_text(ctx.speed())}, {"difference", seconds_text(ctx.scaled(sum - max))}});
  const double scaled_max = rounded_seconds(ctx.scaled(max)), scaled_sum = rounded_seconds(ctx.scaled(sum));

  std::vector<double> scaled;
  for (double s : o.sleeps) scaled.push_back(rounded_seconds(ctx.scaled(s)));
  ctx.emit("join-timing.setup", {{"children", o.sleeps.size()}, {"sleeps", scaled}, {"max", scaled_max}, {"sum", scaled_sum}});

  ctx.emit("join-timing.way_concurrent");
  const double concurrent = rounded_seconds(start_all_then_join_all(o.sleeps, ctx));
  ctx.emit("join-timing.concurrent_total", {{"measured", concurrent}, {"max", scaled_max}, {"sum", scaled_sum}});

  ctx.emit("join-timing.way_serial");
  const double serial = rounded_seconds(start_and_join_one_by_one(o.sleeps, ctx));
  ctx.emit("join-timing.serial_total", {{"measured", serial}, {"max", scaled_max}, {"sum", scaled_sum}});

  const double timeout = ctx.timeout(o.join_timeout).value_or(0);
  const TimeoutObservation seen = join_with_timeout(timeout, ctx);

  Summary s;
  s.figures = {{"sleeps", scaled},           {"expected_max", scaled_max},   {"expected_sum", scaled_sum},
               {"concurrent_seconds", concurrent}, {"serial_seconds", serial}, {"join_timeout", timeout},
               {"timeout_waited", rounded_seconds(seen.waited)},    {"alive_after_timeout", seen.alive}};
  s.check("start_all_then_join_all_takes_about_max",
          concurrent >= kBelowExpected * scaled_max && concurrent < kConcurrentBelowSum * scaled_sum, concurrent,
          ">= 0.9 x max (" + seconds_text(kBelowExpected * scaled_max) + ") and < 0.75 x sum (" +
              seconds_text(kConcurrentBelowSum * scaled_sum) + ")");
  s.check("one_by_one_takes_about_sum", serial >= kBelowExpected * scaled_sum, serial,
          ">= 0.9 x sum (" + seconds_text(kBelowExpected * scaled_sum) + ")");
  s.check("join_timeout_returns_while_child_runs",
          !seen.returned && seen.alive && seen.exitcode_empty && seen.waited >= kBelowExpected * timeout,
          json{{"returned", seen.returned}, {"alive", seen.alive}, {"waited", rounded_seconds(seen.waited)}},
          json{{"returned", false}, {"alive", true}, {"waited", ">= 0.9 x " + seconds_text(timeout)}});
  s.check("child_finished_after_stop", seen.final_join && seen.final_exitcode == 0, seen.final_exitcode, 0);
  return s;
}

}  // namespace

RunFunction setup_join_timing(CLI::App& app) {
  auto o = std::make_shared<JoinTimingOptions>();
  add_seconds(app, "--sleeps", o->sleeps, "seconds each child sleeps, one child per value (e.g. 1,2,3)")
      ->delimiter(',');
  add_seconds(app, "--join-timeout", o->join_timeout, "timeout of the join(timeout) call on the busy child");
  return [o](Context& ctx) { return run_join_timing(*o, ctx); };
}

}  // namespace mpdemo
