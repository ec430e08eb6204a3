// The one table of scenarios (ninja's tool table): it drives the
// subcommands, `mpdemo list`, `--help` and `verify`. One line each; the
// order is the order of the lessons.
#include <CLI/CLI.hpp>

#include "scenario.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

const ScenarioEntry kScenarios[] = {
    {"ticket", "many buyers race for the last ticket in a JSON db, with and without a lock",
     "mpdemo ticket --buyers 5 --lock", "--lock; ; --lock --buyers 12 --tickets 5", setup_ticket},
};

}  // namespace

std::span<const ScenarioEntry> scenario_table() { return kScenarios; }

const ScenarioEntry* find_scenario(std::string_view name) {
  for (const auto& s : kScenarios)
    if (name == s.name) return &s;
  return nullptr;
}

}  // namespace mpdemo
