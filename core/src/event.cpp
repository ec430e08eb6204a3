#include "mp/event.hpp"

#include <atomic>

#include "mp/detail/futex.hpp"

namespace mp {
namespace {

using Word = std::atomic_ref<std::uint32_t>;
constexpr std::uint32_t kFlag = 1;
constexpr std::uint32_t kOneSet = 2;  // the set() counter lives above the flag bit

}  // namespace

bool Event::is_set() const noexcept { return Word(*word_).load() & kFlag; }

void Event::set() noexcept {
  Word word(*word_);
  std::uint32_t now = word.load();
  do {
    if (now & kFlag) return;  // already set: nobody is waiting for it
  } while (!word.compare_exchange_weak(now, (now + kOneSet) | kFlag));
  detail::futex_wake_all(word_.get());
}

void Event::clear() noexcept { Word(*word_).fetch_and(~kFlag); }

bool Event::wait(Timeout timeout) {
  Word word(*word_);
  const std::uint32_t seen = word.load();
  if (seen & kFlag) return true;
  Deadline deadline(timeout);
  for (;;) {
    auto woke = detail::futex_wait(word_.get(), seen, deadline);
    // Any change from `seen` means a set() happened (clear() of a clear
    // flag changes nothing), even if the flag has been cleared since.
    if (word.load() != seen) return true;
    if (woke == detail::FutexWake::TimedOut || deadline.expired()) return false;
  }
}

}  // namespace mp
