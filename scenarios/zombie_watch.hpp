// zombie --mode ignore watches each ended child in /proc until its entry
// vanishes, and must say whether it was left a zombie. Not every Z sample
// means that: the kernel marks an ending child Z and, in the same call, frees
// it when its parent ignores SIGCHLD, so a sample can land in that instant
// (1 of 40 runs under ASan did). A zombie is a Z that stays. Header-only so
// that tests/cli/zombie_watch_test.cpp can feed it samples by hand.
#pragma once

#include <string>

namespace mpdemo {

class ZombieWatch {
 public:
  // How long a child must show Z to count as a zombie: far longer than the
  // kernel's instant, far shorter than a zombie waiting for its parent.
  static constexpr double kStays = 0.02;

  // One sample of the child's state letter, taken at `at` seconds.
  void sample(char state, double at) {
    if (states_.find(state) == std::string::npos) states_ += state;
    if (state != 'Z') {
      z_since_ = -1;
    } else if (z_since_ < 0) {
      z_since_ = at;
    } else if (at - z_since_ >= kStays) {
      stayed_ = true;
    }
  }

  bool stayed_zombie() const noexcept { return stayed_; }
  // Every state letter sampled, in the order first seen ("" for none).
  const std::string& states_seen() const noexcept { return states_; }

 private:
  std::string states_;
  double z_since_ = -1;  // when the current run of Z samples began; -1: not in one
  bool stayed_ = false;
};

}  // namespace mpdemo
