// The subcommands that are not scenarios: list, explain, verify, replay. And the
// small helpers main() needs: "did you mean", the rerun command line.
#pragma once

#include <string>

#include "global_options.hpp"
#include "replay.hpp"

namespace CLI {
class App;
}

namespace mpdemo {

struct CommandOptions {
  std::string explain_name;
  bool explain_python = false;  // print the scenario's Python twin instead of its lesson
  double verify_speed = 0.05;
  std::string verify_only;  // comma-separated scenario names; empty: all
  ReplayOptions replay;
};

void add_commands(CLI::App& app, CommandOptions& options, GlobalOptions& globals);
// Runs whichever of list/explain/verify was parsed; returns the exit status.
int run_command(CLI::App& app, const CommandOptions& options, const GlobalOptions& globals);

class Catalog;
// "unknown scenario 'tiket'; did you mean 'ticket'?" in the catalogue's
// language (the nearest names, or none when nothing is near).
std::string unknown_scenario_text(const std::string& name, const Catalog& catalog);
// What `mpdemo` with no arguments prints: the scenarios and how to start.
int show_start(const GlobalOptions& globals);
// The command line that repeats this run: the scenario and every option with
// its resolved value (as the OSTEP tools print first). The caller appends
// --seed, which is only known once it is chosen.
std::string rerun_command(const CLI::App& sub);

}  // namespace mpdemo
