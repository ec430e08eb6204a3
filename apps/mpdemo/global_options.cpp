#include "global_options.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>

#include "number_options.hpp"
#include "step_points.hpp"

namespace mpdemo {

void add_global_options(CLI::App& app, GlobalOptions& o) {
  const char* group = "Common options";
  app.add_option("--seed", o.seed, "fix every random choice (printed at start so a run can be repeated)")->group(group);
  app.add_option("--speed", o.speed, "multiply every sleep and timeout by F (0.05: twenty times faster; 0: no sleeps)")
      ->check(real_in_range("--speed", 0.0, kMaxSpeed))
      ->capture_default_str()
      ->group(group);
  app.add_flag("--json", o.json, "JSON lines on stdout: one per event, the summary last")->group(group);
  app.add_option("--lang", o.lang, "language of messages (default from LANG)")
      ->check(CLI::IsMember({"zh", "en"}))
      ->group(group);
  app.add_flag("--no-color", o.no_color, "no colours (also when NO_COLOR is set)")->group(group);
  app.add_flag("-q,--quiet", o.quiet, "print only the summary")->group(group);
  app.add_flag("-v,--verbose", o.verbose, "every event on its own line (by default many events of one kind fold into one)")
      ->group(group);
  app.add_flag("--clock", o.wall_clock, "wall-clock time of day in the time column instead of seconds since the start")
      ->group(group);
  add_drawing_options(app, o);
  add_step_options(app, o);
  app.add_option("--record", o.record, "also write the run's JSON lines to FILE (for mpdemo replay)")->group(group);
  add_lesson_options(app, o);
}

void add_lesson_options(CLI::App& app, GlobalOptions& o) {
  const char* group = "Predict, then compare";
  app.add_option("--predict", o.predict,
                 "answer the scenario's question before the run (bare: asked on the terminal), "
                 "then see whether it held")
      ->expected(0, 1)
      ->type_name("[ANSWER]")
      ->group(group);
  app.add_flag("--compare", o.compare,
               "run without and then with the scenario's fix (same seed) and show both outcomes side by side")
      ->group(group);
}

// Only a scenario with step points takes them; its --help shows an example.
void add_step_options(CLI::App& app, GlobalOptions& o) {
  const char* example = steps::order_example(app.get_name());
  if (!example) return;
  app.add_option("--order", o.order,
                 "take the steps in this order: a process name or number per step, '*' = the rest run freely")
      ->group("Controlling the race");
  app.add_flag("--step", o.step,
               "you pick who takes each step, on this terminal (number or name; Enter = any ready one; r = the "
               "rest run freely; q = quit); prints the --order that replays it")
      ->group("Controlling the race");
  std::string footer = app.get_footer();
  const auto see_also = footer.find("\nSee also:");
  footer.insert(see_also == std::string::npos ? footer.size() : see_also,
                std::string("\n  ") + example + "\n  mpdemo " + app.get_name() + " --step   (you pick each step)");
  app.footer(footer);
}

void add_drawing_options(CLI::App& app, GlobalOptions& o) {
  const char* group = "Drawing the run";
  app.add_option("--timeline", o.timeline, "write the run as one self-contained HTML page (lanes, spans, events)")
      ->group(group);
  app.add_option("--trace", o.trace, "write the run as a Chrome trace (opens in ui.perfetto.dev, chrome://tracing)")
      ->group(group);
  app.add_flag("--chart", o.chart, "draw the run in the terminal after the summary")->group(group);
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
