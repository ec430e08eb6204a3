// What a Pool hands back for work it runs in the background: AsyncResult
// (Python's multiprocessing.pool.AsyncResult, also the result of map_async)
// and IMapIterator (what imap and imap_unordered return).
//
//   mp::AsyncResult<int> r = pool.apply_async(square, 7);
//   r.wait(0.5);          // true once the result is in
//   int v = r.get(1.0);   // 49; TimeoutError after 1 s; RemoteError if it failed
//
// A failure is always an mp::RemoteError whose what() says what went wrong in
// the worker: "std::runtime_error: boom" for an exception the task threw, or a
// sentence naming the worker (and its pid and signal) that died running it.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/detail/pool_protocol.hpp"
#include "mp/errors.hpp"

namespace mp {

class Pool;

// Python's callback: called with the result, in the main process, on the
// pool's callback thread, before get() returns. A task returning void gets a
// callback without an argument.
template <class R>
struct ResultCallbackFor {
  using type = std::function<void(const R&)>;
};
template <>
struct ResultCallbackFor<void> {
  using type = std::function<void()>;
};
template <class R>
using ResultCallback = typename ResultCallbackFor<R>::type;

// Python's error_callback: called instead of the callback when the job failed.
using ErrorCallback = std::function<void(const RemoteError&)>;

namespace detail {

// Throws TimeoutError("result not ready after <timeout> s").
[[noreturn]] void throw_result_timeout(Timeout timeout);

// Waits on `cv` until `ready()` holds or the timeout runs out; true if it holds.
template <class Pred>
bool wait_for_result(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, Timeout timeout, Pred ready) {
  if (!timeout) {
    cv.wait(lock, ready);
    return true;
  }
  const double seconds = clamp_timeout(*timeout);
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
  return cv.wait_until(lock, until, ready);
}

// One submitted call (an apply, a map, an imap) as the pool's threads see it.
// The pool thread delivers the outcome of each part (a map chunk, or the
// single call), then finish(); the callback thread runs the callbacks;
// publish() makes the outcome visible to get().
class Job {
 public:
  explicit Job(std::size_t parts) noexcept : parts_left(parts) {}
  virtual ~Job() = default;
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  // Pool thread: the encoded result of `part`. Throws if it does not decode.
  virtual void deliver(std::size_t part, std::string_view bytes) = 0;
  // Pool thread: `part` failed; `message` says why.
  virtual void fail(std::size_t part, std::string message) = 0;
  // Pool thread, once every part is in.
  virtual void finish() {}
  // True when run_callbacks() has something to call (on the callback thread).
  virtual bool has_callbacks() const noexcept { return false; }
  virtual void run_callbacks() {}
  // Wakes whoever waits for the outcome.
  virtual void publish() = 0;

  std::size_t parts_left;  // parts not delivered yet; pool thread only
};

// The outcome of an apply or a map: a value of type T, or an error.
template <class T>
class ResultState : public Job {
 public:
  ResultState(std::size_t parts, std::function<void(const T&)> callback, ErrorCallback error_callback)
      : Job(parts), callback_(std::move(callback)), error_callback_(std::move(error_callback)) {}

  bool wait(Timeout timeout) {
    std::unique_lock lock(mutex_);
    return wait_for_result(cv_, lock, timeout, [this] { return ready_; });
  }
  bool ready() const {
    std::lock_guard lock(mutex_);
    return ready_;
  }
  bool successful() const {
    std::lock_guard lock(mutex_);
    if (!ready_) throw ValueError("result is not ready");
    return !error_;
  }
  // After wait() returned true: the value, or the failure thrown.
  const T& value() const {
    if (error_) throw RemoteError(*error_);
    return *value_;
  }
  T take() {
    if (error_) throw RemoteError(*error_);
    return std::move(*value_);
  }

  bool has_callbacks() const noexcept override { return error_ ? bool(error_callback_) : bool(callback_); }
  void run_callbacks() override {
    if (error_) {
      if (error_callback_) error_callback_(RemoteError(*error_));
    } else if (callback_) {
      callback_(*value_);
    }
  }
  void publish() override {
    {
      std::lock_guard lock(mutex_);
      ready_ = true;
    }
    cv_.notify_all();
  }

 protected:
  // Written by the pool thread before publish(), read-only after.
  std::optional<T> value_;
  std::optional<std::string> error_;

 private:
  std::function<void(const T&)> callback_;
  ErrorCallback error_callback_;
  mutable std::mutex mutex_;  // guards ready_
  std::condition_variable cv_;
  bool ready_ = false;
};

// apply / apply_async: one call, one value.
template <class T>
class ApplyState final : public ResultState<T> {
 public:
  using ResultState<T>::ResultState;
  void deliver(std::size_t, std::string_view bytes) override { this->value_ = decode<T>(bytes); }
  void fail(std::size_t, std::string message) override { this->error_ = std::move(message); }
};

// map / map_async / starmap: chunks of items; the list in input order, or
// the failure of the first chunk (by input order) that failed.
template <class Item>
class MapState final : public ResultState<std::vector<Item>> {
 public:
  // `items` in all, cut into chunks of `chunksize` (the last may be shorter).
  MapState(std::size_t chunks, std::size_t items, std::size_t chunksize,
           std::function<void(const std::vector<Item>&)> callback, ErrorCallback error_callback)
      : ResultState<std::vector<Item>>(chunks, std::move(callback), std::move(error_callback)),
        items_(items),
        chunksize_(chunksize) {
    if constexpr (!pool::kBulkCopy<Item>) chunks_.resize(chunks);
  }

  void deliver(std::size_t part, std::string_view bytes) override {
    if constexpr (pool::kBulkCopy<Item>) {
      // Straight into the final list at the chunk's place: one copy, where
      // decoding each chunk and then joining them would make two.
      if (all_.size() != items_) all_.resize(items_);
      const std::size_t first = part * chunksize_;
      const std::size_t count = std::min(chunksize_, items_ - first);
      pool::decode_items_into(bytes, std::span<Item>(all_.data() + first, count));
    } else {
      chunks_[part] = pool::decode_items<Item>(bytes);
    }
  }
  void fail(std::size_t part, std::string message) override {
    if (part < first_failed_) {
      first_failed_ = part;
      first_error_ = std::move(message);
    }
  }
  void finish() override {
    if (first_failed_ != kNone) {
      this->error_ = std::move(first_error_);
    } else if constexpr (pool::kBulkCopy<Item>) {
      all_.resize(items_);  // already this size unless the map was empty
      this->value_ = std::move(all_);
    } else {
      std::vector<Item> all;
      all.reserve(items_);
      for (auto& chunk : chunks_) all.insert(all.end(), std::make_move_iterator(chunk.begin()), std::make_move_iterator(chunk.end()));
      this->value_ = std::move(all);
    }
    all_ = {};
    chunks_.clear();
  }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  const std::size_t items_;
  const std::size_t chunksize_;
  std::vector<Item> all_;                  // pool thread only: the list, for bulk-copied items
  std::vector<std::vector<Item>> chunks_;  // pool thread only: each chunk, for other items
  std::size_t first_failed_ = kNone;
  std::string first_error_;
};

// imap / imap_unordered: each chunk is handed to the reader as soon as it
// arrives (and, for imap, as soon as every chunk before it has).
template <class Item>
class IMapState final : public Job {
 public:
  enum class Order { Input, Completion };

  IMapState(std::size_t chunks, Order order) : Job(chunks), order_(order), total_(chunks) {
    if (order_ == Order::Input) by_part_.resize(chunks);
  }

  void deliver(std::size_t part, std::string_view bytes) override { put(part, Chunk{pool::decode_items<Item>(bytes), {}}); }
  void fail(std::size_t part, std::string message) override { put(part, Chunk{{}, std::move(message)}); }
  void publish() override {}  // chunks are published one by one in put()

  // The next item; nullopt once every item has been taken. A failed chunk
  // throws its RemoteError once, in its place; the items after it follow.
  std::optional<Item> next(Timeout timeout) {
    std::unique_lock lock(mutex_);
    std::optional<double> deadline;
    if (timeout) deadline = monotonic_seconds() + clamp_timeout(*timeout);
    for (;;) {
      if (current_ && position_ < current_->size()) return std::move((*current_)[position_++]);
      current_.reset();
      if (taken_ == total_) return std::nullopt;
      auto available = [this] {
        return order_ == Order::Input ? by_part_[next_part_].has_value() : !by_arrival_.empty();
      };
      Timeout left;
      if (deadline) left = std::max(0.0, *deadline - monotonic_seconds());
      if (!wait_for_result(cv_, lock, left, available)) throw_result_timeout(timeout);
      Chunk chunk;
      if (order_ == Order::Input) {
        chunk = std::move(*by_part_[next_part_]);
        by_part_[next_part_].reset();
        ++next_part_;
      } else {
        chunk = std::move(by_arrival_.front());
        by_arrival_.pop_front();
      }
      ++taken_;
      if (chunk.error) throw RemoteError(*chunk.error);
      current_ = std::move(chunk.items);
      position_ = 0;
    }
  }

 private:
  struct Chunk {
    std::vector<Item> items;
    std::optional<std::string> error;
  };

  void put(std::size_t part, Chunk chunk) {
    {
      std::lock_guard lock(mutex_);
      if (order_ == Order::Input) {
        by_part_[part] = std::move(chunk);
      } else {
        by_arrival_.push_back(std::move(chunk));
      }
    }
    cv_.notify_all();
  }

  const Order order_;
  const std::size_t total_;  // chunks
  std::mutex mutex_;         // guards everything below
  std::condition_variable cv_;
  std::vector<std::optional<Chunk>> by_part_;  // Order::Input: chunks that came, by part
  std::deque<Chunk> by_arrival_;               // Order::Completion: chunks in arrival order
  std::size_t next_part_ = 0;                  // Order::Input: the part the reader waits for
  std::size_t taken_ = 0;                      // chunks handed to the reader
  std::optional<std::vector<Item>> current_;   // the chunk being read
  std::size_t position_ = 0;                   // next item in current_
};

}  // namespace detail

// Python's AsyncResult. Copies share one result.
template <class R>
class AsyncResult {
  using Value = detail::pool::Stored<R>;

 public:
  // The result, once it is in. Throws RemoteError if the task failed and
  // TimeoutError if `timeout` seconds pass first (nullopt: wait forever).
  R get(Timeout timeout = std::nullopt) const {
    if (!state_->wait(timeout)) detail::throw_result_timeout(timeout);
    if constexpr (std::is_void_v<R>) {
      state_->value();
    } else {
      return state_->value();
    }
  }
  // Waits until the result is in or the timeout runs out. Python's wait()
  // returns None; this one also says whether the result is in.
  bool wait(Timeout timeout = std::nullopt) const { return state_->wait(timeout); }
  bool ready() const { return state_->ready(); }
  // Whether the job succeeded; ValueError while it is not ready, as Python.
  bool successful() const { return state_->successful(); }

 private:
  friend class Pool;
  explicit AsyncResult(std::shared_ptr<detail::ResultState<Value>> state) : state_(std::move(state)) {}
  // For Pool::map, which holds the only copy: moves the value out.
  Value take() {
    state_->wait(std::nullopt);
    return state_->take();
  }

  std::shared_ptr<detail::ResultState<Value>> state_;
};

// What imap and imap_unordered return: results one at a time, as they come.
//
//   for (int v : pool.imap(square, xs)) ...            // range-for
//   auto it = pool.imap(square, xs);
//   while (auto v = it.next(1.0)) ...                  // Python's next(timeout)
template <class R>
class IMapIterator {
 public:
  using Item = detail::pool::Stored<R>;

  // The next result; nullopt once all have been taken (Python raises
  // StopIteration). Throws TimeoutError when `timeout` runs out first and
  // RemoteError for a task that failed (iteration may go on after it).
  std::optional<Item> next(Timeout timeout = std::nullopt) { return state_->next(timeout); }

  class iterator {
   public:
    using value_type = Item;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    Item& operator*() { return *current_; }
    iterator& operator++() {
      current_ = owner_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const noexcept { return !current_; }

   private:
    friend class IMapIterator;
    explicit iterator(IMapIterator* owner) : owner_(owner) { ++*this; }
    IMapIterator* owner_ = nullptr;
    std::optional<Item> current_;
  };

  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  friend class Pool;
  explicit IMapIterator(std::shared_ptr<detail::IMapState<Item>> state) : state_(std::move(state)) {}

  std::shared_ptr<detail::IMapState<Item>> state_;
};

}  // namespace mp
