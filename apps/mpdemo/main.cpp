// mpdemo: Python's multiprocessing tutorials, run on real Linux processes.
// main() only builds the CLI from the scenario table and dispatches.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <optional>
#include <string>

#include "catalog.hpp"
#include "commands.hpp"
#include "compare_runs.hpp"
#include "compare_table.hpp"
#include "error_text.hpp"
#include "global_options.hpp"
#include "help_formatter.hpp"
#include "predict_quiz.hpp"
#include "run_scenario.hpp"
#include "scenario.hpp"

using namespace mpdemo;

int main(int argc, char** argv) {
  CLI::App app;
  app.name("mpdemo");
  app.require_subcommand(1);
  // Every --help screen in the user's language: descriptions, option texts,
  // headings and examples come from data/messages/*/help.json (subcommands
  // take the formatter when they are added, so it is set first).
  app.formatter(std::make_shared<HelpFormatter>(language_of_command_line(argc, argv)));

  GlobalOptions globals;
  std::map<std::string, RunFunction> runs;
  std::map<std::string, CLI::App*> subcommands;
  for (const auto& entry : scenario_table()) {
    if (!entry.setup) continue;
    CLI::App* sub = app.add_subcommand(entry.name, entry.summary);
    add_global_options(*sub, globals);
    runs[entry.name] = entry.setup(*sub);
    subcommands[entry.name] = sub;
  }
  CommandOptions commands;
  add_commands(app, commands, globals);

  auto is_subcommand = [&app](const std::string& name) {
    for (const CLI::App* sub : app.get_subcommands({}))
      if (sub->get_name() == name) return true;
    return false;
  };
  if (argc == 1) return show_start(globals);  // no arguments: the list and how to start, not an error
  if (argc >= 2 && argv[1][0] != '-' && !is_subcommand(argv[1])) {
    const Catalog catalog(language_of_command_line(argc, argv));
    std::fprintf(stderr, "%s%s\n", error_line(catalog, "mpdemo", unknown_scenario_text(argv[1], catalog)).c_str(),
                 catalog.text("error.list_hint").c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11's refusal (unknown option, missing value, ...) in the user's language.
    const Catalog catalog(language_of_command_line(argc, argv));
    std::fputs(error_line(catalog, "mpdemo", error_text(catalog, e), HelpHint::Yes).c_str(), stderr);
    return 2;
  } catch (const UsageError& e) {
    // A number option out of its range (see scenarios/number_options.hpp).
    const Catalog catalog(language_of_command_line(argc, argv));
    std::fputs(error_line(catalog, "mpdemo", error_text(catalog, e), HelpHint::Yes).c_str(), stderr);
    return 2;
  }

  for (const auto& entry : scenario_table()) {
    if (!entry.setup) continue;
    CLI::App* sub = subcommands[entry.name];
    if (!sub->parsed()) continue;
    std::optional<Prediction> prediction;
    if (globals.compare || prediction_requested(*sub)) {
      // Asked before anything starts: a bad answer ends the run before it begins.
      const Catalog catalog(language_of_command_line(argc, argv));
      try {
        if (globals.compare) return run_compare(entry, *sub, globals, argc, argv);
        prediction = ask_prediction(*sub, globals, catalog);
      } catch (const UsageError& e) {
        std::fputs(error_line(catalog, std::string("mpdemo ") + entry.name, error_text(catalog, e)).c_str(), stderr);
        return 2;
      }
    }
    return run_scenario(entry, runs[entry.name], globals, rerun_command(*sub), prediction ? &*prediction : nullptr);
  }
  return run_command(app, commands, globals);
}
