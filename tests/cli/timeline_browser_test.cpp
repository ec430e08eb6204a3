// The timeline page in a real browser: Debian's headless Chromium
// (chromium-headless-shell, installed by scripts/setup when testing) loads
// the page from disk, runs its script, and prints the DOM it built
// (--dump-dom); the test reads lanes, spans and marks from that DOM. The
// same runs are photographed (--screenshot) for the README.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <sstream>

#include "mp/deadline.hpp"
#include "mp/process.hpp"
#include "support/mpdemo_runner.hpp"
#include "support/timeline_checks.hpp"

using test::run_mpdemo;
using test::TempDir;

namespace {

constexpr const char* kBrowser = "/usr/bin/chromium-headless-shell";
constexpr double kBrowserTimeLimit = 90.0;  // a cold start on a loaded 2-core machine takes seconds

struct BrowserRun {
  int exit_code = -1;
  std::string out, err;
};

// Runs the browser with `args`; stdout and stderr collected; killed if it
// outlives the time limit (the test then fails on its exit code).
BrowserRun browse(const std::vector<std::string>& args, const std::string& profile) {
  int out_pipe[2], err_pipe[2];
  REQUIRE(::pipe2(out_pipe, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(err_pipe, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::setenv("HOME", profile.c_str(), 1);  // nothing of the browser's lands in the real home
    std::vector<std::string> all{kBrowser, "--no-sandbox", "--disable-gpu", "--no-first-run",
                                 "--user-data-dir=" + profile};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(kBrowser, argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  BrowserRun run;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  mp::Deadline deadline(kBrowserTimeLimit);
  while (open_fds > 0) {
    int r = ::poll(fds, 2, deadline.poll_ms());
    if (r == 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    if (r < 0) continue;
    for (auto& f : fds) {
      if (f.fd < 0 || !(f.revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = ::read(f.fd, buf, sizeof buf);
      if (n > 0) {
        (&f == &fds[0] ? run.out : run.err).append(buf, static_cast<std::size_t>(n));
      } else {
        ::close(f.fd);
        f.fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = mp::exitcode_from_status(status);
  return run;
}

struct DomSpan {
  std::string state;
  double t0, t1;
  bool placed;  // the script gave it an x and a width
};

struct Dom {
  int lanes = 0, marks = 0, arrows = 0;
  std::vector<DomSpan> spans;
  bool ready = false;
  int script_errors = -1;
};

// The tags that start with `prefix` (whole, up to their '>').
std::vector<std::string> tags(const std::string& html, const std::string& prefix) {
  std::vector<std::string> out;
  for (std::size_t at = html.find(prefix); at != std::string::npos; at = html.find(prefix, at + 1))
    out.push_back(html.substr(at, html.find('>', at) - at + 1));
  return out;
}

Dom read_dom(const std::string& html) {
  Dom dom;
  dom.lanes = static_cast<int>(tags(html, "<g class=\"lane\"").size());
  dom.marks = static_cast<int>(tags(html, "<circle class=\"mark\"").size());
  dom.arrows = static_cast<int>(tags(html, "<path class=\"arrow\"").size());
  const std::regex span(R"re(data-state="([^"]+)" data-lane="\d+" data-t0="([^"]+)" data-t1="([^"]+)")re");
  for (const auto& tag : tags(html, "<rect class=\"span")) {
    std::smatch m;
    if (!std::regex_search(tag, m, span)) continue;
    dom.spans.push_back({m[1], std::stod(m[2]), std::stod(m[3]),
                         tag.find(" x=\"") != std::string::npos && tag.find(" width=\"") != std::string::npos});
  }
  dom.ready = html.find("data-ready=\"1\"") != std::string::npos;
  std::smatch errors;
  const auto body = tags(html, "<body");
  if (!body.empty() && std::regex_search(body[0], errors, std::regex(R"re(data-script-errors="(\d+)")re")))
    dom.script_errors = std::stoi(errors[1]);
  return dom;
}

std::vector<std::pair<double, double>> spans_in(const Dom& dom, const std::string& state) {
  std::vector<std::pair<double, double>> out;
  for (const auto& s : dom.spans)
    if (s.state == state) out.emplace_back(s.t0, s.t1);
  return out;
}

// Draws a run of `scenario`, opens its page in the browser, returns the DOM
// read back; saves a screenshot as `shot` under the build's screenshots folder.
Dom draw_and_browse(const std::string& scenario, const std::vector<std::string>& scenario_args, const std::string& shot,
                    nlohmann::json& data) {
  TempDir dir;
  std::vector<std::string> args{scenario};
  args.insert(args.end(), scenario_args.begin(), scenario_args.end());
  args.insert(args.end(), {"--timeline", "t.html"});
  auto r = run_mpdemo(args, dir.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  data = test::page_data(dir.read("t.html"));
  const std::string url = "file://" + dir.file("t.html");
  TempDir profile;
  auto dom = browse({"--dump-dom", "--virtual-time-budget=10000", url}, profile.path());
  INFO(dom.err);
  REQUIRE(dom.exit_code == 0);
  CHECK(dom.err.find("Uncaught") == std::string::npos);
  if (!shot.empty()) {
    std::filesystem::create_directories(MPDEMO_SCREENSHOT_DIR);
    const std::string path = std::string(MPDEMO_SCREENSHOT_DIR) + "/" + shot;
    auto photo = browse({"--screenshot=" + path, "--window-size=1280,720", "--hide-scrollbars",
                         "--virtual-time-budget=10000", url},
                        profile.path());
    INFO(photo.err);
    CHECK(photo.exit_code == 0);
    CHECK(std::filesystem::exists(path));
  }
  return read_dom(dom.out);
}

}  // namespace

TEST_CASE("browser: with --lock the page's holding-the-lock spans never overlap", "[cli][timeline][browser]") {
  REQUIRE(::access(kBrowser, X_OK) == 0);  // scripts/setup installs chromium-headless-shell for the tests
  nlohmann::json data;
  const Dom dom = draw_and_browse("ticket", {"--lock", "--buyers", "5", "--speed", "0.1", "--seed", "1"},
                                  "ticket-lock.png", data);
  CHECK(dom.ready);
  CHECK(dom.script_errors == 0);
  CHECK(dom.lanes == 6);
  CHECK(dom.marks == static_cast<int>(data["marks"].size()));
  CHECK(dom.spans.size() == data["spans"].size());
  for (const auto& s : dom.spans) CHECK(s.placed);
  const auto holding = spans_in(dom, "ticket.holding_lock");
  CHECK(holding.size() == 5);
  CHECK(test::overlapping_pairs(holding) == 0);
}

TEST_CASE("browser: without a lock at least two read-to-write spans overlap", "[cli][timeline][browser]") {
  REQUIRE(::access(kBrowser, X_OK) == 0);
  nlohmann::json data;
  const Dom dom = draw_and_browse("ticket", {"--speed", "0.1", "--seed", "1"}, "ticket-nolock.png", data);
  CHECK(dom.ready);
  CHECK(dom.script_errors == 0);
  CHECK(dom.lanes == 6);
  CHECK(dom.marks == static_cast<int>(data["marks"].size()));
  CHECK(test::overlapping_pairs(spans_in(dom, "ticket.network")) >= 1);
  CHECK(spans_in(dom, "ticket.holding_lock").empty());
}

TEST_CASE("browser: the 1000-buyer page loads and draws every lane", "[cli][timeline][browser][scale]") {
  REQUIRE(::access(kBrowser, X_OK) == 0);
  nlohmann::json data;
  const Dom dom = draw_and_browse("ticket", {"--lock", "--buyers", "1000", "--tickets", "100", "--speed", "0", "--seed", "1"},
                                  "ticket-1000.png", data);
  CHECK(dom.ready);
  CHECK(dom.script_errors == 0);
  CHECK(dom.lanes == 1001);
  CHECK(dom.marks == static_cast<int>(data["marks"].size()));
  CHECK(test::overlapping_pairs(spans_in(dom, "ticket.holding_lock")) == 0);
}

TEST_CASE("browser: the communication scenarios draw an arrow from each put to its get", "[cli][timeline][browser]") {
  REQUIRE(::access(kBrowser, X_OK) == 0);
  auto scenario = GENERATE(as<std::string>{}, "queue", "queue-crowd", "flash-sale", "baozi", "echo-server");
  INFO(scenario);
  nlohmann::json data;
  const Dom dom = draw_and_browse(scenario, {"--speed", "0.02", "--seed", "1"}, "", data);
  CHECK(dom.ready);
  CHECK(dom.script_errors == 0);
  CHECK(dom.lanes == static_cast<int>(data["lanes"].size()));
  CHECK(dom.marks == static_cast<int>(data["marks"].size()));
  CHECK(data["arrows"].size() > 0);
  CHECK(dom.arrows == static_cast<int>(data["arrows"].size()));
}
