// Helpers for the Pool tests: a gate that pool tasks wait at (a pipe the
// workers inherit, opened before the pool forks them), a report pipe tasks
// write to, and counts of this process's fds and children.
//
// Pool tasks are plain functions, so what they use lives in globals set
// before the Pool is constructed: fork copies them into every worker.
#pragma once

#include <dirent.h>
#include <poll.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>

#include "mp/deadline.hpp"
#include "mp/unique_fd.hpp"

namespace pooltest {

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

// A pipe used as a gate: tasks block in wait() until the test opens() it one
// byte per task. The fds are plain ints so that workers forked later have them.
struct Gate {
  mp::UniqueFd read_end, write_end;
  Gate() {
    auto [r, w] = mp::make_pipe();
    read_end = std::move(r);
    write_end = std::move(w);
  }
  void open(int tasks) const {
    for (int i = 0; i < tasks; ++i) mp::write_all(write_end.get(), "g", 1);
  }
};

// Blocks until one byte can be taken from `fd` (the calling task's pass).
inline void pass_gate(int fd) {
  char c;
  while (::read(fd, &c, 1) < 0) {
  }
}

// A pipe tasks report numbers on (one int64 per write: atomic on a pipe).
struct Reports {
  mp::UniqueFd read_end, write_end;
  Reports() {
    auto [r, w] = mp::make_pipe();
    read_end = std::move(r);
    write_end = std::move(w);
  }
};

inline void report(int fd, std::int64_t value) { mp::write_all(fd, &value, sizeof value); }

// The next number on the report pipe, or nullopt after `timeout_s`.
inline std::optional<std::int64_t> next_report(const Reports& reports, double timeout_s = 30.0) {
  pollfd p{reports.read_end.get(), POLLIN, 0};
  mp::Deadline deadline(timeout_s);
  if (::poll(&p, 1, deadline.poll_ms()) != 1) return std::nullopt;
  std::int64_t value;
  if (!mp::read_exact(reports.read_end.get(), &value, sizeof value)) return std::nullopt;
  return value;
}

// Polls `pred` until it holds or `timeout_s` passes; for waiting on another
// process's progress, never for ordering by time.
template <class Pred>
bool wait_until(Pred pred, double timeout_s = 30.0) {
  mp::Deadline deadline(timeout_s);
  while (!pred()) {
    if (deadline.expired()) return pred();
    mp::sleep_for(0.001);
  }
  return true;
}

}  // namespace pooltest
