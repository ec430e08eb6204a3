// How values become bytes on a Pipe, a Queue, a Pool or a Manager: the C++
// counterpart of pickle, without its generality and without its cost.
//
//   std::string bytes = mp::encode(value);   T back = mp::decode<T>(bytes);
//
// Provided: trivially copyable types (raw bytes: ints, doubles, PODs),
// std::string, nlohmann::json, std::vector of any encodable type,
// std::pair and std::tuple of encodable types, and std::monostate (an empty
// message). Specialise mp::Codec<T> for your own types. decode() throws
// ValueError when the bytes cannot be a T (a wrong size, a cut message).
#pragma once

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

// JSON travels as MessagePack: compact and faster to parse than text.
template <>
struct Codec<nlohmann::json> {
  static void encode(const nlohmann::json& v, std::string& out) {
    std::vector<std::uint8_t> packed = nlohmann::json::to_msgpack(v);
    detail::put_size(out, packed.size());
    out.append(reinterpret_cast<const char*>(packed.data()), packed.size());
  }
  static nlohmann::json decode(std::string_view& in) {
    auto n = detail::take_size(in);
    auto bytes = detail::take_bytes(in, n);
    try {
      return nlohmann::json::from_msgpack(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
      throw ValueError(std::string("decode: not a JSON value: ") + e.what());
    }
  }
};

template <typename T>
struct Codec<std::vector<T>> {
  static void encode(const std::vector<T>& v, std::string& out) {
    detail::put_size(out, v.size());
    if constexpr (std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool>) {
      out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
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
