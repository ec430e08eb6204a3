// Helpers for the Pipe and Queue tests: counting this process's open fds (a
// test must leave none behind) and waiting, with a deadline, for another
// process to reach a state the kernel can show.
#pragma once

#include <dirent.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <fstream>
#include <string>

#include "mp/deadline.hpp"

namespace ipctest {

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

// True while `pid` is blocked in the futex system call (its first field of
// /proc/<pid>/syscall): the kernel's word that it went to sleep in a wait.
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

}  // namespace ipctest
