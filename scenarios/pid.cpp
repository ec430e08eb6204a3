// pid: every process has a pid, and knows its parent's (seed 000 获取pid,
// 003 os.getpid()/os.getppid()).
//
// The main process reports its own pid and its parent's (the shell or
// program that ran mpdemo). It starts N children; each one reports getpid()
// and getppid() back through a Pipe and then waits, alive, until main lets
// it go. Meanwhile main looks each child up in the kernel's process table
// (/proc/<pid>/stat, what ps reads), so the same parent link is seen three
// ways: by the child, by the Process object in main, and by the kernel.
//
// Try:  mpdemo pid
//       mpdemo pid --children 5 --hold 30    (and run the ps line it prints)
// Watch for: every child's ppid equal to main's pid, and main's own ppid
// belonging to the program that started mpdemo.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "mp/connection.hpp"
#include "mp/process.hpp"
#include "proc_table.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

struct PidOptions {
  int children = 3;   // seed 003: three MyProcess children, each printing its pid
  double hold = 1.0;  // seed 003: the child sleeps 1 s around its pid lines
};

// A safety net for a child's report, which takes microseconds; never a
// lesson's duration.
constexpr double kReportTimeout = 10.0;

// What a child sends: its index, getpid(), getppid().
using Report = std::tuple<int, int, int>;

Summary run_pid(const PidOptions& o, Context& ctx) {
  const pid_t main_pid = ::getpid();
  const pid_t main_ppid = ::getppid();
  // The event header carries pid and ppid already (getpid/getppid at emit).
  ctx.emit("pid.main", {{"parent_comm", read_comm(main_ppid)}});

  // Children send reports on one one-way pipe; a second one is the "you may
  // go" signal: a child waits until every copy of its write end is closed.
  auto [report_reader, report_writer] = mp::Pipe(false);
  auto [release_reader, release_writer] = mp::Pipe(false);

  std::vector<mp::Process> children;
  children.reserve(static_cast<std::size_t>(o.children));
  for (int i = 1; i <= o.children; ++i) {
    children.emplace_back(
        [&, i] {
          // Close the ends this child does not use: the release end, or EOF
          // could never come; the report reader, which is main's.
          release_writer.close();
          report_reader.close();
          const Report mine{i, ::getpid(), ::getppid()};
          // The header holds getpid() and getppid().
          ctx.emit("pid.child", {{"span_begin", "pid.waiting_release"}});
          report_writer.send(mine);
          release_reader.poll(std::nullopt);  // returns at EOF: main closed its end
          ctx.span({}, "pid.waiting_release");
        },
        "Child-" + std::to_string(i));
  }
  for (auto& child : children) {
    child.start();
    ctx.emit("pid.started", {{"child", child.name()}, {"child_pid", child.pid()}});
  }
  // Main only reads reports and only closes the release end; the children's
  // copies of report_writer stay open until they exit.
  report_writer.close();
  release_reader.close();

  std::map<int, Report> reports;
  while (static_cast<int>(reports.size()) < o.children && report_reader.poll(kReportTimeout)) {
    try {
      auto r = report_reader.recv<Report>();
      reports[std::get<0>(r)] = r;
    } catch (const mp::EOFError&) {
      break;  // every child is gone: the missing reports show in the checks
    }
  }

  // Every reporting child is still alive, waiting: the kernel's table has it.
  int ppid_matches = 0, pid_matches = 0, table_agrees = 0;
  std::set<int> distinct;
  for (int i = 1; i <= o.children; ++i) {
    auto& child = children[static_cast<std::size_t>(i - 1)];
    auto it = reports.find(i);
    if (it == reports.end()) continue;
    const auto [index, pid, ppid] = it->second;
    const auto entry = read_proc_stat(pid);  // the child is alive, waiting: it has an entry
    const int table_ppid = entry ? entry->ppid : 0;
    ctx.emit("pid.table", {{"child", child.name()}, {"child_pid", pid}, {"table_ppid", table_ppid}, {"comm", entry ? entry->comm : ""}});
    if (ppid == main_pid) ++ppid_matches;
    if (pid == child.pid()) ++pid_matches;
    if (table_ppid == main_pid) ++table_agrees;
    distinct.insert(pid);
  }
  ctx.emit("pid.try_ps", {{"hold", ctx.scaled(o.hold)}, {"span_begin", "pid.holding"}});
  ctx.sleep(o.hold);
  ctx.span({}, "pid.holding");
  release_writer.close();  // EOF: every child may go now
  for (auto& child : children) child.join();

  const int reported = static_cast<int>(reports.size());
  ctx.emit("pid.verdict", {{"matches", ppid_matches}, {"children", o.children}, {"main_pid", main_pid}});

  Summary s;
  json children_figure = json::array();
  for (auto& [i, r] : reports) children_figure.push_back({{"pid", std::get<1>(r)}, {"ppid", std::get<2>(r)}});
  s.figures = {{"main_pid", main_pid}, {"main_ppid", main_ppid}, {"children", o.children},
               {"reported", reported}, {"child_pids", children_figure}};
  s.check("every_child_reported", reported == o.children, reported, o.children);
  s.check("child_ppid_is_main_pid", ppid_matches == o.children, ppid_matches, o.children);
  s.check("child_pid_is_process_pid", pid_matches == o.children && static_cast<int>(distinct.size()) == reported,
          pid_matches, o.children);
  s.check("process_table_agrees", table_agrees == o.children, table_agrees, o.children);
  return s;
}

}  // namespace

RunFunction setup_pid(CLI::App& app) {
  auto o = std::make_shared<PidOptions>();
  add_whole(app, "--children", o->children, "number of child processes", 1, 2000);
  add_seconds(app, "--hold", o->hold, "seconds the children stay alive after reporting (time to run ps)");
  return [o](Context& ctx) { return run_pid(*o, ctx); };
}

}  // namespace mpdemo
