// Helpers for the Pool tests: a gate that pool tasks wait at (a pipe the
// workers inherit, opened before the pool forks them) and a report pipe tasks
// write to. Waiting and fd counts are in support/proc_watch.hpp.
//
// Pool tasks are plain functions, so what they use lives in globals set
// before the Pool is constructed: fork copies them into every worker.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/unique_fd.hpp"
#include "support/proc_watch.hpp"

namespace pooltest {

// Both ends of a fresh pipe, opened before the pool forks so that its
// workers inherit them.
struct PipeEnds {
  mp::UniqueFd read_end, write_end;
  PipeEnds() {
    auto [r, w] = mp::make_pipe();
    read_end = std::move(r);
    write_end = std::move(w);
  }
};

// A pipe used as a gate: tasks block in pass_gate() until the test opens()
// it, one byte per task.
struct Gate : PipeEnds {
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
using Reports = PipeEnds;

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

// Pool tasks shared by several test files. They are plain functions, so what
// they use lives in these globals, set before the Pool forks its workers.
inline int g_gate = -1;     // read end of a Gate
inline int g_reports = -1;  // write end of a Reports pipe (-1: nobody listens)

inline int square(int x) { return x * x; }

inline int wait_at_gate(int x) {
  pass_gate(g_gate);
  return x;
}

// Dies as a crashed worker would.
inline int die_by_sigkill(int x) {
  ::raise(SIGKILL);
  return x;
}

// The same, after reporting its pid on g_reports.
inline int report_pid_then_die(int x) {
  report(g_reports, ::getpid());
  return die_by_sigkill(x);
}

// 0, 1, ..., n-1.
inline std::vector<int> range(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

}  // namespace pooltest
