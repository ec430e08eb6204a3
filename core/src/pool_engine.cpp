// The pool thread: starts and replaces workers, hands them tasks, reads their
// results and notices their deaths, all from one poll(2) loop.
//
// Each worker has its own task pipe, so the pool always knows which tasks a
// worker holds (Worker::outstanding, in the order it runs them). That is what
// lets a dead worker cost exactly one task: the worker notes in shared memory
// the id of each task it starts; when its pidfd says it is gone, the pool
// takes the results it had finished, fails the task it had started, and sends
// the tasks behind it to the other workers.
//
// How many tasks a worker holds at once adapts to how long the pool's tasks
// run (as the workers measure it): enough for about kQueuedWork seconds of
// work (so tiny tasks go hundreds per write), but a single one while tasks
// are slow (so no task waits behind a long one while another worker is free).
#include "pool_engine.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <new>

#include "mp/detail/pool_protocol.hpp"
#include "mp/errors.hpp"
#include "mp/events.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "pool_buffer.hpp"
#include "pool_worker.hpp"

namespace mp::detail {
namespace {

constexpr std::size_t kRecordCapacity = 256 * 1024;  // per worker: finished results not yet written
constexpr int kPipeBytes = 256 * 1024;               // asked of each pipe (the kernel may refuse)
constexpr double kQueuedWork = 0.002;                // seconds of work a worker is given ahead
constexpr std::size_t kMaxTasksAhead = 1024;
// Before any task has been timed, a worker holds one apply at a time, so a
// slow first task never keeps a task from a free worker; but up to four map
// chunks, as Python's default chunksize splits a map in four per worker:
// that split is already the plan, and waiting for a first result before
// sending the rest would only add a round trip.
constexpr std::size_t kUntimedChunksAhead = 4;
constexpr double kTerminateGrace = 0.3;  // seconds between SIGTERM and SIGKILL
constexpr std::size_t kReadBytes = 256 * 1024;
constexpr std::size_t kWorkerBufferBytes = 2 * kReadBytes;  // each of a worker's two pipe buffers in the pool
constexpr int kReadsPerTurn = 16;  // then the other workers get their turn
constexpr int kMaxDeathsAtStart = 10;  // workers in a row that die before a task: give up

const char* const kTerminated = "pool terminated before the task finished";

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_os_error("fcntl(O_NONBLOCK)");
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// Helper threads take no asynchronous signal: handlers (Ctrl-C) run on the
// caller's threads as in Python, and a write to a pipe whose reader died
// fails with EPIPE instead of killing the process with SIGPIPE.
sigset_t helper_thread_mask() {
  sigset_t mask;
  sigfillset(&mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS}) sigdelset(&mask, sig);
  return mask;
}

void report_callback_failure(const std::string& why) {
  const std::string line = "mp::Pool: a callback raised " + why + "\n";
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace

struct PoolEngine::Worker {
  int slot = 0;  // 0..processes-1; a replacement takes the slot of the worker it replaces
  std::unique_ptr<Process> process;
  std::string name;
  pid_t pid = 0;
  UniqueFd task_fd;    // write end of its task pipe (non-blocking)
  UniqueFd result_fd;  // read end of its result pipe (non-blocking)
  SharedMapping mapping;
  pool::WorkerShared* shared = nullptr;  // in `mapping`
  pool::ByteBuffer out;                  // task bytes not written yet
  pool::ByteBuffer in;                   // result bytes not parsed yet
  std::deque<PoolTask> outstanding;      // sent and not resolved, in the order it runs them
  long sent = 0;                         // tasks ever sent (maxtasksperchild counts these)
  long completed = 0;
  bool stop_sent = false;
  std::string who() const { return "pool worker " + name + " (pid " + std::to_string(pid) + ")"; }
};

// ---------------------------------------------------------------- callers

PoolEngine::PoolEngine(int processes, std::function<void()> initializer, int maxtasksperchild)
    : processes_(processes),
      initializer_(std::move(initializer)),
      maxtasksperchild_(maxtasksperchild),
      owner_pid_(::getpid()),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!wake_fd_) throw_os_error("eventfd");
  std::promise<void> started;
  std::future<void> ready = started.get_future();
  const sigset_t mask = helper_thread_mask();
  sigset_t old;
  ::pthread_sigmask(SIG_BLOCK, &mask, &old);  // the threads inherit it
  try {
    callback_thread_ = std::thread([this] { callback_loop(); });
    pool_thread_ = std::thread([this, &started] { pool_loop(&started); });
  } catch (...) {
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    stop_callbacks();
    if (callback_thread_.joinable()) callback_thread_.join();
    throw;
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  try {
    ready.get();
  } catch (...) {
    join_threads();
    throw;
  }
}

PoolEngine::~PoolEngine() {
  if (::getpid() != owner_pid_) {
    // A forked copy: the threads and workers belong to the original.
    if (pool_thread_.joinable()) pool_thread_.detach();
    if (callback_thread_.joinable()) callback_thread_.detach();
    for (auto& w : workers_) (void)w.release();  // not ours to reap or unmap
    return;
  }
  try {
    terminate();
  } catch (...) {
    // Nothing sensible to do in a destructor; the workers are daemons and
    // die with us at the latest.
  }
}

void PoolEngine::queue_locked(std::shared_ptr<Job> job, std::size_t part, bool chunk, std::string message) {
  const std::uint64_t id = next_task_id_++;
  pool::set_task_id(message, id);
  submitted_.push_back(PoolTask{id, std::move(job), part, chunk, std::move(message)});
}

void PoolEngine::complete_empty_locked(const std::shared_ptr<Job>& job) {
  // No part to run: the job is complete as it stands (map of nothing).
  job->finish();
  if (job->has_callbacks()) {
    hand_to_callbacks(job);
  } else {
    job->publish();
  }
}

void PoolEngine::submit(std::shared_ptr<Job> job, std::string message) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::Run) throw ValueError("Pool not running");
    queue_locked(std::move(job), 0, false, std::move(message));
    wake = std::exchange(wants_tasks_, false);
  }
  if (wake) wake_pool_thread();
}

void PoolEngine::submit(std::shared_ptr<Job> job, std::vector<std::string> messages) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    if (state_ != State::Run) throw ValueError("Pool not running");
    if (messages.empty()) {
      complete_empty_locked(job);
      return;
    }
    for (std::size_t part = 0; part < messages.size(); ++part) queue_locked(job, part, true, std::move(messages[part]));
    wake = std::exchange(wants_tasks_, false);
  }
  if (wake) wake_pool_thread();
}

void PoolEngine::wake_pool_thread() {
  const std::uint64_t one = 1;
  ssize_t n;
  do {
    n = ::write(wake_fd_.get(), &one, sizeof one);
  } while (n < 0 && errno == EINTR);
}

void PoolEngine::close() {
  {
    std::lock_guard lock(mutex_);
    if (state_ == State::Run) state_ = State::Close;
  }
  wake_pool_thread();
}

void PoolEngine::terminate() {
  {
    std::lock_guard lock(mutex_);
    state_ = State::Terminate;
  }
  wake_pool_thread();
  join_threads();
}

void PoolEngine::join() {
  {
    std::lock_guard lock(mutex_);
    if (state_ == State::Run) throw ValueError("Pool is still running");
  }
  join_threads();
}

void PoolEngine::join_threads() {
  std::lock_guard lock(join_mutex_);
  if (std::this_thread::get_id() == callback_thread_.get_id())
    throw ValueError("a pool cannot be joined from one of its own callbacks");
  if (pool_thread_.joinable()) pool_thread_.join();
  if (callback_thread_.joinable()) callback_thread_.join();
}

std::vector<pid_t> PoolEngine::worker_pids() const {
  std::vector<std::pair<int, pid_t>> by_slot;
  {
    std::lock_guard lock(mutex_);
    by_slot = pids_;
  }
  std::sort(by_slot.begin(), by_slot.end());
  std::vector<pid_t> pids;
  for (auto& [slot, pid] : by_slot) pids.push_back(pid);
  return pids;
}

// ------------------------------------------------------------ pool thread

void PoolEngine::pool_loop(std::promise<void>* started) {
  try {
    for (int slot = 0; slot < processes_; ++slot) start_worker(slot);
  } catch (...) {
    for (auto& w : workers_) {
      w->process->kill();
      w->process->join();
    }
    workers_.clear();
    stop_callbacks();
    started->set_exception(std::current_exception());
    return;
  }
  started->set_value();

  std::string failure = kTerminated;
  try {
    for (;;) {
      const State state = take_submissions();
      if (state == State::Terminate) break;
      keep_workers(state);
      dispatch();
      if (state == State::Close) {
        stop_idle_workers();
        if (workers_.empty() && queued_.empty()) break;
      }
      write_tasks();
      if (go_to_sleep()) wait_for_events();
    }
  } catch (const std::exception& e) {
    // The loop itself failed (out of memory, a broken poll): nothing can run
    // any more, so behave as terminate() and say why.
    failure = std::string("pool thread failed: ") + e.what();
    std::lock_guard lock(mutex_);
    state_ = State::Terminate;
  }
  try {
    terminate_workers();
    take_submissions();
    fail_queued(failure);
  } catch (...) {
    // Out of memory while failing the jobs: still stop the callback thread,
    // so join() returns.
  }
  stop_callbacks();
}

PoolEngine::State PoolEngine::take_submissions() {
  State state;
  {
    std::lock_guard lock(mutex_);
    taken_.swap(submitted_);
    state = state_;
  }
  for (auto& task : taken_) queued_.push_back(std::move(task));
  taken_.clear();
  return state;
}

bool PoolEngine::has_outstanding() const {
  return std::any_of(workers_.begin(), workers_.end(), [](const auto& w) { return !w->outstanding.empty(); });
}

void PoolEngine::keep_workers(State state) {
  // Python's _maintain_pool: keep `processes` workers while the pool runs,
  // and after close() while work is left.
  const bool work_left = !queued_.empty() || has_outstanding();
  const std::size_t wanted = !broken_.empty() ? 0 : (state == State::Run || work_left) ? processes_ : 0;
  while (workers_.size() < wanted) {
    int slot = 0;
    while (std::any_of(workers_.begin(), workers_.end(), [slot](const auto& w) { return w->slot == slot; })) ++slot;
    try {
      start_worker(slot);
      spawn_error_.clear();
    } catch (const std::exception& e) {
      spawn_error_ = std::string("cannot start a pool worker: ") + e.what();
      break;  // tried again on the next turn of the loop
    }
  }
  if (!broken_.empty()) {
    fail_queued(broken_);
  } else if (workers_.empty() && !spawn_error_.empty()) {
    fail_queued(spawn_error_);
  }
}

void PoolEngine::start_worker(int slot) {
  // Everything the child needs is made here, before fork.
  auto w = std::make_unique<Worker>();
  w->slot = slot;
  auto [task_read, task_write] = make_pipe();
  auto [result_read, result_write] = make_pipe();
  ::fcntl(task_write.get(), F_SETPIPE_SZ, kPipeBytes);  // refused over the user's limit: only slower
  ::fcntl(result_write.get(), F_SETPIPE_SZ, kPipeBytes);
  set_nonblocking(task_write.get());
  set_nonblocking(result_read.get());
  w->mapping = SharedMapping(sizeof(pool::WorkerShared) + kRecordCapacity);
  w->shared = new (w->mapping.data()) pool::WorkerShared();

  pool::WorkerSetup setup;
  setup.task_fd = task_read.get();
  setup.result_fd = result_write.get();
  setup.shared = w->shared;
  setup.record_capacity = kRecordCapacity;
  setup.initializer = &initializer_;
  setup.maxtasks = maxtasksperchild_;
  setup.parent_pid = ::getpid();
  setup.foreign_fds = {wake_fd_.get(), task_write.get(), result_read.get()};
  for (const auto& other : workers_) {
    setup.foreign_fds.push_back(other->task_fd.get());
    setup.foreign_fds.push_back(other->result_fd.get());
    if (other->process->sentinel() >= 0) setup.foreign_fds.push_back(other->process->sentinel());
  }

  // Daemon, as Python's pool workers: a task may not start processes.
  w->process = std::make_unique<Process>([setup] { pool::run_worker(setup); }, "", Daemon::Yes);
  std::string name = w->process->name();  // Python: Process-N becomes PoolWorker-N
  if (auto at = name.find("Process"); at != std::string::npos) name.replace(at, 7, "PoolWorker");
  w->process->set_name(name);
  w->process->start();

  task_read.reset();  // the worker's ends: from now on only the worker holds them
  result_write.reset();
  // After the fork, so the pages are this process's own and not shared
  // copy-on-write with the worker.
  w->in = buffer_for_worker();
  w->out = buffer_for_worker();
  w->name = std::move(name);
  w->pid = w->process->pid();
  w->task_fd = std::move(task_write);
  w->result_fd = std::move(result_read);
  {
    std::lock_guard lock(mutex_);
    pids_.emplace_back(slot, w->pid);
  }
  events::emit("pool.worker_started", {{"worker", slot}, {"worker_pid", w->pid}, {"worker_name", w->name}});
  workers_.push_back(std::move(w));
}

std::size_t PoolEngine::tasks_ahead(const PoolTask& next) const {
  if (seconds_per_task_ <= 0) return next.chunk ? kUntimedChunksAhead : 1;
  const double n = kQueuedWork / seconds_per_task_;
  return n >= static_cast<double>(kMaxTasksAhead) ? kMaxTasksAhead : std::max<std::size_t>(1, static_cast<std::size_t>(n));
}

bool PoolEngine::accepts_task(const Worker& w, const PoolTask& next) const {
  if (w.stop_sent) return false;
  if (maxtasksperchild_ > 0 && w.sent >= maxtasksperchild_) return false;  // it leaves after those
  return w.outstanding.size() < tasks_ahead(next);
}

// A pipe buffer for a new worker: an ended worker's, or a fresh one touched
// now (see ByteBuffer::reserve_touched), so a pool that replaces workers
// often (maxtasksperchild) touches its buffers only once.
pool::ByteBuffer PoolEngine::buffer_for_worker() {
  if (!spare_buffers_.empty()) {
    pool::ByteBuffer buffer = std::move(spare_buffers_.back());
    spare_buffers_.pop_back();
    return buffer;
  }
  pool::ByteBuffer buffer;
  buffer.reserve_touched(kWorkerBufferBytes);
  return buffer;
}

void PoolEngine::dispatch() {
  if (queued_.empty()) return;
  // One task per worker per round, so a short queue is spread out.
  bool gave = true;
  while (gave && !queued_.empty()) {
    gave = false;
    for (auto& w : workers_) {
      if (queued_.empty()) break;
      PoolTask& task = queued_.front();
      if (!accepts_task(*w, task)) continue;
      w->out.append(task.message.data(), task.message.size());
      ++w->sent;
      w->outstanding.push_back(std::move(task));
      queued_.pop_front();
      gave = true;
    }
  }
}

void PoolEngine::stop_idle_workers() {
  if (!queued_.empty() || has_outstanding()) return;
  for (auto& w : workers_) {
    if (w->stop_sent) continue;
    const pool::TaskHeader stop{0, 0, 0, 0};
    w->out.append(&stop, sizeof stop);
    w->stop_sent = true;
  }
}

void PoolEngine::write_tasks() {
  for (auto& w : workers_) {
    while (!w->out.empty()) {
      ssize_t n = ::write(w->task_fd.get(), w->out.data(), w->out.size());
      if (n > 0) {
        w->out.consume(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EPIPE) w->out.clear();  // it is gone; its pidfd will say so
      break;                                        // EAGAIN: the pipe is full, poll for POLLOUT
    }
  }
}

bool PoolEngine::worker_idle() const {
  // No worker at all counts too: a new task then needs the pool thread to
  // start one, or to fail the task if none can start.
  if (workers_.empty()) return true;
  const PoolTask any_apply;  // the most cautious kind of task
  return std::any_of(workers_.begin(), workers_.end(),
                     [&](const auto& w) { return w->outstanding.empty() && accepts_task(*w, any_apply); });
}

bool PoolEngine::go_to_sleep() {
  // New tasks wake the pool thread only while a worker is idle. While all
  // are busy, tasks just queue: the next results wake the pool thread, and
  // it takes them then, hundreds at a time, without a wake-up per task.
  const bool idle = worker_idle();
  std::lock_guard lock(mutex_);
  if (idle && !submitted_.empty()) return false;  // go round again at once
  wants_tasks_ = idle;
  return true;
}

void PoolEngine::wait_for_events() {
  std::vector<pollfd> fds;
  fds.reserve(1 + 3 * workers_.size());
  fds.push_back({wake_fd_.get(), POLLIN, 0});
  bool any_without_pidfd = false;
  for (auto& w : workers_) {
    fds.push_back({w->result_fd.get(), POLLIN, 0});
    fds.push_back({w->task_fd.get(), static_cast<short>(w->out.empty() ? 0 : POLLOUT), 0});
    fds.push_back({w->process->sentinel(), POLLIN, 0});  // -1 (ignored by poll) on a kernel without pidfd
    if (w->process->sentinel() < 0) any_without_pidfd = true;
  }
  // Without pidfds a death is noticed by asking every 50 ms.
  int n = ::poll(fds.data(), fds.size(), any_without_pidfd ? 50 : -1);
  if (n < 0) {
    if (errno == EINTR) return;
    throw_os_error("poll(pool)");
  }
  if (fds[0].revents & POLLIN) {
    std::uint64_t count;
    [[maybe_unused]] ssize_t r = ::read(wake_fd_.get(), &count, sizeof count);
  }
  std::vector<std::size_t> ended;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    Worker& w = *workers_[i];
    const pollfd& result = fds[1 + 3 * i];
    const pollfd& sentinel = fds[1 + 3 * i + 2];
    if (result.revents & (POLLIN | POLLHUP | POLLERR)) read_results(w);
    if ((sentinel.revents & POLLIN) || (sentinel.fd < 0 && !w.process->is_alive())) ended.push_back(i);
  }
  for (auto i = ended.rbegin(); i != ended.rend(); ++i) worker_ended(*i, End::Ended);
}

void PoolEngine::read_results(Worker& w) {
  for (int turn = 0; turn < kReadsPerTurn; ++turn) {
    ssize_t n = ::read(w.result_fd.get(), w.in.prepare(kReadBytes), kReadBytes);
    if (n > 0) {
      w.in.commit(static_cast<std::size_t>(n));
      w.in.consume(parse_results(w, w.in.view()));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) throw_os_error("read(pool result pipe)");
    break;  // EAGAIN: all read; 0: it closed its end
  }
}

std::size_t PoolEngine::parse_results(Worker& w, std::string_view bytes) {
  std::uint64_t run_ns = 0;
  std::size_t tasks = 0;
  const std::size_t used =
      pool::for_each_message<pool::ResultHeader>(bytes, [&](const pool::ResultHeader& h, std::string_view payload) {
        if (handle_result(w, h.id, h.ok != 0, payload)) {
          run_ns += h.run_ns;
          ++tasks;
        }
        return true;
      });
  if (tasks > 0) {
    // The worker's own measure, so a slow wake-up of this thread (a busy
    // machine) does not pass for slow tasks.
    const double per_task = std::max(1e-9, static_cast<double>(run_ns) * 1e-9 / static_cast<double>(tasks));
    seconds_per_task_ = seconds_per_task_ > 0 ? 0.5 * (seconds_per_task_ + per_task) : per_task;
  }
  return used;
}

bool PoolEngine::handle_result(Worker& w, std::uint64_t id, bool ok, std::string_view payload) {
  if (id == 0) {
    // The initializer failed: every worker would fail the same way.
    if (broken_.empty()) broken_ = "the initializer of " + w.who() + " failed: " + std::string(payload);
    return false;
  }
  auto it = w.outstanding.begin();
  if (it == w.outstanding.end() || it->id != id)
    it = std::find_if(w.outstanding.begin(), w.outstanding.end(), [id](const PoolTask& t) { return t.id == id; });
  if (it == w.outstanding.end()) return false;  // a second copy (pipe and shared records) of one we have
  PoolTask task = std::move(*it);
  if (it == w.outstanding.begin()) {
    w.outstanding.pop_front();  // the usual case: results come back in the order tasks went out
  } else {
    w.outstanding.erase(it);
  }
  ++w.completed;
  deaths_at_start_ = 0;
  resolve(task, ok, payload);
  return true;
}

void PoolEngine::worker_ended(std::size_t index, End how) {
  Worker& w = *workers_[index];
  w.process->join();  // returns at once: it has ended
  const int code = w.process->exitcode().value_or(0);

  // Results it wrote, then results it had finished but not written.
  read_results(w);
  const std::size_t committed = std::min<std::size_t>(w.shared->committed.load(std::memory_order_acquire), kRecordCapacity);
  parse_results(w, std::string_view(w.shared->records(), committed));

  std::string death = w.who();
  if (code < 0) {
    death += " was killed by signal " + std::to_string(-code) + " (" + signal_name(-code) + ")";
  } else {
    death += " exited with code " + std::to_string(code);
  }

  // Workers that die before their first task (in their initializer, out of
  // memory) would be replaced for ever, as in Python; after a run of them
  // the pool gives up and fails the tasks instead.
  if (how == End::Ended && !w.stop_sent && w.shared->started.load(std::memory_order_acquire) == 0) {
    if (++deaths_at_start_ >= kMaxDeathsAtStart && broken_.empty())
      broken_ = std::to_string(deaths_at_start_) + " pool workers in a row ended before running a task; the last: " + death;
  }

  bool lost_task = false;
  if (!w.outstanding.empty()) {
    // It ran its tasks in order: everything up to the one it started last
    // has been handled above, except that one.
    const std::uint64_t started = w.shared->started.load(std::memory_order_acquire);
    auto running = std::find_if(w.outstanding.begin(), w.outstanding.end(), [started](const PoolTask& t) { return t.id == started; });
    if (running != w.outstanding.end()) {
      for (auto it = w.outstanding.begin(); it != std::next(running); ++it)
        fail_task(*it, how == End::Terminated ? std::string(kTerminated) : death + " while running the task");
      w.outstanding.erase(w.outstanding.begin(), std::next(running));
      lost_task = true;
    }
    // The rest never started: they run elsewhere, before anything queued later.
    queued_.insert(queued_.begin(), std::make_move_iterator(w.outstanding.begin()), std::make_move_iterator(w.outstanding.end()));
    w.outstanding.clear();
  }

  nlohmann::json fields = {{"worker", w.slot}, {"worker_pid", w.pid}, {"worker_name", w.name}, {"exitcode", code}};
  if (how == End::Terminated) {
    events::emit("pool.worker_terminated", std::move(fields));
  } else if (code == 0 && !lost_task) {
    fields["tasks"] = w.completed;
    events::emit("pool.worker_exited", std::move(fields));
  } else {  // killed, failed, or left in the middle of a task
    if (code < 0) {
      fields["signal"] = -code;
      fields["signal_name"] = signal_name(-code);
    }
    fields["lost_task"] = lost_task;
    events::emit("pool.worker_died", std::move(fields));
  }

  {
    std::lock_guard lock(mutex_);
    std::erase_if(pids_, [&](const auto& entry) { return entry.second == w.pid; });
  }
  for (pool::ByteBuffer* buffer : {&w.in, &w.out}) {
    buffer->clear();
    spare_buffers_.push_back(std::move(*buffer));
  }
  workers_.erase(workers_.begin() + static_cast<std::ptrdiff_t>(index));
}

void PoolEngine::terminate_workers() {
  for (auto& w : workers_) w->process->terminate();
  Deadline grace(kTerminateGrace);
  for (auto& w : workers_) {
    if (!w->process->join(grace.remaining())) {
      w->process->kill();
      w->process->join();
    }
  }
  while (!workers_.empty()) worker_ended(workers_.size() - 1, End::Terminated);
}

void PoolEngine::resolve(PoolTask& task, bool ok, std::string_view payload) {
  try {
    if (ok) {
      task.job->deliver(task.part, payload);
    } else {
      task.job->fail(task.part, std::string(payload));
    }
  } catch (const std::exception& e) {
    task.job->fail(task.part, std::string("cannot decode the task's result: ") + e.what());
  }
  part_done(task.job);
}

void PoolEngine::fail_task(PoolTask& task, std::string message) {
  task.job->fail(task.part, std::move(message));
  part_done(task.job);
}

void PoolEngine::fail_queued(const std::string& message) {
  while (!queued_.empty()) {
    PoolTask task = std::move(queued_.front());
    queued_.pop_front();
    fail_task(task, message);
  }
}

void PoolEngine::part_done(const std::shared_ptr<Job>& job) {
  if (--job->parts_left > 0) return;
  job->finish();
  if (job->has_callbacks()) {
    hand_to_callbacks(job);
  } else {
    job->publish();
  }
}

// -------------------------------------------------------- callback thread

void PoolEngine::hand_to_callbacks(std::shared_ptr<Job> job) {
  {
    std::lock_guard lock(callback_mutex_);
    callback_queue_.push_back(std::move(job));
  }
  callback_cv_.notify_one();
}

void PoolEngine::stop_callbacks() {
  {
    std::lock_guard lock(callback_mutex_);
    callbacks_stopping_ = true;
  }
  callback_cv_.notify_one();
}

void PoolEngine::callback_loop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(callback_mutex_);
      callback_cv_.wait(lock, [this] { return !callback_queue_.empty() || callbacks_stopping_; });
      if (callback_queue_.empty()) return;  // stopping, and every job is done
      job = std::move(callback_queue_.front());
      callback_queue_.pop_front();
    }
    try {
      job->run_callbacks();
    } catch (...) {
      // Python's result handler would die here and hang the pool; one
      // failing callback must not stop the others or the result.
      report_callback_failure(pool::describe_current_exception());
    }
    job->publish();
  }
}

}  // namespace mp::detail
