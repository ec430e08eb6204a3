// Chinese throughout: with --lang zh (or LANG=zh_CN.UTF-8) no English is
// left in what a student reads. The catalogues pair up (every en key has its
// zh text and back); every error key the sources throw has both texts; the
// errors a student meets (a scenario's, a number out of range, CLI11's own
// refusals) and every --help screen are checked word by word for English
// left over; every option on a --help screen has its text in both help.json.
#include <catch2/catch.hpp>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/mpdemo_runner.hpp"

namespace fs = std::filesystem;
using test::run_mpdemo;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every data/messages/<lang>/*.json merged, as the app merges them.
nlohmann::json catalogue(const std::string& lang) {
  nlohmann::json merged = nlohmann::json::object();
  for (const auto& f : fs::directory_iterator(fs::path(MPDEMO_SOURCE_DIR) / "data" / "messages" / lang)) {
    if (f.path().extension() != ".json") continue;
    auto j = nlohmann::json::parse(read_file(f.path()), nullptr, false);
    INFO(f.path());
    REQUIRE(j.is_object());
    merged.update(j);
  }
  return merged;
}

// A zh key that translates an English text shown as it is: a core error
// ("error.get: queue is empty") or a raw value of a summary ("value.cut
// off", "value.sentinel"). zh-only by design: the English is the text itself.
bool translates_raw_text(const std::string& key) {
  return key.rfind("value.", 0) == 0 ||
         (key.rfind("error.", 0) == 0 && !std::regex_match(key, std::regex("error\\.[a-z0-9_.-]+")));
}

// Words that may stay in a Chinese text: what the student types or reads in
// the Python docs (API and option value names), units, and placeholders.
// Option names (--buyers), ALL-CAPS placeholders (INT, FILE, SQLITE_BUSY),
// single letters (S, N), identifiers (put_nowait), paths and dotted names
// (db.json), calls (start()), JSON and type specs (INT:[1 - 5]) are let
// through by their shape, not listed here.
const std::set<std::string>& allowed_words() {
  static const std::set<std::string> words = {
      // the program and the Python API it mirrors
      "mpdemo", "multiprocessing", "Python", "python", "Process", "Lock", "RLock", "Queue", "JoinableQueue",
      "SimpleQueue", "Pipe", "Pool", "Manager", "Event", "Condition", "Semaphore", "Value", "Array", "Full", "Empty",
      "put", "get", "join", "start", "run", "terminate", "acquire", "release", "map", "imap", "apply", "exit",
      "sys", "duplex", "True", "False", "None", "exitcode", "pid", "ppid", "pidfd", "fork", "ps", "ulimit",
      "target", "name", "int", "double", "init", "subreaper", "defunct", "Twice",
      // option values the student types
      "json", "sqlite", "naive", "transaction", "atomic", "queue", "pipe", "joinable", "sentinel", "timeout",
      "eof", "auto", "wait", "sigchld", "ignore", "process", "pool", "segv", "abort", "fcfs", "sjf", "rr", "mlfq",
      "tutorial", "docs",
      "zh", "en",
      // names of things the help points to
      "SQLite", "Chrome", "Perfetto", "HTML", "HTTP", "TCP", "CPU", "KTV", "WAL", "MLFQ", "FCFS", "SJF", "RR",
      "LANG", "NO_COLOR", "Linux", "db", "count", "maxsize", "s"};
  return words;
}

// The English words of `text` that are not let through (see allowed_words).
std::vector<std::string> english_words(const std::string& text, const std::set<std::string>& extra = {}) {
  static const std::regex code_like(
      "-.*"                              // an option: --buyers, -q
      "|.*_.*"                           // an identifier: put_nowait, MAP_SHARED
      "|.*/.*"                           // a path: /proc/<pid>/stat
      "|.*[A-Za-z0-9)]\\.[A-Za-z(].*"    // a dotted name: db.json, Pool(5).map
      "|.*[A-Za-z]\\(.*"                 // a call: start(), Process(name=...)
      "|.*:[\\[{].*"                     // a type spec: INT:[1 - 5], TEXT:{a,b}
      "|.*=.*"                           // a default or an assignment: =5, SIG_IGN
      "|'.*'"                            // a value quoted back to the student
      "|.*\".*"                          // JSON: {"count": N}
      "|[A-Z][a-z]+-[0-9]+\\W*"           // a process's name: User-2, Car-1
  );
  static const std::regex word("[A-Za-z]+");
  std::vector<std::string> found;
  // Chunks: runs of printable ASCII without blanks (Chinese text and its
  // punctuation separate them).
  std::string chunk;
  auto judge = [&] {
    if (chunk.empty() || std::regex_match(chunk, code_like)) return chunk.clear();
    for (std::sregex_iterator it(chunk.begin(), chunk.end(), word), end; it != end; ++it) {
      const std::string w = it->str();
      const bool placeholder = w.size() == 1 || std::all_of(w.begin(), w.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
      if (!placeholder && !allowed_words().count(w) && !extra.count(w)) found.push_back(w);
    }
    chunk.clear();
  };
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u < 0x7f) chunk += c;
    else judge();
  }
  judge();
  return found;
}

// The scenario names `mpdemo list` prints (the first word of each indented line).
std::vector<std::string> listed_scenarios() {
  auto listed = run_mpdemo({"list", "--lang", "en"});
  REQUIRE(listed.exit_code == 0);
  std::vector<std::string> names;
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  ", 0) != 0) continue;
    std::istringstream words(line);
    if (std::string name; words >> name) names.push_back(name);
  }
  REQUIRE(names.size() > 20);
  return names;
}

std::set<std::string> as_words(const std::vector<std::string>& names) {
  std::set<std::string> words;
  static const std::regex word("[A-Za-z]+");
  for (const auto& n : names)
    for (std::sregex_iterator it(n.begin(), n.end(), word), end; it != end; ++it) words.insert(it->str());
  return words;
}

// Every string literal given where an error key belongs: the first argument
// of UsageError / DbError, a step failure, a CLI11 shape, or an "error.*"
// literal used directly.
std::map<std::string, std::string> error_keys_in_sources() {
  static const std::regex thrown("(?:UsageError|DbError|fail)\\(\\s*([^;]*?)[,)]");
  static const std::regex literal("\"([a-z][a-z0-9_-]*(?:\\.[a-z0-9_-]+)+)\"");
  static const std::regex shape("\\{\"(cli\\.[a-z_]+)\"");
  static const std::regex direct("\"error\\.([a-z][a-z0-9_-]*(?:\\.[a-z0-9_-]+)*)\"");
  std::map<std::string, std::string> keys;  // key -> a file that uses it
  for (const char* dir : {"scenarios", "apps/mpdemo", "core"}) {
    for (const auto& f : fs::recursive_directory_iterator(fs::path(MPDEMO_SOURCE_DIR) / dir)) {
      const auto ext = f.path().extension();
      if (ext != ".cpp" && ext != ".hpp") continue;
      const std::string text = read_file(f.path());
      const std::string file = f.path().filename().string();
      for (std::sregex_iterator it(text.begin(), text.end(), thrown), end; it != end; ++it) {
        const std::string first = (*it)[1].str();
        for (std::sregex_iterator l(first.begin(), first.end(), literal); l != end; ++l) keys[(*l)[1].str()] = file;
      }
      for (std::sregex_iterator it(text.begin(), text.end(), shape), end; it != end; ++it) keys[(*it)[1].str()] = file;
      for (std::sregex_iterator it(text.begin(), text.end(), direct), end; it != end; ++it) {
        const std::string key = (*it)[1].str();
        if (key.back() != '.') keys[key] = file;  // "error." + a key built at run time is not one
      }
    }
  }
  return keys;
}

}  // namespace

TEST_CASE("translation: every en key has a zh text and every zh key an en one", "[cli][translation]") {
  const auto en = catalogue("en"), zh = catalogue("zh");
  REQUIRE(en.size() > 500);
  for (const auto& [key, text] : en.items()) {
    INFO("only in en: " << key);
    CHECK(zh.contains(key));
  }
  for (const auto& [key, text] : zh.items()) {
    if (translates_raw_text(key)) continue;
    INFO("only in zh: " << key);
    CHECK(en.contains(key));
  }
}

TEST_CASE("translation: every error key in the sources has its en and zh text", "[cli][translation][errors]") {
  const auto en = catalogue("en"), zh = catalogue("zh");
  const auto keys = error_keys_in_sources();
  // The scan itself must find what is there, or it would pass on nothing.
  REQUIRE(keys.size() > 60);
  REQUIRE(keys.count("ticket.not_a_buyer"));
  REQUIRE(keys.count("option.not_whole_in_range"));
  REQUIRE(keys.count("cli.unknown_option"));
  REQUIRE(keys.count("step.blocked"));
  for (const auto& [key, file] : keys) {
    INFO(file << " throws " << key);
    CHECK(en.contains("error." + key));
    CHECK(zh.contains("error." + key));
  }
}

TEST_CASE("translation: the English-word check finds English and lets the allowed through", "[cli][translation]") {
  CHECK(english_words("--buyers INT:[1 - 20000]=5  买家进程数（S 秒）；Lock、put_nowait、db.json、start()").empty());
  CHECK(english_words("--crash-holder 需要 --lock（'abc' 不是）").empty());
  CHECK(english_words("number of buyer processes") == std::vector<std::string>{"number", "of", "buyer", "processes"});
  CHECK(english_words("用法：mpdemo ticket [OPTIONS]") == std::vector<std::string>{"ticket"});
  CHECK(english_words("用法：mpdemo ticket [OPTIONS]", {"ticket"}).empty());
}

TEST_CASE("translation: errors in zh name the problem in Chinese, keeping the option and value", "[cli][translation][errors]") {
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> kept;  // what the message must still show
  };
  const std::vector<Case> cases = {
      {{"ticket", "--bogus"}, {"--bogus"}},                               // CLI11: unknown option
      {{"ticket", "--buyers"}, {"--buyers"}},                             // CLI11: missing value
      {{"ticket", "--store", "xml"}, {"--store", "xml"}},                 // CLI11: not among the choices
      {{"ticket", "--lock", "extra"}, {"extra"}},                         // CLI11: unexpected argument
      {{"ticket", "--seed", "abc"}, {"--seed", "abc"}},                   // CLI11: not a number
      {{"ticket", "--lock=maybe"}, {"--lock"}},                           // CLI11: a flag given a value
      {{"ticket", "--buyers", "0"}, {"--buyers", "0"}},                   // our range check
      {{"ticket", "--buy-min", "3", "--buy-max", "1"}, {"--buy-min", "--buy-max"}},
      {{"ticket", "--crash-holder", "1"}, {"--crash-holder", "--lock"}},  // needs --lock
      {{"ticket", "--sql", "atomic"}, {"--sql"}},
      {{"ticket", "--lock", "--crash-writer", "9"}, {"--crash-writer", "9"}},
      {{"ticket", "--chart", "--json"}, {"--chart", "--json"}},
      {{"ticket", "--record", "/nonexistent-dir/x.jsonl"}, {"/nonexistent-dir/x.jsonl"}},
      {{"scheduler", "--jobs-list", "5,x"}, {"x"}},
      {{"scheduler", "--policy", "mlfq", "--levels", "2", "--quanta", "1,2,4"}, {"--quanta"}},
      {{"crawler", "--start", "index.html"}, {"index.html"}},
      {{"baozi", "--via", "pipe", "--end", "join"}, {"--end", "--via"}},
      {{"threads-vs-processes", "--siblings", "2", "--crasher", "3"}, {"--crasher", "3"}},
      {{"isolation", "--x", "1", "--child-x", "1", "--n", "2", "--child-n", "2"}, {"--child-x"}},
      {{"print-lock", "--join", "--order", "1,2"}, {"--order", "--join"}},
      {{"print-lock", "--order", "1,,2"}, {"--order"}},
      {{"replay", "/nonexistent-recording.jsonl"}, {"/nonexistent-recording.jsonl"}},
      {{"tiket"}, {"tiket", "ticket"}},  // unknown scenario, with the nearest names
      {{"explain", "tiket"}, {"tiket", "ticket"}},
  };
  const auto names = listed_scenarios();
  auto scenario_words = as_words(names);
  scenario_words.insert({"list", "explain", "verify", "replay"});  // commands name themselves in their errors
  for (const auto& c : cases) {
    std::vector<std::string> args = c.args;
    const bool scenario = std::find(names.begin(), names.end(), args.front()) != names.end();
    if (scenario) args.insert(args.end(), {"--speed", "0"});  // nothing that starts waits
    args.insert(args.end(), {"--lang", "zh"});
    auto r = run_mpdemo(args);
    std::string shown;
    for (const auto& a : args) shown += a + " ";
    INFO("mpdemo " << shown << "\nstderr: " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("错误") != std::string::npos);
    CHECK(english_words(r.err, scenario_words) == std::vector<std::string>{});
    CHECK(r.err.find("error.") == std::string::npos);  // no key without its text
    for (const auto& k : c.kept) CHECK(r.err.find(k) != std::string::npos);
  }
}

TEST_CASE("translation: --help in zh holds no English, for mpdemo, every scenario and every command", "[cli][translation][help]") {
  const auto names = listed_scenarios();
  std::set<std::string> extra = as_words(names);
  const std::vector<std::string> commands = {"list", "explain", "verify", "replay"};
  extra.insert(commands.begin(), commands.end());
  std::vector<std::vector<std::string>> screens = {{"--help"}};
  for (const auto& n : names) screens.push_back({n, "--help"});
  for (const auto& c : commands) screens.push_back({c, "--help"});
  for (auto args : screens) {
    args.insert(args.end(), {"--lang", "zh"});
    auto r = run_mpdemo(args);
    INFO("mpdemo " << args.front() << " --help --lang zh");
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("用法：") != std::string::npos);
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      INFO(line);
      CHECK(english_words(line, extra) == std::vector<std::string>{});
      CHECK(line.find("help.") == std::string::npos);  // a key shown instead of its text
    }
  }
}

TEST_CASE("translation: LANG=zh_CN.UTF-8 gives the Chinese --help and errors without --lang", "[cli][translation][help]") {
  // run_mpdemo passes the environment on; LANG decides when --lang is absent.
  std::map<std::string, std::string> saved;
  for (const char* var : {"LANG", "LC_ALL", "LC_MESSAGES"})
    if (const char* v = std::getenv(var)) saved[var] = v;
  ::setenv("LANG", "zh_CN.UTF-8", 1);
  ::unsetenv("LC_ALL");
  ::unsetenv("LC_MESSAGES");
  auto help = run_mpdemo({"ticket", "--help"});
  auto error = run_mpdemo({"ticket", "--bogus"});
  for (const char* var : {"LANG", "LC_ALL", "LC_MESSAGES"}) {
    if (saved.count(var)) ::setenv(var, saved[var].c_str(), 1);
    else ::unsetenv(var);
  }
  CHECK(help.out.find("买家进程个数") != std::string::npos);
  CHECK(error.err.find("--bogus：这里没有这个选项") != std::string::npos);
}

TEST_CASE("translation: every option on every --help screen has its own text in en and zh", "[cli][translation][help]") {
  // The English --help shows each option's text from the en catalogue; an
  // option added without its catalogue lines shows its key, or its
  // description from code (which is kept out of the code: the texts live in
  // data/messages/*/help.json only).
  const auto en = catalogue("en"), zh = catalogue("zh");
  std::vector<std::vector<std::string>> screens = {{"--help"}};
  for (const auto& n : listed_scenarios()) screens.push_back({n, "--help"});
  for (const char* c : {"list", "explain", "verify", "replay"}) screens.push_back({c, "--help"});
  int options = 0;
  static const std::regex option_line("^  (-[a-zA-Z],)?(--[a-z][a-z0-9-]*|-[a-zA-Z])\\b.*");
  for (auto args : screens) {
    args.insert(args.end(), {"--lang", "en"});
    auto r = run_mpdemo(args);
    INFO("mpdemo " << args.front() << " --help");
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("help.") == std::string::npos);
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      std::smatch m;
      if (!std::regex_match(line, m, option_line)) continue;
      ++options;
      const std::string scope = args.front() == "--help" ? "mpdemo" : args.front();
      const std::string name = m[2].str();
      const bool own = en.contains("help." + scope + "." + name), common = en.contains("help.common." + name);
      INFO(line);
      CHECK((own || common));
      CHECK(zh.contains((own ? "help." + scope + "." : "help.common.") + name));
    }
  }
  CHECK(options > 150);
}
