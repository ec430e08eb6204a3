// The codec (mp::decode) reading bytes from another process, for every type
// it provides. The first byte picks the type; the rest is the message. What
// must hold: decode either returns a value or throws mp::ValueError (nothing
// else, no crash, no undefined behaviour), and a value it returns makes the
// round trip: encode(decode(encode(v))) == encode(v).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "fuzz_target.hpp"
#include "mp/codec.hpp"
#include "mp/errors.hpp"

namespace {

// A trivially copyable struct, sent as raw bytes. Without padding: padding
// bytes are no part of a value (a copy need not keep them), so a struct with
// padding makes the round trip in its fields but not in its bytes.
struct Point {
  std::int32_t x;
  std::int32_t y;
  double z;
};

template <typename T>
void round_trip(std::string_view bytes) {
  T value;
  try {
    value = mp::decode<T>(bytes);
  } catch (const mp::ValueError&) {
    return;  // refused, as documented
  }
  // Compared as bytes: a NaN is not equal to itself, its bytes are.
  const std::string once = mp::encode(value);
  const std::string twice = mp::encode(mp::decode<T>(once));
  fuzz::must(once == twice, "encode(decode(encode(v))) == encode(v)");
}

using Decoder = void (*)(std::string_view);

// Every type codec.hpp provides, and the nestings the core sends (the
// Manager's Request and Reply, the Pool's tuples).
constexpr Decoder kTypes[] = {
    round_trip<int>,
    round_trip<std::int64_t>,
    round_trip<double>,
    round_trip<bool>,
    round_trip<char>,
    round_trip<Point>,
    round_trip<std::monostate>,
    round_trip<std::string>,
    round_trip<nlohmann::json>,
    round_trip<std::vector<int>>,
    round_trip<std::vector<double>>,
    round_trip<std::vector<bool>>,
    round_trip<std::vector<std::string>>,
    round_trip<std::vector<nlohmann::json>>,
    round_trip<std::vector<std::vector<int>>>,
    round_trip<std::pair<std::string, int>>,
    round_trip<std::pair<std::uint8_t, nlohmann::json>>,
    round_trip<std::tuple<int, std::string, double>>,
    round_trip<std::tuple<std::uint32_t, std::uint8_t, nlohmann::json>>,
    round_trip<std::tuple<>>,
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t type = data[0] % std::size(kTypes);
  kTypes[type](std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  return 0;
}
