// mp::Barrier: Python's multiprocessing.Barrier (threading.Barrier's logic
// over shared memory): `parties` processes wait until all have arrived, then
// all go on together. The barrier is reusable, generation after generation.
//
//   mp::Barrier start(4, [] { /* runs once per generation */ });
//   int index = start.wait();   // in each of 4 processes: 0..3, all different
//
// The action runs in the last process to arrive, before anyone is released.
// A wait that times out breaks the barrier: every process waiting in it, and
// every later wait until reset(), throws BrokenBarrierError. abort() breaks
// it on purpose; reset() returns it to the empty state (waiters at that
// moment get BrokenBarrierError). If the action throws, the barrier breaks
// and the exception goes on in the process that ran it.
//
// A party that dies leaves the others waiting until their timeout, as in
// Python: give wait() (or the barrier) a timeout when a party may die.
#pragma once

#include <functional>

#include "mp/condition.hpp"
#include "mp/deadline.hpp"
#include "mp/shared_memory.hpp"

namespace mp {

namespace detail {
// Shared part of a Barrier, guarded by its Condition's lock.
struct BarrierState {
  int state = 0;  // 0 filling, 1 draining, -1 resetting, -2 broken (Python's values)
  int count = 0;  // processes inside wait()
};
}  // namespace detail

class Barrier {
 public:
  // `timeout` is the default for wait(). Throws ValueError when parties < 1.
  explicit Barrier(int parties, std::function<void()> action = {}, Timeout timeout = std::nullopt);
  Barrier(Barrier&&) noexcept = default;
  Barrier& operator=(Barrier&&) noexcept = default;

  // Returns the arrival index, 0..parties-1 (parties-1 ran the action).
  // `timeout` nullopt means the barrier's default. Throws BrokenBarrierError.
  int wait(Timeout timeout = std::nullopt);
  void reset();
  void abort();

  int parties() const noexcept { return parties_; }
  // Processes waiting in the current generation (0 while draining/broken).
  int n_waiting() const;
  bool broken() const;

 private:
  void enter();                 // waits out draining/resetting; throws if broken
  void release_generation();    // the last arrival: action, then drain
  void wait_released(Timeout timeout);
  void exit();
  void break_barrier();

  int parties_;
  std::function<void()> action_;
  Timeout default_timeout_;
  // mutable: n_waiting()/broken() read the state under the lock.
  mutable Condition cond_;
  Shared<detail::BarrierState> state_;
};

}  // namespace mp
