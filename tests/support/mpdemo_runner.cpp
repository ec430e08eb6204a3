#include "support/mpdemo_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>

#include "mp/process.hpp"

namespace test {

nlohmann::json RunResult::check(const std::string& name) const {
  if (events.empty()) return nullptr;
  for (const auto& c : summary().value("checks", nlohmann::json::array()))
    if (c.value("name", "") == name) return c;
  return nullptr;
}

int count_kind(const RunResult& result, const std::string& kind) {
  int n = 0;
  for (const auto& e : result.events) n += e.value("kind", "") == kind ? 1 : 0;
  return n;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "mpdemo-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void TempDir::write(const std::string& name, const std::string& text) const {
  std::ofstream(file(name)) << text;
}

std::string TempDir::read(const std::string& name) const {
  std::ifstream in(file(name));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void exec_mpdemo(const std::vector<std::string>& args, const std::string& cwd) {
  if (::chdir(cwd.c_str()) != 0) ::_exit(127);
  ::setenv("NO_COLOR", "1", 1);
  std::vector<char*> argv;
  // MPDEMO_UNDER_TEST runs the tests against another build (an older
  // commit's, to see a new test fail before its fix).
  const char* other = std::getenv("MPDEMO_UNDER_TEST");
  std::string bin = other && *other ? other : MPDEMO_BINARY;
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(bin.c_str(), argv.data());
  ::_exit(127);
}

RunResult run_mpdemo(const std::vector<std::string>& args, const std::string& cwd) {
  TempDir scratch;
  const std::string dir = cwd.empty() ? scratch.path() : cwd;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    exec_mpdemo(args, dir);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  RunResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      } else if (n == 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = mp::exitcode_from_status(status);
  return result;
}

namespace {

// One run of run_mpdemo_many while it runs: its child, the read ends of its
// stdout and stderr (-1 once at EOF), and its own working directory.
struct LiveRun {
  std::size_t index = 0;
  pid_t pid = -1;
  int fds[2] = {-1, -1};
  std::unique_ptr<TempDir> dir;
};

LiveRun start_run(std::size_t index, const std::vector<std::string>& args) {
  LiveRun run;
  run.index = index;
  run.dir = std::make_unique<TempDir>();
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  run.pid = ::fork();
  if (run.pid < 0) throw std::runtime_error("fork");
  if (run.pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    exec_mpdemo(args, run.dir->path());
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  run.fds[0] = out_pipe[0];
  run.fds[1] = err_pipe[0];
  return run;
}

}  // namespace

std::vector<RunResult> run_mpdemo_many(const std::vector<std::vector<std::string>>& runs, std::size_t at_once) {
  std::vector<RunResult> results(runs.size());
  std::vector<LiveRun> live;
  std::size_t next = 0;
  char buf[65536];
  while (next < runs.size() || !live.empty()) {
    while (next < runs.size() && live.size() < std::max<std::size_t>(at_once, 1)) {
      live.push_back(start_run(next, runs[next]));
      ++next;
    }
    std::vector<pollfd> fds;
    for (const auto& run : live)
      for (int fd : run.fds) fds.push_back({fd, POLLIN, 0});  // fd -1: poll skips it
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    std::size_t slot = 0;
    for (auto& run : live)
      for (int i = 0; i < 2; ++i, ++slot) {
        if (run.fds[i] < 0 || !(fds[slot].revents & (POLLIN | POLLHUP))) continue;
        const ssize_t n = ::read(run.fds[i], buf, sizeof buf);
        if (n > 0) {
          (i == 0 ? results[run.index].out : results[run.index].err).append(buf, static_cast<std::size_t>(n));
        } else if (n == 0) {
          ::close(run.fds[i]);
          run.fds[i] = -1;
        }
      }
    // A run whose stdout and stderr are both at EOF has ended (or is about to): reap it.
    for (auto it = live.begin(); it != live.end();) {
      if (it->fds[0] >= 0 || it->fds[1] >= 0) {
        ++it;
        continue;
      }
      int status = 0;
      ::waitpid(it->pid, &status, 0);
      results[it->index].exit_code = mp::exitcode_from_status(status);
      it = live.erase(it);
    }
  }
  return results;
}

RunResult run_json(std::vector<std::string> args, const std::string& cwd) {
  args.push_back("--json");
  RunResult result = run_mpdemo(args, cwd);
  std::istringstream lines(result.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    INFO("stdout line: " << line);
    CHECK_FALSE(j.is_discarded());
    if (!j.is_discarded()) result.events.push_back(std::move(j));
  }
  return result;
}

std::vector<std::string> scenario_names() {
  auto r = run_mpdemo({"list", "--lang", "en"});
  std::vector<std::string> names;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, std::regex("  ([a-z-]+) +.*"))) names.push_back(m[1]);
  }
  return names;
}

}  // namespace test
