// The machinery behind mp::Pool: the pool thread that owns the workers and
// the callback thread that runs callbacks. Internal to mp::Pool.
//
// Who touches what:
//  - caller threads: submit/close/terminate/join, under mutex_;
//  - the pool thread: everything marked "pool thread only" (workers, queues,
//    the tasks each worker holds), without a lock;
//  - the callback thread: jobs handed over in callback_queue_.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "mp/async_result.hpp"
#include "mp/unique_fd.hpp"
#include "pool_buffer.hpp"

namespace mp::detail {

// One message for a worker: a whole apply, or one chunk of a map.
struct PoolTask {
  std::uint64_t id = 0;
  std::shared_ptr<Job> job;
  std::size_t part = 0;  // which part of the job
  bool chunk = false;    // a chunk of a map, imap or starmap (not an apply)
  std::string message;   // TaskHeader + payload; kept to resend if its worker dies before starting it
};

class PoolEngine {
 public:
  // Starts the threads and the first workers; throws if a worker cannot start.
  PoolEngine(int processes, std::function<void()> initializer, int maxtasksperchild);
  // terminate(), unless this is a forked copy of the process that made it.
  ~PoolEngine();
  PoolEngine(const PoolEngine&) = delete;
  PoolEngine& operator=(const PoolEngine&) = delete;

  void submit(std::shared_ptr<Job> job, std::string message);
  void submit(std::shared_ptr<Job> job, std::vector<std::string> messages);
  void close();
  void terminate();
  void join();
  std::vector<pid_t> worker_pids() const;

 private:
  struct Worker;
  enum class State { Run, Close, Terminate };
  enum class End { Ended, Terminated };  // how the pool sees a worker's end

  // Caller side.
  void queue_locked(std::shared_ptr<Job> job, std::size_t part, bool chunk, std::string message);
  void complete_empty_locked(const std::shared_ptr<Job>& job);
  void wake_pool_thread();
  void join_threads();

  // Pool thread.
  void pool_loop(std::promise<void>* started);
  State take_submissions();
  void keep_workers(State state);
  void start_worker(int slot);
  pool::ByteBuffer buffer_for_worker();
  void dispatch();
  std::size_t tasks_ahead(const PoolTask& next) const;
  bool accepts_task(const Worker& w, const PoolTask& next) const;
  void stop_idle_workers();
  void write_tasks();
  bool worker_idle() const;
  bool go_to_sleep();
  void wait_for_events();
  void read_results(Worker& w);
  // Handles the whole result records at the front of `bytes`; returns the
  // bytes they took.
  std::size_t parse_results(Worker& w, std::string_view bytes);
  bool handle_result(Worker& w, std::uint64_t id, bool ok, std::string_view payload);
  void worker_ended(std::size_t index, End how);
  void terminate_workers();
  void resolve(PoolTask& task, bool ok, std::string_view payload);
  void fail_task(PoolTask& task, std::string message);
  void fail_queued(const std::string& message);
  void part_done(const std::shared_ptr<Job>& job);
  bool has_outstanding() const;

  // Callback thread.
  void callback_loop();
  void hand_to_callbacks(std::shared_ptr<Job> job);
  void stop_callbacks();

  // Fixed at construction.
  const int processes_;
  const std::function<void()> initializer_;
  const int maxtasksperchild_;
  const pid_t owner_pid_;
  UniqueFd wake_fd_;  // eventfd: new work or a state change for the pool thread

  mutable std::mutex mutex_;  // guards the block below
  State state_ = State::Run;
  std::vector<PoolTask> submitted_;          // tasks the pool thread has not taken yet
  bool wants_tasks_ = true;                  // the pool thread sleeps with a worker idle: wake it for new tasks
  std::uint64_t next_task_id_ = 1;           // 0 means "stop" to a worker
  std::vector<std::pair<int, pid_t>> pids_;  // slot, pid of each live worker

  std::mutex callback_mutex_;  // guards the block below
  std::condition_variable callback_cv_;
  std::deque<std::shared_ptr<Job>> callback_queue_;  // finished jobs whose callbacks are due
  bool callbacks_stopping_ = false;                  // no more jobs will come

  // Pool thread only.
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<PoolTask> taken_;  // spare vector swapped with submitted_
  std::deque<PoolTask> queued_;  // waiting for a worker, in order
  std::vector<pool::ByteBuffer> spare_buffers_;  // touched pipe buffers of ended workers, for their replacements
  std::string broken_;           // why no task can run (an initializer failed); empty while all is well
  std::string spawn_error_;      // why the last attempt to start a worker failed
  int deaths_at_start_ = 0;      // workers in a row that ended before starting a task
  double seconds_per_task_ = 0;  // how long tasks run, as workers report it; 0 until the first result

  std::mutex join_mutex_;  // one joiner at a time
  std::thread callback_thread_;
  std::thread pool_thread_;
};

}  // namespace mp::detail
