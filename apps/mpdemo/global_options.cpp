#include "global_options.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>

#include "number_options.hpp"
#include "step_points.hpp"

namespace mpdemo {

// Options are registered without a description: their help is in
// data/messages/{en,zh}/help.json ("help.common.--seed"), shown by HelpFormatter.
void add_global_options(CLI::App& app, GlobalOptions& o) {
  const char* group = "Common options";
  app.add_option("--seed", o.seed)->group(group);
  app.add_option("--speed", o.speed)
      ->check(real_in_range("--speed", 0.0, kMaxSpeed))
      ->capture_default_str()
      ->group(group);
  app.add_flag("--json", o.json)->group(group);
  app.add_option("--lang", o.lang)
      ->check(CLI::IsMember({"zh", "en"}))
      ->group(group);
  app.add_flag("--no-color", o.no_color)->group(group);
  app.add_flag("-q,--quiet", o.quiet)->group(group);
  app.add_flag("-v,--verbose", o.verbose)
      ->group(group);
  app.add_flag("--clock", o.wall_clock)
      ->group(group);
  add_drawing_options(app, o);
  add_step_options(app, o);
  app.add_option("--record", o.record)->group(group);
  add_lesson_options(app, o);
}

void add_lesson_options(CLI::App& app, GlobalOptions& o) {
  const char* group = "Predict, then compare";
  app.add_option("--predict", o.predict)
      ->expected(0, 1)
      ->type_name("[ANSWER]")
      ->group(group);
  app.add_flag("--compare", o.compare)
      ->group(group);
}

// Only a scenario with step points takes them; its --help shows an
// example (HelpFormatter puts steps::order_example in the footer).
void add_step_options(CLI::App& app, GlobalOptions& o) {
  if (!steps::order_example(app.get_name())) return;
  app.add_option("--order", o.order)->group("Controlling the race");
  app.add_flag("--step", o.step)->group("Controlling the race");
}

void add_drawing_options(CLI::App& app, GlobalOptions& o) {
  const char* group = "Drawing the run";
  app.add_option("--timeline", o.timeline)
      ->group(group);
  app.add_option("--trace", o.trace)
      ->group(group);
  app.add_flag("--chart", o.chart)->group(group);
}

std::string language_from_environment() {
  for (const char* var : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
    const char* v = std::getenv(var);
    if (v && *v) return std::string(v).rfind("zh", 0) == 0 ? "zh" : "en";
  }
  return "en";
}

bool use_color(const GlobalOptions& o) {
  const char* no_color = std::getenv("NO_COLOR");
  if (o.no_color || o.json || (no_color && *no_color)) return false;
  return ::isatty(STDOUT_FILENO) == 1;
}

std::uint64_t fresh_seed() {
  auto now = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return (now ^ (static_cast<std::uint64_t>(::getpid()) << 20)) % 1000000;  // short enough to retype
}

}  // namespace mpdemo
