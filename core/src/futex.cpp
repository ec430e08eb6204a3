#include "mp/detail/futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "mp/errors.hpp"

namespace mp::detail {
namespace {

long futex(std::uint32_t* word, int op, std::uint32_t value, const timespec* at,
           std::uint32_t mask) noexcept {
  return ::syscall(SYS_futex, word, op, value, at, nullptr, mask);
}

}  // namespace

FutexWake futex_wait(std::uint32_t* word, std::uint32_t expected, const Deadline& deadline) {
  // FUTEX_WAIT_BITSET takes an absolute time on CLOCK_MONOTONIC (no
  // FUTEX_CLOCK_REALTIME flag), so retries never stretch the timeout. No
  // FUTEX_PRIVATE_FLAG: the word is shared with other processes.
  timespec at{};
  const timespec* at_ptr = nullptr;
  if (!deadline.is_forever()) {
    at = deadline.abs_timespec();
    at_ptr = &at;
  }
  if (futex(word, FUTEX_WAIT_BITSET, expected, at_ptr, FUTEX_BITSET_MATCH_ANY) == 0)
    return FutexWake::Woken;
  switch (errno) {
    case EAGAIN:  // the word changed before we slept
    case EINTR:   // a signal: the caller re-checks and waits again
      return FutexWake::Woken;
    case ETIMEDOUT:
      return FutexWake::TimedOut;
    default:
      throw_os_error("futex wait");
  }
}

void futex_wake(std::uint32_t* word, int count) noexcept {
  futex(word, FUTEX_WAKE, static_cast<std::uint32_t>(count), nullptr, 0);
}

void futex_wake_all(std::uint32_t* word) noexcept { futex_wake(word, INT_MAX); }

}  // namespace mp::detail
