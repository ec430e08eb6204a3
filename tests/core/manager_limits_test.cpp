// A Manager's server against clients that send what no proxy sends: JSON
// nested 100,000 deep (row 1 of issue 16: the server died of a stack
// overflow and every proxy lost it), bytes that are not a request, and
// length headers far over the request limit. Each such client is
// disconnected; the server and every other client go on.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "mp/codec.hpp"
#include "mp/connection.hpp"
#include "mp/errors.hpp"
#include "mp/manager.hpp"
#include "mp/unique_fd.hpp"
#include "support/hostile_input.hpp"

using nlohmann::json;

namespace {

// A client of our own on the manager's abstract socket, not a proxy, let in
// as a proxy is: its first message is the manager's authkey.
mp::UniqueFd connect_to(const mp::Manager& manager) {
  mp::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.valid());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string& name = manager.address();
  name.copy(addr.sun_path + 1, name.size());
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  REQUIRE(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), length) == 0);
  const auto key_len = static_cast<std::uint32_t>(manager.authkey().size());
  mp::write_all(fd.get(), &key_len, 4);
  mp::write_all(fd.get(), manager.authkey().data(), key_len);
  char welcome[12];
  REQUIRE(mp::read_exact(fd.get(), welcome, sizeof welcome));
  REQUIRE(std::string(welcome + 4, 8) == "#WELCOME");
  return fd;
}

mp::Connection raw_client(const mp::Manager& manager) {
  return mp::Connection(connect_to(manager), true, true, mp::Connection::Kind::Socket);
}

// A request (object id, op, args) whose args are `depth` MessagePack arrays
// around a nil: 100,000 levels are 100 KB.
std::string deep_request(std::uint32_t object, std::uint8_t op, std::size_t depth) {
  const std::string packed = "\x92\xa1k" + test::nested_msgpack(depth);  // [ "k", <value> ]
  std::string request(reinterpret_cast<const char*>(&object), 4);
  request.push_back(static_cast<char>(op));
  mp::detail::put_size(request, packed.size());
  return request + packed;
}

// True when the server closes `conn` (EOF) within 30 s, after at most one
// reply, which is returned in `reply`.
bool disconnected(mp::Connection& conn, std::string& reply) {
  try {
    if (!conn.poll(30.0)) return false;
    reply = conn.recv_bytes();
    if (!conn.poll(30.0)) return false;
    conn.recv_bytes();
  } catch (const mp::EOFError&) {
    return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a request nested 100000 deep disconnects its client and the server goes on", "[core][manager][limits]") {
  mp::Manager manager;
  mp::DictProxy d = manager.dict({{"a", 1}});
  const std::uint8_t dict_set = 4;  // Op::DictSet
  REQUIRE(d.id() == 1);
  mp::Connection hostile = raw_client(manager);
  hostile.send_bytes(deep_request(d.id(), dict_set, 100000));
  std::string reply;
  CHECK(disconnected(hostile, reply));
  CHECK_THAT(reply, Catch::Contains("deeper than 1000"));
  // Before: the server had died, and this threw RemoteError.
  CHECK(d.get("a") == 1);
  CHECK(manager.exitcode() == std::nullopt);
}

TEST_CASE("a proxy refuses a value nested deeper than the limit before sending it", "[core][manager][limits]") {
  mp::Manager manager;
  mp::DictProxy d = manager.dict();
  mp::ListProxy l = manager.list();
  CHECK_THROWS_WITH(d.set("k", test::nested_json_array(100000)), Catch::Contains("deeper than 1000"));
  CHECK_THROWS_AS(l.append(test::nested_json_array(mp::kMaxJsonDepth + 1)), mp::ValueError);
  d.set("k", test::nested_json_array(100));
  CHECK(d.get("k") == test::nested_json_array(100));
  // Stored just under the limit, a value can come back inside the pairs of
  // items() two levels deeper, one too many: an error reply, and the server
  // goes on.
  d.set("deep", test::nested_json_array(mp::kMaxJsonDepth - 1));
  CHECK_THROWS_WITH(d.items(), Catch::Contains("deeper than 1000"));
  CHECK(d.get("deep") == test::nested_json_array(mp::kMaxJsonDepth - 1));
}

TEST_CASE("a client sending bytes that are not a request is told and disconnected", "[core][manager][limits]") {
  mp::Manager manager;
  mp::ListProxy l = manager.list({1, 2});
  mp::Connection hostile = raw_client(manager);
  hostile.send_bytes("this is not a request");
  std::string reply;
  CHECK(disconnected(hostile, reply));
  auto [status, message] = mp::decode<std::pair<std::uint8_t, json>>(reply);
  CHECK(status != 0);
  CHECK_THAT(message.get<std::string>(), Catch::Contains("bad request"));
  CHECK(l.size() == 2);
}

TEST_CASE("a client announcing a request over the limit is disconnected before the server allocates", "[core][manager][limits]") {
  mp::Manager manager;
  mp::DictProxy d = manager.dict({{"a", 1}});
  // Three clients each promise 1 GiB (before: 1 GiB allocated per client)
  // and keep their sockets open.
  mp::UniqueFd hostile[3] = {connect_to(manager), connect_to(manager), connect_to(manager)};
  for (auto& fd : hostile) {
    const std::uint32_t len = 0x40000000u;
    mp::write_all(fd.get(), &len, 4);
  }
  for (auto& fd : hostile) {
    pollfd p{fd.get(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 30000) == 1);
    char byte;
    CHECK(::read(fd.get(), &byte, 1) == 0);  // EOF: the server closed it
  }
  CHECK(d.get("a") == 1);
}

TEST_CASE("a proxy refuses a request over the limit", "[core][manager][limits]") {
  mp::Manager manager;
  mp::DictProxy d = manager.dict();
  CHECK_THROWS_WITH(d.set("big", std::string(65 << 20, 'x')), Catch::Contains("over the limit of 67108864 bytes"));
  d.set("small", std::string(1 << 20, 'y'));
  CHECK(d.get("small").get<std::string>().size() == std::size_t{1} << 20);
}
