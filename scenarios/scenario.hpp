// What every scenario is made of (CLI11's "subcommand in its own file"
// pattern): a setup function that binds the scenario's options to a
// CLI::App and returns the function that runs it, and a Summary of checks
// that the run returns. Scenarios never print: they emit events through the
// Context, and the app renders them.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"

namespace CLI {
class App;
}

namespace mpdemo {

using nlohmann::json;

// How long a scenario waits for a step that takes microseconds (a child's
// report, a join after a kill): a safety net, never a lesson's duration.
inline constexpr double kStepTimeout = 10.0;

// The key of an error's text in the catalogues ("ticket.not_a_buyer" for
// "error.ticket.not_a_buyer"). Checked while compiling: a string literal of
// lower-case words joined by '.', '_' or '-', at least one '.'. An English
// sentence given where a key belongs ("--x needs --y") does not compile.
class ErrorKey {
 public:
  consteval ErrorKey(const char* key) : key_(key) {  // NOLINT: implicit on purpose, from a literal
    bool dot = false;
    for (const char* c = key; *c; ++c) {
      const bool word = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-';
      if (*c == '.') dot = true;
      else if (!word) throw "an error key is lower-case words joined by '.', '_' or '-', not a sentence";
    }
    if (!dot || !(*key >= 'a' && *key <= 'z')) throw "an error key looks like scenario.what_went_wrong";
  }
  const char* text() const { return key_; }

 private:
  const char* key_;
};

// Bad input: a combination of options, a file's content, a number out of
// its range. The app prints it and exits 2, from the catalogues
// ("error.<key>" in data/messages/{en,zh}/, its {placeholders} filled from
// `fields`) in the user's language. There is deliberately no constructor
// that takes an English sentence: an error a student can meet has a key
// (checked while compiling, see ErrorKey), and tests/cli/
// translation_cli_test.cpp fails when a key thrown lacks its en or zh text.
// what() is the key and the fields, for logs and test failures.
class UsageError : public mp::Error {
 public:
  explicit UsageError(ErrorKey key, json fields = json::object())
      : Error(std::string(key.text()) + " " + fields.dump()), key_(key.text()), fields_(std::move(fields)) {}
  const std::string& key() const noexcept { return key_; }
  const json& fields() const noexcept { return fields_; }

 private:
  std::string key_;
  json fields_;
};

// One random stream. Each process derives its own from the run's seed and
// its index, so the same seed gives the same choices in every process,
// however the scheduler interleaves them.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(engine_); }
  std::int64_t integer(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(engine_);
  }
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
};

// One checked invariant of a run: the lesson was observed, or not.
struct Check {
  std::string name;  // snake_case id; the catalogue has its text ("check.<scenario>.<name>")
  bool ok = false;
  json value;        // what was measured
  json expected;     // what the lesson says it should be
  // An answer the student is asked to work out (scheduler's question mode):
  // checked, but neither its value nor a tick is shown until -c.
  bool hidden = false;
};

struct Summary {
  std::vector<Check> checks;
  json figures = json::object();  // the scenario's own numbers (sold, remaining, ...)

  void check(std::string name, bool ok, json value, json expected) {
    checks.push_back({std::move(name), ok, std::move(value), std::move(expected), false});
  }
  // A check whose measured value is an answer kept from the student.
  void hidden_check(std::string name, bool ok, json expected) {
    checks.push_back({std::move(name), ok, nullptr, std::move(expected), true});
  }
  bool ok() const {
    for (const auto& c : checks)
      if (!c.ok) return false;
    return true;
  }
};

// What a scenario gets from the app: the global options, time, randomness
// and the event channel. Copied into every child by fork.
class Context {
 public:
  Context(std::string scenario, std::uint64_t seed, double speed, std::string lang)
      : scenario_(std::move(scenario)), seed_(seed), speed_(speed), lang_(std::move(lang)) {}

  const std::string& scenario() const { return scenario_; }
  std::uint64_t seed() const { return seed_; }
  double speed() const { return speed_; }
  const std::string& lang() const { return lang_; }

  // A duration of the tutorial, scaled by --speed.
  double scaled(double seconds) const { return seconds * speed_; }
  // Sleeps for a tutorial duration, scaled by --speed (0: not at all).
  void sleep(double seconds) const { mp::sleep_for(scaled(seconds)); }
  // A timeout of the tutorial, scaled by --speed but never below `floor`
  // seconds: at --speed 0 a timeout must still give a running process a
  // chance, or every wait would fail at once.
  mp::Timeout timeout(double seconds, double floor = 0.05) const {
    double t = scaled(seconds);
    return t < floor ? floor : t;
  }
  // The random stream for process `index` (0 for the main process).
  Rng rng(std::uint64_t index) const;

  // Sends an event from the calling process (see mp/events.hpp).
  void emit(std::string_view kind, json fields = json::object()) const;

  // Spans (README, "Events and spans"): a state of the calling process with
  // a beginning and an end, drawn by --timeline/--trace/--chart. An event
  // that begins or ends one says so in its fields ({"span_begin", "ticket.
  // searching"}); where no event of the lesson falls, span() sends a
  // trace.span that has no console line. Nothing is sent unless the run is drawn.
  void span(std::string_view begin, std::string_view end = {}) const;
  // The sending end of an arrow where no event of the lesson falls (one
  // send of many): a trace.flow with flow_out = id, only when drawn. The
  // receiving event names the same id in its flow_in.
  void flow_out(const json& id) const;

 private:
  std::string scenario_;
  std::uint64_t seed_;
  double speed_;
  std::string lang_;
};

using RunFunction = std::function<Summary(Context&)>;
// Binds the scenario's options to its subcommand; returns how to run it.
using SetupFunction = RunFunction (*)(CLI::App&);

struct ScenarioEntry {
  const char* name;
  const char* summary;  // one line, English; the zh line is "summary.<name>" in the catalogue
  const char* example;  // an example command line for --help
  // Argument sets that `mpdemo verify` runs, separated by ';' (each gets
  // --json --speed F --seed S added). "--lock; " runs with and without --lock.
  const char* verify_runs;
  SetupFunction setup;
};

// The table of scenarios, in the order `mpdemo list` shows them.
std::span<const ScenarioEntry> scenario_table();
const ScenarioEntry* find_scenario(std::string_view name);

}  // namespace mpdemo
