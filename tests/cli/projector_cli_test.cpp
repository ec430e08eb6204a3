// What a class sees on a projector: every scenario's default console output
// fits about 40 lines of 100 columns, -v shows every line, --json keeps every
// event, the time column reads +seconds, each process has its own colour, and
// mpdemo with no arguments, a mistyped name or a bad option is helpful.
#include <catch2/catch.hpp>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/mpdemo_runner.hpp"

namespace {

// Columns a terminal gives this UTF-8 line (CJK and full-width forms: 2),
// written here apart from the app's own measure so that the test checks it.
int columns(const std::string& line) {
  int width = 0;
  for (std::size_t i = 0; i < line.size();) {
    const auto c = static_cast<unsigned char>(line[i]);
    std::size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    char32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (std::size_t k = 1; k < len && i + k < line.size(); ++k) cp = (cp << 6) | (line[i + k] & 0x3F);
    const bool wide = (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
                      (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFE30 && cp <= 0xFE4F);
    width += wide ? 2 : 1;
    i += len;
  }
  return width;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// mpdemo on a pseudo-terminal, so that it colours its output as on a screen.
std::string run_on_terminal(const std::vector<std::string>& args) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::unsetenv("NO_COLOR");
    std::vector<char*> argv;
    static std::string binary = MPDEMO_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::chdir("/tmp");
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has closed the terminal
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

// Every scenario at its defaults, run fast (--speed scales its pauses, not
// what it prints), four at a time so that the whole sweep stays short.
void check_every_scenario_fits(const char* lang) {
  const auto names = test::scenario_names();
  REQUIRE(names.size() >= 28);
  std::vector<std::vector<std::string>> runs;
  for (const auto& name : names) runs.push_back({name, "--speed", "0.05", "--seed", "1", "--lang", lang});
  const auto results = test::run_mpdemo_many(runs, 4);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto& r = results[i];
    INFO(names[i] << " --lang " << lang << "\n" << r.out << r.err);
    CHECK(r.exit_code != 2);
    const auto lines = lines_of(r.out);
    CHECK(lines.size() <= 40u);
    int widest = 0;
    for (const auto& line : lines) widest = std::max(widest, columns(line));
    CHECK(widest <= 100);
    // Values are words, not raw JSON: no key=[...] dump, no {"key":...} object
    // as the renderer would dump it (a Python literal such as {"count": 100}
    // in a sentence is the lesson's own text).
    CHECK(r.out.find("=[") == std::string::npos);
    CHECK_FALSE(std::regex_search(r.out, std::regex("\\{\"[^\"]*\":[^ ]")));
  }
}

}  // namespace

TEST_CASE("every scenario's default console output fits a projector: 40 lines of 100 columns (en)", "[cli][projector]") {
  check_every_scenario_fits("en");
}

TEST_CASE("every scenario's default console output fits a projector: 40 lines of 100 columns (zh)", "[cli][projector]") {
  check_every_scenario_fits("zh");
}

TEST_CASE("folded events: -v shows every line, --json keeps every event", "[cli][projector]") {
  auto folded = test::run_mpdemo({"manager", "--speed", "0.05", "--seed", "1", "--lang", "en"});
  REQUIRE(folded.exit_code == 0);
  CHECK(folded.out.find("more like this") != std::string::npos);
  CHECK(folded.out.find("-v shows every line") != std::string::npos);
  auto every = test::run_mpdemo({"manager", "--speed", "0.05", "--seed", "1", "--lang", "en", "-v"});
  CHECK(every.exit_code == 0);
  CHECK(lines_of(every.out).size() > 100);
  auto json = test::run_json({"manager", "--speed", "0.05", "--seed", "1"});
  CHECK(test::count_kind(json, "manager.update") == 100);
}

TEST_CASE("the time column reads seconds since the start, --clock the time of day", "[cli][projector]") {
  auto r = test::run_mpdemo({"fork", "--speed", "0.05", "--seed", "1", "--lang", "en"});
  REQUIRE(r.exit_code == 0);
  CHECK(std::regex_search(lines_of(r.out).front(), std::regex("^\\+0\\.0[0-9]{2} ")));
  auto c = test::run_mpdemo({"fork", "--speed", "0.05", "--seed", "1", "--lang", "en", "--clock"});
  CHECK(std::regex_search(lines_of(c.out).front(), std::regex("^[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} ")));
}

TEST_CASE("the summary is one ordered, labelled line in the run's language and the outcome stands out",
          "[cli][projector]") {
  auto en = test::run_mpdemo({"ticket", "--speed", "0.05", "--seed", "3", "--lang", "en"});
  CHECK(en.out.find("buyers 5 · tickets 1 · sold") != std::string::npos);
  CHECK(en.out.find("lock no") != std::string::npos);
  CHECK(en.out.find("▶ ") != std::string::npos);  // the outcome line, marked when there is no colour
  CHECK(en.out.find("buyers=5") == std::string::npos);
  auto zh = test::run_mpdemo({"ticket", "--speed", "0.05", "--seed", "3", "--lang", "zh"});
  CHECK(zh.out.find("买家 5 · 票 1") != std::string::npos);
  CHECK(zh.out.find("加锁 否") != std::string::npos);
  CHECK(zh.out.find("false") == std::string::npos);
}

TEST_CASE("each process gets a colour of its own, and when there are too many the run says which share",
          "[cli][projector][colour]") {
  // The colour sequence right before a process's pid and name, per name.
  auto colours_of = [](const std::string& out) {
    std::map<std::string, std::set<std::string>> seen;
    const std::regex who("(\\x1b\\[[0-9;]*m)? *[0-9]+ ([A-Za-z]+-?[0-9]*) ");
    for (const auto& line : lines_of(out)) {
      std::smatch m;
      const std::string rest = line.substr(std::min<std::size_t>(line.size(), line.find(' ') + 1));
      if (std::regex_search(rest, m, who) && m.position(0) < 8) seen[m[2]].insert(m[1]);
    }
    return seen;
  };
  auto ticket = colours_of(run_on_terminal({"ticket", "--speed", "0.02", "--seed", "1", "--lang", "en", "-v"}));
  REQUIRE(ticket.count("Buyer-5"));
  std::set<std::string> buyer_colours;
  for (int i = 1; i <= 5; ++i) {
    const auto& c = ticket["Buyer-" + std::to_string(i)];
    REQUIRE(c.size() == 1);
    CHECK(!c.begin()->empty());
    buyer_colours.insert(*c.begin());
  }
  CHECK(buyer_colours.size() == 5);
  CHECK(*ticket["MainProcess"].begin() == "");  // MainProcess keeps the terminal's colour

  const std::string semaphore = run_on_terminal({"semaphore", "--speed", "0.02", "--seed", "1", "--lang", "en", "-v"});
  CHECK(semaphore.find("same colour as") != std::string::npos);
}

TEST_CASE("mpdemo alone lists the scenarios and how to start, a mistyped name gets the nearest ones",
          "[cli][projector][usage]") {
  auto none = test::run_mpdemo({});
  CHECK(none.exit_code == 0);
  CHECK(none.out.find("ticket") != std::string::npos);
  CHECK(none.out.find("mpdemo ticket --lock") != std::string::npos);

  auto typo = test::run_mpdemo({"tiket"});
  CHECK(typo.exit_code == 2);
  CHECK(typo.err.find("'ticket'") != std::string::npos);
  auto part = test::run_mpdemo({"lock"});
  CHECK(part.exit_code == 2);
  CHECK(part.err.find("'print-lock'") != std::string::npos);
  CHECK(part.err.find("'rlock'") != std::string::npos);

  // A usage error found when the run starts: no "rerun with" header before it.
  auto bad = test::run_mpdemo({"ticket", "--crash-holder", "2", "--lang", "en"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.out.find("rerun with") == std::string::npos);
}
