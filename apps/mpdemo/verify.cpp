#include "verify.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "catalog.hpp"
#include "commands.hpp"
#include "error_text.hpp"
#include "event_text.hpp"
#include "global_options.hpp"
#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/unique_fd.hpp"
#include "scenario.hpp"

namespace mpdemo {
namespace {

// A run that takes longer than this is stopped and counted as failed.
constexpr double kRunTimeLimit = 60.0;

// The languages every event and check must have text in.
constexpr const char* kLanguages[] = {"en", "zh"};

struct RunOutcome {
  int exit_code = -1;
  nlohmann::json summary;                    // null when the run printed none
  std::vector<std::string> keys_to_render;  // event kinds and check keys the run produced
  std::vector<std::string> core_errors;     // the core's English error texts its events carry ("error")
  double seconds = 0;
};

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  auto trimmed = [](std::string s) {
    s.erase(0, s.find_first_not_of(' '));
    s.erase(s.find_last_not_of(' ') + 1);
    return s;
  };
  while (std::getline(in, part, sep)) parts.push_back(trimmed(part));
  if (!text.empty() && text.back() == sep) parts.emplace_back();
  return parts;
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Runs this binary again ("/proc/self/exe") with `args`; reads its stdout.
RunOutcome run_self(const std::vector<std::string>& args) {
  RunOutcome outcome;
  auto [out_r, out_w] = mp::make_pipe();
  const double start = mp::monotonic_seconds();
  std::fflush(nullptr);
  const pid_t verify_pid = ::getpid();
  pid_t pid = ::fork();
  switch (pid) {
    case -1:
      return outcome;
    case 0: {
      // A verify that is killed takes its run with it (the signal survives
      // the exec); a verify that died before the prctl is seen by getppid.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != verify_pid) ::_exit(127);
      ::dup2(out_w.get(), STDOUT_FILENO);
      int devnull = ::open("/dev/null", O_RDWR);
      ::dup2(devnull, STDIN_FILENO);
      ::dup2(devnull, STDERR_FILENO);  // a failing run shows in its checks; its stderr would clutter the table
      std::vector<char*> argv;
      std::string self = "/proc/self/exe";
      argv.push_back(self.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(self.c_str(), argv.data());
      ::_exit(127);
    }
    default:
      break;
  }
  out_w.reset();  // close our copy of the write end so we see EOF when the run ends
  std::string text;
  char buf[65536];
  mp::Deadline deadline(kRunTimeLimit);
  for (;;) {
    pollfd p{out_r.get(), POLLIN, 0};
    int r = ::poll(&p, 1, deadline.poll_ms());
    if (r == 0) {  // over time: stop it, count it as failed
      ::kill(pid, SIGKILL);
      break;
    }
    ssize_t n = ::read(out_r.get(), buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  outcome.exit_code = mp::exitcode_from_status(status);
  outcome.seconds = mp::monotonic_seconds() - start;
  const Catalog english("en");
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    auto event = nlohmann::json::parse(line, nullptr, false);
    if (!event.is_object()) continue;
    const std::string kind = event.value("kind", "");
    if (kind == "summary") {
      outcome.summary = event;
      const std::string scenario = event.value("scenario", "");
      for (const auto& c : event.value("checks", nlohmann::json::array())) {
        outcome.keys_to_render.push_back(check_key(english, scenario, c.value("name", "")));
        // A check's figure made of named parts ({"alive": 0, "failed": 0})
        // is read out with a label per part (see value_words.hpp).
        for (const char* field : {"value", "expected"})
          if (c.contains(field) && c[field].is_object())
            for (const auto& [part, ignored] : c[field].items()) outcome.keys_to_render.push_back("label." + part);
      }
    } else if (!kind.empty() && !is_trace_event(kind)) {
      outcome.keys_to_render.push_back(kind);
      // A core error reaches the reader only where the line's text shows it.
      if (event.contains("error") && event["error"].is_string() &&
          english.text(kind).find("{error}") != std::string::npos)
        outcome.core_errors.push_back(event["error"]);
    }
  }
  return outcome;
}

// "lang:key" for every key a console in that language would show raw.
std::vector<std::string> missing_text(const std::vector<std::string>& keys, const std::vector<Catalog>& catalogs) {
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < catalogs.size(); ++i)
    for (const auto& key : keys) {
      std::string entry = std::string(kLanguages[i]) + ":" + key;
      if (!catalogs[i].has_own(key) && std::find(missing.begin(), missing.end(), entry) == missing.end())
        missing.push_back(entry);
    }
  return missing;
}

// "lang:error.<text>" for every core error text that a console in a
// language other than English would show untranslated (core_error_text).
void add_missing_error_text(const std::vector<std::string>& errors, const std::vector<Catalog>& catalogs,
                            std::vector<std::string>& missing) {
  for (std::size_t i = 0; i < catalogs.size(); ++i) {
    if (std::string(kLanguages[i]) == "en") continue;  // the core writes English
    for (const auto& text : errors) {
      const std::string key = core_error_key(text);
      std::string entry = std::string(kLanguages[i]) + ":" + key;
      if (!catalogs[i].has_own(key) && std::find(missing.begin(), missing.end(), entry) == missing.end())
        missing.push_back(entry);
    }
  }
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

// Where the runs' timelines go while they are checked; removed with what is left in it.
class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    std::string pattern = (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : "/tmp") + "/mpdemo-verify-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw mp::OSError("mkdtemp " + pattern, errno);
    path_ = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace

int run_verify(double speed, std::uint64_t seed, bool json, const std::string& only) {
  std::vector<std::string> wanted = only.empty() ? std::vector<std::string>{} : split(only, ',');
  for (const auto& w : wanted) {
    if (!find_scenario(w)) {
      const Catalog catalog(language_from_environment());
      std::fputs(error_line(catalog, "mpdemo verify --only", unknown_scenario_text(w, catalog)).c_str(), stderr);
      return 2;
    }
  }
  std::vector<Catalog> catalogs;
  for (const char* lang : kLanguages) catalogs.emplace_back(lang);
  const TemporaryDirectory drawings;
  int failed = 0, runs = 0;
  const double start = mp::monotonic_seconds();
  if (!json) std::printf("%-22s %-52s %7s %8s  %s\n", "scenario", "arguments", "checks", "seconds", "result");
  for (const auto& entry : scenario_table()) {
    if (!entry.setup) continue;
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), entry.name) == wanted.end()) continue;
    for (const auto& run_args : split(entry.verify_runs, ';')) {
      std::vector<std::string> args{entry.name};
      for (auto& w : words(run_args)) args.push_back(w);
      args.insert(args.end(), {"--json", "--speed", std::to_string(speed), "--seed", std::to_string(seed)});
      // Every run is also drawn: a scenario whose spans do not fit together
      // (one begun and never ended) fails its timeline_well_formed check.
      const std::string page = drawings.file("run-" + std::to_string(runs + 1) + ".html");
      args.insert(args.end(), {"--timeline", page});
      RunOutcome o = run_self(args);
      ::unlink(page.c_str());
      int held = 0, total = 0;
      if (o.summary.is_object())
        for (const auto& c : o.summary.value("checks", nlohmann::json::array())) {
          ++total;
          held += c.value("ok", false) ? 1 : 0;
        }
      // A run whose lesson held but which printed a line with no text in some
      // language still fails: that line would reach a student as a raw key.
      auto untranslated = missing_text(o.keys_to_render, catalogs);
      add_missing_error_text(o.core_errors, catalogs, untranslated);
      const bool ok =
          o.exit_code == 0 && o.summary.is_object() && o.summary.value("ok", false) && untranslated.empty();
      ++runs;
      if (!ok) ++failed;
      std::string shown = words(run_args).empty() ? "(defaults)" : run_args;
      if (json) {
        nlohmann::json line = {{"kind", "verify.run"}, {"scenario", entry.name}, {"args", shown},
                               {"exit_code", o.exit_code}, {"checks_held", held}, {"checks", total},
                               {"seconds", std::round(o.seconds * 1000) / 1000},
                               {"missing_text", untranslated}, {"ok", ok}};
        std::printf("%s\n", line.dump().c_str());
      } else {
        std::string result = ok ? "ok" : "FAILED (exit " + std::to_string(o.exit_code) + ")";
        if (!untranslated.empty()) result += " no text for " + joined(untranslated);
        std::printf("%-22s %-52s %3d/%-3d %8.2f  %s\n", entry.name, shown.c_str(), held, total, o.seconds,
                    result.c_str());
      }
      std::fflush(stdout);
    }
  }
  const double seconds = mp::monotonic_seconds() - start;
  if (json) {
    nlohmann::json report = {{"kind", "verify.report"}, {"runs", runs}, {"failed", failed},
                             {"seconds", std::round(seconds * 1000) / 1000}, {"ok", failed == 0}};
    std::printf("%s\n", report.dump().c_str());
  } else {
    std::printf("\n%d run(s), %d failed, %.1f s\n", runs, failed, seconds);
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace mpdemo
