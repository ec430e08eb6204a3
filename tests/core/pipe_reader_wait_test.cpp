// A reader of a shared Pipe end that needs bytes first waits: in user space
// until its reads are spaced, then in tee(2) for a pipe or in
// poll() for a socket (core/include/mp/detail/read_waiter.hpp). It has
// taken nothing while it waits, so a reader killed then must leave the end in
// step: the next recv gets the next message, not "out of step". The kill
// lands at moments spread over the first ~100 us of the wait.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "mp/connection.hpp"
#include "mp/deadline.hpp"
#include "mp/process.hpp"
#include "mp/unique_fd.hpp"
#include "support/proc_watch.hpp"

TEST_CASE("a reader killed while it tries an empty pipe again loses nothing", "[core][pipe][shared]") {
  const bool duplex = GENERATE(true, false);
  auto [reader, writer] = mp::Pipe(duplex);
  for (int round = 0; round < 40; ++round) {
    auto [ready_r, ready_w] = mp::make_pipe();
    const int ready_fd = ready_w.get();
    mp::Process child([&, ready_fd] {
      mp::write_all(ready_fd, "r", 1);
      (void)reader.recv_bytes();  // nothing comes: killed while it tries or waits
      throw mp::SystemExit{3};
    });
    child.start();
    char c;
    REQUIRE(mp::read_exact(ready_r.get(), &c, 1));
    // 0 to ~100 us after the child's signal, a different moment each round.
    const double until = mp::monotonic_seconds() + 2.5e-6 * round;
    while (mp::monotonic_seconds() < until) {
    }
    child.kill();
    REQUIRE(test::join_one(child));
    REQUIRE(child.exitcode() == -SIGKILL);
    const std::string message = "round " + std::to_string(round);
    writer.send_bytes(message);
    REQUIRE(reader.recv_bytes() == message);
  }
}
