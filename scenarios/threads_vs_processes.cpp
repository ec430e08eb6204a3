// threads-vs-processes: seed 004's comparison table, measured instead of
// asserted.
//
// Four parts, one after the other:
//   1. creation cost: --count threads created and joined, then --count
//      processes started and joined (fork + exit + waitpid), both timed;
//   2. a crash in a thread: a child process runs two threads; one receives
//      SIGSEGV (or aborts), and the whole process dies with it, the healthy
//      thread included: exitcode -11 (or -6);
//   3. a crash in a process: --siblings child processes; one crashes, the
//      others are told to go on only after it died, and finish with 0;
//   4. CPU-bound work (a fixed integer loop, seconds set by --work and
//      scaled by --speed) run serially, on --workers threads and on --workers
//      processes: in C++ both scale with the cores. In Python the threads
//      would not, because of the GIL; `mpdemo explain threads-vs-processes`
//      says why.
// The crashing processes turn core dumps off first, so nothing is written
// to disk.
//
// Try:  mpdemo threads-vs-processes
//       mpdemo threads-vs-processes --count 500 --crash abort
// Watch for: the per-item creation times; exitcode -11 with the healthy
// thread's "done" never printed; the siblings' 0s; the two speedups.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "mp/unique_fd.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

enum class CrashKind { Segv, Abort };

struct TvpOptions {
  int count = 100;                    // threads and processes created for the cost measurement
  int siblings = 3;                   // processes in the crash-isolation part
  int crasher = 2;                    // the sibling that crashes (1-based)
  std::string crash_word = "segv";    // --crash as typed: segv or abort
  CrashKind crash = CrashKind::Segv;  // set from crash_word when the run starts
  int workers = 0;                    // threads/processes for the CPU part; 0 = the CPUs we may use
  double work = 2.0;                  // seconds of single-core work in the CPU part (scaled by --speed)
};

// A safety net for steps that take milliseconds; never a lesson's duration.
constexpr double kStepTimeout = 10.0;

int crash_signal(CrashKind k) { return k == CrashKind::Segv ? SIGSEGV : SIGABRT; }
const char* crash_signal_name(CrashKind k) { return k == CrashKind::Segv ? "SIGSEGV" : "SIGABRT"; }

// The 1-minute load average: how many processes wanted a CPU, on average.
double load_average() {
  double load = 0;
  std::ifstream("/proc/loadavg") >> load;
  return load;
}

double seconds_since(double start) { return mp::monotonic_seconds() - start; }

double round3(double x) { return std::round(x * 1000) / 1000; }

// No core file: the crash is the lesson, not a file on disk.
void disable_core_dumps() {
  const rlimit none{0, 0};
  ::setrlimit(RLIMIT_CORE, &none);
  ::prctl(PR_SET_DUMPABLE, 0);
}

// What a bad pointer (SIGSEGV) or a failed assertion (abort) does to a
// process, without undefined behaviour: raise() sends the signal to the
// calling thread, and its default action ends the whole process. The
// default action is asked for explicitly: a handler installed for SIGSEGV
// (AddressSanitizer's, under scripts/test --sanitize, or a debugger's) would
// otherwise report the deliberate crash as a bug and exit with status 1
// instead of dying of the signal, which is the lesson. Only this process, on
// its way to dying, gives up the handler; the sanitizer still watches
// everything else.
[[noreturn]] void crash_now(CrashKind k) {
  if (k == CrashKind::Segv) {
    ::signal(SIGSEGV, SIG_DFL);
    ::raise(SIGSEGV);
  } else {
    std::abort();
  }
  ::_exit(99);  // not reached: both signals end the process
}

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

pid_t thread_id() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

// ---- 1. creation cost ------------------------------------------------------

struct CreationCost {
  double threads_s = 0;
  double processes_s = 0;
  int processes_failed = 0;
};

CreationCost measure_creation(int count) {
  CreationCost cost;
  std::atomic<int> ran{0};
  double start = mp::monotonic_seconds();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) threads.emplace_back([&ran] { ran.fetch_add(1); });
  for (auto& t : threads) t.join();
  cost.threads_s = seconds_since(start);

  std::vector<mp::Process> processes;
  processes.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) processes.emplace_back([] {}, "Empty-" + std::to_string(i + 1));
  start = mp::monotonic_seconds();
  for (auto& p : processes) p.start();
  for (auto& p : processes) {
    p.join(kStepTimeout);
    if (p.exitcode().value_or(-1) != 0) ++cost.processes_failed;
  }
  cost.processes_s = seconds_since(start);
  return cost;
}

// ---- 2. a crash in a thread -----------------------------------------------

// Written by the threads of the crashing process, read by mpdemo after it died.
struct ThreadCrashReport {
  std::atomic<int> healthy_started{0};
  std::atomic<int> healthy_finished{0};
};

struct ThreadCrashResult {
  int exitcode = 0;
  bool healthy_started = false;
  bool healthy_finished = false;
};

ThreadCrashResult crash_a_thread(const TvpOptions& o, const Context& ctx) {
  mp::Shared<ThreadCrashReport> report;
  // The healthy thread's work would end after this long, if it were allowed to.
  const double healthy_work = std::max(ctx.scaled(5.0), 0.5);
  mp::Process crashy(
      [&] {
        disable_core_dumps();
        std::thread healthy([&] {
          report->healthy_started.store(1);
          ctx.emit("threads_vs_processes.healthy_thread_runs", {{"tid", thread_id()}, {"seconds", healthy_work}});
          mp::sleep_for(healthy_work);
          report->healthy_finished.store(1);
          ctx.emit("threads_vs_processes.healthy_thread_done", {{"tid", thread_id()}});
        });
        std::thread faulty([&] {
          while (report->healthy_started.load() == 0) mp::sleep_for(0.0005);
          ctx.emit("threads_vs_processes.thread_crashes",
                   {{"tid", thread_id()}, {"signal", crash_signal(o.crash)}, {"signal_name", crash_signal_name(o.crash)}});
          crash_now(o.crash);
        });
        faulty.join();
        healthy.join();
      },
      "Crashy");
  ctx.emit("threads_vs_processes.thread_crash_start");
  crashy.start();
  crashy.join(healthy_work + kStepTimeout);
  ThreadCrashResult r;
  r.exitcode = crashy.exitcode().value_or(0);
  r.healthy_started = report->healthy_started.load() != 0;
  r.healthy_finished = report->healthy_finished.load() != 0;
  ctx.emit("threads_vs_processes.thread_crash_result", {{"child", crashy.pid()}, {"exitcode", r.exitcode},
                                       {"healthy_finished", r.healthy_finished}});
  return r;
}

// ---- 3. a crash in a process ----------------------------------------------

std::vector<int> crash_a_process(const TvpOptions& o, const Context& ctx) {
  auto go = mp::make_pipe();  // EOF = "the crasher is dead: go on"
  std::vector<mp::Process> siblings;
  siblings.reserve(static_cast<std::size_t>(o.siblings));
  for (int i = 1; i <= o.siblings; ++i) {
    siblings.emplace_back(
        [&, i] {
          go.second.reset();  // close our copy of the write end, or EOF would never come
          ctx.emit("threads_vs_processes.sibling_starts", {{"span_begin", "threads_vs_processes.working"}});
          if (i == o.crasher) {
            disable_core_dumps();
            ctx.emit("threads_vs_processes.sibling_crashes",
                     {{"signal", crash_signal(o.crash)}, {"signal_name", crash_signal_name(o.crash)}});
            crash_now(o.crash);
          }
          char byte;
          while (::read(go.first.get(), &byte, 1) < 0 && errno == EINTR) {
          }
          ctx.emit("threads_vs_processes.sibling_done", {{"span_end", "threads_vs_processes.working"}});
        },
        "Sibling-" + std::to_string(i));
  }
  ctx.emit("threads_vs_processes.process_crash_start", {{"siblings", o.siblings}, {"crasher", o.crasher}});
  for (auto& s : siblings) s.start();
  mp::Process& crasher = siblings[static_cast<std::size_t>(o.crasher - 1)];
  crasher.join(kStepTimeout);
  ctx.emit("threads_vs_processes.sibling_died", {{"child", crasher.pid()}, {"exitcode", crasher.exitcode().value_or(0)}});
  go.second.reset();  // the others may finish now
  std::vector<int> codes;
  for (auto& s : siblings) {
    s.join(kStepTimeout);
    codes.push_back(s.exitcode().value_or(1000));
  }
  ctx.emit("threads_vs_processes.main_unaffected", {{"exitcodes", codes}});
  return codes;
}

// ---- 4. CPU-bound work ------------------------------------------------------

// A fixed amount of integer work (xorshift64), its result returned so that
// the compiler must do it and the runs can be compared.
std::uint64_t spin(std::uint64_t seed, std::uint64_t iterations) {
  std::uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

struct Scaling {
  int workers = 0;
  std::uint64_t iterations = 0;  // per worker
  double serial_s = 0, threads_s = 0, processes_s = 0;
  bool results_match = false;
};

Scaling measure_scaling(const TvpOptions& o, const Context& ctx) {
  Scaling sc;
  sc.workers = o.workers > 0 ? o.workers : mp::cpu_count();
  const auto n = static_cast<std::size_t>(sc.workers);
  // Calibrate: how many iterations make --work seconds of CPU time on one
  // core. CPU time, not wall time: on a busy machine the wall clock also
  // counts the time other processes had the core.
  constexpr std::uint64_t kProbe = 1 << 22;
  const double cpu_start = thread_cpu_seconds();
  volatile std::uint64_t probe = spin(7, kProbe);
  (void)probe;
  const double per_iteration = std::max(thread_cpu_seconds() - cpu_start, 1e-6) / kProbe;
  double start = 0;
  const auto total = std::max<std::uint64_t>(static_cast<std::uint64_t>(ctx.scaled(o.work) / per_iteration), 1 << 22);
  sc.iterations = total / n;

  std::vector<std::uint64_t> serial(n), threaded(n);
  start = mp::monotonic_seconds();
  for (std::size_t i = 0; i < n; ++i) serial[i] = spin(i + 1, sc.iterations);
  sc.serial_s = seconds_since(start);

  start = mp::monotonic_seconds();
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < n; ++i) threads.emplace_back([&, i] { threaded[i] = spin(i + 1, sc.iterations); });
  for (auto& t : threads) t.join();
  sc.threads_s = seconds_since(start);

  // A process's result must come back through memory both sides see.
  mp::SharedMapping results_memory(n * sizeof(std::uint64_t));
  auto* forked = static_cast<std::uint64_t*>(results_memory.data());
  std::vector<mp::Process> processes;
  processes.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    processes.emplace_back([&, i] { forked[i] = spin(i + 1, sc.iterations); }, "Worker-" + std::to_string(i + 1));
  start = mp::monotonic_seconds();
  for (auto& p : processes) p.start();
  for (auto& p : processes) p.join();
  sc.processes_s = seconds_since(start);

  sc.results_match = true;
  for (std::size_t i = 0; i < n; ++i) sc.results_match = sc.results_match && serial[i] == threaded[i] && serial[i] == forked[i];
  return sc;
}

Summary run_threads_vs_processes(const TvpOptions& o, Context& ctx) {
  if (o.crasher > o.siblings)
    throw UsageError("threads-vs-processes.crasher_not_a_sibling", {{"crasher", o.crasher}, {"siblings", o.siblings}});
  ctx.emit("threads_vs_processes.setup", {{"count", o.count}, {"siblings", o.siblings}, {"crash", o.crash_word},
                         {"cpus", mp::cpu_count()}});

  const CreationCost cost = measure_creation(o.count);
  const double per_thread_us = cost.threads_s / o.count * 1e6;
  const double per_process_us = cost.processes_s / o.count * 1e6;
  ctx.emit("threads_vs_processes.creation", {{"count", o.count}, {"threads_ms", round3(cost.threads_s * 1000)},
                            {"processes_ms", round3(cost.processes_s * 1000)}, {"per_thread_us", round3(per_thread_us)},
                            {"per_process_us", round3(per_process_us)},
                            {"ratio", round3(cost.processes_s / std::max(cost.threads_s, 1e-9))}});

  const ThreadCrashResult tc = crash_a_thread(o, ctx);
  const std::vector<int> codes = crash_a_process(o, ctx);

  const Scaling sc = measure_scaling(o, ctx);
  const double speedup_threads = sc.serial_s / std::max(sc.threads_s, 1e-9);
  const double speedup_processes = sc.serial_s / std::max(sc.processes_s, 1e-9);
  ctx.emit("threads_vs_processes.scaling", {{"workers", sc.workers}, {"serial_s", round3(sc.serial_s)}, {"threads_s", round3(sc.threads_s)},
                           {"processes_s", round3(sc.processes_s)}, {"speedup_threads", round3(speedup_threads)},
                           {"speedup_processes", round3(speedup_processes)}});
  // Both should come close to this; much less means other processes had the cores.
  const int ideal = std::min(sc.workers, mp::cpu_count());
  if (ideal >= 2 && std::max(speedup_threads, speedup_processes) < 0.6 * ideal)
    ctx.emit("threads_vs_processes.busy_machine", {{"ideal", ideal}, {"load", load_average()}});
  ctx.emit("threads_vs_processes.gil_note");

  const int sig = crash_signal(o.crash);
  std::vector<int> expected_codes(codes.size(), 0);
  expected_codes[static_cast<std::size_t>(o.crasher - 1)] = -sig;

  Summary s;
  s.figures = {{"count", o.count},
               {"threads_ms", round3(cost.threads_s * 1000)},
               {"processes_ms", round3(cost.processes_s * 1000)},
               {"per_thread_us", round3(per_thread_us)},
               {"per_process_us", round3(per_process_us)},
               {"thread_crash_exitcode", tc.exitcode},
               {"sibling_exitcodes", codes},
               {"workers", sc.workers},
               {"serial_s", round3(sc.serial_s)},
               {"threads_s", round3(sc.threads_s)},
               {"processes_s", round3(sc.processes_s)},
               {"speedup_threads", round3(speedup_threads)},
               {"speedup_processes", round3(speedup_processes)}};
  s.check("empty_processes_ran", cost.processes_failed == 0, cost.processes_failed, 0);
  s.check("thread_crash_kills_process", tc.exitcode == -sig, tc.exitcode, -sig);
  s.check("healthy_thread_died_too", tc.healthy_started && !tc.healthy_finished,
          tc.healthy_finished ? "finished" : tc.healthy_started ? "cut off" : "never started", "cut off");
  s.check("process_crash_isolated", codes == expected_codes, codes, expected_codes);
  s.check("parallel_results_match", sc.results_match, sc.results_match, true);
  return s;
}

}  // namespace

RunFunction setup_threads_vs_processes(CLI::App& app) {
  auto o = std::make_shared<TvpOptions>();
  add_whole(app, "--count", o->count, "threads and processes to create and join for the cost measurement", 1, 5000);
  add_whole(app, "--siblings", o->siblings, "processes in the crash-isolation part", 2, 100);
  add_whole(app, "--crasher", o->crasher, "the sibling that crashes (1-based)", 1, 2147483647);
  app.add_option("--crash", o->crash_word, "how the crash happens: segv (SIGSEGV, exitcode -11) or abort (SIGABRT, -6)")
      ->check(CLI::IsMember({"segv", "abort"}))
      ->capture_default_str();
  add_whole(app, "--workers", o->workers, "threads and processes for the CPU part (0: one per usable CPU)", 0, 256);
  add_seconds(app, "--work", o->work, "seconds of single-core CPU work in the CPU part (scaled by --speed)");
  return [o](Context& ctx) {
    o->crash = o->crash_word == "abort" ? CrashKind::Abort : CrashKind::Segv;
    return run_threads_vs_processes(*o, ctx);
  };
}

}  // namespace mpdemo
