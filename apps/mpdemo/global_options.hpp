// The options every scenario takes (--seed, --speed, --json, --lang,
// --no-color, -q), bound to each subcommand so each --help lists them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace mpdemo {

struct GlobalOptions {
  std::optional<std::uint64_t> seed;  // none given: a fresh one, printed so the run can be repeated
  double speed = 1.0;                 // multiplies every sleep and timeout
  bool json = false;
  std::string lang;                   // "zh" or "en"; empty: from LANG
  bool no_color = false;
  bool quiet = false;
  bool verbose = false;     // every event on its own line
  bool wall_clock = false;  // wall-clock time column instead of +seconds
  // Drawings of the run (README, "Seeing the race") and a recording for replay.
  std::string timeline;  // --timeline FILE.html
  std::string trace;     // --trace FILE.json
  bool chart = false;    // --chart
  std::string record;    // --record FILE.jsonl: the --json lines, beside the console
  // Controlling the race (README): the steps to take, "2,1,Buyer-3,*", or
  // --step: the user picks each one on the terminal.
  std::string order;
  bool step = false;
  // The lesson as a quiz, and its two halves (README, "Predict, then compare").
  std::string predict;   // --predict VALUE: the answer; a bare --predict asks on the terminal
  bool compare = false;  // --compare: without and with the scenario's fix, side by side
};

void add_global_options(CLI::App& app, GlobalOptions& options);
// --order (and --step), on the scenarios that mark step points.
void add_step_options(CLI::App& app, GlobalOptions& options);
// --predict [VALUE] and --compare.
void add_lesson_options(CLI::App& app, GlobalOptions& options);
// --timeline, --trace, --chart (also taken by `mpdemo replay`).
void add_drawing_options(CLI::App& app, GlobalOptions& options);

// zh when LC_ALL, LC_MESSAGES or LANG starts with "zh", else en.
std::string language_from_environment();
// Colour only on a terminal, never with --no-color or NO_COLOR set.
bool use_color(const GlobalOptions& options);
// A seed from the clock and pid, for runs that did not ask for one.
std::uint64_t fresh_seed();

}  // namespace mpdemo
