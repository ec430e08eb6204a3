// lifecycle: a Process object's name, pid, is_alive() and exitcode from
// creation to the end (seed 000 其它属性, 002 terminate/is_alive, 004 属性介绍).
//
// Three children, one after the other:
//   task-1 works and returns: exitcode None while it runs, 0 after.
//   task-2 leaves with sys.exit(3) (mp::SystemExit{3}): exitcode 3.
//   task-3 works until it is stopped; main calls terminate(): exitcode -15,
//   minus the number of the signal (SIGTERM) that ended it.
// Then the naming pitfall of a Process subclass (seeds 002, 003): two
// MyProcess objects whose constructor sets the name 'my-task' before and
// after the base initialiser (Python's super().__init__()). The base
// initialiser names every process object it sets up, so the name set first
// is overwritten: that child runs as MyProcess-4 (the tutorial's Piao-2),
// the other as my-task.
// terminate() only sends the signal; the child dies when the kernel next
// runs it. is_alive() asked right after terminate() may still say True; it
// says False once the child has been reaped (join). Main reports what it
// really saw, and how long the child took to die.
//
// Try:  mpdemo lifecycle
//       mpdemo lifecycle --name 任务1 --exit-code 7
//       mpdemo lifecycle --subclass-name egon
// Watch for: pid None before start(), exitcode None while running, the value
// of is_alive() right after terminate(), exitcode -15, and which of the two
// subclassed processes kept the name it set.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "mp/connection.hpp"
#include "mp/deadline.hpp"
#include "mp/process.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

struct LifecycleOptions {
  std::string name = "task-1";   // seed 000 names its child '任务1'
  double work = 3;               // seed 000: the task sleeps 3 s
  int exit_code = 3;             // what task-2 passes to sys.exit
  double before_terminate = 1;   // seed 000: main sleeps 1 s, then terminate()
  std::string subclass_name = "my-task";  // what both MyProcess objects set as their name (seed 002: 'egon')
};

// When a subclass's constructor sets its name: before or after the base
// initialiser, as a Python __init__ may call super().__init__() late or first.
enum class NameSet { BeforeInit, AfterInit };

// Python's `class MyProcess(Process)` with `def __init__(self, name)`. C++
// always builds a base before the derived part; Python runs __init__'s lines
// in the order they are written. mp::Process's NotInitialised/initialise()
// give the Python order: the object exists, then initialise() is
// super().__init__(), which numbers it and names it "MyProcess-N".
class MyProcess final : public mp::Process {
 public:
  MyProcess(const std::string& name, NameSet when, std::function<void()> work)
      : mp::Process(NotInitialised{}), work_(std::move(work)) {
    if (when == NameSet::BeforeInit) set_name(name);  // self.name = name
    initialise("MyProcess");                           // super().__init__()
    if (when == NameSet::AfterInit) set_name(name);   // self.name = name
  }

 protected:
  void run() override { work_(); }

 private:
  std::function<void()> work_;
};


// Python's spelling of an exitcode: None while there is none.
std::string shown(const std::optional<int>& exitcode) { return exitcode ? std::to_string(*exitcode) : "None"; }
// The same as a figure: the number, or "None".
json measured(const std::optional<int>& exitcode) { return exitcode ? json(*exitcode) : json("None"); }

// The attributes a student would print, as event fields.
json attributes(mp::Process& p) {
  // Asked one at a time, in this order, like print(p.pid, p.is_alive(), p.exitcode).
  const pid_t pid = p.pid();
  const bool alive = p.is_alive();
  const auto exitcode = p.exitcode();
  return {{"child", p.name()}, {"child_pid", pid == 0 ? "None" : std::to_string(pid)}, {"alive", alive}, {"exitcode", shown(exitcode)}};
}

Summary run_lifecycle(const LifecycleOptions& o, Context& ctx) {
  if (o.exit_code < 1 || o.exit_code > 255) throw UsageError("lifecycle.exit_code_range", {{"value", o.exit_code}});
  // The pitfall is told by the name changing: it must differ from what the base initialiser gives.
  if (o.subclass_name.empty() || o.subclass_name.rfind("MyProcess-", 0) == 0)
    throw UsageError("lifecycle.subclass_name", {{"value", o.subclass_name}});
  Summary s;

  // task-1: a normal exit.
  mp::Process normal(
      [&] {
        ctx.emit("lifecycle.working", {{"work", ctx.scaled(o.work)}, {"span_begin", "lifecycle.working"}});
        ctx.sleep(o.work);
        ctx.emit("lifecycle.returning", {{"span_end", "lifecycle.working"}});
      },
      o.name);
  const pid_t pid_before = normal.pid();
  ctx.emit("lifecycle.before_start", attributes(normal));
  normal.start();
  ctx.emit("lifecycle.after_start", attributes(normal));
  normal.join();
  const auto normal_code = normal.exitcode();
  ctx.emit("lifecycle.after_join", attributes(normal));

  // task-2: sys.exit(N).
  mp::Process exiting(
      [&] {
        ctx.emit("lifecycle.sys_exit", {{"code", o.exit_code}});
        throw mp::SystemExit{o.exit_code};
      },
      "task-2");
  exiting.start();
  exiting.join();
  const auto exit_code = exiting.exitcode();
  ctx.emit("lifecycle.after_join", attributes(exiting));

  // task-3: works until terminated. It reports its own name and pid when it
  // is ready, so main knows it is running before it looks and terminates.
  auto [ready_reader, ready_writer] = mp::Pipe(false);
  auto [stop_reader, stop_writer] = mp::Pipe(false);
  mp::Process busy(
      [&] {
        ready_reader.close();
        stop_writer.close();  // our copy of the write end, or EOF could never come
        ctx.emit("lifecycle.busy", {{"span_begin", "lifecycle.busy"}});  // ended by terminate(): drawn cut
        ready_writer.send(std::tuple<std::string, int>{mp::current_process().name, ::getpid()});
        stop_reader.poll(std::nullopt);  // never returns before terminate(): main keeps stop_writer open
      },
      "task-3");
  busy.start();
  ready_writer.close();
  stop_reader.close();
  std::tuple<std::string, int> self_report{"", 0};
  if (ready_reader.poll(kStepTimeout)) self_report = ready_reader.recv<std::tuple<std::string, int>>();
  const bool knows_itself = std::get<0>(self_report) == busy.name() && std::get<1>(self_report) == busy.pid();
  const bool empty_while_running = !busy.exitcode().has_value();
  ctx.emit("lifecycle.running", attributes(busy));

  ctx.sleep(o.before_terminate);
  const double t_terminate = mp::monotonic_seconds();
  busy.terminate();
  const bool alive_right_after = busy.is_alive();
  ctx.emit(alive_right_after ? "lifecycle.terminate_still_alive" : "lifecycle.terminate_already_dead",
           {{"alive", alive_right_after}});
  busy.join(kStepTimeout);
  const double died_after_us = (mp::monotonic_seconds() - t_terminate) * 1e6;
  const bool alive_after_join = busy.is_alive();
  const auto terminated_code = busy.exitcode();
  json after = attributes(busy);
  after["after_us"] = static_cast<long>(died_after_us);
  ctx.emit("lifecycle.after_terminate", after);
  stop_writer.close();

  // The naming pitfall: the same name set before and after the base
  // initialiser. Each child says the name it runs under (its own
  // current_process().name), on real processes.
  const auto says_its_name = [&ctx, &o] {
    const std::string mine = mp::current_process().name;
    ctx.emit(mine == o.subclass_name ? "lifecycle.runs_as_set" : "lifecycle.runs_as_default",
             {{"runs_as", mine}, {"set", o.subclass_name}});
  };
  MyProcess name_first(o.subclass_name, NameSet::BeforeInit, says_its_name);
  ctx.emit("lifecycle.name_before_init", {{"set", o.subclass_name}, {"child", name_first.name()}});
  name_first.start();
  name_first.join(kStepTimeout);
  MyProcess init_first(o.subclass_name, NameSet::AfterInit, says_its_name);
  ctx.emit("lifecycle.name_after_init", {{"set", o.subclass_name}, {"child", init_first.name()}});
  init_first.start();
  init_first.join(kStepTimeout);
  const bool overwritten = name_first.name() != o.subclass_name && name_first.name().rfind("MyProcess-", 0) == 0;
  const bool kept = init_first.name() == o.subclass_name;

  s.figures = {{"name", normal.name()},
               {"exitcode_normal", normal_code ? json(*normal_code) : json(nullptr)},
               {"exitcode_sys_exit", exit_code ? json(*exit_code) : json(nullptr)},
               {"exitcode_terminated", terminated_code ? json(*terminated_code) : json(nullptr)},
               {"alive_right_after_terminate", alive_right_after},
               {"terminate_to_reaped_us", static_cast<long>(died_after_us)},
               {"name_set_before_init", name_first.name()},
               {"name_set_after_init", init_first.name()}};
  s.check("pid_none_before_start", pid_before == 0, pid_before, 0);
  s.check("child_knows_its_name_and_pid", knows_itself, std::get<0>(self_report) + " " + std::to_string(std::get<1>(self_report)),
          busy.name() + " " + std::to_string(busy.pid()));
  s.check("exitcode_none_while_running", empty_while_running, empty_while_running ? "None" : "a value", "None");
  s.check("exitcode_0_after_return", normal_code == 0, measured(normal_code), 0);
  s.check("exitcode_n_after_sys_exit", exit_code == o.exit_code, measured(exit_code), o.exit_code);
  s.check("exitcode_minus_15_after_terminate", terminated_code == -SIGTERM, measured(terminated_code), -SIGTERM);
  s.check("not_alive_after_join", !alive_after_join && !normal.is_alive() && !exiting.is_alive(), alive_after_join, false);
  s.check("name_before_init_overwritten", overwritten && name_first.exitcode() == 0, name_first.name(),
          "MyProcess-N");
  s.check("name_after_init_kept", kept && init_first.exitcode() == 0, init_first.name(), o.subclass_name);
  return s;
}

}  // namespace

RunFunction setup_lifecycle(CLI::App& app) {
  auto o = std::make_shared<LifecycleOptions>();
  app.add_option("--name", o->name, "name of the first child (Process(name=...))")->capture_default_str();
  add_seconds(app, "--work", o->work, "seconds the first child works before it returns");
  add_whole(app, "--exit-code", o->exit_code, "code the second child passes to sys.exit", 1, 255);
  add_seconds(app, "--before-terminate", o->before_terminate, "seconds main lets the third child work before terminate()");
  app.add_option("--subclass-name", o->subclass_name,
                 "the name two Process subclass objects set, before and after the base initialiser")
      ->capture_default_str();
  return [o](Context& ctx) { return run_lifecycle(*o, ctx); };
}

}  // namespace mpdemo
