// Ctrl-C (SIGINT), SIGTERM and SIGHUP during a run: the children must not
// outlive mpdemo. While an InterruptGuard lives, those signals are blocked in
// the main process and a thread waits for them on a signalfd (TLPI's advice:
// no real work in a signal handler). On one, the thread terminates every
// child the main process started, reaps them, and lets the signal end
// mpdemo as it would have (so the shell sees the usual status).
// Children unblock all signals when they start (see mp::Process), so a
// terminal's Ctrl-C reaches them directly as well.
#pragma once

#include <thread>

#include "mp/unique_fd.hpp"

namespace mpdemo {

// True once a signal arrived: the run is being torn down, and nothing more
// (no summary, no events) should be printed as if it had finished.
bool interrupted() noexcept;

class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  void watch();

  mp::UniqueFd signals_;  // signalfd for SIGINT, SIGTERM, SIGHUP
  mp::UniqueFd stop_;     // eventfd: the destructor tells the thread to leave
  std::thread thread_;
};

}  // namespace mpdemo
