// What a Connection accepts from a peer that lies in its length headers: a
// limit checked on the header before allocating, an end closed with its
// reason, and memory that grows with the bytes that really arrive. Rows 2-4
// of issue 16's fuzzing table, for both read modes (an fd of one's own reads
// exactly one message; an end Pipe() makes reads through a shared buffer).
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "mp/connection.hpp"
#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/unique_fd.hpp"
#include "support/hostile_input.hpp"

namespace {

using Sharing = mp::Connection::Sharing;

// A reading Connection over a pipe, and the raw write end for the test to
// forge bytes with.
struct ForgedPipe {
  mp::Connection reader;
  mp::UniqueFd raw_writer;
};

ForgedPipe forged_pipe(Sharing sharing) {
  auto [r, w] = mp::make_pipe();
  return {mp::Connection(std::move(r), true, false, mp::Connection::Kind::Pipe, sharing), std::move(w)};
}

void write_bytes(const mp::UniqueFd& fd, const std::string& bytes) { mp::write_all(fd.get(), bytes.data(), bytes.size()); }

std::string short_header(std::uint32_t len) { return std::string(reinterpret_cast<const char*>(&len), 4); }

std::string long_header(std::uint64_t len) {
  return std::string("\xff\xff\xff\xff", 4) + std::string(reinterpret_cast<const char*>(&len), 8);
}

long max_rss_kib() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

const char* name_of(Sharing s) { return s == Sharing::Shared ? "shared" : "single"; }

}  // namespace

TEST_CASE("a header over the limit is refused before any allocation and the end says why", "[core][pipe][limits]") {
  const Sharing sharing = GENERATE(Sharing::Single, Sharing::Shared);
  INFO(name_of(sharing));
  SECTION("1 GiB in a 4-byte header, and the writer stays open (row 2)") {
    // Before: 1 GiB allocated, then recv waited for ever for the payload.
    auto p = forged_pipe(sharing);
    write_bytes(p.raw_writer, std::string("\x00\x00\x00\x40", 4));
    CHECK(test::os_error_of([&] { p.reader.recv_bytes(); }) == EMSGSIZE);
  }
  SECTION("2^40 in a long header (row 3)") {
    // Before: std::bad_alloc escaped recv_bytes.
    auto p = forged_pipe(sharing);
    write_bytes(p.raw_writer, long_header(std::uint64_t{1} << 40));
    CHECK(test::os_error_of([&] { p.reader.recv_bytes(); }) == EMSGSIZE);
  }
  SECTION("2^64 - 8 in a long header (row 4)") {
    // Before, on a shared end: header + len wrapped, std::length_error
    // escaped, and every later recv failed on the same header.
    auto p = forged_pipe(sharing);
    write_bytes(p.raw_writer, long_header(~std::uint64_t{0} - 7));
    CHECK(test::os_error_of([&] { p.reader.recv_bytes(); }) == EMSGSIZE);
  }
  SECTION("then the end is closed, and every later call says why") {
    auto p = forged_pipe(sharing);
    write_bytes(p.raw_writer, short_header(0x40000000u));
    CHECK_THROWS_WITH(p.reader.recv_bytes(),
                      Catch::Contains("1073741824 bytes") && Catch::Contains("limit of 268435456 bytes"));
    CHECK(p.reader.closed());
    CHECK_THROWS_WITH(p.reader.recv_bytes(), Catch::Contains("closed") && Catch::Contains("1073741824 bytes"));
    CHECK_THROWS_WITH(p.reader.poll(), Catch::Contains("closed"));
  }
}

TEST_CASE("the limit is set per Connection", "[core][pipe][limits]") {
  const Sharing sharing = GENERATE(Sharing::Single, Sharing::Shared);
  INFO(name_of(sharing));
  auto [r, w] = mp::make_pipe();
  mp::Connection reader(std::move(r), true, false, mp::Connection::Kind::Pipe, sharing);
  mp::Connection writer(std::move(w), false, true, mp::Connection::Kind::Pipe);
  CHECK(reader.max_message() == mp::Connection::kDefaultMaxMessage);
  reader.set_max_message(100);
  CHECK(reader.max_message() == 100);
  writer.send_bytes(std::string(100, 'a'));
  writer.send_bytes(std::string(101, 'b'));
  CHECK(reader.recv_bytes() == std::string(100, 'a'));
  CHECK(test::os_error_of([&] { reader.recv_bytes(); }) == EMSGSIZE);
  CHECK(reader.closed());
}

TEST_CASE("on a shared end a refused message stays for a reader with a larger limit", "[core][pipe][limits]") {
  auto [reader, writer] = mp::Pipe(false);
  writer.send_bytes(std::string(5000, 'x'));
  writer.send_bytes("next");
  auto [go_r, go_w] = mp::make_pipe();
  const int go_fd = go_r.get();
  mp::Process child([&, go_fd] {
    // The child's copy of the end, once the parent has refused the message.
    char c;
    if (!mp::read_exact(go_fd, &c, 1)) throw mp::SystemExit{2};
    reader.set_max_message(10000);
    if (reader.recv_bytes() != std::string(5000, 'x')) throw mp::SystemExit{3};
    if (reader.recv_bytes() != "next") throw mp::SystemExit{4};
  });
  child.start();
  reader.set_max_message(1000);
  CHECK(test::os_error_of([&] { reader.recv_bytes(); }) == EMSGSIZE);  // closes only the parent's copy
  mp::write_all(go_w.get(), "g", 1);
  REQUIRE(child.join(60.0));
  CHECK(child.exitcode() == 0);
}

TEST_CASE("a message's memory grows with the bytes that arrive and not with its header", "[core][pipe][limits]") {
  // A header promising 200 MiB (under the limit) and 100 bytes, then EOF.
  // Before: the whole 200 MiB was allocated and zero-filled at the header.
  const Sharing sharing = GENERATE(Sharing::Single, Sharing::Shared);
  INFO(name_of(sharing));
  auto p = forged_pipe(sharing);
  write_bytes(p.raw_writer, short_header(200u << 20) + std::string(100, 'z'));
  p.raw_writer.reset();
  const long before = max_rss_kib();
  CHECK_THROWS_AS(p.reader.recv_bytes(), mp::EOFError);
  CHECK(max_rss_kib() - before < 32 * 1024);
}

TEST_CASE("a message longer than the first chunk still arrives whole", "[core][pipe][limits]") {
  const Sharing sharing = GENERATE(Sharing::Single, Sharing::Shared);
  INFO(name_of(sharing));
  auto [r, w] = mp::make_pipe();
  mp::Connection reader(std::move(r), true, false, mp::Connection::Kind::Pipe, sharing);
  mp::Connection writer(std::move(w), false, true, mp::Connection::Kind::Pipe);
  std::string big(3 * (1 << 20) + 12345, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 4096);
  mp::Process child([&] {
    reader.close();
    writer.send_bytes(big);
    writer.send_bytes("after");
  });
  child.start();
  writer.close();
  CHECK(reader.recv_bytes() == big);
  CHECK(reader.recv_bytes() == "after");
  REQUIRE(child.join(60.0));
  CHECK(child.exitcode() == 0);
}
