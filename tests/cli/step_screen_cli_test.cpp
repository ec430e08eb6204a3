// --step through a real pseudo-terminal: keystrokes in, screen text out.
// Each test waits for the screen's text before it types, so nothing here
// depends on timing; every run is --speed 0.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/background_run.hpp"
#include "support/mpdemo_runner.hpp"
#include "support/pty_run.hpp"

using test::PtyRun;
using test::TempDir;

namespace {

// Types `answer` at the prompt of the screen before step `position`.
void answer(PtyRun& run, int position, const std::string& keys) {
  INFO(run.screen);
  REQUIRE(run.expect("before step " + std::to_string(position) + " "));
  REQUIRE(run.expect("q = quit] >"));
  run.type(keys + "\n");
}

}  // namespace

TEST_CASE("step: ticket driven from the keyboard oversells and prints the order that replays it",
          "[cli][steps][step]") {
  TempDir dir;
  PtyRun run({"ticket", "--buyers", "2", "--step", "--speed", "0", "--seed", "1", "--lang", "en"}, dir.path());
  // Both search, both read the count 1, then both write 0.
  answer(run, 1, "1");
  answer(run, 2, "2");
  answer(run, 3, "Buyer-1");
  answer(run, 4, "Buyer-2");
  INFO(run.screen);
  REQUIRE(run.expect("before step 5 "));
  CHECK(run.expect("Buyer-1"));
  CHECK(run.expect("ready"));
  CHECK(run.expect("next: write count = 0"));
  CHECK(run.expect("db: count = 1"));
  run.type("1\n");
  answer(run, 6, "2");
  CHECK(run.expect("the same steps again: mpdemo ticket"));
  CHECK(run.expect("--order 1,2,1,2,1,2 --seed 1"));
  const int status = run.wait_status();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // oversold: the lesson's race happened
}

TEST_CASE("step: a blocked process is refused by name, Enter picks a ready one, r runs the rest",
          "[cli][steps][step]") {
  TempDir dir;
  PtyRun run({"ticket", "--lock", "--buyers", "2", "--step", "--speed", "0", "--seed", "2", "--lang", "en"}, dir.path());
  answer(run, 1, "1");
  answer(run, 2, "2");
  answer(run, 3, "1");  // Buyer-1 takes the lock
  INFO(run.screen);
  REQUIRE(run.expect("before step 4 "));
  CHECK(run.expect("lock: held by Buyer-1 (depth 1)"));
  REQUIRE(run.expect("q = quit] >"));
  run.type("2\n");
  CHECK(run.expect("Buyer-2 cannot go: Buyer-1 holds the lock"));
  REQUIRE(run.expect("q = quit] >"));
  run.type("Buyer-9\n");
  CHECK(run.expect("there is no process 'Buyer-9' here"));
  REQUIRE(run.expect("q = quit] >"));
  run.type("\n");  // the only ready one: Buyer-1
  CHECK(run.expect("step 4: Buyer-1 goes: read the count"));
  answer(run, 5, "r");
  CHECK(run.expect("the same steps again:"));
  CHECK(run.expect("--order 1,2,1,1,* --seed 2"));
  const int status = run.wait_status();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("step: rlock's second acquire of a Lock is a deadlock, shown with its cycle", "[cli][steps][step][rlock]") {
  TempDir dir;
  PtyRun run({"rlock", "--step", "--speed", "0", "--lang", "en"}, dir.path());
  answer(run, 1, "1");  // Twice takes the Lock; its next step takes it again
  INFO(run.screen);
  REQUIRE(run.expect("before step 2 "));
  CHECK(run.expect("blocked"));
  CHECK(run.expect("it holds the lock itself"));
  CHECK(run.expect("DEADLOCK: no process can move. The cycle: Twice → Twice"));
  REQUIRE(run.expect("nobody can move"));
  run.type("\n");  // Enter: nobody is ready, the question comes again
  REQUIRE(run.expect("nobody can move"));
  run.type("r\n");  // the real acquire then gives up at its timeout
  // Part 2 (the RLock) steps again; r lets it run freely too.
  REQUIRE(run.expect("before step 3 "));
  CHECK(run.expect("Owner"));
  CHECK(run.expect("next: take the RLock (depth 1 after)"));
  CHECK(run.expect("Other"));
  CHECK(run.expect("blocked"));
  REQUIRE(run.expect("q = quit] >"));
  run.type("r\n");
  CHECK(run.expect("--order 1,*,* --seed"));
  const int status = run.wait_status();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("step: the screen in Chinese", "[cli][steps][step]") {
  TempDir dir;
  PtyRun run({"rlock", "--step", "--speed", "0", "--lang", "zh"}, dir.path());
  INFO(run.screen);
  REQUIRE(run.expect("第 1 步之前"));
  REQUIRE(run.expect("q = 退出] >"));
  run.type("1\n");
  CHECK(run.expect("死锁"));
  CHECK(run.expect("Twice → Twice"));
  REQUIRE(run.expect("q = 退出] >"));
  run.type("q\n");
  CHECK(run.expect("按你的要求结束了运行"));
  const int status = run.wait_status();
  CHECK(WIFEXITED(status));
}

TEST_CASE("step: q mid-run ends the run and leaves no process", "[cli][steps][step][interrupt]") {
  TempDir dir;
  PtyRun run({"ticket", "--buyers", "3", "--step", "--speed", "0", "--lang", "en"}, dir.path());
  answer(run, 1, "2");
  INFO(run.screen);
  REQUIRE(run.expect("before step 2 "));
  const std::vector<pid_t> buyers = test::children_of(run.pid);
  CHECK(buyers.size() == 3);
  REQUIRE(run.expect("q = quit] >"));
  run.type("q\n");
  CHECK(run.expect("the run was ended at your request"));
  CHECK(run.expect("--order 2 --seed"));
  const pid_t mpdemo = run.pid;
  const int status = run.wait_status();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  for (pid_t buyer : buyers) {
    CAPTURE(buyer);
    CHECK(test::wait_until([buyer] { return test::gone(buyer); }, 10.0));
  }
  CHECK(test::children_of(mpdemo).empty());
}

TEST_CASE("step: Ctrl-C while children wait at a step point leaves no process", "[cli][steps][step][interrupt]") {
  TempDir dir;
  // 40 singers: a board far larger than one event (4 KB) is still drawn whole.
  PtyRun run({"semaphore", "--users", "40", "--step", "--speed", "0", "--lang", "en"}, dir.path());
  INFO(run.screen);
  REQUIRE(run.expect("before step 1 "));
  CHECK(run.expect("User-40"));
  CHECK(run.expect("free rooms: 4"));
  REQUIRE(run.expect("q = quit] >"));
  const std::vector<pid_t> singers = test::children_of(run.pid);
  CHECK(singers.size() == 40);
  run.type("\x03");  // the terminal's Ctrl-C: SIGINT to the foreground group
  const int status = run.wait_status();
  CHECK(WIFSIGNALED(status));
  for (pid_t singer : singers) {
    CAPTURE(singer);
    CHECK(test::wait_until([singer] { return test::gone(singer); }, 10.0));
  }
}

TEST_CASE("step: without a terminal, or with --order or --json, is a usage error", "[cli][steps][step]") {
  TempDir dir;
  auto piped = test::run_mpdemo({"ticket", "--step"}, dir.path());
  CHECK(piped.exit_code == 2);
  CHECK(piped.err.find("needs a terminal") != std::string::npos);
  CHECK(piped.out.find("Buyer") == std::string::npos);  // nothing ran

  auto both = test::run_mpdemo({"ticket", "--step", "--order", "1"}, dir.path());
  CHECK(both.exit_code == 2);
  CHECK(both.err.find("cannot be combined") != std::string::npos);

  auto zh = test::run_mpdemo({"ticket", "--step", "--lang", "zh"}, dir.path());
  CHECK(zh.exit_code == 2);
  CHECK(zh.err.find("需要一个终端") != std::string::npos);
}
