// mp::Pipe / mp::Connection: message boundaries, typed values, big messages
// across processes, EOF, errors on closed ends and wrong directions, poll.
// Children report through their exit code; the parent asserts.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "support/proc_watch.hpp"
#include "mp/connection.hpp"
#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "mp/unique_fd.hpp"
#include "support/child.hpp"

namespace {

// A message whose every byte depends on its index and length, so a lost,
// repeated, cut or merged message shows.
std::string pattern(std::size_t index, std::size_t len) {
  std::string s(len, '\0');
  for (std::size_t i = 0; i < len; ++i) s[i] = static_cast<char>((index * 131 + i * 7 + len) & 0xFF);
  return s;
}

using test::finish;

}  // namespace

TEST_CASE("typed values and strings and JSON make the round trip", "[core][pipe]") {
  const int fds_before = test::open_fd_count();
  {
    auto [a, b] = mp::Pipe();
    CHECK(a.readable());
    CHECK(a.writable());
    a.send(42);
    a.send(3.5);
    a.send(std::string("baozi"));
    a.send(nlohmann::json{{"item", "baozi"}, {"n", 3}, {"hot", true}});
    a.send(std::vector<int>{1, 2, 3});
    a.send(std::make_tuple(7, std::string("seven")));
    CHECK(b.recv<int>() == 42);
    CHECK(b.recv<double>() == 3.5);
    CHECK(b.recv<std::string>() == "baozi");
    CHECK(b.recv<nlohmann::json>() == nlohmann::json{{"item", "baozi"}, {"n", 3}, {"hot", true}});
    CHECK(b.recv<std::vector<int>>() == std::vector<int>{1, 2, 3});
    CHECK(b.recv<std::tuple<int, std::string>>() == std::make_tuple(7, std::string("seven")));
    // Duplex: the other way too.
    b.send(std::string("back"));
    CHECK(a.recv<std::string>() == "back");
  }
  CHECK(test::open_fd_count() == fds_before);
}

TEST_CASE("an empty message is a real message", "[core][pipe]") {
  for (bool duplex : {true, false}) {
    auto [r, w] = mp::Pipe(duplex);
    w.send_bytes("");
    w.send_bytes("x");
    w.send_bytes("");
    CHECK(r.recv_bytes().empty());
    CHECK(r.recv_bytes() == "x");
    CHECK(r.poll(0.0));  // the last empty message is still waiting
    CHECK(r.recv_bytes().empty());
    CHECK_FALSE(r.poll(0.0));
  }
}

TEST_CASE("16 MiB messages cross processes both ways", "[core][pipe]") {
  const std::size_t size = std::size_t{16} << 20;
  const std::string to_child = pattern(1, size);
  const std::string to_parent = pattern(2, size);
  const int fds_before = test::open_fd_count();
  {
    auto [parent_end, child_end] = mp::Pipe();
    mp::Process child([&] {
      parent_end.close();  // the child uses only its own end
      if (child_end.recv_bytes() != to_child) throw mp::SystemExit{3};
      child_end.send_bytes(to_parent);
    });
    child.start();
    child_end.close();  // the parent uses only its own end
    parent_end.send_bytes(to_child);
    CHECK(parent_end.recv_bytes() == to_parent);
    CHECK(finish(child) == 0);
  }
  {
    // One-way, with the reader in the child.
    auto [reader, writer] = mp::Pipe(false);
    mp::Process child([&] {
      writer.close();
      if (reader.recv_bytes() != to_child) throw mp::SystemExit{3};
      if (reader.recv_bytes() != "after") throw mp::SystemExit{4};
    });
    child.start();
    reader.close();
    writer.send_bytes(to_child);
    writer.send_bytes("after");
    CHECK(finish(child) == 0);
  }
  CHECK(test::open_fd_count() == fds_before);
  CHECK(test::no_children_left());
}

TEST_CASE("recv raises EOFError once every writer is closed", "[core][pipe]") {
  SECTION("one-way pipe") {
    auto [reader, writer] = mp::Pipe(false);
    mp::Process child([&] {
      reader.close();
      for (int i = 0; i < 3; ++i) writer.send(i);
    });  // the child's copy of the writer closes when it exits
    child.start();
    // The parent must close its own copy of the writing end: while any
    // process holds one open, the kernel cannot tell the reader that no
    // more data will ever come, and recv would wait forever instead of EOF.
    writer.close();
    for (int i = 0; i < 3; ++i) CHECK(reader.recv<int>() == i);
    CHECK_THROWS_AS(reader.recv_bytes(), mp::EOFError);
    CHECK_THROWS_AS(reader.recv_bytes(), mp::EOFError);  // and stays at EOF
    CHECK(finish(child) == 0);
  }
  SECTION("duplex pipe") {
    auto [a, b] = mp::Pipe();
    mp::Process child([&] {
      a.close();  // the child's copy of the parent's end: closed so EOF can come
      b.send(std::string("bye"));
    });
    child.start();
    b.close();
    CHECK(a.recv<std::string>() == "bye");
    CHECK(a.poll(30.0));  // EOF counts as ready: recv will not block
    CHECK_THROWS_AS(a.recv_bytes(), mp::EOFError);
    CHECK(finish(child) == 0);
  }
}

TEST_CASE("a closed connection refuses every use", "[core][pipe]") {
  auto [a, b] = mp::Pipe();
  CHECK_FALSE(a.closed());
  CHECK(a.fileno() >= 0);
  a.close();
  a.close();  // idempotent
  CHECK(a.closed());
  CHECK_THROWS_WITH(a.send(1), Catch::Contains("connection is closed"));
  CHECK_THROWS_AS(a.recv_bytes(), mp::OSError);
  CHECK_THROWS_AS(a.poll(), mp::OSError);
  CHECK_THROWS_AS(a.fileno(), mp::OSError);
  // The other end sees EOF: its only peer is gone.
  CHECK_THROWS_AS(b.recv_bytes(), mp::EOFError);
  // A moved-from connection is closed too.
  auto [c, d] = mp::Pipe();
  mp::Connection moved = std::move(c);
  CHECK(c.closed());  // NOLINT(bugprone-use-after-move): what a moved-from end says
  moved.send(5);
  CHECK(d.recv<int>() == 5);
}

TEST_CASE("a one-way pipe refuses the wrong direction", "[core][pipe]") {
  auto [reader, writer] = mp::Pipe(false);
  CHECK(reader.readable());
  CHECK_FALSE(reader.writable());
  CHECK(writer.writable());
  CHECK_FALSE(writer.readable());
  CHECK_THROWS_WITH(reader.send(1), Catch::Contains("read-only"));
  CHECK_THROWS_WITH(writer.recv_bytes(), Catch::Contains("write-only"));
  CHECK_THROWS_WITH(writer.poll(), Catch::Contains("write-only"));
  CHECK_THROWS_AS(reader.send_bytes("x"), mp::OSError);
}

TEST_CASE("writing to a pipe without readers throws instead of killing", "[core][pipe]") {
  // In an mp::Process child, whose SIGPIPE disposition is the default again.
  for (bool duplex : {true, false}) {
    auto [reader, writer] = mp::Pipe(duplex);
    mp::Process child([&] {
      reader.close();  // the child's copy
      try {
        writer.send(1);
      } catch (const mp::OSError& e) {
        throw mp::SystemExit{e.err() == EPIPE ? 5 : 6};
      }
    });
    reader.close();  // the parent's copy: now no process can read
    child.start();
    CHECK(finish(child) == 5);  // -SIGPIPE (-13) if the signal had killed it
  }
}

TEST_CASE("poll waits for a message up to its timeout", "[core][pipe]") {
  auto [reader, writer] = mp::Pipe(false);
  auto [go_r, go_w] = mp::make_pipe();
  const int go_fd = go_r.get();
  mp::Process child([&, go_fd] {
    reader.close();
    char c;
    if (!mp::read_exact(go_fd, &c, 1)) throw mp::SystemExit{3};  // wait for the parent's word
    writer.send(std::string("ready"));
  });
  child.start();
  writer.close();
  CHECK_FALSE(reader.poll());  // timeout 0: a look, no wait
  const double t0 = mp::monotonic_seconds();
  CHECK_FALSE(reader.poll(0.2));  // nothing can come before the child is told
  CHECK(mp::monotonic_seconds() - t0 >= 0.19);
  mp::write_all(go_w.get(), "g", 1);
  CHECK(reader.poll(30.0));
  CHECK(reader.recv<std::string>() == "ready");
  CHECK(finish(child) == 0);
}

TEST_CASE("many messages of many sizes keep their order and boundaries", "[core][pipe]") {
  const bool duplex = GENERATE(true, false);
  const int count = 5000;
  auto [reader, writer] = mp::Pipe(duplex);
  mp::Process child([&] {
    reader.close();
    for (int i = 0; i < count; ++i) writer.send_bytes(pattern(i, static_cast<std::size_t>((i * 37) % 3000)));
  });
  child.start();
  writer.close();
  int bad = 0;
  for (int i = 0; i < count; ++i)
    if (reader.recv_bytes() != pattern(i, static_cast<std::size_t>((i * 37) % 3000))) ++bad;
  CHECK(bad == 0);
  CHECK_THROWS_AS(reader.recv_bytes(), mp::EOFError);
  CHECK(finish(child) == 0);
}

TEST_CASE("Pipe ends are close-on-exec", "[core][pipe]") {
  for (bool duplex : {true, false}) {
    auto [a, b] = mp::Pipe(duplex);
    CHECK((::fcntl(a.fileno(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(b.fileno(), F_GETFD) & FD_CLOEXEC) != 0);
  }
}

TEST_CASE("several processes share one end: every message goes to exactly one", "[core][pipe]") {
  const bool duplex = GENERATE(true, false);
  const int readers = 4, count = 2000;
  mp::SharedMapping seen_map(sizeof(int) * count);
  int* seen = static_cast<int*>(seen_map.data());
  auto [reader, writer] = mp::Pipe(duplex);
  std::vector<mp::Process> children;
  for (int r = 0; r < readers; ++r)
    children.emplace_back([&] {
      writer.close();
      // Each reader stops at the first stop sign it gets: a reader that took
      // more than one message out of the pipe at a time could swallow
      // another's stop sign, and that reader would wait for ever.
      for (;;) {
        const int v = reader.recv<int>();
        if (v < 0) return;
        std::atomic_ref<int>(seen[v]).fetch_add(1);
      }
    });
  for (auto& c : children) c.start();
  for (int i = 0; i < count; ++i) writer.send(i);
  for (int r = 0; r < readers; ++r) writer.send(-1);
  for (auto& c : children) CHECK(finish(c) == 0);
  int not_once = 0;
  for (int i = 0; i < count; ++i)
    if (std::atomic_ref<int>(seen[i]).load() != 1) ++not_once;
  CHECK(not_once == 0);
}

TEST_CASE("several processes sending big messages on one end do not mix them", "[core][pipe]") {
  const bool duplex = GENERATE(true, false);
  const int writers = 3, each = 20;
  const std::size_t size = 100000;  // far above PIPE_BUF: written in many pieces
  auto [reader, writer] = mp::Pipe(duplex);
  std::vector<mp::Process> children;
  for (int w = 0; w < writers; ++w)
    children.emplace_back([&, w] {
      reader.close();
      for (int i = 0; i < each; ++i) writer.send_bytes(pattern(static_cast<std::size_t>(w * each + i), size));
    });
  for (auto& c : children) c.start();
  writer.close();
  std::vector<int> seen(writers * each, 0);
  int whole = 0;
  for (int k = 0; k < writers * each; ++k) {
    const std::string m = reader.recv_bytes();
    for (std::size_t id = 0; id < seen.size(); ++id)
      if (m == pattern(id, size)) {
        ++seen[id];
        ++whole;
        break;
      }
  }
  CHECK(whole == writers * each);
  CHECK(std::count(seen.begin(), seen.end(), 1) == writers * each);
  CHECK_THROWS_AS(reader.recv_bytes(), mp::EOFError);
  for (auto& c : children) CHECK(finish(c) == 0);
}

TEST_CASE("messages a reader fetched ahead stay there for the next reader", "[core][pipe]") {
  auto [reader, writer] = mp::Pipe(false);
  for (int i = 1; i <= 3; ++i) writer.send(i);  // all three wait in the kernel together
  // The child's one read() fetches all three; it takes one and exits. The
  // other two must still be there for the parent.
  mp::Process child([&] {
    if (reader.recv<int>() != 1) throw mp::SystemExit{3};
  });
  child.start();
  REQUIRE(finish(child) == 0);
  CHECK(reader.poll());
  CHECK(reader.recv<int>() == 2);
  CHECK(reader.recv<int>() == 3);
  CHECK_FALSE(reader.poll());
}

TEST_CASE("a Connection over an fd of one's own reads one message at a time", "[core][pipe]") {
  const int fds_before = test::open_fd_count();
  {
    auto [r, w] = mp::make_pipe();
    mp::Connection reader(std::move(r), true, false, mp::Connection::Kind::Pipe);
    mp::Connection writer(std::move(w), false, true, mp::Connection::Kind::Pipe);
    const std::string big = pattern(9, 300000);
    mp::Process child([&] {
      reader.close();
      writer.send(std::string("small"));
      writer.send_bytes("");
      writer.send_bytes(big);
      writer.send(nlohmann::json{{"k", 1}});
    });
    child.start();
    writer.close();
    CHECK(reader.recv<std::string>() == "small");
    CHECK(reader.recv_bytes().empty());
    CHECK(reader.recv_bytes() == big);
    CHECK(reader.recv<nlohmann::json>() == nlohmann::json{{"k", 1}});
    CHECK_THROWS_AS(reader.recv_bytes(), mp::EOFError);
    CHECK(finish(child) == 0);
  }
  CHECK(test::open_fd_count() == fds_before);
}
