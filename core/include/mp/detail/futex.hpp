// A futex word in shared memory: the kernel's "sleep while this 32-bit word
// still holds the value I last saw" and "wake who sleeps on it". Semaphore,
// Event and Condition are built on it rather than on sem_t/pthread_cond_t
// because a process SIGKILLed while waiting on a futex leaves nothing behind
// in the word: the kernel just drops it from the wait queue. (glibc 2.36's
// process-shared condition variable can make a later signaller wait for a
// waiter that is dead.)
#pragma once

#include <cstdint>

#include "mp/deadline.hpp"

namespace mp::detail {

enum class FutexWake { Woken, TimedOut };

// Sleeps while `*word == expected`, until woken or the deadline passes.
// "Woken" includes the word having changed already, a signal (EINTR) and a
// spurious wake-up: callers re-check their condition in a loop. The word
// must be in MAP_SHARED memory (the futex is not process-private).
FutexWake futex_wait(std::uint32_t* word, std::uint32_t expected, const Deadline& deadline);

// Wakes up to `count` processes sleeping on `word`.
void futex_wake(std::uint32_t* word, int count) noexcept;
void futex_wake_all(std::uint32_t* word) noexcept;

}  // namespace mp::detail
