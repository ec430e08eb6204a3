// The calling process's pid, cached (getpid() is a system call on glibc
// 2.36): defined in robust_mutex.cpp, whose per-thread cache a fork clears.
#pragma once

#include <sys/types.h>

namespace mp::detail {
pid_t cached_pid() noexcept;
}  // namespace mp::detail
