// mpdemo started on a pseudo-terminal, for tests of what it does when a
// person sits at it (--step): keystrokes in, screen text out. The test
// types with type() and waits for text with expect(), which reads until the
// text appears after what earlier expects consumed.
#pragma once

#include <dirent.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "mp/deadline.hpp"
#include "support/mpdemo_runner.hpp"
#include "support/proc_watch.hpp"

namespace test {

struct PtyRun {
  pid_t pid = -1;
  int master = -1;
  std::string screen;      // everything mpdemo wrote so far (and the echo of what was typed)
  std::size_t cursor = 0;  // expect() looks after this point

  PtyRun(const std::vector<std::string>& args, const std::string& cwd) {
    winsize size{};
    size.ws_row = 50;
    size.ws_col = 120;
    pid = ::forkpty(&master, nullptr, nullptr, &size);
    if (pid == 0) exec_mpdemo(args, cwd);
  }
  ~PtyRun() {
    if (pid > 0 && ::waitpid(pid, nullptr, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (master >= 0) ::close(master);
  }
  PtyRun(const PtyRun&) = delete;
  PtyRun& operator=(const PtyRun&) = delete;

  // Reads what is there within `timeout_s`; false at EOF or timeout.
  bool read_some(double timeout_s) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, mp::Deadline(timeout_s).poll_ms()) != 1) return false;
    char buf[4096];
    const ssize_t n = ::read(master, buf, sizeof buf);  // EIO once the child side is closed
    if (n <= 0) return false;
    screen.append(buf, static_cast<std::size_t>(n));
    return true;
  }

  // Waits until `text` appears after the cursor; moves the cursor past it.
  bool expect(const std::string& text, double timeout_s = 30.0) {
    mp::Deadline deadline(timeout_s);
    for (;;) {
      const auto at = screen.find(text, cursor);
      if (at != std::string::npos) {
        cursor = at + text.size();
        return true;
      }
      if (deadline.expired() || !read_some(deadline.remaining().value_or(0.0))) return screen.find(text, cursor) != std::string::npos;
    }
  }

  void type(const std::string& keys) { (void)!::write(master, keys.data(), keys.size()); }

  // Reads to the end, then waits for the exit status (raw); -1 after `timeout_s`.
  int wait_status(double timeout_s = 30.0) {
    mp::Deadline deadline(timeout_s);
    while (!deadline.expired() && read_some(deadline.remaining().value_or(0.0))) {
    }
    int status = -1;
    if (!wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, deadline.remaining().value_or(0.0))) return -1;
    pid = -1;
    return status;
  }
};

// The processes whose parent is `parent` now (from /proc/*/stat).
inline std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  DIR* dir = ::opendir("/proc");
  if (!dir) return children;
  while (const dirent* e = ::readdir(dir)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    const auto paren = line.rfind(')');
    if (paren == std::string::npos || paren + 4 >= line.size()) continue;
    const pid_t ppid = static_cast<pid_t>(std::atoi(line.c_str() + paren + 4));
    if (ppid == parent) children.push_back(pid);
  }
  ::closedir(dir);
  return children;
}

}  // namespace test
