// Running test code in a child process. Catch2 assertions are not safe in a
// forked child, so a child reports through its exit status (or a pipe) and
// the parent asserts.
#pragma once

#include <functional>

namespace test {

// Forks, runs `body` in the child and _exits with its return value (1 if it
// throws). Returns Python's exitcode for the child: the code, or -signal.
// Gives up and kills the child after `timeout_s`, returning -SIGKILL.
int run_in_child(const std::function<int()>& body, double timeout_s = 30.0);

// True when no child of this process is left unreaped.
bool no_children_left();

}  // namespace test
