// How values become bytes on a Pipe, a Queue, a Pool or a Manager: the C++
// counterpart of pickle, without its generality and without its cost.
//
//   std::string bytes = mp::encode(value);   T back = mp::decode<T>(bytes);
//
// Provided: trivially copyable types (raw bytes: ints, doubles, PODs),
// std::string, nlohmann::json, std::vector of any encodable type,
// std::pair and std::tuple of encodable types, and std::monostate (an empty
// message). Specialise mp::Codec<T> for your own types. decode() throws
// ValueError when the bytes cannot be a T (a wrong size, a cut message, a
// bool byte other than 0 or 1, JSON nested deeper than kMaxJsonDepth); no
// exception of nlohmann/json's own leaves encode() or decode().
//
// Bytes come from other processes, so decode() trusts nothing in them: every
// length is checked against the bytes that are really there before anything
// is allocated, and JSON is read without unbounded recursion. A struct sent
// as raw bytes is the exception: its fields are copied as they are, so a
// struct with a bool or an enum field is only as sound as its sender.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "mp/errors.hpp"

namespace mp {

template <typename T, typename Enable = void>
struct Codec;  // encode(const T&, std::string& out) appends; decode(std::string_view&) consumes

// The deepest nesting of arrays and objects a JSON value may have to be
// encoded or decoded: 1000, the depth at which Python's json and pickle stop
// too (sys.getrecursionlimit()). Reading and copying a JSON value recurses
// once per level; a message 20,000 levels deep (40 KB of MessagePack) ran a
// reader out of stack before this limit, 1000 levels stay far inside even a
// thread's stack.
inline constexpr std::size_t kMaxJsonDepth = 1000;

namespace detail {

// Sizes inside a message: 64-bit so a 16 MiB string is no special case.
inline void put_size(std::string& out, std::uint64_t n) { out.append(reinterpret_cast<const char*>(&n), sizeof n); }
inline std::uint64_t take_size(std::string_view& in) {
  std::uint64_t n;
  if (in.size() < sizeof n) throw ValueError("decode: message cut short (expected a length)");
  std::memcpy(&n, in.data(), sizeof n);
  in.remove_prefix(sizeof n);
  return n;
}
inline std::string_view take_bytes(std::string_view& in, std::uint64_t n) {
  if (in.size() < n) throw ValueError("decode: message cut short (expected " + std::to_string(n) + " bytes)");
  std::string_view part = in.substr(0, n);
  in.remove_prefix(n);
  return part;
}

// True when `value` nests arrays and objects deeper than `max_depth` (a
// scalar has depth 0). Iterative, so a value built deeper than the stack
// allows is still measured rather than crashing the measurer.
inline bool json_deeper_than(const nlohmann::json& value, std::size_t max_depth) {
  struct Level {
    const nlohmann::json* node;
    std::size_t depth;
  };
  std::vector<Level> todo{{&value, 0}};
  while (!todo.empty()) {
    Level at = todo.back();
    todo.pop_back();
    if (!at.node->is_structured()) continue;
    if (at.depth + 1 > max_depth) return true;
    for (const auto& child : *at.node) todo.push_back({&child, at.depth + 1});
  }
  return false;
}

// nlohmann's MessagePack reader with a depth limit: its own from_msgpack
// recurses once per level without bound. A SAX handler that counts levels
// and hands every event to nlohmann's DOM builder.
class DepthLimitedMsgpack {
 public:
  using json = nlohmann::json;
  DepthLimitedMsgpack(json& result, std::size_t max_depth) : dom_(result, true), max_depth_(max_depth) {}

  bool too_deep() const noexcept { return too_deep_; }

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) { return dom_.number_float(v, s); }
  bool string(json::string_t& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool key(json::string_t& v) { return dom_.key(v); }
  bool start_object(std::size_t n) { return enter() && dom_.start_object(n); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return enter() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t pos, const std::string& token, const Exception& e) {
    return dom_.parse_error(pos, token, e);  // throws e: caught and turned into ValueError
  }

 private:
  bool enter() {
    if (++depth_ <= max_depth_) return true;
    too_deep_ = true;
    return false;  // stops the reader at once
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::size_t depth_ = 0;
  std::size_t max_depth_;
  bool too_deep_ = false;
};

inline std::string too_deep_message(const char* what) {
  return std::string(what) + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
}

}  // namespace detail

// Raw bytes for trivially copyable types. Both ends run the same binary on
// the same machine (fork), so layout and byte order agree.
template <typename T>
struct Codec<T, std::enable_if_t<std::is_trivially_copyable_v<T> && !std::is_empty_v<T>>> {
  static void encode(const T& v, std::string& out) { out.append(reinterpret_cast<const char*>(&v), sizeof(T)); }
  static T decode(std::string_view& in) {
    T v;
    std::memcpy(static_cast<void*>(&v), detail::take_bytes(in, sizeof(T)).data(), sizeof(T));
    return v;
  }
};

// A bool is one byte, 0 or 1; any other byte is not a bool (and loading it
// as one would be undefined behaviour).
template <>
struct Codec<bool> {
  static void encode(bool v, std::string& out) { out.push_back(v ? '\1' : '\0'); }
  static bool decode(std::string_view& in) {
    const char byte = detail::take_bytes(in, 1)[0];
    if (byte != 0 && byte != 1)
      throw ValueError("decode: byte " + std::to_string(static_cast<unsigned char>(byte)) + " is not a bool (0 or 1)");
    return byte == 1;
  }
};

template <>
struct Codec<std::monostate> {
  static void encode(const std::monostate&, std::string&) {}
  static std::monostate decode(std::string_view&) { return {}; }
};

template <>
struct Codec<std::string> {
  static void encode(const std::string& v, std::string& out) {
    detail::put_size(out, v.size());
    out.append(v);
  }
  static std::string decode(std::string_view& in) {
    auto n = detail::take_size(in);
    return std::string(detail::take_bytes(in, n));
  }
};

// JSON travels as MessagePack: compact and faster to parse than text. At
// most kMaxJsonDepth levels either way: the receiver would refuse more.
template <>
struct Codec<nlohmann::json> {
  static void encode(const nlohmann::json& v, std::string& out) {
    if (detail::json_deeper_than(v, kMaxJsonDepth)) throw ValueError(detail::too_deep_message("encode"));
    std::vector<std::uint8_t> packed;
    try {
      packed = nlohmann::json::to_msgpack(v);
    } catch (const nlohmann::json::exception& e) {
      throw ValueError(std::string("encode: not a MessagePack value: ") + e.what());
    }
    detail::put_size(out, packed.size());
    if (!packed.empty()) out.append(reinterpret_cast<const char*>(packed.data()), packed.size());
  }
  static nlohmann::json decode(std::string_view& in) {
    auto n = detail::take_size(in);
    auto bytes = detail::take_bytes(in, n);
    nlohmann::json value;
    detail::DepthLimitedMsgpack reader(value, kMaxJsonDepth);
    bool whole;
    try {
      whole = nlohmann::json::sax_parse(bytes.begin(), bytes.end(), &reader, nlohmann::json::input_format_t::msgpack);
    } catch (const nlohmann::json::exception& e) {
      throw ValueError(std::string("decode: not a JSON value: ") + e.what());
    }
    if (reader.too_deep()) throw ValueError(detail::too_deep_message("decode"));
    if (!whole) throw ValueError("decode: not a JSON value");
    return value;
  }
};

template <typename T>
struct Codec<std::vector<T>> {
  static void encode(const std::vector<T>& v, std::string& out) {
    detail::put_size(out, v.size());
    if constexpr (std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool>) {
      // An empty vector's data() may be nullptr: nothing to copy from it.
      if (!v.empty()) out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
    } else {
      for (const auto& item : v) Codec<T>::encode(item, out);
    }
  }
  static std::vector<T> decode(std::string_view& in) {
    auto n = detail::take_size(in);
    std::vector<T> v;
    if constexpr (std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool>) {
      if (n > in.size() / (sizeof(T) ? sizeof(T) : 1)) throw ValueError("decode: vector longer than its message");
      auto bytes = detail::take_bytes(in, n * sizeof(T));
      if (n == 0) return v;  // memcpy from or to nullptr is undefined, even for 0 bytes
      v.resize(n);
      std::memcpy(static_cast<void*>(v.data()), bytes.data(), bytes.size());
    } else {
      if (n > in.size() + 1) throw ValueError("decode: vector longer than its message");
      v.reserve(n);
      for (std::uint64_t i = 0; i < n; ++i) v.push_back(Codec<T>::decode(in));
    }
    return v;
  }
};

template <typename... Ts>
struct Codec<std::tuple<Ts...>, std::enable_if_t<!std::is_trivially_copyable_v<std::tuple<Ts...>> || sizeof...(Ts) == 0>> {
  static void encode(const std::tuple<Ts...>& v, std::string& out) {
    std::apply([&out](const auto&... item) { (Codec<std::decay_t<decltype(item)>>::encode(item, out), ...); }, v);
  }
  static std::tuple<Ts...> decode(std::string_view& in) {
    // Braced init evaluates left to right, so fields come off in order.
    return std::tuple<Ts...>{Codec<Ts>::decode(in)...};
  }
};

template <typename A, typename B>
struct Codec<std::pair<A, B>, std::enable_if_t<!std::is_trivially_copyable_v<std::pair<A, B>>>> {
  static void encode(const std::pair<A, B>& v, std::string& out) {
    Codec<A>::encode(v.first, out);
    Codec<B>::encode(v.second, out);
  }
  static std::pair<A, B> decode(std::string_view& in) {
    A a = Codec<A>::decode(in);
    B b = Codec<B>::decode(in);
    return {std::move(a), std::move(b)};
  }
};

// The whole message for one value.
template <typename T>
std::string encode(const T& value) {
  std::string out;
  Codec<T>::encode(value, out);
  return out;
}

// The value of a whole message; throws ValueError on bytes left over or
// missing.
template <typename T>
T decode(std::string_view bytes) {
  T value = Codec<T>::decode(bytes);
  if (!bytes.empty()) throw ValueError("decode: " + std::to_string(bytes.size()) + " unexpected bytes after the value");
  return value;
}

}  // namespace mp
