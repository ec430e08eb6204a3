// Runs one scenario: sets up the event channel and the renderer, runs it,
// renders the summary. Returns the exit status (0 lesson observed, 1 a
// check failed, 2 bad input).
#pragma once

#include <string>

#include "global_options.hpp"
#include "scenario.hpp"

namespace mpdemo {

struct Prediction;

// `prediction` (--predict, asked already): judged against the summary, which
// carries it as "prediction"; the console tells it after the summary.
int run_scenario(const ScenarioEntry& entry, const RunFunction& run, const GlobalOptions& options,
                 const std::string& rerun_command, const Prediction* prediction = nullptr);

}  // namespace mpdemo
