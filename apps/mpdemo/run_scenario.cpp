#include "run_scenario.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "catalog.hpp"
#include "drawings.hpp"
#include "error_text.hpp"
#include "event_pump.hpp"
#include "fd_output.hpp"
#include "interrupt_guard.hpp"
#include "mp/deadline.hpp"
#include "mp/events.hpp"
#include "mp/fork_hooks.hpp"
#include "mp/lock.hpp"
#include "mp/parent_death.hpp"
#include "mp/ticket_db.hpp"
#include "predict_quiz.hpp"
#include "renderer.hpp"
#include "step_run.hpp"

namespace mpdemo {
namespace {

// dead_holder 0: the holder died in the instant its pid was not recorded
// (see robust_mutex.cpp); the death is still reported, without a pid.
void report_owner_death(const char* kind, pid_t dead_holder) {
  if (dead_holder == 0)
    mp::events::emit("core.owner_died_unknown", {{"lock", kind}});
  else
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
  for (const auto& c : s.checks) {
    checks.push_back({{"name", c.name}, {"ok", c.ok}, {"value", c.value}, {"expected", c.expected}});
    if (c.hidden) checks.back()["hidden"] = true;
  }
  j["checks"] = checks;
  for (auto& [key, value] : s.figures.items()) j[key] = value;
  j["seed"] = seed;
  j["speed"] = speed;
  j["elapsed"] = std::round(elapsed * 1000) / 1000;
  return j;
}

}  // namespace

int run_scenario(const ScenarioEntry& entry, const RunFunction& run, const GlobalOptions& options,
                 const std::string& rerun_command, const Prediction* prediction) {
  const std::string lang = options.lang.empty() ? language_from_environment() : options.lang;
  const std::uint64_t seed = options.seed.value_or(fresh_seed());
  const Catalog catalog(lang);
  const std::string program = std::string("mpdemo ") + entry.name;  // how an error line names us
  const DrawOptions draw{options.timeline, options.trace, options.chart};

  // Output files are opened before the run: a path that cannot be written
  // stops it before anything starts.
  std::unique_ptr<Drawings> drawings;
  OutputFile record_file;
  std::unique_ptr<StepRun> steps_run;  // --order, --step
  try {
    steps_run = std::make_unique<StepRun>(options, catalog, entry.name, seed);
    if (options.chart && options.json)
      throw UsageError("run.chart_with_json");
    if (draw.any()) drawings = std::make_unique<Drawings>(draw, catalog, use_color(options));
    if (!options.record.empty()) record_file = OutputFile(options.record);
  } catch (const UsageError& e) {
    std::fputs(error_line(catalog, program, error_text(catalog, e)).c_str(), stderr);
    return 2;
  }

  const double start = mp::monotonic_seconds();
  const double start_wall = wall_seconds();
  std::unique_ptr<Renderer> shown =
      options.json ? make_json_renderer()
                   : make_console_renderer(catalog, ConsoleStyle{use_color(options), options.quiet, start_wall,
                                                                options.verbose || options.step, options.wall_clock});
  std::string recording;
  std::unique_ptr<Renderer> recorder = record_file.wanted() ? make_json_recorder(recording) : nullptr;
  RendererList renderer;
  renderer.add(shown.get());
  if (recorder) renderer.add(recorder.get());
  if (drawings) renderer.add(drawings.get());

  InterruptGuard interrupts;  // Ctrl-C ends the children with us
  // A SIGKILL cannot be caught: the kernel ends every child with us instead
  // (a lesson whose child must outlive its parent, orphan, opts out).
  mp::set_parent_death_policy(mp::ParentDeath::KillChild);
  mp::events::Channel channel;
  mp::events::install(channel.write_fd(), start);
  // A run that is drawn now, or recorded to be drawn later, sends the events
  // that exist only for drawing (process lives, spans without a sentence).
  mp::events::set_tracing(drawings || options.json || record_file.wanted());
  mp::set_owner_death_handler(report_owner_death);
  // --step draws its screen between the events (the board comes as one).
  EventPump pump(channel.read_fd(), *steps_run->in_front_of(&renderer));

  Context ctx(entry.name, seed, options.speed, lang);
  steps_run->install();
  // "wall" lets a replay print the console's clock column as it was.
  ctx.emit("run.start", {{"scenario", entry.name},
                         {"seed", seed},
                         {"speed", options.speed},
                         {"rerun", rerun_command + " --seed " + std::to_string(seed)},
                         {"format", mp::events::kFormatVersion},
                         {"lang", lang},
                         {"wall", start_wall}});

  Summary summary;
  try {
    summary = run(ctx);
  } catch (const UsageError& e) {
    steps_run->end();
    pump.finish();
    std::fputs(error_line(catalog, program, error_text(catalog, e)).c_str(), stderr);
    return 2;
  } catch (const mp::DbError& e) {
    steps_run->end();
    pump.finish();
    std::fputs(error_line(catalog, program, error_text(catalog, e.key(), e.fields(), e.what())).c_str(), stderr);
    return 2;
  } catch (const std::exception& e) {
    steps_run->end();
    pump.finish();
    // After Ctrl-C the children (a Manager's server, say) are being ended
    // under the main thread, so what it then fails on is the interruption,
    // not a fault to report; the signal ends this process in a moment.
    if (interrupted()) return 130;
    // After q (--step) the scenario stops wherever it was: not a failure.
    if (auto status = steps_run->outcome(rerun_command, seed)) return *status;
    std::fputs(failed_line(catalog, entry.name, e.what()).c_str(), stderr);
    // The run ended early (a child it needed was killed, say), but the
    // summary is still the last line, and a failed check says what happened.
    mp::events::uninstall();
    Summary failed;
    failed.check("run_completed", false, e.what(), "no error");
    nlohmann::json failed_line = summary_json(entry.name, failed, seed, options.speed, mp::monotonic_seconds() - start);
    if (prediction) failed_line["prediction"] = judge_prediction(*prediction, failed_line, catalog);
    renderer.summary(failed_line);
    renderer.flush();
    if (prediction && !options.json) write_fd(STDOUT_FILENO, prediction_lines(failed_line["prediction"], catalog, use_color(options)));
    return 1;
  }
  steps_run->end();
  pump.finish();
  mp::events::uninstall();
  if (interrupted()) return 130;  // being torn down: the signal ends us in a moment
  if (auto status = steps_run->outcome(rerun_command, seed)) return *status;
  const double elapsed = mp::monotonic_seconds() - start;
  if (drawings) {
    // A drawing of events that do not fit together (a span never ended) is
    // a fault of the scenario: it fails the run, so `verify` finds it.
    const auto& problems = drawings->finish(elapsed).problems;
    // The problem itself is a fault of the scenario's code, said in English
    // for whoever fixes it; the line around it is in the run's language.
    for (const auto& p : problems)
      std::fputs((catalog.text("error.timeline_problem", {{"scenario", entry.name}, {"problem", p}}) + "\n").c_str(),
                 stderr);
    summary.check("timeline_well_formed", problems.empty(), problems.size(), 0);
  }
  nlohmann::json summary_line = summary_json(entry.name, summary, seed, options.speed, elapsed);
  if (prediction) summary_line["prediction"] = judge_prediction(*prediction, summary_line, catalog);
  renderer.summary(summary_line);
  renderer.flush();
  // The lesson's checks decide the exit status; the prediction is the student's, told after.
  if (prediction && !options.json) write_fd(STDOUT_FILENO, prediction_lines(summary_line["prediction"], catalog, use_color(options)));
  steps_run->print_replay(rerun_command, seed);
  try {
    if (drawings) drawings->write(summary_line);
    if (record_file.wanted()) record_file.commit(recording);
  } catch (const std::exception& e) {
    std::fputs(error_line(catalog, program, e.what()).c_str(), stderr);
    return 2;
  }
  return summary.ok() ? 0 : 1;
}

}  // namespace mpdemo
