// The parts of Python's Connection API beyond send/recv: send_bytes with an
// offset and size, recv_bytes with a maxlength, recv_bytes_into and
// BufferTooShort, each with Python's range errors; and
// multiprocessing.connection.wait over Connections and sentinels.
#include <poll.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>
#include <vector>

#include "mp/connection.hpp"
#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/unique_fd.hpp"
#include "support/hostile_input.hpp"

TEST_CASE("send_bytes with offset and size sends that slice and checks its range as Python does", "[core][pipe][api]") {
  auto [r, w] = mp::Pipe();
  const std::string buf = "0123456789";
  w.send_bytes(buf, 2, 3);
  w.send_bytes(buf, 7);
  w.send_bytes(buf, 10);  // offset == length: an empty message
  w.send_bytes(buf, 0, 0);
  CHECK(r.recv_bytes() == "234");
  CHECK(r.recv_bytes() == "789");
  CHECK(r.recv_bytes().empty());
  CHECK(r.recv_bytes().empty());
  CHECK_THROWS_WITH(w.send_bytes(buf, -1), "offset is negative");
  CHECK_THROWS_WITH(w.send_bytes(buf, 11), "buffer length < offset");
  CHECK_THROWS_WITH(w.send_bytes(buf, 2, -1), "size is negative");
  CHECK_THROWS_WITH(w.send_bytes(buf, 2, 9), "buffer length < offset + size");
  CHECK_THROWS_WITH(w.send_bytes(buf, 1, INT64_MAX), "buffer length < offset + size");
  CHECK_THROWS_AS(w.send_bytes(buf, -1), mp::ValueError);
  CHECK_FALSE(r.poll());  // nothing was sent by the refused calls
}

TEST_CASE("recv_bytes with maxlength refuses a longer message and closes the end", "[core][pipe][api]") {
  auto [r, w] = mp::Pipe();
  CHECK_THROWS_WITH(r.recv_bytes(-1), "negative maxlength");
  w.send_bytes("12345");
  w.send_bytes("123456");
  CHECK(r.recv_bytes(5) == "12345");
  CHECK(test::os_error_of([&] { r.recv_bytes(5); }) == EMSGSIZE);
  CHECK(r.closed());
}

TEST_CASE("recv_bytes_into writes the message at the offset or raises BufferTooShort holding it", "[core][pipe][api]") {
  auto [r, w] = mp::Pipe(false);
  std::vector<char> buf(8, '.');
  w.send_bytes("abc");
  CHECK(r.recv_bytes_into(buf, 2) == 3);
  CHECK(std::string(buf.begin(), buf.end()) == "..abc...");
  w.send_bytes("12345678");
  CHECK(r.recv_bytes_into(buf) == 8);
  CHECK(std::string(buf.begin(), buf.end()) == "12345678");
  w.send_bytes("");
  CHECK(r.recv_bytes_into(buf, 8) == 0);  // offset at the end: room for an empty message
  // Range errors come before anything is read: the message stays.
  w.send_bytes("xyz");
  CHECK_THROWS_WITH(r.recv_bytes_into(buf, -1), "negative offset");
  CHECK_THROWS_WITH(r.recv_bytes_into(buf, 9), "offset too large");
  try {
    r.recv_bytes_into(buf, 6);
    FAIL("no BufferTooShort");
  } catch (const mp::BufferTooShort& e) {
    CHECK(e.message() == "xyz");  // not lost
    CHECK_THAT(e.what(), Catch::Contains("3 bytes"));
  }
  CHECK(std::string(buf.begin(), buf.end()) == "12345678");  // untouched
  CHECK_FALSE(r.poll());
}

TEST_CASE("wait returns the ready Connections and sentinels in the order given", "[core][pipe][api]") {
  auto [r1, w1] = mp::Pipe(false);
  auto [r2, w2] = mp::Pipe();
  auto [go_r, go_w] = mp::make_pipe();
  const int go_fd = go_r.get();
  mp::Process child([go_fd] {
    char c;
    (void)mp::read_exact(go_fd, &c, 1);  // ends when told
  });
  child.start();
  const std::vector<mp::Waitable> all = {&r1, &r2, child.sentinel()};
  CHECK(mp::wait(all, 0.0).empty());
  const double t0 = mp::monotonic_seconds();
  CHECK(mp::wait(all, 0.2).empty());
  CHECK(mp::monotonic_seconds() - t0 >= 0.19);

  w2.send(7);
  auto ready = mp::wait(all, 30.0);
  REQUIRE(ready.size() == 1);
  CHECK(std::get<mp::Connection*>(ready[0]) == &r2);
  CHECK(r2.recv<int>() == 7);

  mp::write_all(go_w.get(), "g", 1);
  w1.send(1);
  // Both become ready; wait until both are (the child ends in its own time).
  mp::Deadline deadline(30.0);
  do {
    ready = mp::wait(all, deadline.remaining());
  } while (ready.size() < 2 && !deadline.expired());
  REQUIRE(ready.size() == 2);
  CHECK(std::get<mp::Connection*>(ready[0]) == &r1);
  CHECK(std::get<int>(ready[1]) == child.sentinel());
  REQUIRE(child.join(30.0));
}

TEST_CASE("wait sees a message already in a Pipe end's shared buffer", "[core][pipe][api]") {
  auto [r, w] = mp::Pipe(false);
  w.send(1);
  w.send(2);
  CHECK(r.recv<int>() == 1);  // one read() fetched both
  pollfd p{r.fileno(), POLLIN, 0};
  REQUIRE(::poll(&p, 1, 0) == 0);  // the fd shows nothing
  const auto ready = mp::wait({&r}, std::nullopt);  // would wait for ever without the buffer check
  REQUIRE(ready.size() == 1);
  CHECK(r.recv<int>() == 2);
  CHECK(mp::wait({&r}, 0.0).empty());
}

TEST_CASE("wait refuses a closed Connection and an fd that is not open", "[core][pipe][api]") {
  auto [r, w] = mp::Pipe();
  r.close();
  CHECK_THROWS_AS(mp::wait({&r}, 0.0), mp::OSError);
  CHECK(test::os_error_of([] { mp::wait({999999}, 0.0); }) == EBADF);
}
