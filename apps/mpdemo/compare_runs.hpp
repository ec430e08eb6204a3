// --compare: the two halves of a lesson, run one after the other with the
// same seed (without the fix, then with it; see compare_table.cpp), and told
// side by side in one short table. With --json: each run's event lines and
// summary as they come, then one {"kind": "compare", ...} line.
#pragma once

#include "global_options.hpp"
#include "scenario.hpp"

namespace CLI {
class App;
}

namespace mpdemo {

// `scenario` is the parsed subcommand, argv the whole command line. Throws
// UsageError (exit 2) for a scenario without a fix, a fix flag given by the
// user, or an option that cannot go with two runs (--predict, drawings).
// Returns 0 when every run's checks held, 1 when one did not, 2 when a run
// found bad input.
int run_compare(const ScenarioEntry& entry, const CLI::App& scenario, const GlobalOptions& options, int argc,
                char** argv);

}  // namespace mpdemo
