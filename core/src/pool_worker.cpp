// A pool worker: reads task messages from its pipe, runs them one by one and
// writes the results back in batches.
//
// Batching is what makes tiny tasks cheap (one write for hundreds of
// results), but a batch must neither delay a result nor lose one:
//  - a flusher thread sends a pending batch once its oldest result has waited
//    kFlushDelay, so a slow task does not hold back the results before it;
//  - a batch is built in the worker's shared mapping, not in private memory,
//    so if the worker dies the pool still finds the results it had finished.
#include "pool_worker.hpp"

#include <cxxabi.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <typeinfo>

#include "mp/detail/pool_protocol.hpp"
#include "mp/errors.hpp"
#include "mp/unique_fd.hpp"
#include "pool_buffer.hpp"

namespace mp::detail::pool {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kFlushDelay = std::chrono::microseconds(200);
constexpr std::size_t kReadBytes = 256 * 1024;

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> readable(abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  return status == 0 && readable ? std::string(readable.get()) : std::string(name);
}

// Writes header and payload, all of both, retrying short writes.
void write_record(int fd, const ResultHeader& header, std::string_view payload) {
  std::size_t done = 0;
  const std::size_t total = sizeof header + payload.size();
  while (done < total) {
    iovec parts[2];
    int count = 0;
    if (done < sizeof header) {
      parts[count++] = {const_cast<char*>(reinterpret_cast<const char*>(&header)) + done, sizeof header - done};
      parts[count++] = {const_cast<char*>(payload.data()), payload.size()};
    } else {
      const std::size_t off = done - sizeof header;
      parts[count++] = {const_cast<char*>(payload.data()) + off, payload.size() - off};
    }
    ssize_t n = ::writev(fd, parts, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_os_error("write(pool result pipe)");
    }
    done += static_cast<std::size_t>(n);
  }
}

// The worker's outgoing results: records appended to the shared mapping and
// written to the result pipe in batches.
class ResultSink {
 public:
  ResultSink(int fd, WorkerShared* shared, std::size_t capacity)
      : fd_(fd), shared_(shared), capacity_(capacity), flusher_([this] { flusher_loop(); }) {}
  ~ResultSink() {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    cv_.notify_one();
    flusher_.join();
    try {
      flush();
    } catch (...) {
      // The pool is gone (EPIPE): nobody is left to tell.
    }
  }
  ResultSink(const ResultSink&) = delete;
  ResultSink& operator=(const ResultSink&) = delete;

  void add(std::uint64_t id, bool ok, std::uint32_t run_ns, std::string_view payload) {
    const ResultHeader header{id, ok ? 1u : 0u, run_ns, payload.size()};
    const std::size_t need = sizeof header + payload.size();
    std::lock_guard lock(mutex_);
    if (need > capacity_) {
      // Too big to keep a copy: it goes straight out. If the worker dies
      // mid-write the pool counts the task as lost, which it then is.
      flush_locked();
      write_record(fd_, header, payload);
      return;
    }
    std::size_t at = shared_->committed.load(std::memory_order_relaxed);
    if (at + need > capacity_) {
      flush_locked();
      at = 0;
    }
    std::memcpy(shared_->records() + at, &header, sizeof header);
    std::memcpy(shared_->records() + at + sizeof header, payload.data(), payload.size());
    shared_->committed.store(at + need, std::memory_order_release);
    if (!oldest_) {
      oldest_ = Clock::now();
      cv_.notify_one();
    }
  }

  void flush() {
    std::lock_guard lock(mutex_);
    flush_locked();
  }

 private:
  void flush_locked() {
    const std::size_t bytes = shared_->committed.load(std::memory_order_relaxed);
    oldest_.reset();
    if (bytes == 0) return;
    write_all(fd_, shared_->records(), bytes);
    // Killed before this store, the pool gets these records twice (pipe and
    // mapping) and drops the copies by task id.
    shared_->committed.store(0, std::memory_order_release);
  }

  void flusher_loop() {
    std::unique_lock lock(mutex_);
    while (!quit_) {
      if (!oldest_) {
        cv_.wait(lock);
        continue;
      }
      const auto due = *oldest_ + kFlushDelay;
      if (Clock::now() < due) {
        cv_.wait_until(lock, due);
        continue;
      }
      try {
        flush_locked();
      } catch (...) {
        ::_exit(1);  // the result pipe is broken: the pool is gone
      }
    }
  }

  const int fd_;
  WorkerShared* const shared_;
  const std::size_t capacity_;
  std::mutex mutex_;  // guards the records, oldest_ and quit_
  std::condition_variable cv_;
  std::optional<Clock::time_point> oldest_;  // when the first unsent record was added
  bool quit_ = false;
  std::thread flusher_;  // last: starts once the members above exist
};

bool readable_now(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

void report_initializer_failure(int fd, const std::string& why) {
  const ResultHeader header{0, 0, 0, why.size()};
  try {
    write_record(fd, header, why);
  } catch (...) {
    // The pool is gone; the exit code still tells.
  }
}

// Runs one task; its result or its failure goes to the sink.
void run_task(const TaskHeader& task, std::string_view payload, std::string& out, ResultSink& sink, WorkerShared* shared) {
  out.clear();
  shared->started.store(task.id, std::memory_order_release);
  bool ok = true;
  const auto start = Clock::now();
  try {
    reinterpret_cast<Runner>(task.runner)(static_cast<std::uintptr_t>(task.fn), payload, out);
  } catch (const SystemExit&) {
    throw;  // the task asked the worker to leave: it does, as in Python
  } catch (...) {
    out = describe_current_exception();
    ok = false;
  }
  // The pool sizes how many tasks it hands this worker at once by this.
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
  sink.add(task.id, ok, static_cast<std::uint32_t>(std::min<long long>(ns, UINT32_MAX)), out);
}

}  // namespace

std::string describe_current_exception() {
  std::string type = "unknown exception";
  if (const std::type_info* info = abi::__cxa_current_exception_type()) type = demangle(info->name());
  try {
    throw;
  } catch (const std::exception& e) {
    return type + ": " + e.what();
  } catch (...) {
    return type;
  }
}

void run_worker(const WorkerSetup& setup) {
  for (int fd : setup.foreign_fds) ::close(fd);
  // Die with the pool: the pool thread forked us and outlives every worker
  // unless the whole main process is killed.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != setup.parent_pid) return;

  if (setup.initializer && *setup.initializer) {
    try {
      (*setup.initializer)();
    } catch (...) {
      report_initializer_failure(setup.result_fd, describe_current_exception());
      throw SystemExit{1};
    }
  }

  ResultSink sink(setup.result_fd, setup.shared, setup.record_capacity);
  ByteBuffer in;
  std::string out;
  int done = 0;
  for (;;) {
    bool stop = false;
    const std::size_t used = for_each_message<TaskHeader>(in.view(), [&](const TaskHeader& task, std::string_view payload) {
      if (task.id == 0) {
        stop = true;
        return false;
      }
      run_task(task, payload, out, sink, setup.shared);
      if (setup.maxtasks > 0 && ++done >= setup.maxtasks) stop = true;
      return !stop;
    });
    in.consume(used);
    if (stop) return;  // the sink sends what is left as it goes

    // Out of tasks: send the batch now, unless more tasks are already here.
    if (!readable_now(setup.task_fd)) sink.flush();
    ssize_t n = ::read(setup.task_fd, in.prepare(kReadBytes), kReadBytes);
    if (n == 0) return;  // the pool closed its end
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_os_error("read(pool task pipe)");
    }
    in.commit(static_cast<std::size_t>(n));
  }
}

}  // namespace mp::detail::pool
