#include "help_formatter.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "compare_table.hpp"
#include "scenario.hpp"
#include "step_points.hpp"

namespace mpdemo {
namespace {

// "Predict, then compare" -> "help.group.predict_then_compare": a heading as a key.
std::string group_key(const std::string& group) {
  std::string key;
  for (char c : group) {
    if (std::isalnum(static_cast<unsigned char>(c))) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!key.empty() && key.back() != '_') key += '_';
  }
  return "help.group." + key;
}

bool is_scenario(const CLI::App* app) {
  return app->get_parent() != nullptr && find_scenario(app->get_name()) != nullptr;
}

// The scope of an app's keys: the scenario's or command's name, "mpdemo" at the top.
std::string scope_of(const CLI::App* app) { return app && app->get_parent() ? app->get_name() : "mpdemo"; }

}  // namespace

std::string option_help_key(const std::string& scope, const CLI::Option& opt) {
  std::string name = !opt.get_lnames().empty()   ? "--" + opt.get_lnames().front()
                     : !opt.get_snames().empty() ? "-" + opt.get_snames().front()
                                                 : opt.get_name();  // a positional: its name
  return "help." + scope + "." + name;
}

HelpFormatter::HelpFormatter(const std::string& lang) : catalog_(lang) {
  // Words CLI11 itself puts on a help screen (CLI::Formatter::get_label).
  for (const char* word : {"Usage", "OPTIONS", "SUBCOMMAND", "SUBCOMMANDS", "REQUIRED", "Positionals", "Needs", "Excludes", "Env"})
    label(word, catalog_.text(std::string("help.label.") + word));
  column_width(30);
}

std::string HelpFormatter::make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const {
  const CLI::App* outer = screen_;
  screen_ = app;
  std::string text = CLI::Formatter::make_help(app, std::move(name), mode);
  screen_ = outer;
  return text;
}

std::string HelpFormatter::make_description(const CLI::App* app) const {
  std::string key = is_scenario(app) ? "summary." + app->get_name() : "help." + scope_of(app) + ".description";
  const std::string text = catalog_.has(key) ? catalog_.text(key) : app->get_description();
  return text.empty() ? std::string() : text + "\n";
}

std::string HelpFormatter::heading(const std::string& group) const {
  const std::string key = group_key(group);
  return (catalog_.has(key) ? catalog_.text(key) : group) + catalog_.text("help.label.heading_colon");
}

std::string HelpFormatter::make_group(std::string group, bool is_positional, std::vector<const CLI::Option*> opts) const {
  std::string text = "\n" + heading(group) + "\n";
  for (const CLI::Option* opt : opts) text += make_option(opt, is_positional);
  return text;
}

std::string HelpFormatter::make_usage(const CLI::App* app, std::string name) const {
  // CLI11 writes "<Usage label>: <name> ..."; the colon is the language's ("用法：mpdemo ...").
  std::string text = CLI::Formatter::make_usage(app, std::move(name));
  const std::string head = get_label("Usage") + ": ";
  if (text.rfind(head, 0) == 0) text = get_label("Usage") + catalog_.text("help.label.colon") + text.substr(head.size());
  return text;
}

std::string HelpFormatter::make_subcommands(const CLI::App* app, CLI::AppFormatMode mode) const {
  // CLI::Formatter's own, with the group headings translated.
  std::vector<std::string> groups;
  for (const CLI::App* sub : app->get_subcommands({}))
    if (!sub->get_name().empty() && !sub->get_group().empty() &&
        std::find(groups.begin(), groups.end(), sub->get_group()) == groups.end())
      groups.push_back(sub->get_group());
  std::ostringstream out;
  for (const std::string& group : groups) {
    out << "\n" << heading(group) << "\n";
    for (const CLI::App* sub : app->get_subcommands({})) {
      if (sub->get_name().empty() || sub->get_group() != group) continue;
      out << (mode == CLI::AppFormatMode::All ? sub->help(sub->get_name(), CLI::AppFormatMode::Sub) + "\n"
                                              : make_subcommand(sub));
    }
  }
  return out.str();
}

std::string HelpFormatter::make_subcommand(const CLI::App* sub) const {
  std::ostringstream out;
  std::string description = make_description(sub);
  if (!description.empty()) description.pop_back();  // its own line ending, not ours
  CLI::detail::format_help(out, sub->get_display_name(true), description, column_width_);
  return out.str();
}

std::string HelpFormatter::make_footer(const CLI::App* app) const {
  if (is_scenario(app)) return scenario_footer(app->get_name());
  const std::string key = "help." + scope_of(app) + ".footer";
  return catalog_.has(key) ? catalog_.text(key) + "\n" : CLI::Formatter::make_footer(app);
}

std::string HelpFormatter::scenario_footer(const std::string& name) const {
  const ScenarioEntry* entry = find_scenario(name);
  std::string text = catalog_.text("help.footer.examples") + "\n  " + entry->example + "\n  mpdemo " + name +
                     " --predict   " + catalog_.text("help.footer.predict") + "\n";
  if (has_compare(name)) text += "  mpdemo " + name + " --compare   " + catalog_.text("help.footer.compare") + "\n";
  if (const char* example = steps::order_example(name)) {
    // "mpdemo ticket ... --order 1,2,3   (what it shows)": the command line
    // as it is, what it shows from the catalogue when it has it.
    const std::string line = example;
    const auto note = line.find("   (");
    const std::string key = "help." + name + ".order_example";
    text += "  " + (note != std::string::npos && catalog_.has(key) ? line.substr(0, note + 3) + catalog_.text(key) : line) +
            "\n  mpdemo " + name + " --step   " + catalog_.text("help.footer.step") + "\n";
  }
  return text + catalog_.text("help.footer.see_also", {{"name", name}}) + "\n";
}

std::string HelpFormatter::make_option_desc(const CLI::Option* opt) const { return option_text(screen_, opt); }

std::string HelpFormatter::option_text(const CLI::App* app, const CLI::Option* opt) const {
  for (const std::string& scope : {scope_of(app), std::string("common")}) {
    const std::string key = option_help_key(scope, *opt);
    if (catalog_.has(key)) return catalog_.text(key);
  }
  // Not in the catalogues: the description given in code, else the key
  // itself, so that the missing text shows (and the translation test fails).
  return !opt->get_description().empty() ? opt->get_description() : option_help_key(scope_of(app), *opt);
}

}  // namespace mpdemo
