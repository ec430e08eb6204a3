// --help in the user's language. CLI11 asks this formatter for every piece
// of a help screen (CLI::Formatter, CLI/FormatterFwd.hpp in CLI11 2.1); each
// piece comes from the catalogues (data/messages/{en,zh}/help.json):
//   option "--buyers" of scenario ticket   help.ticket.--buyers
//   an option every scenario takes         help.common.--seed
//   a group heading ("Common options")     help.group.common_options
//   a command's description / footer       help.verify.description, help.verify.footer
//   the top-level description / footer     help.mpdemo.description, help.mpdemo.footer
//   a scenario's one-line summary          summary.<name> (as `mpdemo list`)
// The code registers an option with no description; adding an option is
// one line in its setup function and one line in each help.json
// (tests/cli/translation_cli_test.cpp fails until both are there).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "catalog.hpp"

namespace mpdemo {

class HelpFormatter : public CLI::Formatter {
 public:
  explicit HelpFormatter(const std::string& lang);

  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;
  std::string make_description(const CLI::App* app) const override;
  std::string make_group(std::string group, bool is_positional, std::vector<const CLI::Option*> opts) const override;
  std::string make_usage(const CLI::App* app, std::string name) const override;
  std::string make_subcommands(const CLI::App* app, CLI::AppFormatMode mode) const override;
  std::string make_subcommand(const CLI::App* sub) const override;
  std::string make_footer(const CLI::App* app) const override;
  std::string make_option_desc(const CLI::Option* opt) const override;

 private:
  // The help text of `opt` on `app`'s screen; the catalogue key when none.
  std::string option_text(const CLI::App* app, const CLI::Option* opt) const;
  std::string scenario_footer(const std::string& name) const;
  // "Common options:" / "通用选项：", a group's heading in the language.
  std::string heading(const std::string& group) const;

  Catalog catalog_;
  // The screen being made: CLI11 hands make_option_desc only the option, and
  // the key depends on whose screen it is (set by make_help, one screen at a time).
  mutable const CLI::App* screen_ = nullptr;
};

// The catalogue key of an option's help on `app`'s screen ("help.ticket.--buyers").
std::string option_help_key(const std::string& scope, const CLI::Option& opt);

}  // namespace mpdemo
