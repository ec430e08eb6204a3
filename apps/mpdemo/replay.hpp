// mpdemo replay RUN.jsonl: a run recorded with --json (or --record) shown
// again as the console showed it, at its recorded pace or at once, in either
// language, and drawn (--timeline, --trace, --chart) like a live run.
#pragma once

#include <string>

#include "global_options.hpp"

namespace mpdemo {

struct ReplayOptions {
  std::string file;
  double pace = 0;  // seconds of replay per recorded second; 0: at once
};

// Returns the exit status: 0 shown, 2 the file is not a whole recording
// this mpdemo can read (the message names the line).
int run_replay(const ReplayOptions& replay, const GlobalOptions& options);

}  // namespace mpdemo
