// Reading the kernel's process table the way ps does: /proc/<pid>/stat for
// the state letter and parent, /proc/<pid>/cmdline for the command line. Used
// by the scenarios that show process states (zombie, orphan, states).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "mp/deadline.hpp"

namespace mpdemo {

// The fields of /proc/<pid>/stat that the scenarios show.
struct ProcStat {
  pid_t pid = 0;
  std::string comm;                  // executable name, at most 15 bytes (field 2)
  char state = '?';                  // R, S, D, T, t, Z, X, I (field 3)
  pid_t ppid = 0;                    // parent, after any re-parenting (field 4)
  unsigned long long starttime = 0;  // clock ticks after boot (field 22): tells a process
                                     // from a later one that got the same pid
};

// The entry of `pid`, or nullopt when there is none: never existed, or
// reaped (a zombie still has one; a reaped process has not).
std::optional<ProcStat> read_proc_stat(pid_t pid);

// The arguments of `pid` joined by spaces; empty for a zombie, whose memory
// (and with it the argument strings) is already freed.
std::string read_cmdline(pid_t pid);

// /proc/<pid>/comm without the newline; empty when the entry is gone.
std::string read_comm(pid_t pid);

// What ps prints in its COMMAND column: the command line, or "[comm]" when
// there is none, followed by " <defunct>" for a zombie.
std::string ps_command(const ProcStat& stat, const std::string& cmdline);

// The kernel's word for a state letter ("sleeping", "disk sleep", "zombie").
const char* state_name(char state) noexcept;

// True when the process that `before` described no longer has an entry: it
// was reaped (a new process that reused the pid does not count as it).
bool entry_gone(const ProcStat& before);

// Polls the entry of `pid` every millisecond until its state is `wanted`;
// returns the last state seen ('-' when the entry is gone).
char wait_for_state(pid_t pid, char wanted, mp::Timeout timeout);

}  // namespace mpdemo
