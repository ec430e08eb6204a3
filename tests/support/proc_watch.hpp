// Watching other processes from a test without sleeping for a fixed time:
// wait (with a deadline) for a state the kernel can show, join children with
// a deadline, and count this process's fds (a test must leave none behind).
// A bug then fails a test instead of hanging it.
#pragma once

#include <dirent.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <fstream>
#include <string>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/process.hpp"

namespace test {

// Open fds of this process (the directory's own fd excluded).
inline int open_fd_count() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(dir))
    if (e->d_name[0] != '.') ++n;
  ::closedir(dir);
  return n - 1;
}

// Polls `pred` until it holds or `timeout_s` passes; returns its last value.
// For waiting on another process's progress, never for ordering by time.
template <class Pred>
bool wait_until(Pred pred, double timeout_s = 30.0) {
  mp::Deadline deadline(timeout_s);
  while (!pred()) {
    if (deadline.expired()) return pred();
    mp::sleep_for(0.001);
  }
  return true;
}

// True while `pid` is blocked in the futex system call (the first field of
// /proc/<pid>/syscall): the kernel's own word that a process has gone to
// sleep in a wait, not merely reached it.
inline bool blocked_in_futex(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/syscall");
  long number = -1;
  return (in >> number) && number == SYS_futex;
}

// True once `pid` is stopped (SIGSTOP): state 'T' in /proc/<pid>/stat.
inline bool is_stopped(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  const auto paren = line.rfind(')');  // the name may hold spaces and parentheses
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'T';
}

// Joins `p` within `timeout_s`; kills and reaps it if it is still running
// then. True when it ended by itself.
inline bool join_one(mp::Process& p, mp::Timeout timeout_s = 60.0) {
  if (p.join(timeout_s)) return true;
  p.kill();
  p.join();
  return false;
}

// Joins `p` within `timeout_s`, killing it if it hangs; its exit code
// (-1000 when it has none).
inline int finish(mp::Process& p, double timeout_s = 60.0) {
  join_one(p, timeout_s);
  return p.exitcode().value_or(-1000);
}

// Stops `pid` (SIGSTOP) while it sleeps in a futex wait, not while it holds
// a mutex in between: a stopped holder would block everyone.
inline bool stop_while_sleeping(pid_t pid) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    if (!wait_until([pid] { return blocked_in_futex(pid); })) return false;
    ::kill(pid, SIGSTOP);
    if (!wait_until([pid] { return is_stopped(pid); })) return false;
    if (blocked_in_futex(pid)) return true;  // stopped inside the wait
    ::kill(pid, SIGCONT);
  }
  return false;
}

// The same for several processes, within `timeout_s` in total.
inline bool join_all(std::vector<mp::Process>& processes, double timeout_s = 60.0) {
  mp::Deadline deadline(timeout_s);
  bool all_ended = true;
  for (auto& p : processes) all_ended = join_one(p, deadline.remaining()) && all_ended;
  return all_ended;
}

}  // namespace test
