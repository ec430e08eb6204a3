// --predict through the real binary: every scenario of `mpdemo list` asks
// its question, takes a right and a wrong answer in English and in Chinese,
// and judges them from the run's own summary; the exit status stays the
// lesson's; an answer of the wrong kind, or no terminal to ask on, is exit 2
// before anything runs; on a terminal the answer is typed.
#include <catch2/catch.hpp>
#include <dirent.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/mpdemo_runner.hpp"

namespace {

// Each scenario with options that make its answer certain, so that the
// right answer is right in every run (the lesson's own checks hold there).
struct QuizCase {
  std::vector<std::string> args;  // the scenario and its options
  std::string right;
  std::string wrong;
};

const std::map<std::string, QuizCase>& quiz_cases() {
  static const std::map<std::string, QuizCase> cases = {
      {"spawn", {{"spawn", "--per-way", "2"}, "4", "0"}},
      {"pid", {{"pid", "--children", "3", "--hold", "0"}, "3", "0"}},
      {"isolation", {{"isolation", "--x", "7", "--child-x", "9"}, "7", "9"}},
      // The sum (0.6 s at --speed 0.1) is right; the longest sleep (0.3 s) is
      // outside the 25% tolerance.
      {"join-timing", {{"join-timing", "--sleeps", "1,2,3", "--speed", "0.1"}, "0.6", "0.3"}},
      {"lifecycle", {{"lifecycle"}, "-15", "15"}},
      {"zombie", {{"zombie", "--count", "3"}, "3", "0"}},
      {"orphan", {{"orphan", "--linger", "0"}, "mpdemo", "init"}},
      // Steps end at 0.16 and 0.32 s, main at 0.4 s: 80 ms either side.
      {"daemon", {{"daemon", "--main", "2", "--step", "0.8", "--worker", "0", "--speed", "0.2"}, "2", "5"}},
      {"fork", {{"fork", "--rounds", "2"}, "2", "0"}},
      {"threads-vs-processes", {{"threads-vs-processes", "--count", "20", "--work", "1", "--crash", "abort"}, "-6", "0"}},
      {"states", {{"states", "--samples", "3"}, "t", "S"}},
      {"print-lock", {{"print-lock", "--join"}, "0", "3"}},
      {"ticket", {{"ticket", "--lock", "--buyers", "4"}, "1", "4"}},
      {"file-append", {{"file-append", "--writers", "6"}, "6", "1"}},
      {"semaphore", {{"semaphore", "--rooms", "2", "--users", "6"}, "2", "6"}},
      {"event", {{"event", "--cars", "3", "--arrive-max", "2"}, "yes", "no"}},
      {"manager", {{"manager", "--lock", "--workers", "20", "--count", "50"}, "30", "50"}},
      // One process cannot race with itself: nothing is lost.
      {"value-array", {{"value-array", "--processes", "1", "--increments", "1000"}, "no", "yes"}},
      {"rlock", {{"rlock", "--consumers", "2", "--batches", "2"}, "timeout", "acquired"}},
      {"queue", {{"queue", "--maxsize", "4"}, "1", "4"}},
      {"flash-sale", {{"flash-sale", "--buyers", "30", "--bands", "10"}, "10", "30"}},
      {"queue-crowd", {{"queue-crowd", "--writers", "4", "--readers", "3", "--messages", "5", "--maxsize", "1"}, "20", "0"}},
      {"pipe", {{"pipe", "--items", "20"}, "no", "yes"}},
      {"baozi", {{"baozi", "--producers", "2", "--items", "3", "--consumers", "2"}, "6", "3"}},
      {"pool", {{"pool", "--workers", "2", "--map-tasks", "20", "--tasks", "4"}, "1", "2"}},
      // Three clients, each 0.3 s long, 5 ms apart: all served at once.
      {"echo-server", {{"echo-server", "--clients", "3", "--think", "2"}, "3", "1"}},
      {"crawler", {{"crawler", "--workers", "2"}, "1", "2"}},
      {"scheduler", {{"scheduler", "--policy", "rr", "--jobs", "4"}, "no", "yes"}},
  };
  return cases;
}

bool has_chinese(const std::string& text) {
  for (unsigned char c : text)
    // Lead bytes in UTF-8 of CJK punctuation (0xE3), ideographs (0xE4-0xE9)
    // and full-width forms such as "，" and "（" (0xEF).
    if ((c >= 0xE3 && c <= 0xE9) || c == 0xEF) return true;
  return false;
}

// A text from the catalogues, filled: no key shown raw, no placeholder left.
void check_filled(const std::string& text, const std::string& lang) {
  INFO(text);
  CHECK(!text.empty());
  CHECK(text.find("predict.") == std::string::npos);
  CHECK(std::regex_search(text, std::regex("\\{[a-z_]+\\}")) == false);
  if (lang == "zh") CHECK(has_chinese(text));
}

// Children of this test process still alive (or unreaped): there must be none.
int children_left() {
  int found = 0;
  const std::string me = std::to_string(::getpid());
  DIR* proc = ::opendir("/proc");
  while (dirent* d = ::readdir(proc)) {
    std::ifstream stat(std::string("/proc/") + d->d_name + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...: the ppid is the second field after the ')'.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string state, ppid;
    rest >> state >> ppid;
    if (ppid == me) ++found;
  }
  ::closedir(proc);
  return found;
}

// One run with an answer: the summary carries the question, the answer and
// whether it held, and the exit status is the lesson's (its checks held).
void check_answer(const std::string& name, const QuizCase& c, const std::string& answer, bool should_hold,
                  const std::string& lang) {
  std::vector<std::string> args = c.args;
  bool speed_given = false;
  for (const auto& a : args) speed_given = speed_given || a == "--speed";
  if (!speed_given) args.insert(args.end(), {"--speed", "0.05"});
  args.insert(args.end(), {"--seed", "3", "--lang", lang, "--predict", answer});
  auto r = test::run_json(args);
  INFO(name << " --lang " << lang << " --predict " << answer << "\n" << r.err);
  REQUIRE(!r.events.empty());
  const auto& s = r.summary();
  REQUIRE(s.value("kind", "") == "summary");
  CHECK(s["ok"] == true);
  CHECK(r.exit_code == 0);
  REQUIRE(s.contains("prediction"));
  const auto& p = s["prediction"];
  INFO(p.dump());
  CHECK(p["held"] == should_hold);
  check_filled(p.value("question", ""), lang);
  check_filled(p.value("why", ""), lang);
  // The answer as read: a number where a number is asked, a token otherwise.
  if (p["answer"].is_number()) CHECK(std::abs(p["answer"].get<double>() - std::stod(answer)) < 1e-9);
  else CHECK(p["answer"] == (answer == "t" ? "T" : answer));
  // A right answer is the measured value (seconds: within the tolerance).
  if (should_hold && p.contains("tolerance"))
    CHECK(std::abs(p["measured"].get<double>() - std::stod(answer)) <= std::max(0.25 * p["measured"].get<double>(), 0.05));
  else if (should_hold && p["measured"].is_number())
    CHECK(p["measured"].get<double>() == std::stod(answer));
  else if (should_hold)
    CHECK(p["measured"] == p["answer"]);
}

void check_every_scenario(const std::string& first_lang, const std::string& second_lang, int part, int parts) {
  const auto names = test::scenario_names();
  REQUIRE(names.size() >= 28);
  int index = 0;
  for (const auto& name : names) {
    if (index++ % parts != part) continue;
    INFO("scenario " << name << " has a case in quiz_cases()");
    REQUIRE(quiz_cases().count(name) == 1);
    const QuizCase& c = quiz_cases().at(name);
    check_answer(name, c, c.right, true, first_lang);
    check_answer(name, c, c.wrong, false, first_lang);
    check_answer(name, c, c.right, true, second_lang);
    check_answer(name, c, c.wrong, false, second_lang);
  }
  CHECK(children_left() == 0);
}

}  // namespace

// Four parts, so that ctest -j runs them side by side.
TEST_CASE("predict: every scenario judges a right and a wrong answer, en and zh (part 1)", "[cli][predict]") {
  check_every_scenario("en", "zh", 0, 4);
}
TEST_CASE("predict: every scenario judges a right and a wrong answer, en and zh (part 2)", "[cli][predict]") {
  check_every_scenario("zh", "en", 1, 4);
}
TEST_CASE("predict: every scenario judges a right and a wrong answer, en and zh (part 3)", "[cli][predict]") {
  check_every_scenario("en", "zh", 2, 4);
}
TEST_CASE("predict: every scenario judges a right and a wrong answer, en and zh (part 4)", "[cli][predict]") {
  check_every_scenario("zh", "en", 3, 4);
}

TEST_CASE("predict: the question is asked first, the verdict follows the summary, in the run's language",
          "[cli][predict]") {
  auto en = test::run_mpdemo({"ticket", "--buyers", "3", "--lock", "--speed", "0.05", "--seed", "1", "--lang", "en",
                              "-q", "--predict", "1"});
  INFO(en.out << en.err);
  CHECK(en.exit_code == 0);
  const auto question = en.out.find("? 3 buyers, 1 ticket(s), with a Lock: how many buyers");
  const auto summary = en.out.find("── ticket · summary ──");
  const auto verdict = en.out.find("you said 1; the run measured 1: your prediction held");
  CHECK(question == 0);
  CHECK(summary != std::string::npos);
  CHECK(verdict != std::string::npos);
  CHECK(summary < verdict);

  auto zh = test::run_mpdemo({"ticket", "--buyers", "3", "--lock", "--speed", "0.05", "--seed", "1", "--lang", "zh",
                              "-q", "--predict", "3"});
  INFO(zh.out << zh.err);
  CHECK(zh.exit_code == 0);  // a wrong prediction is the student's, not a failed lesson
  CHECK(zh.out.find("3 个买家，1 张票，加一把 Lock") != std::string::npos);
  CHECK(zh.out.find("你答 3；实测 1：预测不成立") != std::string::npos);
}

TEST_CASE("predict: an answer of the wrong kind, or no terminal to ask on, is exit 2 before the run", "[cli][predict][errors]") {
  struct Bad {
    std::vector<std::string> args;
    std::string named;  // what the error line must name
  };
  const Bad bad[] = {
      {{"ticket", "--predict", "five"}, "'five' is not a whole number"},
      {{"ticket", "--predict", "2.5"}, "'2.5' is not a whole number"},
      {{"semaphore", "--predict", ""}, "stdin is not one"},
      {{"join-timing", "--predict", "soon"}, "'soon' is not a number of seconds"},
      {{"join-timing", "--predict", "-1"}, "'-1' is not a number of seconds"},
      {{"states", "--predict", "X"}, "'X' is not an answer to this question (it asks for one of R / S / D / T / Z)"},
      {{"pipe", "--predict", "maybe"}, "'maybe' is not yes or no"},
      {{"ticket", "--predict"}, "give the answer as --predict VALUE"},
  };
  for (const auto& b : bad) {
    auto r = test::run_mpdemo(b.args);
    INFO(b.args[0] << " " << (b.args.size() > 2 ? b.args[2] : "") << "\n" << r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(b.named) != std::string::npos);
    CHECK(r.out.empty());  // nothing ran, nothing was asked
  }
  auto zh = test::run_mpdemo({"ticket", "--predict", "五", "--lang", "zh"});
  CHECK(zh.exit_code == 2);
  CHECK(zh.err.find("'五' 不是整数") != std::string::npos);
  CHECK(children_left() == 0);
}

TEST_CASE("predict: on a terminal the question waits for a typed answer, and a mistyped one is asked again",
          "[cli][predict][pty]") {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) test::exec_mpdemo({"ticket", "--lock", "--buyers", "2", "--speed", "0.05", "--seed", "1", "--lang",
                                   "en", "-q", "--predict"},
                                  "/tmp");
  // Reads until `wanted` shows up (or the terminal closes); returns all read.
  std::string screen;
  auto read_until = [&](const std::string& wanted) {
    char buf[4096];
    while (screen.find(wanted) == std::string::npos) {
      const ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;  // EIO once the child has closed the terminal
      screen.append(buf, static_cast<std::size_t>(n));
    }
    return screen.find(wanted) != std::string::npos;
  };
  CHECK(read_until("your answer:"));
  CHECK(screen.find("? 2 buyers, 1 ticket(s), with a Lock") != std::string::npos);
  REQUIRE(::write(master, "one\n", 4) == 4);
  CHECK(read_until("'one' is not a whole number"));
  REQUIRE(::write(master, "1\n", 2) == 2);
  CHECK(read_until("your prediction held"));
  read_until("\x04never");  // to the end of the output
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("predict: the catalogues hold every question and compare text in both languages", "[cli][predict]") {
  // The source tree's catalogues, found from this file's own path (relative
  // to where it was compiled, build/tests, when the compiler was given one).
  std::filesystem::path here = __FILE__;
  if (here.is_relative()) here = std::filesystem::path(MPDEMO_BINARY).parent_path().parent_path().parent_path() / "tests" / here;
  const std::string source = std::filesystem::weakly_canonical(here).string();
  const std::string messages = source.substr(0, source.rfind("/tests/cli/")) + "/data/messages/";
  auto load = [&](const std::string& lang, const std::string& file) {
    std::ifstream in(messages + lang + "/" + file);
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
  };
  for (const std::string file : {"predict.json", "compare.json"}) {
    const auto en = load("en", file);
    const auto zh = load("zh", file);
    for (auto& [key, text] : en.items()) {
      INFO(file << ": " << key);
      CHECK(zh.contains(key));
      // An empty text is a word that says nothing (print-lock's ", without --join");
      // a header that is only a flag ("--lock") reads the same in both languages.
      const std::string t = text.get<std::string>();
      if (!t.empty() && t.rfind("--", 0) != 0 && t != "O_APPEND" && zh.contains(key))
        CHECK(has_chinese(zh[key].get<std::string>()));
    }
    for (auto& [key, text] : zh.items()) {
      INFO(file << ": " << key);
      CHECK(en.contains(key));
    }
  }
  const auto questions = load("en", "predict.json");
  for (const auto& name : test::scenario_names()) {
    INFO(name);
    CHECK(questions.contains("predict." + name + ".question"));
    CHECK(questions.contains("predict." + name + ".why"));
  }
}
