#include "step_run.hpp"

#include <unistd.h>

#include <cstdio>

#include "error_text.hpp"
#include "step_screen.hpp"
#include "step_text.hpp"

namespace mpdemo {

StepRun::StepRun(const GlobalOptions& options, const Catalog& catalog, std::string scenario, std::uint64_t seed)
    : catalog_(catalog), scenario_(std::move(scenario)), interactive_(options.step) {
  if (options.step && !options.order.empty())
    throw UsageError("step.order_and_step");
  if (options.step && options.json)
    throw UsageError("step.step_and_json");
  if (options.step && !(::isatty(STDIN_FILENO) && ::isatty(STDOUT_FILENO)))
    throw UsageError("step.no_terminal");
  if (options.step) {
    auto screen = std::make_unique<StepScreen>(catalog, scenario_, seed, STDIN_FILENO, STDOUT_FILENO);
    screen_ = screen.get();
    control_ = std::make_unique<StepControl>(std::move(screen));
  } else if (!options.order.empty()) {
    control_ = std::make_unique<StepControl>(parse_step_order(options.order));
  }
}

StepRun::~StepRun() { end(); }

Renderer* StepRun::in_front_of(Renderer* console) {
  if (!screen_) return console;
  screen_renderer_ = screen_->in_front_of(*console);
  return screen_renderer_.get();
}

void StepRun::install() { steps::install(control_.get()); }

void StepRun::end() {
  if (control_) control_->end();
  steps::install(nullptr);
}

std::string StepRun::replay_command(const std::string& rerun, std::uint64_t seed) const {
  std::string command = rerun;
  const std::string flag = " --step";
  for (auto at = command.find(flag); at != std::string::npos; at = command.find(flag, at)) {
    const auto after = at + flag.size();
    if (after == command.size() || command[after] == ' ') command.erase(at, flag.size());
    else at = after;
  }
  return command + " --order " + control_->equivalent_order() + " --seed " + std::to_string(seed);
}

std::optional<int> StepRun::outcome(const std::string& rerun, std::uint64_t seed) const {
  if (!control_) return std::nullopt;
  if (control_->quit()) {
    std::fprintf(stdout, "%s\n", catalog_.text("step.quit").c_str());
    print_replay(rerun, seed);
    std::fflush(stdout);
    return 0;
  }
  if (!control_->began()) {
    std::fputs(error_line(catalog_, "mpdemo " + scenario_,
                          error_text(catalog_, UsageError("step.no_step_points", {{"scenario", scenario_}})))
                   .c_str(),
               stderr);
    return 2;
  }
  if (const UsageError* e = control_->error()) {
    std::fputs(error_line(catalog_, "mpdemo " + scenario_,
                          error_text(catalog_, e->key(), with_step_texts(catalog_, e->fields()), e->what()))
                   .c_str(),
               stderr);
    return 2;
  }
  return std::nullopt;
}

void StepRun::print_replay(const std::string& rerun, std::uint64_t seed) const {
  if (!interactive_ || !control_ || control_->equivalent_order().empty()) return;
  std::fprintf(stdout, "%s\n", catalog_.text("step.replay", {{"command", replay_command(rerun, seed)}}).c_str());
  std::fflush(stdout);
}

}  // namespace mpdemo
