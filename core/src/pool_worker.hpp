// The life of one pool worker process, and what it leaves behind for the pool
// if it dies. Internal to mp::Pool.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mp::detail::pool {

// One per worker, in a shared mapping made before the fork. The pool reads
// it only after the worker has ended, to learn which task it was running and
// which results it had finished but not yet written to its pipe.
struct WorkerShared {
  std::atomic<std::uint64_t> started{0};    // id of the last task the worker began
  std::atomic<std::uint64_t> committed{0};  // bytes of whole result records in records()
  // The records (ResultHeader + payload each) follow this header.
  char* records() noexcept { return reinterpret_cast<char*>(this + 1); }
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "shared counters must not need a lock");

// Everything a worker needs, prepared by the pool before fork.
struct WorkerSetup {
  int task_fd = -1;    // read end of the worker's task pipe
  int result_fd = -1;  // write end of its result pipe
  WorkerShared* shared = nullptr;
  std::size_t record_capacity = 0;  // bytes of shared->records()
  const std::function<void()>* initializer = nullptr;
  int maxtasks = 0;  // 0: no limit
  pid_t parent_pid = 0;
  std::vector<int> foreign_fds;  // the pool's other fds, inherited by fork: closed first
};

// Runs in the worker process: tasks until told to stop, until the pool's end
// of the pipe closes, or until `maxtasks` tasks are done. Returns to exit 0.
void run_worker(const WorkerSetup& setup);

// "<demangled type>: <what()>" of the exception being handled (call only in
// a catch block).
std::string describe_current_exception();

}  // namespace mp::detail::pool
