// mp::encode / mp::decode round trips and refusals.
#include <catch2/catch.hpp>

#include "mp/codec.hpp"
#include "support/hostile_input.hpp"

namespace {
struct Point {
  int x;
  double y;
};
}  // namespace

TEST_CASE("codec round-trips the provided types", "[core][codec]") {
  CHECK(mp::decode<int>(mp::encode(42)) == 42);
  CHECK(mp::decode<double>(mp::encode(2.5)) == 2.5);
  auto p = mp::decode<Point>(mp::encode(Point{3, 4.5}));
  CHECK(p.x == 3);
  CHECK(p.y == 4.5);
  CHECK(mp::decode<std::string>(mp::encode(std::string())) == "");
  std::string big(1 << 20, 'x');
  CHECK(mp::decode<std::string>(mp::encode(big)) == big);
  nlohmann::json j = {{"count", 1}, {"names", {"a", "b"}}};
  CHECK(mp::decode<nlohmann::json>(mp::encode(j)) == j);
  std::vector<int> v{1, 2, 3};
  CHECK(mp::decode<std::vector<int>>(mp::encode(v)) == v);
  std::vector<std::string> vs{"a", "", "ccc"};
  CHECK(mp::decode<std::vector<std::string>>(mp::encode(vs)) == vs);
  auto t = std::make_tuple(1, std::string("two"), 3.0);
  CHECK(mp::decode<decltype(t)>(mp::encode(t)) == t);
  auto pr = std::make_pair(std::string("k"), 7);
  CHECK(mp::decode<decltype(pr)>(mp::encode(pr)) == pr);
}

TEST_CASE("codec refuses bytes that cannot be the type", "[core][codec]") {
  CHECK_THROWS_AS(mp::decode<int>(std::string("ab")), mp::ValueError);
  CHECK_THROWS_AS(mp::decode<int>(std::string("abcdefgh")), mp::ValueError);
  std::string s = mp::encode(std::string("hello"));
  s.pop_back();
  CHECK_THROWS_AS(mp::decode<std::string>(s), mp::ValueError);
  CHECK_THROWS_AS(mp::decode<std::vector<int>>(mp::encode(std::uint64_t(1) << 40)), mp::ValueError);
}

namespace {
// test::nested_msgpack behind the codec's 8-byte size: a whole message.
std::string nested_msgpack_message(std::size_t depth) {
  std::string message;
  mp::detail::put_size(message, depth + 1);
  return message + test::nested_msgpack(depth);
}
}  // namespace

TEST_CASE("codec refuses a bool byte other than 0 or 1", "[core][codec]") {
  CHECK(mp::decode<bool>(mp::encode(true)) == true);
  CHECK(mp::decode<bool>(mp::encode(false)) == false);
  CHECK(mp::encode(true) == std::string(1, '\1'));
  CHECK_THROWS_WITH(mp::decode<bool>(std::string(1, '\2')), Catch::Contains("not a bool"));
  std::string v = mp::encode(std::vector<bool>{true, false, true});
  CHECK(mp::decode<std::vector<bool>>(v) == std::vector<bool>{true, false, true});
  v.back() = '\xff';
  CHECK_THROWS_AS(mp::decode<std::vector<bool>>(v), mp::ValueError);
}

TEST_CASE("codec round-trips empty vectors", "[core][codec]") {
  // Empty vectors have no storage: copying 0 bytes from or to their
  // nullptr data() is undefined behaviour (UBSan: nonnull-attribute).
  CHECK(mp::decode<std::vector<int>>(mp::encode(std::vector<int>{})).empty());
  CHECK(mp::decode<std::vector<double>>(mp::encode(std::vector<double>{})).empty());
  CHECK(mp::decode<std::vector<std::string>>(mp::encode(std::vector<std::string>{})).empty());
}

TEST_CASE("codec refuses JSON nested deeper than its limit without recursing into it", "[core][codec]") {
  // 20,000 levels overflowed the stack of nlohmann's from_msgpack.
  CHECK_THROWS_WITH(mp::decode<nlohmann::json>(nested_msgpack_message(20000)), Catch::Contains("deeper than 1000"));
  CHECK_THROWS_AS(mp::decode<nlohmann::json>(nested_msgpack_message(1'000'000)), mp::ValueError);
  CHECK_THROWS_AS(mp::decode<nlohmann::json>(nested_msgpack_message(mp::kMaxJsonDepth + 1)), mp::ValueError);
  CHECK(mp::decode<nlohmann::json>(nested_msgpack_message(mp::kMaxJsonDepth)) == test::nested_json_array(mp::kMaxJsonDepth));
  // The sender refuses what the receiver would, and says so.
  CHECK(mp::decode<nlohmann::json>(mp::encode(test::nested_json_array(mp::kMaxJsonDepth))) == test::nested_json_array(mp::kMaxJsonDepth));
  CHECK_THROWS_WITH(mp::encode(test::nested_json_array(mp::kMaxJsonDepth + 1)), Catch::Contains("deeper than 1000"));
}

TEST_CASE("codec turns every JSON reader failure into ValueError", "[core][codec]") {
  for (const std::string& packed : {std::string("\xc1"), std::string("\x92\x01"), std::string("\xdd\xff\xff\xff\xff"),
                                   std::string("\xdb\x00\x00\x00\x09" "abc"), std::string()}) {
    std::string message;
    mp::detail::put_size(message, packed.size());
    CHECK_THROWS_AS(mp::decode<nlohmann::json>(message + packed), mp::ValueError);
  }
}
