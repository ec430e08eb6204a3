#include "compare_runs.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/color.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

#include "catalog.hpp"
#include "compare_child.hpp"
#include "compare_table.hpp"
#include "console_layout.hpp"
#include "event_text.hpp"
#include "fd_output.hpp"
#include "predict_quiz.hpp"

namespace mpdemo {
namespace {

// The table fits a projected screen, as the console does (100 columns).
constexpr int kTableWidth = 100;
constexpr int kLabelWidth = 16;

std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// What one run left: its summary and its outcome sentence (the last
// verdict event, which the console highlights in its summary).
struct Half {
  std::string args;  // its own arguments ("--lock", or "")
  int exit_code = -1;
  nlohmann::json summary;
  nlohmann::json verdict;
};

// The user's arguments without those --compare sets itself: --compare,
// --json, --seed and --lang (one seed and one language for every run).
std::vector<std::string> base_arguments(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--compare" || a == "--json") continue;
    if (a == "--seed" || a == "--lang") {
      ++i;  // and its value
      continue;
    }
    if (a.rfind("--seed=", 0) == 0 || a.rfind("--lang=", 0) == 0) continue;
    out.push_back(a);
  }
  return out;
}

void refuse_what_two_runs_cannot_share(const CompareEntry& entry, const CLI::App& scenario,
                                       const GlobalOptions& options) {
  auto refuse = [](const char* option) {
    throw UsageError("compare.not_with", {{"option", option}});
  };
  if (prediction_requested(scenario)) refuse("--predict");
  if (!options.timeline.empty()) refuse("--timeline");
  if (!options.trace.empty()) refuse("--trace");
  if (options.chart) refuse("--chart");
  if (!options.record.empty()) refuse("--record");
  // A stepped run waits for keys on the terminal, and one order cannot hold
  // for both runs: the fix (a lock) makes some orders impossible.
  if (options.step) refuse("--step");
  if (!options.order.empty()) refuse("--order");
  for (const char* const* run = entry.runs; *run; ++run)
    for (const auto& flag : words_of(*run)) {
      const CLI::Option* opt = scenario.get_option_no_throw(flag);
      if (opt && opt->count() > 0)
        throw UsageError("compare.fix_given", {{"option", flag}});
    }
}

// A value as a short cell: yes/no in words, numbers short, lists compact.
std::string figure_cell(const nlohmann::json& v, const Catalog& catalog) {
  if (v.is_null()) return "–";
  if (v.is_boolean()) return catalog.text(v.get<bool>() ? "value.yes" : "value.no");
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return fmt::format("{:g}", std::round(v.get<double>() * 1000) / 1000);
  return v.dump();
}

std::string outcome_text(const Half& half, const Catalog& catalog) {
  if (half.verdict.is_null()) return "–";
  nlohmann::json fields = half.verdict;
  for (auto& [k, v] : fields.items())
    if (v.is_boolean()) v = catalog.text(v.get<bool>() ? "value.yes" : "value.no");
  return event_sentence(catalog, fields);
}

std::string checks_text(const Half& half, const Catalog& catalog) {
  if (!half.summary.is_object()) return catalog.text("compare.no_summary", {{"exit_code", half.exit_code}});
  const std::string scenario = half.summary.value("scenario", "");
  for (const auto& c : half.summary.value("checks", nlohmann::json::array()))
    if (!c.value("ok", false))
      return "✘ " + catalog.text("compare.check_failed", {{"check", catalog.text(check_key(catalog, scenario, c.value("name", "")), c)}});
  return "✔ " + catalog.text("compare.checks_held");
}

// One row: a label, then each run's text wrapped in its column.
std::string table_row(const std::string& label, const std::vector<std::string>& cells, int column,
                      const std::vector<std::string>& styles_prefix = {}) {
  std::vector<std::vector<std::string>> wrapped;
  std::size_t height = 1;
  for (const auto& c : cells) {
    wrapped.push_back(wrap_to_width(c, column - 2));
    height = std::max(height, wrapped.back().size());
  }
  std::string out;
  for (std::size_t line = 0; line < height; ++line) {
    std::string text = "  " + (line == 0 ? cut_to_width(label, kLabelWidth - 1) : "");
    text += std::string(static_cast<std::size_t>(std::max(0, kLabelWidth + 2 - display_width(text))), ' ');
    for (std::size_t i = 0; i < wrapped.size(); ++i) {
      const std::string part = line < wrapped[i].size() ? wrapped[i][line] : "";
      const bool last = i + 1 == wrapped.size();
      const std::string pad(static_cast<std::size_t>(std::max(0, column - display_width(part))), ' ');
      const std::string style = i < styles_prefix.size() ? styles_prefix[i] : "";
      text += (style.empty() || part.empty() ? part : style + part + "\x1b[0m") + (last ? "" : pad);
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  return out;
}

std::string side_by_side(const CompareEntry& entry, const std::vector<Half>& halves, std::uint64_t seed,
                  const std::string& rerun, const Catalog& catalog, bool color) {
  const int column = (kTableWidth - kLabelWidth - 2) / static_cast<int>(halves.size());
  const std::string scenario = entry.scenario;
  std::string out;
  const std::string title = fmt::format("── {} · {} ──", scenario, catalog.text("compare.title", {{"seed", seed}}));
  out += "\n" + (color ? fmt::format(fmt::emphasis::bold, "{}", title) : title) + "\n";
  std::vector<std::string> headers;
  for (std::size_t i = 0; i < halves.size(); ++i)
    headers.push_back(catalog.text(std::string("compare.") + entry.key + "." + std::to_string(i)));
  out += table_row("", headers, column, color ? std::vector<std::string>(halves.size(), "\x1b[1m") : std::vector<std::string>{});
  for (const char* const* figure = entry.figures; *figure; ++figure) {
    std::vector<std::string> cells;
    for (const auto& h : halves)
      cells.push_back(figure_cell(h.summary.is_object() ? h.summary.value(*figure, nlohmann::json()) : nlohmann::json(), catalog));
    const std::string key = std::string("compare.field.") + *figure;
    out += table_row(catalog.has(key) ? catalog.text(key) : *figure, cells, column);
  }
  // The outcome sentence of each run, highlighted as the console's summary does.
  std::vector<std::string> outcomes, outcome_styles, checks, check_styles, seconds;
  for (const auto& h : halves) {
    const bool ok = h.exit_code == 0;
    outcomes.push_back(color ? outcome_text(h, catalog) : "▶ " + outcome_text(h, catalog));
    outcome_styles.push_back(color ? (ok ? "\x1b[1;97m" : "\x1b[1;91m") : "");
    checks.push_back(checks_text(h, catalog));
    check_styles.push_back(color ? (ok ? "\x1b[1;32m" : "\x1b[1;31m") : "");
    seconds.push_back(h.summary.is_object() ? figure_cell(h.summary.value("elapsed", nlohmann::json()), catalog) : "–");
  }
  out += table_row(catalog.text("compare.outcome"), outcomes, column, outcome_styles);
  out += table_row(catalog.text("compare.checks"), checks, column, check_styles);
  out += table_row(catalog.text("compare.seconds"), seconds, column);
  out += "  " + catalog.text("compare.rerun", {{"rerun", rerun}}) + "\n";
  return out;
}

nlohmann::json compare_line(const CompareEntry& entry, const std::vector<Half>& halves, std::uint64_t seed,
                            const Catalog& catalog) {
  auto runs = nlohmann::json::array();
  bool ok = true;
  for (std::size_t i = 0; i < halves.size(); ++i) {
    const Half& h = halves[i];
    nlohmann::json figures = nlohmann::json::object();
    for (const char* const* figure = entry.figures; *figure; ++figure)
      figures[*figure] = h.summary.is_object() ? h.summary.value(*figure, nlohmann::json()) : nlohmann::json();
    const bool held = h.exit_code == 0 && h.summary.is_object() && h.summary.value("ok", false);
    ok = ok && held;
    runs.push_back({{"args", h.args},
                    {"label", catalog.text(std::string("compare.") + entry.key + "." + std::to_string(i))},
                    {"exit_code", h.exit_code},
                    {"ok", held},
                    {"figures", figures},
                    {"outcome_kind", h.verdict.is_null() ? nlohmann::json() : h.verdict["kind"]},
                    {"outcome", h.verdict.is_null() ? nlohmann::json() : nlohmann::json(outcome_text(h, catalog))}});
  }
  return {{"kind", "compare"}, {"scenario", entry.scenario}, {"seed", seed}, {"ok", ok}, {"runs", runs}};
}

}  // namespace

int run_compare(const ScenarioEntry& scenario_entry, const CLI::App& scenario, const GlobalOptions& options, int argc,
                char** argv) {
  const CompareEntry* entry = find_compare(scenario);
  if (!entry) {
    std::string with_fix;
    for (const auto& e : compare_table())
      if (with_fix.find(e.scenario) == std::string::npos) with_fix += (with_fix.empty() ? "" : ", ") + std::string(e.scenario);
    throw UsageError("compare.no_fix", {{"scenario", scenario_entry.name}, {"with_fix", with_fix}});
  }
  refuse_what_two_runs_cannot_share(*entry, scenario, options);
  const std::string lang = options.lang.empty() ? language_from_environment() : options.lang;
  const Catalog catalog(lang);
  const std::uint64_t seed = options.seed.value_or(fresh_seed());
  const std::vector<std::string> base = base_arguments(argc, argv);

  std::vector<Half> halves;
  const int count = static_cast<int>(std::count_if(std::begin(entry->runs), std::end(entry->runs), [](const char* r) { return r != nullptr; }));
  for (const char* const* run = entry->runs; *run; ++run) {
    // The console says what runs now: a run at --speed 1 takes seconds.
    const int index = static_cast<int>(run - entry->runs);
    if (!options.json)
      write_fd(STDOUT_FILENO, catalog.text("compare.running", {{"run", index + 1}, {"runs", count},
                                                               {"label", catalog.text(std::string("compare.") + entry->key + "." + std::to_string(index))}}) + "\n");
    Half half;
    half.args = *run;
    std::vector<std::string> args{scenario_entry.name};
    args.insert(args.end(), base.begin(), base.end());
    for (const auto& w : words_of(*run)) args.push_back(w);
    args.insert(args.end(), {"--json", "--seed", std::to_string(seed), "--lang", lang});
    const ChildRun child = run_child(args, [&](const std::string& line) {
      if (options.json) write_fd(STDOUT_FILENO, line + "\n");  // every event, as it comes
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object()) return;
      const std::string kind = j.value("kind", "");
      if (kind == "summary") half.summary = j;
      else if (kind.find(".verdict") != std::string::npos) half.verdict = j;
    });
    if (child.signal != 0) re_raise(child.signal);  // interrupted: no table, the signal's status
    half.exit_code = child.exit_code;
    if (child.exit_code == 2 || child.exit_code < 0 || child.exit_code > 2) return child.exit_code < 0 ? 128 - child.exit_code : child.exit_code;
    halves.push_back(std::move(half));
  }

  std::string rerun = std::string("mpdemo ") + scenario_entry.name;
  for (const auto& a : base) rerun += " " + a;
  rerun += " --compare --seed " + std::to_string(seed);
  if (options.json) {
    write_fd(STDOUT_FILENO, compare_line(*entry, halves, seed, catalog).dump() + "\n");
  } else {
    write_fd(STDOUT_FILENO, side_by_side(*entry, halves, seed, rerun, catalog, use_color(options)));
  }
  for (const auto& h : halves)
    if (h.exit_code != 0) return 1;
  return 0;
}

}  // namespace mpdemo
