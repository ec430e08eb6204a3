// One spin-wait step: tells the CPU that this loop waits for another core
// (x86 PAUSE), so it spends less power and gives a sibling hyperthread its
// turn. Nothing elsewhere.
#pragma once

namespace mp::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace mp::detail
