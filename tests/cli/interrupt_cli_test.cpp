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
#include "support/mpdemo_runner.hpp"
#include "support/proc_watch.hpp"

namespace {

// mpdemo started in the background with its stdout on a pipe.
struct BackgroundRun {
  pid_t pid = -1;
  mp::UniqueFd out;
  std::string pending;  // bytes read past the last whole line

  BackgroundRun(const std::vector<std::string>& args, const std::string& cwd) {
    auto [r, w] = mp::make_pipe();
    pid = ::fork();
    if (pid == 0) {
      ::dup2(w.get(), 1);
      int devnull = ::open("/dev/null", O_RDWR);
      ::dup2(devnull, 0);
      ::dup2(devnull, 2);
      test::exec_mpdemo(args, cwd);
    }
    out = std::move(r);
  }
  ~BackgroundRun() {
    if (pid > 0 && ::waitpid(pid, nullptr, WNOHANG) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }

  // The next JSON event, or null after `timeout_s` or at EOF.
  nlohmann::json next_event(double timeout_s) {
    mp::Deadline deadline(timeout_s);
    for (;;) {
      auto newline = pending.find('\n');
      if (newline != std::string::npos) {
        auto line = pending.substr(0, newline);
        pending.erase(0, newline + 1);
        return nlohmann::json::parse(line, nullptr, false);
      }
      pollfd p{out.get(), POLLIN, 0};
      if (::poll(&p, 1, deadline.poll_ms()) != 1) return nullptr;
      char buf[4096];
      ssize_t n = ::read(out.get(), buf, sizeof buf);
      if (n <= 0) return nullptr;
      pending.append(buf, static_cast<std::size_t>(n));
    }
  }

  // Waits for the exit status (raw waitpid status); -1 after `timeout_s`.
  int wait_status(double timeout_s) {
    int status = -1;
    const bool ended = test::wait_until([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, timeout_s);
    if (!ended) return -1;
    pid = -1;
    return status;
  }
};

bool gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

}  // namespace

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
