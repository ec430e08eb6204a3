// Step points (README, "Controlling the race"): the moments of a lesson where
// the interleaving matters. With --order, a participant stops at each one for
// real and the main process decides who takes the next step (see
// step_control.hpp). Like the event channel (mp::events::install), the step
// control is installed once by the main process before the run and inherited
// by every child; with none installed each call here is a load and a branch.
//
// In a scenario: the main process names the participants (index 1..n, in
// order) before it starts them; participant `index` calls at() before each
// step, saying what the step does, and finish() when it has no more.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mpdemo {

class StepControl;

namespace steps {

// By the app: the control for this run (nullptr: none; the default).
void install(StepControl* control) noexcept;
// Whether this run is stepped (--order given).
bool active() noexcept;
// Main process, before starting the participants.
void begin(const std::vector<std::string>& names);
// Participant `index`: stands before a step and waits for its turn. `fields`
// describe the step for its text ("step.<point>" in the catalogue) and may
// say {"acquires": "lock"} or {"releases": "lock"}.
void at(int index, std::string_view point, const nlohmann::json& fields = nlohmann::json());
// Participant `index`: it has no more steps.
void finish(int index);

// The scenarios that mark step points, each with an example of --order for
// its --help; nullptr for a scenario without step points.
const char* order_example(std::string_view scenario) noexcept;
// Their names, comma-separated, for the option's help.
std::string scenarios_with_step_points();

}  // namespace steps
}  // namespace mpdemo
