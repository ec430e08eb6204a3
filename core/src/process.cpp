#include "mp/process.hpp"

#include <poll.h>
#include <pthread.h>
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
#include "mp/parent_death.hpp"

namespace mp {
namespace {

// Per-process bookkeeping. Heap-allocated and never freed: it must outlive
// every static destructor and atexit handler that might still touch it.
struct ProcessState {
  ProcessInfo self{"MainProcess", ::getpid(), false};
  std::optional<ProcessInfo> parent;  // who started this process; none in the main process
  std::vector<int> identity;  // Python's _identity: (1,) for Process-1, (1, 2) below it
  // Python's _process_counter: every Process constructed here (and every
  // fork_raw) takes the next number, so three Processes built before any
  // starts are Process-1, -2 and -3. Atomic: a Pool builds its workers on
  // its own thread while the main thread may build others.
  std::atomic<int> children_created{0};

  // Guards `children`. Held across every fork() of this process (see
  // hold_registry_across_fork), so a child never inherits it locked nor the
  // list half-changed, whichever thread forks.
  std::mutex children_mutex;
  std::vector<std::pair<pid_t, bool>> children;  // unreaped: pid, daemon
};

ProcessState& state() {
  // Made before main() by install_process_state below, so no thread ever
  // runs this initialiser while another forks (a child inheriting a guard
  // "in progress" would wait in __cxa_guard_acquire for ever).
  static ProcessState* s = new ProcessState;
  return *s;
}

void finish_remaining_children();

// pthread_atfork handlers of the registry, for every fork of the process
// (ours, a library's, a user's): the forking thread takes the mutex, so no
// other thread holds it or is inside `children` at the moment of fork, and
// both sides let it go afterwards.
void lock_registry_before_fork() noexcept { state().children_mutex.lock(); }
void unlock_registry_after_fork() noexcept { state().children_mutex.unlock(); }

// Runs once, before main() and before any thread exists: creates the state,
// installs the fork handlers and the exit handler. Nothing here is lazy
// afterwards, so nothing can be half-made when a thread forks.
[[gnu::constructor]] void install_process_state() {
  state();
  ::pthread_atfork(lock_registry_before_fork, unlock_registry_after_fork, unlock_registry_after_fork);
  // What Python's atexit hook does; installed here rather than at the first
  // start(), where two threads starting processes would race on a flag.
  std::atexit(finish_remaining_children);
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

// Python: type(self).__name__ + '-' + ':'.join(identity).
std::string default_name(const std::vector<int>& identity, std::string_view class_name = "Process") {
  std::string name = std::string(class_name) + "-";
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
  apply_parent_death_policy(s.self.pid);  // s.self is still the parent's
  s.parent = s.self;
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

// Every signal blocked in the forking thread from just before fork() until
// the parent is back (the child unblocks in become_child, after resetting
// the dispositions). Without it, a signal sent to a child that has just been
// born (terminate() right after start()) ran the parent's handler in the
// child before the reset, at a moment when glibc had not yet unlocked the
// child's malloc arenas: a handler that allocated (Catch2's, a logger's)
// hung the child for ever. Blocked, the signal waits, then takes its default
// action.
class SignalsBlockedAcrossFork {
 public:
  SignalsBlockedAcrossFork() noexcept {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &saved_);
  }
  ~SignalsBlockedAcrossFork() { restore(); }
  SignalsBlockedAcrossFork(const SignalsBlockedAcrossFork&) = delete;
  SignalsBlockedAcrossFork& operator=(const SignalsBlockedAcrossFork&) = delete;
  void restore() noexcept {
    if (restored_) return;
    restored_ = true;
    ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
  }
  // The child keeps everything blocked until become_child has reset it.
  void forget_in_child() noexcept { restored_ = true; }

 private:
  sigset_t saved_;
  bool restored_ = false;
};

}  // namespace

const ProcessInfo& current_process() noexcept { return state().self; }

std::optional<ParentProcess> parent_process() {
  const auto& parent = state().parent;
  if (!parent) return std::nullopt;
  return ParentProcess(*parent);
}

bool ParentProcess::is_alive() const { return ::getppid() == info_.pid; }

bool ParentProcess::join(Timeout timeout) const {
  Deadline deadline(timeout);
  // A pidfd opened while getppid() still names the parent refers to the
  // parent (its pid cannot be reused while it is our parent).
  UniqueFd pidfd(open_pidfd(info_.pid));
  for (;;) {
    if (!is_alive()) return true;
    if (deadline.expired()) return false;
    if (pidfd) {
      pollfd p{pidfd.get(), POLLIN, 0};
      if (::poll(&p, 1, deadline.poll_ms()) < 0 && errno != EINTR) throw_os_error("poll(parent pidfd)");
    } else {
      sleep_for(std::min(0.001, deadline.remaining().value_or(0.001)));
    }
  }
}

pid_t fork_raw(const std::string& name) {
  auto& s = state();
  if (s.self.daemon) throw ProcessError("daemon process '" + s.self.name + "' may not start children");
  const std::vector<int> identity = next_child_identity();
  std::fflush(nullptr);
  run_before_fork();
  SignalsBlockedAcrossFork blocked;
  pid_t pid = ::fork();
  if (pid < 0) throw_os_error("fork");
  if (pid == 0) {
    blocked.forget_in_child();
    become_child(name, false, identity);
  }
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

void Process::initialise(std::string_view class_name, std::string name, Daemon daemon) {
  if (!identity_.empty()) throw ProcessError("process '" + name_ + "' is initialised already");
  identity_ = next_child_identity();
  name_ = name.empty() ? default_name(identity_, class_name) : std::move(name);
  daemon_ = daemon == Daemon::Yes;
}

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
      reaped_(other.reaped_),
      closed_(other.closed_) {}

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
    closed_ = other.closed_;
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

void Process::check_not_closed() const {
  if (closed_) throw ValueError("process object '" + name_ + "' is closed");
}

void Process::close() {
  if (started_ && !reaped_ && parent_pid_ == ::getpid() && !poll_exit())
    throw ValueError("cannot close process '" + name_ + "' while it is still running: join() or terminate() it first");
  pidfd_.reset();
  closed_ = true;
}

pid_t Process::pid() const {
  check_not_closed();
  return pid_;
}

int Process::sentinel() const {
  check_not_closed();
  if (!started_) throw ValueError("process '" + name_ + "' not started: it has no sentinel yet");
  return pidfd_.get();
}

void Process::start() {
  check_not_closed();
  if (started_) throw ProcessError("cannot start process '" + name_ + "' twice");
  if (identity_.empty())
    throw ProcessError("process '" + name_ + "' was never initialised: its constructor did not call initialise()");
  auto& s = state();
  if (s.self.daemon)
    throw ProcessError("daemon process '" + s.self.name +
                       "' may not start children: a daemon is killed when its parent ends, which would orphan them");
  // Anything buffered now would otherwise be written twice, once by each side.
  std::fflush(nullptr);
  run_before_fork();

  SignalsBlockedAcrossFork blocked;
  pid_t pid = ::fork();
  switch (pid) {
    case -1:
      throw_os_error("fork");

    case 0: {  // child: run the target, never return to the caller
      blocked.forget_in_child();
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
      blocked.restore();
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
  reaped_ = true;  // the pidfd stays open: it is the sentinel until close()
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
  reaped_ = true;  // the pidfd stays open: it is the sentinel until close()
  forget_child(pid_);
}

bool Process::join(Timeout timeout) {
  check_not_closed();
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

void Process::terminate() {
  check_not_closed();
  send_signal(SIGTERM);
}
void Process::kill() {
  check_not_closed();
  send_signal(SIGKILL);
}

bool Process::is_alive() {
  check_not_closed();
  if (!started_) return false;
  if (parent_pid_ != ::getpid()) return false;
  return !poll_exit();
}

std::optional<int> Process::exitcode() {
  check_not_closed();
  if (!started_) return std::nullopt;
  poll_exit();
  return exitcode_;
}

}  // namespace mp
