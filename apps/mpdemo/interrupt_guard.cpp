#include "interrupt_guard.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/process.hpp"

namespace mpdemo {
namespace {

sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

std::atomic<bool> interrupted_flag{false};

// Terminates the children, gives them a moment, then kills what is left,
// including any child the main thread started meanwhile.
void end_children() {
  for (pid_t pid : mp::active_children()) ::kill(pid, SIGTERM);
  mp::sleep_for(0.05);
  auto children = mp::active_children();
  for (pid_t pid : children) ::kill(pid, SIGTERM);
  mp::Deadline deadline(1.0);
  for (pid_t pid : children) {
    int status;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (deadline.expired()) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        break;
      }
      mp::sleep_for(0.005);
    }
  }
}

}  // namespace

bool interrupted() noexcept { return interrupted_flag.load(); }

InterruptGuard::InterruptGuard() {
  sigset_t set = watched_signals();
  // Block before the thread starts so every thread of the process inherits
  // the mask and only the signalfd sees these signals.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signals_.reset(::signalfd(-1, &set, SFD_CLOEXEC));
  stop_.reset(::eventfd(0, EFD_CLOEXEC));
  if (!signals_ || !stop_) mp::throw_os_error("signalfd/eventfd");
  thread_ = std::thread([this] { watch(); });
}

InterruptGuard::~InterruptGuard() {
  std::uint64_t one = 1;
  (void)::write(stop_.get(), &one, sizeof one);
  thread_.join();
  sigset_t set = watched_signals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

void InterruptGuard::watch() {
  pollfd fds[2] = {{signals_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    signalfd_siginfo info;
    if (::read(signals_.get(), &info, sizeof info) != sizeof info) continue;
    interrupted_flag = true;
    end_children();
    // Die of the same signal, as if it had never been blocked.
    const int sig = static_cast<int>(info.ssi_signo);
    ::signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    ::kill(::getpid(), sig);
    pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    ::_exit(128 + sig);  // not reached unless the signal was ignored
  }
}

}  // namespace mpdemo
