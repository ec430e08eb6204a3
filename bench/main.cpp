// mpbench: mpcore doing the work of bench/peers/python_baseline.py.
//   mpbench [case ...]      (default: all cases, in the baseline's order)
//   mpbench --list          (the case names)
// Prints one JSON line per case, with the baseline's keys in its order:
//   {"case": ..., "n": ..., "seconds": ..., "per_s": ...}
// and, for a probe (dead_holder), the line that probe makes.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cases.hpp"
#include "dead_holder_case.hpp"
#include "ipc_cases.hpp"
#include "mp/deadline.hpp"
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
      // Not in Python's baseline: the lock alone, against the peers' (the
      // counter beside the mutex, timed from a gate once the 4 processes exist).
      {"lock_handoff", 4 * 20000, lock_handoff},
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

std::span<const Probe> probes() {
  static const Probe table[] = {
      {"dead_holder", dead_holder},
  };
  return table;
}

}  // namespace bench

namespace {

void print_line(const nlohmann::ordered_json& line) {
  std::printf("%s\n", line.dump().c_str());
  std::fflush(stdout);
}

void run_case(const bench::Case& c) {
  double seconds = c.run(c.default_n);
  nlohmann::ordered_json line;
  line["case"] = c.name;
  line["n"] = c.default_n;
  line["seconds"] = std::round(seconds * 1e4) / 1e4;
  line["per_s"] = std::llround(static_cast<double>(c.default_n) / seconds);
  print_line(line);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    for (const auto& c : bench::cases()) std::printf("%s\n", c.name);
    for (const auto& p : bench::probes()) std::printf("%s\n", p.name);
    return 0;
  }
  // Each chosen name: a rate case or a probe, in the order given.
  std::vector<std::pair<const bench::Case*, const bench::Probe*>> chosen;
  for (int i = 1; i < argc; ++i) {
    const bench::Case* found = nullptr;
    const bench::Probe* probe = nullptr;
    for (const auto& c : bench::cases())
      if (std::strcmp(c.name, argv[i]) == 0) found = &c;
    for (const auto& p : bench::probes())
      if (std::strcmp(p.name, argv[i]) == 0) probe = &p;
    if (!found && !probe) {
      std::fprintf(stderr, "mpbench: error: unknown case '%s'; cases:", argv[i]);
      for (const auto& c : bench::cases()) std::fprintf(stderr, " %s", c.name);
      for (const auto& p : bench::probes()) std::fprintf(stderr, " %s", p.name);
      std::fprintf(stderr, "\n");
      return 2;
    }
    chosen.emplace_back(found, probe);
  }
  if (chosen.empty()) {
    for (const auto& c : bench::cases()) chosen.emplace_back(&c, nullptr);
    for (const auto& p : bench::probes()) chosen.emplace_back(nullptr, &p);
  }

  for (const auto& [c, probe] : chosen) {
    if (c) run_case(*c);
    else print_line(probe->run());
  }
  return 0;
}
