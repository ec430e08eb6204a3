// mp::Event: Python's multiprocessing.Event, a flag shared between processes
// that others can wait for.
//
//   mp::Event ready;            // before fork; starts clear
//   ready.set();                // in one process
//   ready.wait(5.0);            // in another: true once set, false on timeout
//
// wait() returns true if the flag is set when it starts or gets set while it
// waits, even when someone clears it again before the waiter runs (Python's
// documented contract: "True if and only if the internal flag has been set
// to true, either before the wait call or after the wait starts").
#pragma once

#include <cstdint>

#include "mp/deadline.hpp"
#include "mp/shared_memory.hpp"

namespace mp {

class Event {
 public:
  Event() = default;
  Event(Event&&) noexcept = default;
  Event& operator=(Event&&) noexcept = default;

  bool is_set() const noexcept;
  // Sets the flag and wakes every waiter.
  void set() noexcept;
  void clear() noexcept;
  // Blocks until the flag is set or the timeout runs out; see above.
  bool wait(Timeout timeout = std::nullopt);

 private:
  // The futex word: bit 0 is the flag, the bits above count set() calls
  // that raised it, so a waiter notices a set() followed by a clear().
  Shared<std::uint32_t> word_{0u};
};

}  // namespace mp
