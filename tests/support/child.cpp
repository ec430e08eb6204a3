#include "support/child.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "mp/deadline.hpp"
#include "mp/process.hpp"

namespace test {

int run_in_child(const std::function<int()>& body, double timeout_s) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return -1000;
  if (pid == 0) {
    int code = 1;
    try {
      code = body();
    } catch (...) {
      code = 1;
    }
    ::_exit(code);
  }
  mp::Deadline deadline(timeout_s);
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return mp::exitcode_from_status(status);
    if (r < 0 && errno != EINTR) return -1001;
    if (deadline.expired()) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -SIGKILL;
    }
    mp::sleep_for(0.001);
  }
}

bool no_children_left() {
  int status;
  return ::waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD;
}

}  // namespace test
