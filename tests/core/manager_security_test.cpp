// Who a Manager's server talks to: a process of the same user that sends
// the manager's authkey first (Python's authkey handshake), nobody else.
// Before, any local process could find the abstract socket in
// /proc/net/unix and read, change or shut down the manager's objects.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>

#include "mp/codec.hpp"
#include "mp/connection.hpp"
#include "mp/errors.hpp"
#include "mp/manager.hpp"
#include "mp/unique_fd.hpp"
#include "support/child.hpp"

using nlohmann::json;

namespace {

// A socket connected to the manager, with no handshake yet; closed when it
// cannot connect. No Catch assertion: a forked child calls it too.
mp::Connection connect_raw(const mp::Manager& manager) {
  mp::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string& name = manager.address();
  name.copy(addr.sun_path + 1, name.size());
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (!fd || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), length) != 0) return mp::Connection();
  return mp::Connection(std::move(fd), true, true, mp::Connection::Kind::Socket);
}

mp::Connection stranger(const mp::Manager& manager) {
  mp::Connection c = connect_raw(manager);
  REQUIRE_FALSE(c.closed());
  return c;
}

// The Shutdown request a proxy-less client would send: (0, Op::Shutdown, []).
std::string shutdown_request() { return mp::encode(std::make_tuple(std::uint32_t{0}, std::uint8_t{1}, json::array())); }

// The server's answer, then whether it closed the connection after it.
std::pair<std::string, bool> answer_then_eof(mp::Connection& conn) {
  std::string answer;
  try {
    if (!conn.poll(30.0)) return {"(no answer)", false};
    answer = conn.recv_bytes();
    if (!conn.poll(30.0)) return {answer, false};
    conn.recv_bytes();
  } catch (const mp::EOFError&) {
    return {answer, true};
  }
  return {answer, false};
}

}  // namespace

TEST_CASE("a client that does not send the authkey first is refused and disconnected", "[core][manager][security]") {
  mp::Manager manager;
  mp::DictProxy d = manager.dict({{"secret", 42}});
  CHECK(manager.authkey().size() == 32);
  {
    mp::Connection c = stranger(manager);
    c.send_bytes(shutdown_request());  // before: the server obeyed and stopped
    auto [answer, closed] = answer_then_eof(c);
    CHECK(answer == "#FAILURE");
    CHECK(closed);
  }
  {
    mp::Connection c = stranger(manager);
    std::string wrong = manager.authkey();
    wrong[31] = static_cast<char>(wrong[31] ^ 1);
    c.send_bytes(wrong);
    auto [answer, closed] = answer_then_eof(c);
    CHECK(answer == "#FAILURE");
    CHECK(closed);
  }
  {
    // Longer than any key: refused on its header.
    mp::Connection c = stranger(manager);
    try {
      c.send_bytes(std::string(1 << 20, 'k'));
    } catch (const mp::OSError&) {
      // EPIPE: the server closed before taking it all
    }
    auto [answer, closed] = answer_then_eof(c);
    CHECK(answer.empty());
    CHECK(closed);
  }
  CHECK(d.get("secret") == 42);  // still served, to the proxies
  CHECK(manager.exitcode() == std::nullopt);
}

TEST_CASE("a client that sends the authkey is welcome", "[core][manager][security]") {
  mp::Manager manager;
  mp::DictProxy d = manager.dict({{"n", 1}});
  mp::Connection c = stranger(manager);
  c.send_bytes(manager.authkey());
  CHECK(c.recv_bytes() == "#WELCOME");
  c.send_bytes(shutdown_request());
  CHECK(mp::decode<std::pair<std::uint8_t, json>>(c.recv_bytes()).first == 0);  // Status::Ok
  manager.shutdown();
  CHECK(manager.exitcode() == 0);
}

TEST_CASE("a process of another user is not served even with the key", "[core][manager][security]") {
  if (::geteuid() != 0) {
    WARN("needs root to run a client as another user; not checked");
    return;
  }
  mp::Manager manager;
  mp::DictProxy d = manager.dict({{"n", 1}});
  const std::string key = manager.authkey();
  const int code = test::run_in_child([&] {
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) return 10;
    mp::Connection c = connect_raw(manager);
    if (c.closed()) return 13;
    try {
      c.send_bytes(key);
      if (!c.poll(30.0)) return 11;
      c.recv_bytes();
      return 12;  // answered: let in or told no
    } catch (const mp::EOFError&) {
      return 0;  // dropped without a word
    } catch (const mp::OSError&) {
      return 0;  // or reset while sending
    }
  });
  CHECK(code == 0);
  CHECK(d.get("n") == 1);
}
