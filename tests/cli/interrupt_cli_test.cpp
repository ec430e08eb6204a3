// Ctrl-C (SIGINT) or a SIGTERM in the middle of a run: mpdemo ends every
// child it started and then dies of the same signal, so an instructor's
// Ctrl-C never leaves buyers sleeping in the background.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/unique_fd.hpp"
#include "support/background_run.hpp"
#include "support/mpdemo_runner.hpp"
#include "support/proc_watch.hpp"

using test::BackgroundRun;
using test::gone;

TEST_CASE("a signal mid-run ends every child and mpdemo dies of that signal", "[cli][interrupt]") {
  const int sig = GENERATE(SIGINT, SIGTERM);
  CAPTURE(sig);
  test::TempDir dir;
  // Buyers sleep 30 s in their purchase: without the guard they would outlive mpdemo.
  BackgroundRun run({"ticket", "--json", "--buyers", "4", "--lock", "--search-max", "0", "--buy-min", "30",
                     "--buy-max", "30", "--seed", "1"},
                    dir.path());
  std::set<pid_t> buyers;
  bool holder_waiting = false;
  while (!holder_waiting || buyers.size() < 4) {
    auto e = run.next_event(30.0);
    REQUIRE(e.is_object());
    if (e["name"].get<std::string>().rfind("Buyer-", 0) == 0) buyers.insert(e["pid"].get<pid_t>());
    if (e["kind"] == "ticket.read") holder_waiting = true;  // a buyer holds the lock and sleeps
  }
  for (pid_t buyer : buyers) CHECK_FALSE(gone(buyer));  // all alive, mid-purchase
  REQUIRE(::kill(run.pid, sig) == 0);
  const int status = run.wait_status(30.0);
  REQUIRE(status != -1);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == sig);
  for (pid_t buyer : buyers) {
    CAPTURE(buyer);
    CHECK(test::wait_until([buyer] { return gone(buyer); }, 10.0));
  }
  // Nothing half-written: the db is whole and no temporary file is left.
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    files.push_back(entry.path().filename().string());
  CHECK(files == std::vector<std::string>{"db.json"});
  CHECK(nlohmann::json::parse(dir.read("db.json"))["count"] == 1);
}
