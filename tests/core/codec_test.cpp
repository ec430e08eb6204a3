// mp::encode / mp::decode round trips and refusals.
#include <catch2/catch.hpp>

#include "mp/codec.hpp"

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
