// mp::Pool: Python's multiprocessing.Pool, a fixed set of worker processes
// that run tasks handed to them.
//
//   int square(int x) { return x * x; }
//
//   mp::Pool pool(4);
//   std::vector<int> squares = pool.map(square, {1, 2, 3});        // {1, 4, 9}
//   mp::AsyncResult<int> r = pool.apply_async(square, 7);
//   int v = r.get();                                                // 49
//   for (int s : pool.imap(square, xs)) ...                         // as they come
//   pool.close();
//   pool.join();
//
// Tasks are plain functions of this program (or lambdas without captures,
// which convert to one): after fork() a function has the same address in
// every process, so a worker can call it. Arguments and results travel as
// bytes, encoded by mp::Codec (core/include/mp/codec.hpp): numbers, strings,
// vectors, tuples, JSON, or any type with a Codec of its own.
//
// Where this differs from Python, and why:
//  - A worker that dies while running a task (killed by a signal, or an exit
//    inside the task) does not hang the pool, as it does in Python (bpo-22393,
//    gh-96062). The pool starts a replacement, the task it was running fails
//    with a RemoteError naming the worker, its pid and the signal, and the
//    tasks queued behind it run on the other workers.
//  - A task's exception comes back as RemoteError("<type>: <message>"), e.g.
//    "std::runtime_error: boom": C++ exceptions cannot be pickled.
//  - terminate() (and the destructor) fail the jobs still pending with a
//    RemoteError instead of leaving get() to wait forever.
//  - An initializer that throws makes every task fail with its error, where
//    Python starts new workers for ever; so do ten workers in a row that die
//    before their first task.
//  - Callbacks of map_async run once for an empty input too.
//  - map/imap take a std::vector, not any iterable, and queue all its chunks
//    at once; imap is lazy in its results, not in reading its input.
//  - Each worker has its own queue, filled ahead with as many tasks as fit in
//    about 2 ms of their measured run time (one at a time while tasks are
//    slow), where Python's workers share one queue.
//  - The pool's two pipe buffers per worker (512 KiB each) are allocated and
//    touched when the first worker of a slot starts, so that the first map
//    does not pay their page faults in the middle of its work; replacement
//    workers reuse them, and no fork inherits them.
//
// Events (mp::events::emit, from the main process; every one carries
// "worker" (the slot, 0..processes-1, kept by a replacement), "worker_pid"
// and "worker_name"):
//   pool.worker_started                          a worker began
//   pool.worker_exited     exitcode, tasks       it left: maxtasksperchild reached, or close()
//   pool.worker_died       exitcode, signal, signal_name, lost_task
//                                                killed, or left in the middle of a task
//   pool.worker_terminated exitcode              ended by terminate()
//
// Threads: like Python's Pool, this one runs two threads in the main process:
// the pool thread (starts and watches the workers, feeds them tasks, reads
// results) and the callback thread (runs callback / error_callback, then
// wakes get()). Only the pool thread forks, and it prepares every pipe and
// mapping before it does. A Process started by another thread while a Pool
// is alive gets a copy of the Pool object but none of its threads and none
// of its pipe buffers (MADV_DONTFORK): the child must not use the Pool (its
// _exit() never runs the Pool's destructor). See core/FORK_SAFETY.md.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "mp/async_result.hpp"
#include "mp/detail/pool_protocol.hpp"
#include "mp/process.hpp"

namespace mp {

namespace detail {

class PoolEngine;

template <class F>
using TaskTraits = pool::FnTraits<decltype(+std::declval<F>())>;
template <class F>
using TaskResult = typename TaskTraits<F>::Result;  // what the function returns (void stays void)
template <class F>
using TaskArgs = typename TaskTraits<F>::Args;  // its parameters, as one tuple
template <class F>
using TaskItem = std::tuple_element_t<0, TaskArgs<F>>;  // the parameter of a one-parameter function
template <class F>
using TaskValue = pool::Stored<TaskResult<F>>;  // one result in a list (void: std::monostate)

}  // namespace detail

// A function a worker can run: a function pointer, or a lambda without
// captures. A lambda with captures is not one: what it captured lives in
// this process's memory only.
template <class F>
concept PoolTask = requires(F f) { typename detail::TaskTraits<F>::Pointer; };

template <class F>
concept PoolMapTask = PoolTask<F> && detail::TaskTraits<F>::arity == 1;

class Pool {
 public:
  // Starts `processes` workers (Python's processes=None is cpu_count()).
  // Each runs `initializer` first, if given; with maxtasksperchild > 0 a
  // worker leaves after that many tasks and a new one takes its place.
  // Throws ValueError when processes < 1 or maxtasksperchild < 0.
  explicit Pool(int processes = cpu_count(), std::function<void()> initializer = {}, int maxtasksperchild = 0);
  // Python's `with Pool() as pool:` ends in terminate(): so does leaving scope.
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Runs fn(args...) in a worker and waits for the result.
  template <PoolTask F, class... Args>
    requires std::is_constructible_v<detail::TaskArgs<F>, Args&&...>
  detail::TaskResult<F> apply(F fn, Args&&... args) {
    return apply_async(fn, std::forward<Args>(args)...).get();
  }

  // Queues fn(args...); the AsyncResult gives the result later.
  template <PoolTask F, class... Args>
    requires std::is_constructible_v<detail::TaskArgs<F>, Args&&...>
  AsyncResult<detail::TaskResult<F>> apply_async(F fn, Args&&... args) {
    return submit_call(fn, detail::TaskArgs<F>(std::forward<Args>(args)...), {}, {});
  }

  // Python's apply_async(func, args, callback, error_callback): the
  // arguments as one tuple (a single argument converts to one by itself,
  // none is {}), then callback and error_callback.
  template <PoolTask F>
  AsyncResult<detail::TaskResult<F>> apply_async(F fn, const detail::TaskArgs<F>& args,
                                                 ResultCallback<detail::TaskResult<F>> callback,
                                                 ErrorCallback error_callback = {}) {
    return submit_call(fn, args, std::move(callback), std::move(error_callback));
  }

  // fn applied to every item, results in input order. Items travel in
  // chunks of `chunksize`; 0 picks Python's default, len / (4 * processes)
  // rounded up. If a task fails, map throws the first failure (by input
  // order) once every chunk has run.
  template <PoolMapTask F>
  std::vector<detail::TaskValue<F>> map(F fn, const std::vector<detail::TaskItem<F>>& items, std::size_t chunksize = 0) {
    return map_async(fn, items, chunksize).take();
  }

  template <PoolMapTask F>
  AsyncResult<std::vector<detail::TaskValue<F>>> map_async(
      F fn, const std::vector<detail::TaskItem<F>>& items, std::size_t chunksize = 0,
      ResultCallback<std::vector<detail::TaskValue<F>>> callback = {}, ErrorCallback error_callback = {}) {
    using Traits = detail::TaskTraits<F>;
    return submit_map<detail::TaskValue<F>>(Traits::chunk_runner(), detail::pool::fn_bits<typename Traits::Pointer>(fn),
                                            items, chunksize, std::move(callback), std::move(error_callback));
  }

  // Python's starmap: each item is the tuple of one call's arguments.
  template <PoolTask F>
  std::vector<detail::TaskValue<F>> starmap(F fn, const std::vector<detail::TaskArgs<F>>& items, std::size_t chunksize = 0) {
    return starmap_async(fn, items, chunksize).take();
  }

  template <PoolTask F>
  AsyncResult<std::vector<detail::TaskValue<F>>> starmap_async(
      F fn, const std::vector<detail::TaskArgs<F>>& items, std::size_t chunksize = 0,
      ResultCallback<std::vector<detail::TaskValue<F>>> callback = {}, ErrorCallback error_callback = {}) {
    using Traits = detail::TaskTraits<F>;
    return submit_map<detail::TaskValue<F>>(Traits::star_chunk_runner(), detail::pool::fn_bits<typename Traits::Pointer>(fn),
                                            items, chunksize, std::move(callback), std::move(error_callback));
  }

  // Results one at a time in input order, each as soon as it and every one
  // before it are in. chunksize must be at least 1 (ValueError otherwise).
  template <PoolMapTask F>
  IMapIterator<detail::TaskResult<F>> imap(F fn, const std::vector<detail::TaskItem<F>>& items, std::size_t chunksize = 1) {
    return submit_imap<F>(fn, items, chunksize, detail::IMapState<detail::TaskValue<F>>::Order::Input);
  }

  // Results one at a time in the order they finish.
  template <PoolMapTask F>
  IMapIterator<detail::TaskResult<F>> imap_unordered(F fn, const std::vector<detail::TaskItem<F>>& items,
                                                     std::size_t chunksize = 1) {
    return submit_imap<F>(fn, items, chunksize, detail::IMapState<detail::TaskValue<F>>::Order::Completion);
  }

  // No new work; the workers leave once the queued work is done.
  void close();
  // Kills the workers now (SIGTERM, then SIGKILL after a short grace);
  // pending jobs fail with RemoteError. Returns when they are gone.
  void terminate();
  // Waits for the workers to leave. ValueError unless close() or
  // terminate() came first, as Python.
  void join();

  // Pids of the workers alive now, by worker slot.
  std::vector<pid_t> worker_pids() const;
  int processes() const noexcept { return processes_; }

 private:
  template <class F>
  AsyncResult<detail::TaskResult<F>> submit_call(F fn, const detail::TaskArgs<F>& args,
                                                 ResultCallback<detail::TaskResult<F>> callback, ErrorCallback error_callback) {
    using Traits = detail::TaskTraits<F>;
    using Value = detail::TaskValue<F>;
    std::function<void(const Value&)> on_result;
    if constexpr (std::is_void_v<detail::TaskResult<F>>) {
      if (callback) on_result = [callback = std::move(callback)](const Value&) { callback(); };
    } else {
      on_result = std::move(callback);
    }
    auto state = std::make_shared<detail::ApplyState<Value>>(1, std::move(on_result), std::move(error_callback));
    detail::pool::TaskMessage message(Traits::call_runner(), detail::pool::fn_bits<typename Traits::Pointer>(fn));
    Codec<detail::TaskArgs<F>>::encode(args, message.payload());
    submit(state, std::move(message).finish());
    return AsyncResult<detail::TaskResult<F>>(std::move(state));
  }

  template <class Value, class Item>
  AsyncResult<std::vector<Value>> submit_map(detail::pool::Runner runner, std::uintptr_t fn, const std::vector<Item>& items,
                                             std::size_t chunksize, ResultCallback<std::vector<Value>> callback,
                                             ErrorCallback error_callback) {
    if (chunksize == 0) chunksize = default_chunksize(items.size());
    auto messages = chunk_messages(runner, fn, items, chunksize);
    auto state = std::make_shared<detail::MapState<Value>>(messages.size(), items.size(), chunksize, std::move(callback),
                                                             std::move(error_callback));
    submit(state, std::move(messages));
    return AsyncResult<std::vector<Value>>(std::move(state));
  }

  template <class F>
  IMapIterator<detail::TaskResult<F>> submit_imap(F fn, const std::vector<detail::TaskItem<F>>& items, std::size_t chunksize,
                                                  typename detail::IMapState<detail::TaskValue<F>>::Order order) {
    using Traits = detail::TaskTraits<F>;
    check_imap_chunksize(chunksize);
    auto messages = chunk_messages(Traits::chunk_runner(), detail::pool::fn_bits<typename Traits::Pointer>(fn), items, chunksize);
    auto state = std::make_shared<detail::IMapState<detail::TaskValue<F>>>(messages.size(), order);
    submit(state, std::move(messages));
    return IMapIterator<detail::TaskResult<F>>(std::move(state));
  }

  template <class Item>
  static std::vector<std::string> chunk_messages(detail::pool::Runner runner, std::uintptr_t fn, const std::vector<Item>& items,
                                                 std::size_t chunksize) {
    std::vector<std::string> messages;
    messages.reserve((items.size() + chunksize - 1) / chunksize);
    for (std::size_t first = 0; first < items.size(); first += chunksize) {
      detail::pool::TaskMessage message(runner, fn);
      detail::pool::encode_items(items, first, std::min(chunksize, items.size() - first), message.payload());
      messages.push_back(std::move(message).finish());
    }
    return messages;
  }

  std::size_t default_chunksize(std::size_t items) const noexcept;
  static void check_imap_chunksize(std::size_t chunksize);
  // Queues the tasks of a job, one message per part in part order. Throws
  // ValueError("Pool not running") after close() or terminate().
  void submit(std::shared_ptr<detail::Job> job, std::string message);
  void submit(std::shared_ptr<detail::Job> job, std::vector<std::string> messages);

  int processes_;
  std::unique_ptr<detail::PoolEngine> engine_;
};

}  // namespace mp
