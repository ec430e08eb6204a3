// What --order and --step add to a run (README, "Controlling the race"): the
// options checked before anything starts, the step control installed for
// the run, the --step screen in front of the console, and what is said
// after the run (an order that could not be followed, the end asked with q,
// the --order that replays a --step session). Kept here so run_scenario
// only calls it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "catalog.hpp"
#include "global_options.hpp"
#include "renderer.hpp"
#include "step_control.hpp"

namespace mpdemo {

class StepScreen;

class StepRun {
 public:
  // Throws UsageError: --order with --step, --step without a terminal or
  // with --json, an empty step in --order.
  StepRun(const GlobalOptions& options, const Catalog& catalog, std::string scenario, std::uint64_t seed);
  ~StepRun();
  StepRun(const StepRun&) = delete;
  StepRun& operator=(const StepRun&) = delete;

  // With --step, the renderer that draws the screen in front of `console`;
  // otherwise `console` itself.
  Renderer* in_front_of(Renderer* console);
  // Before the run's first fork; the control stays installed until end().
  void install();
  // After the run function returned or threw: ends the last phase.
  void end();
  // After end(): the exit status the steps decide — 2 for an order that
  // could not be followed, 0 after q — having printed why; nullopt: the
  // run's own outcome stands.
  std::optional<int> outcome(const std::string& rerun, std::uint64_t seed) const;
  // After the summary of a --step run: the --order that replays it.
  void print_replay(const std::string& rerun, std::uint64_t seed) const;

 private:
  std::string replay_command(const std::string& rerun, std::uint64_t seed) const;

  const Catalog& catalog_;
  std::string scenario_;
  bool interactive_ = false;
  StepScreen* screen_ = nullptr;  // owned by control_
  std::unique_ptr<StepControl> control_;
  std::unique_ptr<Renderer> screen_renderer_;
};

}  // namespace mpdemo
