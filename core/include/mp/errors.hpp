// The exceptions of mpcore. Names follow the Python exceptions that
// multiprocessing raises in the same situation, so a student can map one to
// the other. Messages start lower-case and name the thing at fault.
#pragma once

#include <stdexcept>
#include <string>

namespace mp {

// Base of everything mpcore throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Misuse of a Process (start twice, join before start, daemon with children).
class ProcessError : public Error { using Error::Error; };

// A system call failed; what() names the call and errno's text.
class OSError : public Error {
 public:
  OSError(const std::string& what, int err);
  int err() const noexcept { return err_; }

 private:
  int err_;
};

// A wrong value or a call in the wrong state (Python's ValueError).
class ValueError : public Error { using Error::Error; };

// Python's AssertionError/RuntimeError for misuse of a sync primitive, e.g.
// releasing an unlocked Lock or waiting on a Condition without its lock.
class StateError : public Error { using Error::Error; };

// recv() on a connection whose every writer is closed.
class EOFError : public Error { using Error::Error; };

// put_nowait() or put(timeout) on a full queue; get on an empty one.
class Full : public Error { using Error::Error; };
class Empty : public Error { using Error::Error; };

// A wait that ran out of time where Python raises (AsyncResult.get, Barrier).
class TimeoutError : public Error { using Error::Error; };

// Barrier broken by abort(), reset() or a timeout.
class BrokenBarrierError : public Error { using Error::Error; };

// The other side of a Manager or Pool reported a failure.
class RemoteError : public Error { using Error::Error; };

// Thrown by a child's target to leave with a chosen exit code, like
// sys.exit(n) in Python. Not derived from Error: it is not a failure.
struct SystemExit {
  int code;
};

// Throws OSError("<what>: <strerror(errno)>") with the current errno.
[[noreturn]] void throw_os_error(const std::string& what);
[[noreturn]] void throw_os_error(const std::string& what, int err);

}  // namespace mp
