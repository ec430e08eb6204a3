// A Pipe end's recv waits for bytes in tee(2) into a scratch pipe of its
// process (core/include/mp/detail/read_waiter.hpp), not in poll(). The
// scratch pipe holds 16 references: one that is never emptied fills after
// 16 waits, and the 17th wait then sleeps for ever (with the emptying
// removed, the first test hangs there). Each process waits with a scratch
// pipe of its own, made at its first wait, and no other fd.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "mp/connection.hpp"
#include "mp/process.hpp"
#include "support/proc_watch.hpp"

namespace {

// `rounds` exchanges in which the reader has already drained the pipe and
// waits when the message comes: the writer sends the next one only after
// the reader has answered the last.
void ping_pong(mp::Connection& requests, mp::Connection& answers, mp::Connection& reader_end,
               mp::Connection& answer_end, int rounds) {
  mp::Process reader([&] {
    for (int i = 0; i < rounds; ++i) answer_end.send(reader_end.recv<int>() + 1);
  });
  reader.start();
  for (int i = 0; i < rounds; ++i) {
    requests.send(i);
    REQUIRE(answers.recv<int>() == i + 1);
  }
  REQUIRE(test::join_one(reader));
  REQUIRE(reader.exitcode() == 0);
}

}  // namespace

TEST_CASE("recv on a pipe waits again and again without filling its scratch pipe", "[core][pipe][wait]") {
  auto [request_r, request_w] = mp::Pipe(false);
  auto [answer_r, answer_w] = mp::Pipe(false);
  ping_pong(request_w, answer_r, request_r, answer_w, 200);
}

TEST_CASE("children forked after the main process waited on a pipe wait on pipes too", "[core][pipe][wait]") {
  auto [request_r, request_w] = mp::Pipe(false);
  auto [answer_r, answer_w] = mp::Pipe(false);
  // The main process waits on answer_r (its scratch pipe is made), then
  // forks readers that wait on request_r 40 times each.
  ping_pong(request_w, answer_r, request_r, answer_w, 40);
  for (int child = 0; child < 3; ++child) ping_pong(request_w, answer_r, request_r, answer_w, 40);
}

TEST_CASE("a reader's waits add at most one scratch pipe to its open fds", "[core][pipe][wait]") {
  auto [request_r, request_w] = mp::Pipe(false);
  auto [answer_r, answer_w] = mp::Pipe(false);
  mp::Process reader([&] {
    const int before = test::open_fd_count();
    for (int i = 0; i < 50; ++i) answer_w.send(request_r.recv<int>());
    answer_w.send(test::open_fd_count() - before);
  });
  reader.start();
  for (int i = 0; i < 50; ++i) {
    request_w.send(i);
    REQUIRE(answer_r.recv<int>() == i);
  }
  CHECK(answer_r.recv<int>() <= 2);
  REQUIRE(test::join_one(reader));
  CHECK(reader.exitcode() == 0);
}
