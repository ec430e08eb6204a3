// mpdemo started in the background with its stdout on a pipe, for tests that
// act on a run while it runs (a signal to mpdemo, a SIGKILL to one of its
// children) and read its JSON events as they come.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/unique_fd.hpp"
#include "support/mpdemo_runner.hpp"
#include "support/proc_watch.hpp"

namespace test {

struct BackgroundRun {
  pid_t pid = -1;
  mp::UniqueFd out;
  std::string pending;  // bytes read past the last whole line

  // stderr goes to `err_file` (a path; none: /dev/null).
  BackgroundRun(const std::vector<std::string>& args, const std::string& cwd, const std::string& err_file = "") {
    auto [r, w] = mp::make_pipe();
    pid = ::fork();
    if (pid == 0) {
      ::dup2(w.get(), 1);
      int devnull = ::open("/dev/null", O_RDWR);
      ::dup2(devnull, 0);
      ::dup2(err_file.empty() ? devnull : ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
      exec_mpdemo(args, cwd);
    }
    out = std::move(r);
  }
  ~BackgroundRun() {
    if (pid > 0 && ::waitpid(pid, nullptr, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  BackgroundRun(const BackgroundRun&) = delete;
  BackgroundRun& operator=(const BackgroundRun&) = delete;

  // The next JSON event, or null after `timeout_s` or at EOF.
  nlohmann::json next_event(double timeout_s) {
    mp::Deadline deadline(timeout_s);
    for (;;) {
      auto newline = pending.find('\n');
      if (newline != std::string::npos) {
        auto line = pending.substr(0, newline);
        pending.erase(0, newline + 1);
        return nlohmann::json::parse(line, nullptr, false);
      }
      pollfd p{out.get(), POLLIN, 0};
      if (::poll(&p, 1, deadline.poll_ms()) != 1) return nullptr;
      char buf[4096];
      ssize_t n = ::read(out.get(), buf, sizeof buf);
      if (n <= 0) return nullptr;
      pending.append(buf, static_cast<std::size_t>(n));
    }
  }

  // Waits for the exit status (raw waitpid status); -1 after `timeout_s`.
  int wait_status(double timeout_s) {
    int status = -1;
    const bool ended = wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, timeout_s);
    if (!ended) return -1;
    pid = -1;
    return status;
  }
};

// True once `pid` no longer runs: no /proc entry, or a zombie waiting for
// whoever adopted it to reap it.
inline bool not_running(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return true;
  const auto paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] == 'Z' || line[paren + 2] == 'X';
}

// True once no process has this pid any more (reaped, not a zombie).
inline bool gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

}  // namespace test
