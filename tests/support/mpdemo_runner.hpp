// Runs the built mpdemo binary for CLI tests and reads what it printed.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace test {

struct RunResult {
  int exit_code = -1;  // exit status, or -signal
  std::string out;     // stdout
  std::string err;     // stderr
  // stdout split into JSON lines (filled by run_json); a line that does not
  // parse makes run_json fail the test.
  std::vector<nlohmann::json> events;
  const nlohmann::json& summary() const { return events.back(); }
  // The check of the summary with this name (null json if absent).
  nlohmann::json check(const std::string& name) const;
};

// How many events of this kind the run emitted.
int count_kind(const RunResult& result, const std::string& kind);

// In a forked child whose fds are set up: execs `mpdemo args...` in `cwd`
// with NO_COLOR=1. Never returns (exit 127 if the exec fails).
[[noreturn]] void exec_mpdemo(const std::vector<std::string>& args, const std::string& cwd);

// Runs `mpdemo args...` with stdin from /dev/null, NO_COLOR=1 and a
// working directory of `cwd` (a fresh temporary directory when empty).
RunResult run_mpdemo(const std::vector<std::string>& args, const std::string& cwd = "");

// Runs each `mpdemo args...` as run_mpdemo does, up to `at_once` of them at
// the same time (from this one thread: no fork while another thread runs),
// for tests that go over every scenario. Results in the order of `runs`.
std::vector<RunResult> run_mpdemo_many(const std::vector<std::vector<std::string>>& runs, std::size_t at_once);

// Every scenario `mpdemo list` shows, in its order.
std::vector<std::string> scenario_names();
// Same with --json added; parses every stdout line (CHECKs that each parses).
RunResult run_json(std::vector<std::string> args, const std::string& cwd = "");

// A fresh directory under the system temp dir, removed with its files when
// the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& text) const;
  std::string read(const std::string& name) const;

 private:
  std::string path_;
};

}  // namespace test
