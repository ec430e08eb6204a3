#include "run_scenario.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "catalog.hpp"
#include "event_pump.hpp"
#include "interrupt_guard.hpp"
#include "mp/deadline.hpp"
#include "mp/events.hpp"
#include "mp/fork_hooks.hpp"
#include "mp/lock.hpp"
#include "mp/ticket_db.hpp"
#include "renderer.hpp"

namespace mpdemo {
namespace {

void report_owner_death(const char* kind, pid_t dead_holder) {
  mp::events::emit("core.owner_died", {{"lock", kind}, {"dead", dead_holder}});
}

double wall_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

nlohmann::json summary_json(const std::string& scenario, const Summary& s, std::uint64_t seed, double speed,
                            double elapsed) {
  nlohmann::json j = {{"kind", "summary"}, {"scenario", scenario}, {"ok", s.ok()}};
  auto checks = nlohmann::json::array();
  for (const auto& c : s.checks)
    checks.push_back({{"name", c.name}, {"ok", c.ok}, {"value", c.value}, {"expected", c.expected}});
  j["checks"] = checks;
  for (auto& [key, value] : s.figures.items()) j[key] = value;
  j["seed"] = seed;
  j["speed"] = speed;
  j["elapsed"] = std::round(elapsed * 1000) / 1000;
  return j;
}

}  // namespace

int run_scenario(const ScenarioEntry& entry, const RunFunction& run, const GlobalOptions& options,
                 const std::string& rerun_command) {
  const std::string lang = options.lang.empty() ? language_from_environment() : options.lang;
  const std::uint64_t seed = options.seed.value_or(fresh_seed());
  const Catalog catalog(lang);

  const double start = mp::monotonic_seconds();
  std::unique_ptr<Renderer> renderer =
      options.json ? make_json_renderer()
                   : make_console_renderer(catalog, ConsoleStyle{use_color(options), options.quiet, wall_seconds()});

  InterruptGuard interrupts;  // Ctrl-C ends the children with us
  mp::events::Channel channel;
  mp::events::install(channel.write_fd(), start);
  mp::set_owner_death_handler(report_owner_death);
  EventPump pump(channel.read_fd(), *renderer);

  Context ctx(entry.name, seed, options.speed, lang);
  ctx.emit("run.start", {{"scenario", entry.name}, {"seed", seed}, {"speed", options.speed}, {"rerun", rerun_command + " --seed " + std::to_string(seed)}});

  Summary summary;
  try {
    summary = run(ctx);
  } catch (const UsageError& e) {
    pump.finish();
    std::fprintf(stderr, "mpdemo %s: error: %s\n", entry.name, e.what());
    return 2;
  } catch (const mp::DbError& e) {
    pump.finish();
    std::fprintf(stderr, "mpdemo %s: error: %s\n", entry.name, e.what());
    return 2;
  } catch (const std::exception& e) {
    pump.finish();
    // After Ctrl-C the children (a Manager's server, say) are being ended
    // under the main thread, so what it then fails on is the interruption,
    // not a fault to report; the signal ends this process in a moment.
    if (interrupted()) return 130;
    std::fprintf(stderr, "mpdemo %s: failed: %s\n", entry.name, e.what());
    return 1;
  }
  pump.finish();
  mp::events::uninstall();
  if (interrupted()) return 130;  // being torn down: the signal ends us in a moment
  renderer->summary(summary_json(entry.name, summary, seed, options.speed, mp::monotonic_seconds() - start));
  renderer->flush();
  return summary.ok() ? 0 : 1;
}

}  // namespace mpdemo
