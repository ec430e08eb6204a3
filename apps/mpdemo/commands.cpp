#include "commands.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "catalog.hpp"
#include "console_layout.hpp"
#include "error_text.hpp"
#include "number_options.hpp"
#include "python_twin.hpp"
#include "scenario.hpp"
#include "verify.hpp"

namespace mpdemo {
namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string lang_of(const GlobalOptions& g) { return g.lang.empty() ? language_from_environment() : g.lang; }

constexpr int kListWidth = 100;

std::string fmt_line(const char* name, const std::string& summary) {
  char head[32];
  std::snprintf(head, sizeof head, "  %-22s ", name);
  return head + summary;
}

int list_scenarios(const GlobalOptions& g) {
  const Catalog catalog(lang_of(g));
  for (const auto& s : scenario_table()) {
    if (!s.setup) continue;
    std::string key = std::string("summary.") + s.name;
    std::string line = lang_of(g) == "zh" && catalog.has(key) ? catalog.text(key) : s.summary;
    // One line each, cut to a projected screen's width.
    std::printf("%s\n", cut_to_width(fmt_line(s.name, line), kListWidth).c_str());
  }
  std::printf("\n%s\n", catalog.text("list.footer").c_str());
  return 0;
}

int explain(const std::string& name, bool python, const GlobalOptions& g) {
  const ScenarioEntry* s = find_scenario(name);
  if (!s) {
    const Catalog catalog(lang_of(g));
    std::fputs(error_line(catalog, "mpdemo explain", unknown_scenario_text(name, catalog)).c_str(), stderr);
    return 2;
  }
  const Catalog catalog(lang_of(g));
  if (python) return print_python_twin(s->name, catalog);
  // Title, lesson and example all in the run's language (the summary line
  // falls back to the table's English only where no translation exists).
  const std::string summary_key = std::string("summary.") + s->name;
  const std::string summary = catalog.has_own(summary_key) ? catalog.text(summary_key) : s->summary;
  std::printf("%s — %s\n\n%s\n\n%s %s\n", s->name, summary.c_str(),
              catalog.text(std::string("explain.") + s->name).c_str(), catalog.text("explain.example").c_str(),
              s->example);
  return 0;
}

}  // namespace

// The commands' descriptions, option texts and footers are in
// data/messages/{en,zh}/help.json ("help.verify.description", "help.verify.--only",
// "help.verify.footer"), shown by HelpFormatter.
void add_commands(CLI::App& app, CommandOptions& o, GlobalOptions& g) {
  CLI::App* list = app.add_subcommand("list");
  list->add_option("--lang", g.lang)->check(CLI::IsMember({"zh", "en"}));

  CLI::App* explain_cmd = app.add_subcommand("explain");
  explain_cmd->add_option("NAME", o.explain_name)->required();
  explain_cmd->add_option("--lang", g.lang)->check(CLI::IsMember({"zh", "en"}));
  explain_cmd->add_flag("--python", o.explain_python);

  CLI::App* verify = app.add_subcommand("verify");
  verify->add_option("--speed", o.verify_speed)->capture_default_str()->check(real_in_range("--speed", 0.0, 10.0));
  verify->add_option("--only", o.verify_only);
  verify->add_option("--seed", g.seed);
  verify->add_flag("--json", g.json);

  CLI::App* replay = app.add_subcommand("replay");
  replay->add_option("RECORDING", o.replay.file)->required();
  replay->add_option("--pace", o.replay.pace)
      ->capture_default_str()
      ->check(real_in_range("--pace", 0.0, 100.0));
  replay->add_option("--lang", g.lang)->check(CLI::IsMember({"zh", "en"}));
  replay->add_flag("--no-color", g.no_color);
  replay->add_flag("-q,--quiet", g.quiet);
  replay->add_flag("-v,--verbose", g.verbose);
  replay->add_flag("--clock", g.wall_clock);
  add_drawing_options(*replay, g);
}

int run_command(CLI::App& app, const CommandOptions& o, const GlobalOptions& g) {
  if (app.got_subcommand("replay")) return run_replay(o.replay, g);
  if (app.got_subcommand("list")) return list_scenarios(g);
  if (app.got_subcommand("explain")) return explain(o.explain_name, o.explain_python, g);
  if (app.got_subcommand("verify")) return run_verify(o.verify_speed, g.seed.value_or(1), g.json, o.verify_only);
  return 2;
}

std::string unknown_scenario_text(const std::string& name, const Catalog& catalog) {
  // The nearest names: a few edits away, or containing what was typed
  // ("lock" -> print-lock, rlock); at most three, nearest first.
  std::vector<std::pair<std::size_t, std::string>> near;
  for (const auto& s : scenario_table()) {
    if (!s.setup) continue;
    const std::string candidate = s.name;
    std::size_t d = edit_distance(name, candidate);
    if (name.size() >= 3 && candidate.find(name) != std::string::npos) d = std::min<std::size_t>(d, 1);
    if (d <= std::max<std::size_t>(2, name.size() / 3)) near.emplace_back(d, candidate);
  }
  std::stable_sort(near.begin(), near.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (near.size() > 3) near.resize(3);
  std::string names;
  for (std::size_t i = 0; i < near.size(); ++i)
    names += (i == 0                   ? ""
              : i + 1 == near.size() ? catalog.text("error.list_last_separator")
                                     : catalog.text("error.list_separator")) +
             ("'" + near[i].second + "'");
  if (names.empty()) return catalog.text("error.unknown_scenario", {{"name", name}});
  return catalog.text("error.unknown_scenario_near", {{"name", name}, {"names", names}});
}

int show_start(const GlobalOptions& g) {
  list_scenarios(g);
  const Catalog catalog(lang_of(g));
  std::printf("%s\n", catalog.text("start.how").c_str());
  return 0;
}

std::string rerun_command(const CLI::App& sub) {
  std::string cmd = "mpdemo " + sub.get_name();
  for (const CLI::Option* opt : sub.get_options()) {
    const std::string name = opt->get_single_name();
    // How a run is shown (output format, language, drawings) is not part of what it does.
    // Nor is the quiz asked before it (--predict), or a second run beside it (--compare).
    static const char* const kShowing[] = {"help",     "json",  "no-color", "quiet",  "verbose", "clock",  "seed",
                                            "lang",     "timeline", "trace", "chart",   "record",  "predict",
                                            "compare"};
    if (name.empty() || std::find(std::begin(kShowing), std::end(kShowing), name) != std::end(kShowing)) continue;
    if (opt->get_expected_min() == 0) {  // a flag
      if (opt->count() > 0) cmd += " --" + name;
      continue;
    }
    std::string value;
    if (opt->count() > 0) {
      // Every value given, joined the way the only list option (--sleeps) reads them.
      for (const auto& r : opt->results()) value += (value.empty() ? "" : ",") + r;
    } else {
      value = opt->get_default_str();  // CLI11 shows a list default as "[1,2,3]"
      if (value.size() >= 2 && value.front() == '[' && value.back() == ']') value = value.substr(1, value.size() - 2);
    }
    if (value.empty()) continue;
    if (value.find(' ') != std::string::npos) value = "'" + value + "'";
    cmd += " --" + name + " " + value;
  }
  return cmd;
}

}  // namespace mpdemo
