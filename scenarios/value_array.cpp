// value-array: numbers in shared memory (seed 004's Value and Array example:
// Value('d', 0.0), Array('i', range(10))).
//
// Part 1: the parent makes a shared double and a shared int array; a child
// sets the double to 3.14 and a[0] to 5, as seed 004's child does (--numbers
// docs: 3.1415927 and every element negated, as in Python's documentation);
// after join the parent sees the child's values. (An ordinary variable would
// not change: see `mpdemo isolation`.)
// Part 2: a shared counter that N processes each increment K times, twice.
// First as "v.value += 1", which is a locked read and then a locked write:
// two steps, so increments made between them by others are lost. Then with
// the whole read-and-write under the Value's own lock (get_lock()): exact.
//
// Try:  mpdemo value-array
//       mpdemo value-array --numbers docs
//       mpdemo value-array --processes 8 --increments 50000
//       mpdemo value-array --processes 2 --increments 1 --order 1,2,1,2   (both read 0, both write 1)
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include "mp/array.hpp"
#include "mp/deadline.hpp"
#include "mp/event.hpp"
#include "mp/process.hpp"
#include "mp/value.hpp"
#include "number_options.hpp"
#include "setups.hpp"
#include "step_points.hpp"

namespace mpdemo {
namespace {

struct ValueArrayOptions {
  int length = 10;            // seed 004: Array('i', range(10))
  std::string numbers = "tutorial";  // what the child writes: tutorial (seed 004) or docs (Python's documentation)
  int processes = 4;
  // Per process. Enough that the processes really run at the same time:
  // a few thousand finish within one time slice, before the next one wakes.
  int increments = 100000;
};

enum class Increment { ValueThenSetValue, UnderGetLock };

// What the child of part 1 writes, and what the parent must then see.
struct ChildWrites {
  const char* event;  // the child's line
  double value;
  bool negate_all;    // docs: a[i] = -a[i] for every i; tutorial: a[0] = 5 only
  int first;          // tutorial: the new a[0]
};
constexpr ChildWrites kTutorialWrites{"value-array.child_wrote", 3.14, false, 5};  // seed 004: n.value = 3.14; a[0] = 5
constexpr ChildWrites kDocsWrites{"value-array.child_wrote_docs", 3.1415927, true, 0};  // Python docs: 3.1415927, a[i] = -a[i]

// The array as the child leaves it.
std::vector<int> after_child(const ChildWrites& w, std::vector<int> a) {
  if (w.negate_all) {
    for (int& x : a) x = -x;
  } else if (!a.empty()) {
    a[0] = w.first;
  }
  return a;
}

// A double as Python prints it (the renderer shows floats with 2 decimals,
// which would hide the point with --numbers docs: 3.1415927 arrives whole).
std::string double_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  return buf;
}

// Part 1. Returns whether the parent saw everything the child wrote.
bool show_value_and_array(const ValueArrayOptions& o, const Context& ctx) {
  const ChildWrites& writes = o.numbers == "docs" ? kDocsWrites : kTutorialWrites;
  mp::Value<double> number(0.0);  // Python: Value('d', 0.0)
  std::vector<int> initial(static_cast<std::size_t>(o.length));
  std::iota(initial.begin(), initial.end(), 0);
  mp::Array<int> numbers{std::span<const int>(initial)};  // Python: Array('i', range(10))
  ctx.emit("value-array.before", {{"value", number.value()}, {"value_text", double_text(number.value())}, {"array", numbers.to_vector()}});

  mp::Process child(
      [&] {
        number.set_value(writes.value);
        if (writes.negate_all) {
          for (std::size_t i = 0; i < numbers.size(); ++i) numbers.set(i, -numbers.get(i));
        } else {
          numbers.set(0, writes.first);
        }
        ctx.emit(writes.event, {{"value", number.value()},
                                {"value_text", double_text(number.value())},
                                {"first", numbers.get(0)},
                                {"array", numbers.to_vector()}});
      },
      "Child");
  child.start();
  child.join();

  const double seen = number.value();
  const std::vector<int> seen_array = numbers.to_vector();
  ctx.emit("value-array.parent_sees", {{"value", seen}, {"value_text", double_text(seen)}, {"array", seen_array}});
  return child.exitcode() == 0 && seen == writes.value && seen_array == after_child(writes, initial);
}

// Part 2. N processes each add 1 to a shared counter K times; returns the
// counter's final value.
long count_together(const ValueArrayOptions& o, const Context& ctx, Increment how) {
  mp::Value<long> counter(0);  // Python: Value('l', 0), with its own lock
  mp::Event go;                // every worker starts counting at the same moment
  std::vector<mp::Process> workers;
  workers.reserve(static_cast<std::size_t>(o.processes));
  // Step points (--order), in the unlocked pass only, where the race is:
  // each increment is a read of the counter and a write of read + 1.
  const bool stepped = steps::active() && how == Increment::ValueThenSetValue;
  for (int i = 1; i <= o.processes; ++i) {
    workers.emplace_back(
        [&, i] {
          go.wait();
          ctx.span("value-array.counting");
          for (int k = 0; k < o.increments; ++k) {
            if (stepped) {
              steps::at(i, "value-array.read");
              const long read = counter.value();
              steps::at(i, "value-array.write", {{"value", read + 1}});
              counter.set_value(read + 1);
            } else if (how == Increment::UnderGetLock) {
              std::lock_guard guard(counter.get_lock());  // Python: with v.get_lock(): v.value += 1
              counter.set_value(counter.value() + 1);     // the RLock lets these re-take it
            } else {
              counter.set_value(counter.value() + 1);  // Python: v.value += 1 (two locked steps)
            }
          }
          ctx.emit("value-array.worker_done", {{"increments", o.increments}, {"span_end", "value-array.counting"}});
          if (stepped) steps::finish(i);
        },
        "Counter-" + std::to_string(i));
  }
  const auto phase = stepped ? steps::begin_for(workers, json::object(), [&counter] { return json{{"counter", counter.value()}}; })
                             : steps::Phase();
  for (auto& w : workers) w.start();
  go.set();
  for (auto& w : workers) w.join();
  for (auto& w : workers)
    if (w.exitcode().value_or(1) != 0) throw mp::Error(w.name() + " failed (exit code " +
                                                       std::to_string(w.exitcode().value_or(1)) + ")");
  return counter.value();
}

Summary run_value_array(const ValueArrayOptions& o, Context& ctx) {
  const bool values_seen = show_value_and_array(o, ctx);

  const long expected = static_cast<long>(o.processes) * o.increments;
  ctx.emit("value-array.counter_unlocked", {{"processes", o.processes}, {"increments", o.increments}});
  const long unlocked = count_together(o, ctx, Increment::ValueThenSetValue);
  ctx.emit("value-array.counter_result", {{"value", unlocked}, {"expected", expected}, {"lost", expected - unlocked}});

  ctx.emit("value-array.counter_locked", {{"processes", o.processes}, {"increments", o.increments}});
  const long locked = count_together(o, ctx, Increment::UnderGetLock);
  ctx.emit("value-array.counter_result", {{"value", locked}, {"expected", expected}, {"lost", expected - locked}});

  Summary s;
  s.figures = {{"numbers", o.numbers},
               {"length", o.length},
               {"processes", o.processes},
               {"increments", o.increments},
               {"expected", expected},
               {"unlocked_counter", unlocked},
               {"unlocked_lost", expected - unlocked},
               {"locked_counter", locked}};
  s.check("child_values_seen", values_seen, values_seen, true);
  s.check("locked_counter_exact", locked == expected, locked, expected);
  return s;
}

}  // namespace

RunFunction setup_value_array(CLI::App& app) {
  auto o = std::make_shared<ValueArrayOptions>();
  add_whole(app, "--length", o->length, "length of the shared int array", 1, 100);
  app.add_option("--numbers", o->numbers,
                 "what the child writes: tutorial (3.14 and a[0] = 5) or docs (3.1415927, every element negated)")
      ->capture_default_str()
      ->check(CLI::IsMember({"tutorial", "docs"}));
  add_whole(app, "--processes", o->processes, "processes incrementing the shared counter", 1, 256);
  add_whole(app, "--increments", o->increments, "increments by each process", 1, 10000000);
  return [o](Context& ctx) { return run_value_array(*o, ctx); };
}

}  // namespace mpdemo
