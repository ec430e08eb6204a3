// Step points (README, "Controlling the race"): the moments of a lesson where
// the interleaving matters. With --order or --step, a participant stops at
// each one for real and the main process decides who takes the next step
// (see step_control.hpp). Like the event channel (mp::events::install), the
// step control is installed once by the main process before the run and
// inherited by every child; with none installed, each call here is a load
// and a branch, and begin() builds nothing.
//
// In a scenario: the main process opens a phase naming the participants
// (index 1..n, in order) before it starts them, and keeps the Phase until
// it has joined them; participant `index` calls at() before each step,
// saying what the step does, and finish() when it has no more.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace mpdemo {

class StepControl;

namespace steps {

// By the app: the control for this run (nullptr: none; the default).
void install(StepControl* control) noexcept;
// Whether this run is stepped (--order or --step given).
bool active() noexcept;

// The shared state that matters for the lesson (the db's count, the
// counter), as fields for the catalogue's "step.state.<scenario>" text. The
// driver calls it on its own thread, only while every participant stands
// at a step point.
using StateFunction = std::function<nlohmann::json()>;

// One group of participants that take steps together; a scenario in parts
// (rlock) opens one after the other. Destroying it ends the phase's driver:
// keep it until the participants are joined, and declare it after whatever
// its StateFunction reads.
class Phase {
 public:
  Phase() = default;
  explicit Phase(StepControl* control) : control_(control) {}
  ~Phase();
  Phase(Phase&& other) noexcept : control_(std::exchange(other.control_, nullptr)) {}
  Phase& operator=(Phase&&) = delete;

 private:
  StepControl* control_ = nullptr;
};

// Main process, before starting the participants. `things`: the counters
// and events their steps act on, with their starting values ({"rooms": 4,
// "green": false}; see step_model.hpp); "later": [names] lists counters the
// main process itself adds to while the phase runs (see supplied()).
[[nodiscard]] Phase begin(const std::vector<std::string>& names,
                          const nlohmann::json& things = nlohmann::json::object(), StateFunction state = {});
// The same, naming each of `processes` (anything with name()).
template <class Processes>
[[nodiscard]] Phase begin_for(const Processes& processes, const nlohmann::json& things = nlohmann::json::object(),
                              StateFunction state = {}) {
  if (!active()) return Phase();
  std::vector<std::string> names;
  for (const auto& p : processes) names.push_back(p.name());
  return begin(names, things, std::move(state));
}

// Participant `index`: stands before a step and waits for its turn. `does`
// says what the step does — to the driver ({"acquires": "lock"}, {"takes":
// "rooms"}, ...; see step_model.hpp) and to the reader: the other fields
// fill the catalogue's "step.<point>" text.
void at(int index, std::string_view point, const nlohmann::json& does = nlohmann::json());
// Participant `index`: it has no more steps.
void finish(int index);
// Main process (not a participant): it added `n` to the counter `thing`
// (baozi's sentinels).
void supplied(std::string_view thing, int n);

// The scenarios that mark step points, each with an example of --order for
// its --help; nullptr for a scenario without step points.
const char* order_example(std::string_view scenario) noexcept;
// Their names, comma-separated.
std::string scenarios_with_step_points();

}  // namespace steps
}  // namespace mpdemo
