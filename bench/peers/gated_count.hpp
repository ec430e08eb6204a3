// lock_handoff's timing, for the peers (mpbench's is in process_cases.cpp):
// 4 forked processes wait at a gate, then make n increments in all of one
// counter under a mutex. The clock starts when the gate opens and stops at
// the increment that reaches n, so fork and exit, whose cost grows with the
// size of the binary (mpbench is several times a peer's), stay out of it.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "peer_report.hpp"

namespace peer {

// `take` and `give` lock and unlock the mutex that guards *value.
template <class Take, class Give>
double gated_count(long n, long* value, Take take, Give give) {
  void* at = ::mmap(nullptr, sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (at == MAP_FAILED) die("mmap");
  auto* end = static_cast<double*>(at);  // written once, by the last increment
  int gate[2];
  if (::pipe(gate) != 0) die("pipe");
  std::vector<pid_t> kids;
  for (int k = 0; k < 4; ++k) {
    const pid_t p = ::fork();
    if (p < 0) die("fork");
    if (p == 0) {
      ::close(gate[1]);
      char c;
      while (::read(gate[0], &c, 1) < 0 && errno == EINTR) {
      }
      for (long i = 0; i < n / 4; ++i) {
        take();
        if (++*value == n) *end = now();
        give();
      }
      ::_exit(0);
    }
    kids.push_back(p);
  }
  ::close(gate[0]);
  const double start = now();
  ::close(gate[1]);  // every child's read returns 0: go
  for (pid_t p : kids) reap(p);
  const double seconds = *end - start;
  ::munmap(at, sizeof(double));
  return seconds;
}

}  // namespace peer
