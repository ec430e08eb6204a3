// mpbench: mpcore doing the work of ../shared/peer/py_baseline.py.
//   mpbench [case ...]      (default: all cases, in the baseline's order)
//   mpbench --list          (the case names)
// Prints one JSON line per case, with the baseline's keys in its order:
//   {"case": ..., "n": ..., "seconds": ..., "per_s": ...}
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cases.hpp"
#include "mp/deadline.hpp"
#include "ipc_cases.hpp"
#include "pool_cases.hpp"
#include "process_cases.hpp"
#include "sqlite_cases.hpp"

namespace bench {

double now() { return mp::monotonic_seconds(); }

std::span<const Case> cases() {
  static const Case table[] = {
      {"queue_throughput", 100000, queue_throughput},
      {"pipe_throughput", 100000, pipe_throughput},
      {"spawn_join", 500, spawn_join},
      {"lock_counter", 4 * 20000, lock_counter},
      {"pool_map", 100000, pool_map},
      {"pool_apply_async", 20000, pool_apply_async},
      {"ticket_race", 200, ticket_race},
      // Not in Python's baseline: the ticket race on SQLite, against ticket_race.
      {"ticket_race_sqlite_naive", 200, ticket_race_sqlite_naive},
      {"ticket_race_sqlite_transaction", 200, ticket_race_sqlite_transaction},
      {"ticket_race_sqlite_atomic", 200, ticket_race_sqlite_atomic},
  };
  return table;
}

}  // namespace bench

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    for (const auto& c : bench::cases()) std::printf("%s\n", c.name);
    return 0;
  }
  std::vector<const bench::Case*> chosen;
  for (int i = 1; i < argc; ++i) {
    const bench::Case* found = nullptr;
    for (const auto& c : bench::cases())
      if (std::strcmp(c.name, argv[i]) == 0) found = &c;
    if (!found) {
      std::fprintf(stderr, "mpbench: error: unknown case '%s'; cases:", argv[i]);
      for (const auto& c : bench::cases()) std::fprintf(stderr, " %s", c.name);
      std::fprintf(stderr, "\n");
      return 2;
    }
    chosen.push_back(found);
  }
  if (chosen.empty())
    for (const auto& c : bench::cases()) chosen.push_back(&c);

  for (const bench::Case* c : chosen) {
    double seconds = c->run(c->default_n);
    nlohmann::ordered_json line;
    line["case"] = c->name;
    line["n"] = c->default_n;
    line["seconds"] = std::round(seconds * 1e4) / 1e4;
    line["per_s"] = std::llround(static_cast<double>(c->default_n) / seconds);
    std::printf("%s\n", line.dump().c_str());
    std::fflush(stdout);
  }
  return 0;
}
