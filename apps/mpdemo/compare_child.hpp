// One half of --compare: this binary run again (/proc/self/exe) with --json,
// its JSON lines read as they come. Its stderr is ours, so a usage error it
// finds reaches the user as it is.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace mpdemo {

struct ChildRun {
  int exit_code = -1;  // its exit status, or -signal
  int signal = 0;      // a signal that arrived for us while it ran (Ctrl-C, SIGTERM): end with it
};

// Runs `mpdemo args...` and hands each line of its stdout to `on_line` as it
// arrives. While it runs, SIGINT, SIGTERM and SIGHUP sent to us are passed
// on to it (a terminal's Ctrl-C reaches it directly), so that it ends its
// own children as a run does; the caller then ends with re_raise().
ChildRun run_child(const std::vector<std::string>& args, const std::function<void(const std::string&)>& on_line);

// Ends this process with `signal` as if it had not been held back.
[[noreturn]] void re_raise(int signal);

}  // namespace mpdemo
