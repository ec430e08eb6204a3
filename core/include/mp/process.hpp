// mp::Process: a child process running a C++ callable, with the lifecycle of
// Python's multiprocessing.Process (start, join, terminate, kill, is_alive,
// exitcode, daemon, name).
//
// How a child runs (TLPI's fork shape): everything that allocates happens
// before fork(); the child resets its signal dispositions, runs the target
// and leaves with _exit(), so the parent's atexit handlers and static
// destructors never run twice and buffered output is never flushed twice.
//
// The fork rule (core/FORK_SAFETY.md): between fork() and _exit() a child
// touches no mutex, lazy static or allocator state that another thread of the
// parent may have held at the fork. mpcore keeps it for its own state, so any
// thread may start a Process while others use the core.
//
// Exit codes follow Python: 0 when the target returns, N when it throws
// mp::SystemExit{N}, 1 when any other exception escapes (a message naming the
// process goes to stderr), and -SIG when a signal ended the child.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/unique_fd.hpp"

namespace mp {

enum class Daemon { No, Yes };

// What a process knows about itself: Python's current_process().
struct ProcessInfo {
  std::string name;     // "MainProcess", "Process-1", "Process-1:2", or a chosen name
  pid_t pid = 0;        // getpid() when the process began
  bool daemon = false;  // daemon processes may not start children
};

// The calling process. Updated in each child right after fork.
const ProcessInfo& current_process() noexcept;

// Python's parent_process(): the process that started this one (by
// Process::start or fork_raw), as seen from the child.
class ParentProcess {
 public:
  explicit ParentProcess(ProcessInfo info) : info_(std::move(info)) {}
  const std::string& name() const noexcept { return info_.name; }
  pid_t pid() const noexcept { return info_.pid; }
  // False once the parent has ended (the kernel then gives this process
  // another parent, so getppid() no longer names it).
  bool is_alive() const;
  // Waits for the parent to end; false when the timeout ran out first.
  bool join(Timeout timeout = std::nullopt) const;

 private:
  ProcessInfo info_;
};

// nullopt in the main process (Python returns None there).
std::optional<ParentProcess> parent_process();

class Process {
 public:
  using Target = std::function<void()>;

  // A process whose run() a subclass overrides (Python's Process subclass).
  explicit Process(std::string name = {}, Daemon daemon = Daemon::No);
  // A process that runs `target` (Python's Process(target=...)). An empty
  // name gives "Process-N" as Python does.
  explicit Process(Target target, std::string name = {}, Daemon daemon = Daemon::No);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Leaving scope is like the end of Python's main module: a daemon child
  // still running is terminated; any other child is joined (waited for).
  // While an exception unwinds, every running child is terminated instead,
  // so an error never turns into a hang.
  virtual ~Process();

  // Forks; the child calls run() and exits. Throws ProcessError when started
  // twice or when the caller is itself a daemon process.
  void start();

  // Waits for the child to end; returns true if it has ended (false when the
  // timeout ran out first). Throws ProcessError before start().
  bool join(Timeout timeout = std::nullopt);

  // Python's close(): releases the sentinel. ValueError while the child is
  // still running (join or terminate it first). Afterwards start, join,
  // terminate, kill, is_alive, exitcode, pid and sentinel raise ValueError
  // ("process object is closed"); close itself may be called again.
  void close();

  // SIGTERM / SIGKILL to the child. No effect once it has been reaped.
  void terminate();
  void kill();

  // True from start() until the child has ended. Reaps it if it has.
  bool is_alive();

  // 0 before start().
  pid_t pid() const;

  // Empty while running (or before start); 0, N, or -signal after.
  std::optional<int> exitcode();

  // A fd that becomes readable when the child ends (a pidfd), for poll();
  // -1 on a kernel without pidfds. It stays open, and readable, after the
  // child has been reaped, until close() or the destructor (as in Python),
  // so a saved sentinel never names a reused fd. ValueError before start().
  int sentinel() const;

  const std::string& name() const noexcept { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  bool daemon() const noexcept { return daemon_; }
  // Throws ProcessError once started.
  void set_daemon(bool daemon);

 protected:
  // What the child does. The default calls the target.
  virtual void run();

  // For a subclass written in the order of a Python __init__ that does
  // something before it calls super().__init__(): a Process the base
  // initialiser has not run on yet, with no number and no name. start()
  // refuses it (ProcessError) until initialise() has run.
  struct NotInitialised {};
  explicit Process(NotInitialised) noexcept {}
  // Python's BaseProcess.__init__ (super().__init__()): takes the next number
  // (_identity) and sets the name to `name`, or, when it is empty, to
  // "<class_name>-N" (Python: type(self).__name__). Either way over any name
  // set before it: the tutorials' pitfall of a subclass that sets self.name
  // first and then calls super().__init__(), and finds its process named
  // "Piao-2". ProcessError when called twice.
  void initialise(std::string_view class_name, std::string name = {}, Daemon daemon = Daemon::No);

 private:
  // Reaps without blocking; returns true when the child has been reaped.
  bool poll_exit();
  void reap_blocking();
  void send_signal(int sig);
  void finish_on_scope_exit() noexcept;
  void check_not_closed() const;

  Target target_;
  std::vector<int> identity_;  // Python's _identity, fixed at construction: {1, 2} is Process-1:2
  std::string name_;
  bool daemon_ = false;
  bool started_ = false;
  pid_t pid_ = 0;
  pid_t parent_pid_ = 0;       // who may join: only the process that started it
  UniqueFd pidfd_;             // refers to this child even after its pid is reused
  std::optional<int> exitcode_;
  bool reaped_ = false;        // waited for (by us, or by the kernel under SIGCHLD=SIG_IGN)
  bool closed_ = false;        // close() was called
};

// Python's os.fork(), for scenarios that show fork itself: forks with the same
// child set-up as Process::start (buffers flushed first, signal dispositions
// reset, hooks run, current_process() renamed to `name`) and returns twice:
// 0 in the child, the child's pid in the parent. The child must leave with
// _exit(); the parent must reap the child itself (waitpid): it is not a
// Process and is not joined at scope exit.
pid_t fork_raw(const std::string& name);

// Children started by this process that have not been reaped yet (Python's
// active_children(), without the reaping side effect).
std::vector<pid_t> active_children();

// Number of CPUs this process may run on.
int cpu_count() noexcept;

// Converts a wait status to Python's exitcode: code, or -signal.
int exitcode_from_status(int status) noexcept;

}  // namespace mp
