// What every C++ peer of mpbench shares: the clock, the JSON lines it prints
// (mpbench's keys in mpbench's order) and the choice of cases from argv.
//   peer [case ...]   (default: all its cases)      peer --list
// A peer is a plain program with no mpdemo code in it: it shows what the
// same work costs with another library (Boost) or with no library at all.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

namespace peer {

struct Case {
  const char* name;
  void (*run)();
};

inline double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A rate case: {"case", "n", "seconds", "per_s"}, rounded as mpbench rounds.
inline void emit_rate(const char* name, long n, double seconds) {
  std::printf("{\"case\": \"%s\", \"n\": %ld, \"seconds\": %.4f, \"per_s\": %lld}\n", name, n, seconds,
              std::llround(static_cast<double>(n) / seconds));
  std::fflush(stdout);
}

// The dead-holder probe: could another process take a lock whose holder was
// SIGKILLed, was it told of the death, and did it learn who died.
inline void emit_dead_holder(bool recovered, bool told, bool named, double seconds) {
  std::printf("{\"case\": \"dead_holder\", \"recovered\": %s, \"told\": %s, \"named\": %s, \"seconds\": %.4f}\n",
              recovered ? "true" : "false", told ? "true" : "false", named ? "true" : "false", seconds);
  std::fflush(stdout);
}

[[noreturn]] inline void die(const char* what) {
  std::fprintf(stderr, "peer: error: %s: %s\n", what, std::strerror(errno));
  std::exit(2);
}

// Waits for a child and fails loudly unless it exited with 0: a peer whose
// child crashed must not print a rate.
inline void reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) die("waitpid");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "peer: error: child %d failed (status %d)\n", pid, status);
    std::exit(2);
  }
}

// Runs the cases named in argv (all when none), or lists them; exit 2 on an
// unknown name, as mpbench does.
inline int main_with(std::span<const Case> cases, int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    for (const Case& c : cases) std::printf("%s\n", c.name);
    return 0;
  }
  for (int i = 1; i < argc; ++i) {
    bool known = false;
    for (const Case& c : cases) known = known || std::strcmp(c.name, argv[i]) == 0;
    if (!known) {
      std::fprintf(stderr, "%s: error: unknown case '%s'\n", argv[0], argv[i]);
      return 2;
    }
  }
  for (const Case& c : cases) {
    bool wanted = argc == 1;
    for (int i = 1; i < argc; ++i) wanted = wanted || std::strcmp(c.name, argv[i]) == 0;
    if (wanted) c.run();
  }
  return 0;
}

}  // namespace peer
