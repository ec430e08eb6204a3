// --order: the children stop at their step points for real and take their
// steps in the given order, so one order gives one outcome every time.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "support/background_run.hpp"
#include "support/mpdemo_runner.hpp"

using test::run_json;
using test::TempDir;

namespace {

// "1,2,3,1,2,3,..." (everyone takes step k before anyone takes step k+1)
// or "1,1,1,2,2,2,..." (one buyer after the other), `steps` per buyer.
std::string ticket_order(int buyers, int steps, bool interleaved) {
  std::string order;
  for (int outer = 1; outer <= (interleaved ? steps : buyers); ++outer)
    for (int inner = 1; inner <= (interleaved ? buyers : steps); ++inner)
      order += (order.empty() ? "" : ",") + std::to_string(interleaved ? inner : outer);
  return order;
}

}  // namespace

TEST_CASE("ticket --order: everyone reads before anyone writes oversells by buyers - 1, every time",
          "[cli][steps][ticket]") {
  const int buyers = 4;
  const std::string order = ticket_order(buyers, 3, true);  // search, read, write
  TempDir dir;
  int same = 0;
  const int runs = 50;
  for (int run = 0; run < runs; ++run) {
    auto r = run_json({"ticket", "--buyers", std::to_string(buyers), "--order", order, "--speed", "0", "--seed",
                       std::to_string(run)},
                      dir.path());
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    if (r.summary()["sold"] == buyers && r.summary()["oversold"] == buyers - 1 && r.summary()["remaining"] == 0)
      ++same;
    REQUIRE(test::count_kind(r, "step.go") == 3 * buyers);
  }
  CHECK(same == runs);
}

TEST_CASE("ticket --order: one buyer after the other sells exactly one, every time", "[cli][steps][ticket]") {
  const int buyers = 4;
  const std::string order = ticket_order(buyers, 3, false);
  TempDir dir;
  int same = 0;
  const int runs = 50;
  for (int run = 0; run < runs; ++run) {
    auto r = run_json({"ticket", "--buyers", std::to_string(buyers), "--order", order, "--speed", "0", "--seed",
                       std::to_string(run)},
                      dir.path());
    INFO(r.err);
    REQUIRE(r.exit_code == 1);  // no race happened: the lesson's check says so
    if (r.summary()["sold"] == 1 && r.summary()["oversold"] == 0 && r.summary()["remaining"] == 0) ++same;
  }
  CHECK(same == runs);
}

TEST_CASE("ticket --order: names work like numbers, and '*' lets the rest run freely", "[cli][steps][ticket]") {
  TempDir dir;
  auto r = run_json({"ticket", "--buyers", "3", "--order", "Buyer-2,Buyer-2,Buyer-2,*", "--speed", "0"}, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 1);
  CHECK(r.summary()["sold"] == 1);  // Buyer-2 bought alone; the others then read 0
  CHECK(test::count_kind(r, "step.go") == 3);
  CHECK(test::count_kind(r, "step.free") == 1);
  for (const auto& e : r.events)
    if (e["kind"] == "ticket.bought") CHECK(e["name"] == "Buyer-2");
}

TEST_CASE("ticket --lock --order: a step that needs a lock another holds is refused by name", "[cli][steps][ticket]") {
  TempDir dir;
  // Both search, Buyer-1 takes the lock, then Buyer-2 is named for its acquire.
  auto r = run_json({"ticket", "--lock", "--buyers", "2", "--order", "1,2,1,2", "--speed", "0"}, dir.path());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("step 4") != std::string::npos);
  CHECK(r.err.find("Buyer-2 cannot go: Buyer-1 holds the lock") != std::string::npos);
  CHECK(test::count_kind(r, "step.blocked") == 1);

  auto ok = run_json({"ticket", "--lock", "--buyers", "2", "--order", "1,2,1,1,1,2,2,2", "--speed", "0"}, dir.path());
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.summary()["sold"] == 1);
}

TEST_CASE("order errors: an unknown process, a finished one, a scenario without step points, help",
          "[cli][steps]") {
  TempDir dir;
  auto unknown = run_json({"ticket", "--buyers", "2", "--order", "1,Buyer-9", "--speed", "0"}, dir.path());
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("step 2 (Buyer-9)") != std::string::npos);

  auto finished = run_json({"ticket", "--buyers", "2", "--order", "1,1,1,1", "--speed", "0"}, dir.path());
  CHECK(finished.exit_code == 2);
  CHECK(finished.err.find("Buyer-1 cannot go: it has already finished") != std::string::npos);

  auto empty = test::run_mpdemo({"ticket", "--order", "1,,2"}, dir.path());
  CHECK(empty.exit_code == 2);
  CHECK(empty.err.find("step 2 is empty") != std::string::npos);

  // A scenario without step points has no --order: refused before anything starts.
  auto none = test::run_mpdemo({"pid", "--order", "1", "--speed", "0"}, dir.path());
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("--order") != std::string::npos);
  CHECK(none.out.find("started") == std::string::npos);

  // Each scenario with step points shows an --order example in its --help.
  for (const char* scenario : {"ticket", "print-lock", "file-append", "manager", "value-array"}) {
    auto help = test::run_mpdemo({scenario, "--help"}, dir.path());
    CAPTURE(scenario);
    CHECK(help.out.find("--order TEXT") != std::string::npos);
    CHECK(help.out.find(std::string("mpdemo ") + scenario + " ") != std::string::npos);
    CHECK(help.out.find(" --order ") != std::string::npos);
  }
}

TEST_CASE("order: Ctrl-C while buyers wait at their step points leaves no process", "[cli][steps][interrupt]") {
  TempDir dir;
  // Buyer-1 sleeps 30 s in its read step; Buyer-2 and Buyer-3 wait at their step points meanwhile.
  test::BackgroundRun run({"ticket", "--json", "--buyers", "3", "--order", "1,2,3,1,2,3", "--search-max", "0",
                           "--buy-min", "30", "--buy-max", "30", "--seed", "1"},
                          dir.path());
  std::set<pid_t> buyers;
  bool reading = false;
  while (!reading || buyers.size() < 3) {
    auto e = run.next_event(30.0);
    REQUIRE(e.is_object());
    if (e["name"].get<std::string>().rfind("Buyer-", 0) == 0) buyers.insert(e["pid"].get<pid_t>());
    if (e["kind"] == "step.go" && e["position"] == 4) reading = true;
  }
  for (pid_t buyer : buyers) CHECK_FALSE(test::gone(buyer));
  REQUIRE(::kill(run.pid, SIGINT) == 0);
  const int status = run.wait_status(30.0);
  REQUIRE(status != -1);
  CHECK(WIFSIGNALED(status));
  for (pid_t buyer : buyers) {
    CAPTURE(buyer);
    CHECK(test::wait_until([buyer] { return test::gone(buyer); }, 10.0));
  }
}

TEST_CASE("manager --order: read, read, write, write loses one update, read, write, read, write loses none",
          "[cli][steps][manager]") {
  TempDir dir;
  auto lost = run_json({"manager", "--workers", "2", "--count", "2", "--order", "1,2,1,2", "--speed", "0"}, dir.path());
  INFO(lost.err);
  REQUIRE(lost.exit_code == 0);
  CHECK(lost.summary()["final"] == 1);

  auto serial = run_json({"manager", "--workers", "2", "--count", "2", "--order", "1,1,2,2", "--speed", "0"}, dir.path());
  INFO(serial.err);
  REQUIRE(serial.exit_code == 1);  // the race the lesson shows did not happen
  CHECK(serial.summary()["final"] == 0);

  auto blocked = run_json({"manager", "--lock", "--workers", "2", "--order", "1,2", "--speed", "0"}, dir.path());
  CHECK(blocked.exit_code == 2);
  CHECK(blocked.err.find("Worker-2 cannot go: Worker-1 holds the lock") != std::string::npos);
}

TEST_CASE("print-lock --order: all start before any is done overlaps every pair, one after the other none",
          "[cli][steps][print-lock]") {
  TempDir dir;
  auto together = run_json({"print-lock", "--order", "3,1,2,1,2,3", "--speed", "0"}, dir.path());
  INFO(together.err);
  CHECK(together.exit_code == 0);
  CHECK(together.summary()["overlaps"] == 3);
  CHECK(together.summary()["order"] == nlohmann::json({3, 1, 2}));

  auto serial = run_json({"print-lock", "--order", "2,2,1,1,3,3", "--speed", "0"}, dir.path());
  INFO(serial.err);
  CHECK(serial.exit_code == 1);  // free mode expects interleaving; this order had none
  CHECK(serial.summary()["overlaps"] == 0);
  CHECK(serial.summary()["order"] == nlohmann::json({2, 1, 3}));

  auto blocked = run_json({"print-lock", "--lock", "--order", "1,1,2,2", "--speed", "0"}, dir.path());
  CHECK(blocked.exit_code == 2);
  CHECK(blocked.err.find("Task-2 cannot go: Task-1 holds the lock") != std::string::npos);

  auto join = test::run_mpdemo({"print-lock", "--join", "--order", "1"}, dir.path());
  CHECK(join.exit_code == 2);
}

TEST_CASE("value-array --order: the unlocked counter loses exactly the increments the order overlaps",
          "[cli][steps][value-array]") {
  TempDir dir;
  // Counter-1 and Counter-2 read 0, both write 1; then Counter-1 increments alone: 2 of 3 counted.
  auto r = run_json({"value-array", "--processes", "2", "--increments", "2", "--order", "1,2,1,2,1,1,2,2", "--speed",
                     "0"},
                    dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["unlocked_counter"] == 3);
  CHECK(r.summary()["unlocked_lost"] == 1);
  CHECK(r.summary()["locked_counter"] == 4);
}

TEST_CASE("file-append --order: both open before either writes, without O_APPEND one record is lost and with it none",
          "[cli][steps][file-append]") {
  TempDir dir;
  auto overwrite =
      run_json({"file-append", "--writers", "2", "--no-append", "--order", "1,2,1,2", "--speed", "0"}, dir.path());
  INFO(overwrite.err);
  CHECK(overwrite.exit_code == 0);
  CHECK(overwrite.summary()["lost"] == 1);

  auto appended = run_json({"file-append", "--writers", "2", "--order", "1,2,1,2", "--speed", "0"}, dir.path());
  INFO(appended.err);
  CHECK(appended.exit_code == 0);
  CHECK(appended.summary()["lost"] == 0);
  CHECK(appended.summary()["records"] == 2);
}

TEST_CASE("rlock --order: the second acquire of a Lock is refused as a deadlock, '*' frees one part",
          "[cli][steps][rlock]") {
  TempDir dir;
  auto twice = run_json({"rlock", "--order", "1,1", "--speed", "0"}, dir.path());
  CHECK(twice.exit_code == 2);
  CHECK(twice.err.find("step 2 (1): Twice cannot go: it holds the lock itself") != std::string::npos);
  CHECK(test::count_kind(twice, "step.deadlock") == 1);

  // Part 1 freed by '*', then part 2 stepped: the owner enters, the other
  // process is refused, the owner enters again, holds, leaves twice, and
  // only then the other process takes the RLock.
  auto reentry = run_json({"rlock", "--depth", "2", "--order", "1,*,1,2,1,1,1,1,2", "--speed", "0"}, dir.path());
  INFO(reentry.err);
  CHECK(reentry.exit_code == 0);
  CHECK(test::count_kind(reentry, "step.go") == 1 + 7);
  CHECK(reentry.summary()["rlock_other_refused"] == true);
  CHECK(reentry.summary()["rlock_depths"] == nlohmann::json({1, 2}));

  auto early = run_json({"rlock", "--order", "1,*,2", "--speed", "0"}, dir.path());
  CHECK(early.exit_code == 2);
  CHECK(early.err.find("Other cannot go: it waits for the event 'the owner holds the RLock'") != std::string::npos);

  auto held = run_json({"rlock", "--order", "1,*,1,2,2", "--speed", "0"}, dir.path());
  CHECK(held.exit_code == 2);
  CHECK(held.err.find("step 5 (2): Other cannot go: Owner holds the RLock") != std::string::npos);
}

TEST_CASE("semaphore --order: a singer cannot enter while the only room is taken", "[cli][steps][semaphore]") {
  TempDir dir;
  auto full = run_json({"semaphore", "--rooms", "1", "--users", "2", "--order", "1,2", "--speed", "0"}, dir.path());
  CHECK(full.exit_code == 2);
  CHECK(full.err.find("User-2 cannot go: it waits for free rooms, and there are none") != std::string::npos);

  auto turns = run_json({"semaphore", "--rooms", "1", "--users", "2", "--order", "1,1,2,2", "--speed", "0"}, dir.path());
  INFO(turns.err);
  CHECK(turns.exit_code == 0);
  CHECK(turns.summary()["peak"] == 1);
  CHECK(test::count_kind(turns, "step.go") == 4);
}

TEST_CASE("event --order: a car cannot go on red, after the light's set it drives through", "[cli][steps][event]") {
  TempDir dir;
  auto red = run_json({"event", "--cars", "1", "--order", "1", "--speed", "0"}, dir.path());
  CHECK(red.exit_code == 2);
  CHECK(red.err.find("Car-1 cannot go: it waits for the green light (the Event), which is not set") !=
        std::string::npos);

  auto green = run_json({"event", "--cars", "1", "--order", "3,1,2", "--speed", "0"}, dir.path());
  INFO(green.err);
  CHECK(green.exit_code != 2);
  CHECK(test::count_kind(green, "step.go") == 3);
  CHECK(test::count_kind(green, "event.car_pass_direct") == 1);
  CHECK(test::count_kind(green, "event.police_pass_green") == 1);
}

TEST_CASE("baozi --order: an eater cannot take a bun before one is put, put, get in turns eats every bun",
          "[cli][steps][baozi]") {
  TempDir dir;
  auto hungry = run_json({"baozi", "--consumers", "2", "--order", "2", "--speed", "0"}, dir.path());
  CHECK(hungry.exit_code == 2);
  CHECK(hungry.err.find("Eater-1 cannot go: it waits for buns in the basin, and there are none") != std::string::npos);

  // Cook-1 puts, Eater-1 gets, twice; then the sentinel ends Eater-1.
  auto turns = run_json({"baozi", "--items", "2", "--order", "1,2,1,2,2", "--speed", "0"}, dir.path());
  INFO(turns.err);
  CHECK(turns.exit_code == 0);
  CHECK(test::count_kind(turns, "step.go") == 5);
  CHECK(turns.summary()["eaten_once"] == 2);

  auto pipe = test::run_mpdemo({"baozi", "--via", "pipe", "--order", "1"}, dir.path());
  CHECK(pipe.exit_code == 2);
  CHECK(pipe.err.find("--via queue") != std::string::npos);
}

TEST_CASE("queue --order: both look before either takes, and one of them gets Empty", "[cli][steps][queue]") {
  TempDir dir;
  auto stale = run_json({"queue", "--order", "1,2,1,2", "--speed", "0"}, dir.path());
  INFO(stale.err);
  CHECK(stale.exit_code == 0);
  CHECK(stale.summary()["checkers_saw_items"] == 2);
  CHECK(stale.summary()["checkers_empty"] == 1);

  auto one_by_one = run_json({"queue", "--order", "1,1,2,2", "--speed", "0"}, dir.path());
  INFO(one_by_one.err);
  CHECK(one_by_one.exit_code == 1);  // no stale snapshot this time: the lesson's check says so
  CHECK(one_by_one.summary()["checkers_saw_items"] == 1);
}
