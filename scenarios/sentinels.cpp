#include "sentinels.hpp"

#include <poll.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"

namespace mpdemo {
namespace {

// Without a pidfd (kernels before 5.3): ask waitpid's sibling waitid with
// WNOWAIT, which reports an ended child but leaves it unreaped.
bool ended_by_waitid(pid_t pid) {
  siginfo_t info{};
  int r;
  do {
    r = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return errno == ECHILD;  // already reaped (by us, or by the kernel under SIG_IGN)
  return info.si_pid == pid;
}

}  // namespace

bool has_ended(const mp::Process& process) {
  if (process.sentinel() < 0) return ended_by_waitid(process.pid());
  pollfd p{process.sentinel(), POLLIN, 0};
  int r;
  do {
    r = ::poll(&p, 1, 0);
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

bool wait_all_ended(std::span<mp::Process> processes, mp::Timeout timeout) {
  mp::Deadline deadline(timeout);
  for (;;) {
    std::vector<pollfd> pending;
    bool without_pidfd = false;
    for (const auto& p : processes) {
      if (has_ended(p)) continue;
      if (p.sentinel() < 0) without_pidfd = true;
      else pending.push_back({p.sentinel(), POLLIN, 0});
    }
    if (pending.empty() && !without_pidfd) return true;
    if (deadline.expired()) return false;
    int ms = without_pidfd ? 1 : deadline.poll_ms();
    if (::poll(pending.data(), pending.size(), ms) < 0 && errno != EINTR) mp::throw_os_error("poll(sentinels)");
  }
}

PartEnd join_part(std::span<mp::Process> processes, double grace, const std::function<void()>& on_first_failure) {
  PartEnd end;
  std::vector<bool> reaped(processes.size(), false);
  std::optional<mp::Deadline> stop_at;  // set when the first child failed
  for (;;) {
    std::vector<pollfd> pending;
    bool without_pidfd = false;
    for (std::size_t i = 0; i < processes.size(); ++i) {
      mp::Process& p = processes[i];
      if (reaped[i]) continue;
      if (has_ended(p)) {
        p.join();
        reaped[i] = true;
        const int code = p.exitcode().value_or(0);
        if (code < 0) end.killed.push_back(i);
        if (code != 0 && !stop_at) {
          stop_at.emplace(grace);
          if (on_first_failure) on_first_failure();
        }
      } else if (p.sentinel() < 0) {
        without_pidfd = true;
      } else {
        pending.push_back({p.sentinel(), POLLIN, 0});
      }
    }
    if (pending.empty() && !without_pidfd) return end;
    if (stop_at && stop_at->expired()) break;
    int ms = stop_at ? stop_at->poll_ms() : -1;
    if (without_pidfd) ms = ms < 0 ? 10 : std::min(ms, 10);
    if (::poll(pending.data(), pending.size(), ms) < 0 && errno != EINTR) mp::throw_os_error("poll(sentinels)");
  }
  for (std::size_t i = 0; i < processes.size(); ++i) {
    if (reaped[i]) continue;
    processes[i].kill();
    processes[i].join();
    end.stopped.push_back(i);
  }
  return end;
}

bool join_lesson_part(std::span<mp::Process> processes, const Context& ctx,
                      const std::function<void()>& on_first_failure) {
  const PartEnd end = join_part(processes, std::max(1.0, ctx.scaled(3.0)), on_first_failure);
  for (std::size_t i : end.killed)
    ctx.emit("part.child_killed",
             {{"process", processes[i].name()}, {"signal", -processes[i].exitcode().value_or(0)}});
  for (std::size_t i : end.stopped) ctx.emit("part.child_stopped", {{"process", processes[i].name()}});
  return end.killed.empty() && end.stopped.empty();
}

bool wait_pidfd(int fd, mp::Timeout timeout) {
  mp::Deadline deadline(timeout);
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, deadline.poll_ms());
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) mp::throw_os_error("poll(pidfd)");
  }
}

}  // namespace mpdemo
