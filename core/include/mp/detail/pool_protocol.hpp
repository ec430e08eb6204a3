// What travels between a Pool and its workers, and the code that runs a task
// inside a worker. Internal to mp::Pool; students read pool.hpp instead.
//
// A task is a plain function of this binary. After fork() every function has
// the same address in every process, so a task message carries two function
// pointers: the user's function and a "runner", an instantiation of one of the
// templates below that knows the function's real type. The worker casts the
// runner back and calls it with the encoded arguments; the runner decodes
// them, calls the function and appends the encoded result.
//
//   parent -> worker: TaskHeader, then payload_bytes of encoded arguments
//   worker -> parent: ResultHeader, then payload_bytes of encoded result
//                     (ok = 1) or of error text (ok = 0)
//
// Many messages go in one write(2): that batching, not the encoding, is what
// makes tiny tasks cheap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "mp/codec.hpp"
#include "mp/errors.hpp"

namespace mp::detail::pool {

struct TaskHeader {
  std::uint64_t id;             // 0: no task, the worker stops
  std::uint64_t runner;         // a Runner
  std::uint64_t fn;             // the user's function, cast back by the runner
  std::uint64_t payload_bytes;  // encoded arguments that follow
};

struct ResultHeader {
  std::uint64_t id;             // the task's id; 0: the initializer failed
  std::uint32_t ok;             // 1: payload is the encoded result; 0: error text
  std::uint32_t run_ns;         // how long the task ran (saturates at about 4 s)
  std::uint64_t payload_bytes;
};

// Runs one task in a worker: decodes `payload`, calls the function at `fn`,
// appends the encoded result to `out`. Throws whatever the function throws.
using Runner = void (*)(std::uintptr_t fn, std::string_view payload, std::string& out);

// The value a job keeps for a function returning R: void becomes an empty
// std::monostate, as Python's functions return None.
template <class R>
using Stored = std::conditional_t<std::is_void_v<R>, std::monostate, std::remove_cvref_t<R>>;

// Items of map/imap travel as a count then each item's encoding. Trivially
// copyable items (not bool: std::vector<bool> packs bits) go as one memcpy.
template <class T>
constexpr bool kBulkCopy = std::is_trivially_copyable_v<T> && !std::is_empty_v<T> && !std::is_same_v<T, bool>;

// Items [first, first + count) of `items`.
template <class T>
void encode_items(const std::vector<T>& items, std::size_t first, std::size_t count, std::string& out) {
  put_size(out, count);
  if constexpr (kBulkCopy<T>) {
    out.append(reinterpret_cast<const char*>(items.data() + first), count * sizeof(T));
  } else {
    for (std::size_t i = first; i < first + count; ++i) Codec<T>::encode(items[i], out);
  }
}

template <class T>
std::vector<T> decode_items(std::string_view bytes) {
  const std::uint64_t count = take_size(bytes);
  std::vector<T> items;
  if constexpr (kBulkCopy<T>) {
    if (bytes.size() != count * sizeof(T)) throw ValueError("decode: item list of the wrong length");
    items.resize(count);
    std::memcpy(static_cast<void*>(items.data()), bytes.data(), bytes.size());
  } else {
    if (count > bytes.size() + 1 && !std::is_empty_v<T>) throw ValueError("decode: item list longer than its message");
    items.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) items.push_back(Codec<T>::decode(bytes));
    if (!bytes.empty()) throw ValueError("decode: unexpected bytes after the item list");
  }
  return items;
}

// A bulk-copied item list into `out`, which must be exactly its length.
template <class T>
  requires kBulkCopy<T>
void decode_items_into(std::string_view bytes, std::span<T> out) {
  const std::uint64_t count = take_size(bytes);
  if (count != out.size() || bytes.size() != count * sizeof(T)) throw ValueError("decode: item list of the wrong length");
  std::memcpy(static_cast<void*>(out.data()), bytes.data(), bytes.size());
}

// Calls f with the decoded arguments, each passed as its parameter asks
// (by value, by reference, or moved for P&&).
template <class R, class... P, std::size_t... I>
decltype(auto) call_with(R (*f)(P...), std::tuple<std::remove_cvref_t<P>...>& args, std::index_sequence<I...>) {
  return f(std::forward<P>(std::get<I>(args))...);
}

template <class R, class... P>
void call_and_encode(R (*f)(P...), std::tuple<std::remove_cvref_t<P>...>& args, std::string& out) {
  if constexpr (std::is_void_v<R>) {
    call_with(f, args, std::index_sequence_for<P...>{});
  } else {
    Codec<Stored<R>>::encode(call_with(f, args, std::index_sequence_for<P...>{}), out);
  }
}

// apply / apply_async: the payload is the tuple of all arguments.
template <class R, class... P>
void run_call(std::uintptr_t fn, std::string_view payload, std::string& out) {
  auto f = reinterpret_cast<R (*)(P...)>(fn);
  auto args = decode<std::tuple<std::remove_cvref_t<P>...>>(payload);
  call_and_encode(f, args, out);
}

// map / imap: the payload is a chunk of single arguments; the result is the
// chunk of results, in the same item format.
template <class R, class P>
void run_chunk(std::uintptr_t fn, std::string_view payload, std::string& out) {
  using Item = std::remove_cvref_t<P>;
  auto f = reinterpret_cast<R (*)(P)>(fn);
  const std::uint64_t count = take_size(payload);
  put_size(out, count);
  if constexpr (kBulkCopy<Stored<R>>) out.reserve(out.size() + count * sizeof(Stored<R>));
  for (std::uint64_t i = 0; i < count; ++i) {
    std::tuple<Item> args{Codec<Item>::decode(payload)};
    call_and_encode(f, args, out);
  }
  if (!payload.empty()) throw ValueError("decode: unexpected bytes after the task's arguments");
}

// starmap: the payload is a chunk of argument tuples.
template <class R, class... P>
void run_star_chunk(std::uintptr_t fn, std::string_view payload, std::string& out) {
  using Args = std::tuple<std::remove_cvref_t<P>...>;
  auto f = reinterpret_cast<R (*)(P...)>(fn);
  const std::uint64_t count = take_size(payload);
  put_size(out, count);
  for (std::uint64_t i = 0; i < count; ++i) {
    Args args = Codec<Args>::decode(payload);
    call_and_encode(f, args, out);
  }
  if (!payload.empty()) throw ValueError("decode: unexpected bytes after the task's arguments");
}

// Task function types and runners, from a function pointer.
template <class Fn>
struct FnTraits;
template <class R, class... P>
struct FnTraits<R (*)(P...)> {
  using Pointer = R (*)(P...);
  using Result = std::conditional_t<std::is_void_v<R>, void, std::remove_cvref_t<R>>;
  using Args = std::tuple<std::remove_cvref_t<P>...>;
  static constexpr std::size_t arity = sizeof...(P);

  static Runner call_runner() noexcept { return &run_call<R, P...>; }
  static Runner star_chunk_runner() noexcept { return &run_star_chunk<R, P...>; }
  static Runner chunk_runner() noexcept
    requires(sizeof...(P) == 1)
  {
    return &run_chunk<R, std::tuple_element_t<0, std::tuple<P...>>>;
  }
};
template <class R, class... P>
struct FnTraits<R (*)(P...) noexcept> : FnTraits<R (*)(P...)> {};

// Builds one task message; the pool fills in the id when it queues it.
class TaskMessage {
 public:
  TaskMessage(Runner runner, std::uintptr_t fn) {
    TaskHeader header{0, reinterpret_cast<std::uintptr_t>(runner), fn, 0};
    bytes_.append(reinterpret_cast<const char*>(&header), sizeof header);
  }
  // Encoders append the arguments here.
  std::string& payload() noexcept { return bytes_; }
  std::string finish() && {
    const std::uint64_t payload_bytes = bytes_.size() - sizeof(TaskHeader);
    std::memcpy(bytes_.data() + offsetof(TaskHeader, payload_bytes), &payload_bytes, sizeof payload_bytes);
    return std::move(bytes_);
  }

 private:
  std::string bytes_;
};

inline void set_task_id(std::string& message, std::uint64_t id) {
  std::memcpy(message.data() + offsetof(TaskHeader, id), &id, sizeof id);
}

// A function pointer as the number a task message carries.
template <class Fn>
std::uintptr_t fn_bits(Fn f) {
  return reinterpret_cast<std::uintptr_t>(f);
}

}  // namespace mp::detail::pool
