// Several processes on one end of a Pipe, in the rare paths (issue 11):
// senders of every mix of sizes at once (a small send used to land inside a
// big message that another process was writing in pieces), and processes
// killed in the middle of a message (the end used to be left out of step in
// silence). Children report through their exit codes; the parent asserts.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "mp/connection.hpp"
#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/unique_fd.hpp"
#include "support/hostile_input.hpp"

namespace {

// A message that names its sender and number in its first 8 bytes and whose
// every byte depends on them: a message cut, merged or spliced shows.
std::string tagged(std::uint32_t writer, std::uint32_t index, std::size_t len) {
  std::string s(std::max<std::size_t>(len, 8), '\0');
  std::memcpy(s.data(), &writer, 4);
  std::memcpy(s.data() + 4, &index, 4);
  for (std::size_t i = 8; i < s.size(); ++i) s[i] = static_cast<char>((writer * 131 + index * 17 + i * 7) & 0xFF);
  return s;
}

// The mix each writer sends: mostly small, some just over PIPE_BUF, some
// far over it (many writes each).
std::size_t mixed_size(std::uint32_t index) {
  switch (index % 5) {
    case 0: return 200000;
    case 1: return 5000;
    default: return 8 + index % 100;
  }
}

int join_or_kill(mp::Process& p) {
  if (!p.join(60.0)) {
    p.kill();
    p.join();
  }
  return p.exitcode().value_or(-1000);
}

}  // namespace

TEST_CASE("several processes sending mixed sizes on one end never splice their messages", "[core][pipe][shared]") {
  const bool duplex = GENERATE(true, false);
  const std::uint32_t writers = 4, each = 60;
  auto [reader, writer] = mp::Pipe(duplex);
  std::vector<mp::Process> children;
  for (std::uint32_t w = 0; w < writers; ++w)
    children.emplace_back([&, w] {
      reader.close();
      for (std::uint32_t i = 0; i < each; ++i) writer.send_bytes(tagged(w, i, mixed_size(i)));
    });
  for (auto& c : children) c.start();
  writer.close();
  // Before the fix: a small message inside a big one, then lengths read from
  // the wrong bytes, so a recv that failed, hung or returned garbage.
  reader.set_max_message(1 << 20);
  std::vector<std::uint32_t> next(writers, 0);
  int whole = 0, bad = 0;
  try {
    for (std::uint32_t k = 0; k < writers * each; ++k) {
      const std::string m = reader.recv_bytes();
      std::uint32_t w = 0, i = 0;
      if (m.size() >= 8) {
        std::memcpy(&w, m.data(), 4);
        std::memcpy(&i, m.data() + 4, 4);
      }
      if (w < writers && i == next[w] && m == tagged(w, i, mixed_size(i))) {
        ++next[w];
        ++whole;
      } else {
        ++bad;
      }
    }
  } catch (const mp::Error& e) {
    FAIL_CHECK("recv failed: " << e.what());
  }
  CHECK(bad == 0);
  CHECK(whole == static_cast<int>(writers * each));
  for (auto& c : children) CHECK(join_or_kill(c) == 0);
}

TEST_CASE("a reader killed in the middle of a message leaves the end out of step and every recv says so",
          "[core][pipe][shared]") {
  auto [reader, writer] = mp::Pipe(false);
  const std::size_t size = 1 << 20;
  mp::Process child([&] {
    writer.close();
    (void)reader.recv_bytes();  // killed while the message is half here
    throw mp::SystemExit{3};
  });
  child.start();
  // Header and 300 KB: once the pipe (64 KB) has taken them, the child has
  // read more than its shared buffer holds, so it is reading the message
  // straight into its own memory.
  const std::uint32_t len = size;
  std::string first(reinterpret_cast<const char*>(&len), 4);
  first += std::string(300000, 'a');
  mp::write_all(writer.fileno(), first.data(), first.size());
  child.kill();
  CHECK(join_or_kill(child) == -SIGKILL);
  writer.send_bytes("next");  // small: the pipe has room for it
  // Before the fix: the rest of the dead reader's message was taken for a
  // length header, and recv waited or returned garbage.
  const std::string pid = std::to_string(child.pid());
  CHECK_THROWS_WITH(reader.recv_bytes(), Catch::Contains("out of step") && Catch::Contains("process " + pid));
  CHECK(test::os_error_of([&] { reader.recv_bytes(); }) == EBADMSG);  // and on every later recv
  CHECK(reader.poll());  // recv would not wait: it raises at once
}

TEST_CASE("a reader killed while it waits for a message loses nothing", "[core][pipe][shared]") {
  const bool duplex = GENERATE(true, false);
  auto [reader, writer] = mp::Pipe(duplex);
  auto [ready_r, ready_w] = mp::make_pipe();
  const int ready_fd = ready_w.get();
  mp::Process child([&, ready_fd] {
    mp::write_all(ready_fd, "r", 1);
    (void)reader.recv_bytes();  // nothing comes: killed while it waits (or just before)
    throw mp::SystemExit{3};
  });
  child.start();
  char c;
  REQUIRE(mp::read_exact(ready_r.get(), &c, 1));
  child.kill();
  CHECK(join_or_kill(child) == -SIGKILL);
  writer.send_bytes("first");
  writer.send_bytes(std::string(30000, 'b'));
  CHECK(reader.recv_bytes() == "first");
  CHECK(reader.recv_bytes() == std::string(30000, 'b'));
}

TEST_CASE("a writer killed in the middle of a message leaves the end out of step for senders",
          "[core][pipe][shared]") {
  auto [reader, writer] = mp::Pipe(false);
  mp::Process child([&] {
    reader.close();
    writer.send_bytes(std::string(1 << 20, 'w'));  // blocks once the pipe is full: killed there
    throw mp::SystemExit{3};
  });
  child.start();
  pollfd p{reader.fileno(), POLLIN, 0};
  REQUIRE(::poll(&p, 1, 30000) == 1);  // its first bytes are in the pipe: it is writing
  child.kill();
  CHECK(join_or_kill(child) == -SIGKILL);
  const std::string pid = std::to_string(child.pid());
  CHECK_THROWS_WITH(writer.send_bytes("x"), Catch::Contains("out of step") && Catch::Contains("process " + pid));
  CHECK(test::os_error_of([&] { writer.send_bytes("y"); }) == EBADMSG);
}

TEST_CASE("fileno() does not show messages already in the shared buffer but poll() does", "[core][pipe][shared]") {
  // Documented in connection.hpp: one read() may fetch several messages
  // into the end's shared buffer, where the fd can no longer show them.
  auto [reader, writer] = mp::Pipe(false);
  writer.send(1);
  writer.send(2);
  CHECK(reader.recv<int>() == 1);  // fetched both
  pollfd p{reader.fileno(), POLLIN, 0};
  CHECK(::poll(&p, 1, 0) == 0);  // the fd: nothing
  CHECK(reader.poll());          // the Connection: message 2 is here
  CHECK(reader.recv<int>() == 2);
  CHECK_FALSE(reader.poll());
}
