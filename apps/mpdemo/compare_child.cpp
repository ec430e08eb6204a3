#include "compare_child.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/unique_fd.hpp"

namespace mpdemo {
namespace {

sigset_t ending_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, s);
  return set;
}

}  // namespace

ChildRun run_child(const std::vector<std::string>& args, const std::function<void(const std::string&)>& on_line) {
  // Everything the child needs is made before fork: it only execs.
  std::string self = "/proc/self/exe";
  std::vector<std::string> copy = args;
  std::vector<char*> argv{self.data()};
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);

  // The ending signals wait in a signalfd while the child runs, so that we
  // outlive it and see it reaped (TLPI: no work in a handler).
  const sigset_t ending = ending_signals();
  sigset_t before;
  ::sigprocmask(SIG_BLOCK, &ending, &before);
  mp::UniqueFd signals(::signalfd(-1, &ending, SFD_CLOEXEC));
  if (signals.get() < 0) throw mp::OSError("signalfd", errno);
  auto [out_r, out_w] = mp::make_pipe();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  switch (pid) {
    case -1:
      ::sigprocmask(SIG_SETMASK, &before, nullptr);
      throw mp::OSError("fork", errno);
    case 0:
      // Killed with us if we die unseen (SIGKILL): its own InterruptGuard
      // then ends its children; a parent gone before the prctl is seen here.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);
      ::sigprocmask(SIG_SETMASK, &before, nullptr);
      ::dup2(out_w.get(), STDOUT_FILENO);
      ::execv(self.c_str(), argv.data());
      ::_exit(127);
    default:
      break;
  }
  out_w.reset();  // our copy closed: EOF comes when the child's is

  ChildRun run;
  std::string pending;
  char buf[65536];
  pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {signals.get(), POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(signals.get(), &info, sizeof info) == sizeof info) {
        run.signal = static_cast<int>(info.ssi_signo);
        // A terminal's Ctrl-C reached the child already (same process
        // group); a signal sent to us alone is passed on.
        if (info.ssi_code == SI_USER || info.ssi_code == SI_QUEUE) ::kill(pid, run.signal);
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      const ssize_t n = ::read(out_r.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending.append(buf, static_cast<std::size_t>(n));
      for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
        on_line(pending.substr(0, nl));
        pending.erase(0, nl + 1);
      }
    }
  }
  if (!pending.empty()) on_line(pending);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = mp::exitcode_from_status(status);
  // A signal that came while it was being reaped is still read here.
  signalfd_siginfo info{};
  pollfd late{signals.get(), POLLIN, 0};
  if (run.signal == 0 && ::poll(&late, 1, 0) == 1 && ::read(signals.get(), &info, sizeof info) == sizeof info)
    run.signal = static_cast<int>(info.ssi_signo);
  ::sigprocmask(SIG_SETMASK, &before, nullptr);
  return run;
}

void re_raise(int signal) {
  ::signal(signal, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signal);
  ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(signal);
  std::_Exit(128 + signal);  // not reached: the default action ends us
}

}  // namespace mpdemo
