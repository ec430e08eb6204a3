#include "mp/process.hpp"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio_ext.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>

#include "mp/errors.hpp"
#include "mp/events.hpp"
#include "mp/fork_hooks.hpp"

namespace mp {
namespace {

// Per-process bookkeeping. Heap-allocated and never freed: it must outlive
// every static destructor and atexit handler that might still touch it.
struct ProcessState {
  ProcessInfo self{"MainProcess", ::getpid(), false};
  std::vector<int> identity;  // Python's _identity: (1,) for Process-1, (1, 2) below it
  // Python's _process_counter: every Process constructed here (and every
  // fork_raw) takes the next number, so three Processes built before any
  // starts are Process-1, -2 and -3. Atomic: a Pool builds its workers on
  // its own thread while the main thread may build others.
  std::atomic<int> children_created{0};

  std::mutex children_mutex;                     // guards `children`
  std::vector<std::pair<pid_t, bool>> children;  // unreaped: pid, daemon
  bool exit_handler_installed = false;
};

ProcessState& state() {
  static ProcessState* s = new ProcessState;
  return *s;
}

void register_child(pid_t pid, bool daemon) {
  auto& s = state();
  std::lock_guard lock(s.children_mutex);
  s.children.emplace_back(pid, daemon);
}

void forget_child(pid_t pid) {
  auto& s = state();
  std::lock_guard lock(s.children_mutex);
  std::erase_if(s.children, [pid](const auto& c) { return c.first == pid; });
}

// What Python's atexit hook does for children whose Process objects never
// went out of scope (leaked, or living in static storage): terminate the
// daemons, then wait for everyone.
void finish_remaining_children() {
  auto& s = state();
  std::vector<std::pair<pid_t, bool>> left;
  {
    std::lock_guard lock(s.children_mutex);
    left.swap(s.children);
  }
  for (auto& [pid, daemon] : left)
    if (daemon) ::kill(pid, SIGTERM);
  for (auto& [pid, daemon] : left) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

// This process's identity followed by the next child number.
std::vector<int> next_child_identity() {
  auto& s = state();
  std::vector<int> identity = s.identity;
  identity.push_back(s.children_created.fetch_add(1) + 1);
  return identity;
}

std::string default_name(const std::vector<int>& identity) {
  std::string name = "Process-";
  for (std::size_t i = 0; i < identity.size(); ++i) name += (i ? ":" : "") + std::to_string(identity[i]);
  return name;
}

// Runs in the child right after fork: it is a new process now.
void become_child(const std::string& name, bool daemon, const std::vector<int>& identity) {
  // Bytes that another thread of the parent buffered after our fflush are
  // the parent's to write; flushed here they would appear twice.
  ::__fpurge(stdout);
  ::__fpurge(stderr);
  auto& s = state();
  s.identity = identity;
  s.children_created = 0;
  s.self = ProcessInfo{name, ::getpid(), daemon};
  s.children.clear();  // the parent's children are not ours to reap
  // Start from default dispositions and an empty mask, whatever the parent
  // set for itself (a SIGCHLD=SIG_IGN would silently reap our own children).
  for (int sig : {SIGINT, SIGTERM, SIGCHLD, SIGPIPE, SIGHUP, SIGQUIT}) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  run_after_fork_in_child();
  // A drawn run starts this process's lane here (not at its first event).
  if (events::tracing()) events::emit("trace.process_start");
}

void write_stderr(const std::string& text) {
  // write(2), not stdio: the child may have inherited a stdio lock held by a
  // thread of the parent that does not exist here.
  std::size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(STDERR_FILENO, text.data() + off, text.size() - off);
    if (n <= 0 && errno != EINTR) return;
    if (n > 0) off += static_cast<std::size_t>(n);
  }
}

// A drawn run ends the child's lane here: between its own trace.process_exit
// and this, it was a zombie; a child killed by a signal has no exit of its own.
void report_reaped(pid_t child, int exitcode) {
  if (events::tracing()) events::emit("trace.reaped", {{"child", child}, {"exitcode", exitcode}});
}

int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

const ProcessInfo& current_process() noexcept { return state().self; }

pid_t fork_raw(const std::string& name) {
  auto& s = state();
  if (s.self.daemon) throw ProcessError("daemon process '" + s.self.name + "' may not start children");
  const std::vector<int> identity = next_child_identity();
  std::fflush(nullptr);
  run_before_fork();
  pid_t pid = ::fork();
  if (pid < 0) throw_os_error("fork");
  if (pid == 0) become_child(name, false, identity);
  return pid;
}

int exitcode_from_status(int status) noexcept {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return 0;
}

std::vector<pid_t> active_children() {
  auto& s = state();
  std::lock_guard lock(s.children_mutex);
  std::vector<pid_t> pids;
  for (auto& c : s.children) pids.push_back(c.first);
  return pids;
}

int cpu_count() noexcept {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

Process::Process(std::string name, Daemon daemon)
    : identity_(next_child_identity()),
      name_(name.empty() ? default_name(identity_) : std::move(name)),
      daemon_(daemon == Daemon::Yes) {}

Process::Process(Target target, std::string name, Daemon daemon)
    : target_(std::move(target)),
      identity_(next_child_identity()),
      name_(name.empty() ? default_name(identity_) : std::move(name)),
      daemon_(daemon == Daemon::Yes) {}

Process::Process(Process&& other) noexcept
    : target_(std::move(other.target_)),
      identity_(std::move(other.identity_)),
      name_(std::move(other.name_)),
      daemon_(other.daemon_),
      started_(std::exchange(other.started_, false)),
      pid_(std::exchange(other.pid_, 0)),
      parent_pid_(other.parent_pid_),
      pidfd_(std::move(other.pidfd_)),
      exitcode_(other.exitcode_),
      reaped_(other.reaped_) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    finish_on_scope_exit();
    target_ = std::move(other.target_);
    identity_ = std::move(other.identity_);
    name_ = std::move(other.name_);
    daemon_ = other.daemon_;
    started_ = std::exchange(other.started_, false);
    pid_ = std::exchange(other.pid_, 0);
    parent_pid_ = other.parent_pid_;
    pidfd_ = std::move(other.pidfd_);
    exitcode_ = other.exitcode_;
    reaped_ = other.reaped_;
  }
  return *this;
}

Process::~Process() { finish_on_scope_exit(); }

void Process::finish_on_scope_exit() noexcept {
  if (!started_ || reaped_ || parent_pid_ != ::getpid()) return;
  try {
    if (daemon_ || std::uncaught_exceptions() > 0) {
      terminate();
      if (!join(1.0)) kill();
    }
    reap_blocking();
  } catch (...) {
    // A destructor must not throw; the registry's exit handler is the
    // last line of defence for a child we could not reap here.
  }
}

void Process::set_daemon(bool daemon) {
  if (started_) throw ProcessError("cannot change daemon flag of process '" + name_ + "' after start()");
  daemon_ = daemon;
}

void Process::run() {
  if (target_) target_();
}

void Process::start() {
  if (started_) throw ProcessError("cannot start process '" + name_ + "' twice");
  auto& s = state();
  if (s.self.daemon)
    throw ProcessError("daemon process '" + s.self.name +
                       "' may not start children: a daemon is killed when its parent ends, which would orphan them");
  if (!s.exit_handler_installed) {
    std::atexit(finish_remaining_children);
    s.exit_handler_installed = true;
  }

  // Anything buffered now would otherwise be written twice, once by each side.
  std::fflush(nullptr);
  run_before_fork();

  pid_t pid = ::fork();
  switch (pid) {
    case -1:
      throw_os_error("fork");

    case 0: {  // child: run the target, never return to the caller
      become_child(name_, daemon_, identity_);
      int code = 0;
      try {
        run();
      } catch (const SystemExit& e) {
        code = e.code;
      } catch (const std::exception& e) {
        write_stderr("Process " + name_ + " (pid " + std::to_string(::getpid()) +
                     "): uncaught exception: " + e.what() + "\n");
        code = 1;
      } catch (...) {
        write_stderr("Process " + name_ + " (pid " + std::to_string(::getpid()) +
                     "): uncaught exception of unknown type\n");
        code = 1;
      }
      std::fflush(nullptr);
      finish_remaining_children();
      if (events::tracing()) events::emit("trace.process_exit", {{"exitcode", code}});
      ::_exit(code);
    }

    default:  // parent
      started_ = true;
      pid_ = pid;
      parent_pid_ = ::getpid();
      pidfd_.reset(open_pidfd(pid));  // -1 on a kernel without pidfd: we poll then
      register_child(pid, daemon_);
  }
}

bool Process::poll_exit() {
  if (reaped_) return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  if (r < 0) {
    if (errno != ECHILD) throw_os_error("waitpid");
    // Reaped behind our back (SIGCHLD set to SIG_IGN): the code is lost.
  } else {
    exitcode_ = exitcode_from_status(status);
    report_reaped(pid_, *exitcode_);
  }
  reaped_ = true;
  pidfd_.reset();
  forget_child(pid_);
  return true;
}

void Process::reap_blocking() {
  if (reaped_) return;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exitcode_ = exitcode_from_status(status);
    report_reaped(pid_, *exitcode_);
  }
  reaped_ = true;
  pidfd_.reset();
  forget_child(pid_);
}

bool Process::join(Timeout timeout) {
  if (!started_) throw ProcessError("can only join a started process ('" + name_ + "' was never started)");
  if (parent_pid_ != ::getpid()) throw ProcessError("can only join a child process ('" + name_ + "' is not ours)");
  if (poll_exit()) return true;
  if (!timeout) {
    reap_blocking();
    return true;
  }
  Deadline deadline(timeout);
  while (!poll_exit()) {
    if (deadline.expired()) return false;
    if (pidfd_) {
      pollfd p{pidfd_.get(), POLLIN, 0};
      int r = ::poll(&p, 1, deadline.poll_ms());
      if (r < 0 && errno != EINTR) throw_os_error("poll(pidfd)");
    } else {
      sleep_for(std::min(0.001, deadline.remaining().value_or(0.001)));
    }
  }
  return true;
}

void Process::send_signal(int sig) {
  if (!started_ || reaped_) return;
  if (pidfd_) {
    if (::syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0) == 0 || errno == ESRCH) return;
  }
  if (::kill(pid_, sig) != 0 && errno != ESRCH) throw_os_error("kill");
}

void Process::terminate() { send_signal(SIGTERM); }
void Process::kill() { send_signal(SIGKILL); }

bool Process::is_alive() {
  if (!started_) return false;
  if (parent_pid_ != ::getpid()) return false;
  return !poll_exit();
}

std::optional<int> Process::exitcode() {
  if (!started_) return std::nullopt;
  poll_exit();
  return exitcode_;
}

}  // namespace mp
