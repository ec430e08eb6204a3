#include "error_text.hpp"

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstring>
#include <vector>
#include <regex>

#include "catalog.hpp"
#include "global_options.hpp"
#include "scenario.hpp"

namespace mpdemo {
namespace {

using nlohmann::json;

// The fields as the text shows them: a file kind and an errno in words.
json shown_fields(const Catalog& catalog, const json& fields) {
  json shown = fields.is_object() ? fields : json::object();
  if (shown.contains("kind") && shown["kind"].is_string())
    shown["kind"] = catalog.text("error.file_kind." + shown["kind"].get<std::string>());
  if (shown.contains("errno") && shown["errno"].is_number_integer()) {
    const int number = shown["errno"].get<int>();
    const char* name = ::strerrorname_np(number);  // "EACCES"
    const std::string key = std::string("error.errno.") + (name ? name : "");
    shown["reason"] = name && catalog.has(key) ? catalog.text(key) : std::string(std::strerror(number));
  }
  return shown;
}

// CLI11 2.1 says what it refused only in an English sentence (CLI/Error.hpp);
// each kind of refusal has a fixed shape, from which the option and the
// value are taken back. A shape not known here is shown as it is, inside a
// translated sentence ("error.cli.other").
struct CliShape {
  const char* key;
  std::regex pattern;
  std::vector<const char*> fields;  // the pattern's groups, in order
};

json match_fields(const std::string& text, const std::vector<CliShape>& shapes, std::string& key) {
  std::smatch m;
  for (const auto& shape : shapes) {
    if (!std::regex_match(text, m, shape.pattern)) continue;
    json fields = json::object();
    for (std::size_t i = 0; i < shape.fields.size(); ++i) fields[shape.fields[i]] = m[i + 1].str();
    key = shape.key;
    return fields;
  }
  key = "cli.other";
  return {{"detail", text}};
}

std::vector<CliShape> shapes_of(const CLI::ParseError& e) {
  using R = std::regex;
  if (dynamic_cast<const CLI::ExtrasError*>(&e))
    return {{"cli.unknown_option", R("The following arguments? (?:was|were) not expected: (-.*)"), {"option"}},
            {"cli.unexpected_argument", R("The following arguments? (?:was|were) not expected: (.*)"), {"argument"}}};
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e))
    return {{"cli.missing_value", R("(.*): \\d+ required .* missing"), {"option"}},
            {"cli.flag_with_value", R("(.*) was given a disallowed flag override"), {"option"}},
            {"cli.too_many_values", R("(.*): At Most \\d+ required but received \\d+"), {"option"}},
            {"cli.missing_value", R("(.*): At least \\d+ required but received \\d+"), {"option"}},
            {"cli.missing_value", R("Expected .* arguments to (.*), got \\d+"), {"option"}}};
  if (dynamic_cast<const CLI::RequiredError*>(&e))
    return {{"cli.no_subcommand", R("A subcommand"), {}}, {"cli.required", R("(.*) is required"), {"option"}}};
  if (dynamic_cast<const CLI::ExcludesError*>(&e))
    return {{"cli.excludes", R("(.*) excludes (.*)"), {"option", "other"}}};
  if (dynamic_cast<const CLI::RequiresError*>(&e))
    return {{"cli.requires", R("(.*) requires (.*)"), {"option", "other"}}};
  if (dynamic_cast<const CLI::ValidationError*>(&e))
    return {{"cli.not_a_choice", R("(.*): (.*) not in \\{(.*)\\}"), {"option", "value", "choices"}},
            {"cli.invalid_value", R("(.*?): (.*)"), {"option", "detail"}}};
  if (dynamic_cast<const CLI::ConversionError*>(&e))
    return {{"cli.not_convertible", R("Could not convert: (.*) = (.*)"), {"option", "value"}},
            {"cli.not_convertible", R("The value (.*) is not an allowed value for (.*)"), {"value", "option"}},
            {"cli.flag_with_value", R("(.*): too many inputs for a flag"), {"option"}},
            {"cli.flag_with_value", R("(.*): Should be true/false or a number"), {"option"}}};
  return {};
}

}  // namespace

std::string error_text(const Catalog& catalog, const std::string& key, const nlohmann::json& fields,
                       const std::string& english) {
  if (key.empty() || !catalog.has("error." + key)) return english;
  return catalog.text("error." + key, shown_fields(catalog, fields));
}

std::string error_text(const Catalog& catalog, const UsageError& error) {
  const std::string key = "error." + error.key();
  if (!catalog.has(key)) return key + " " + error.fields().dump();
  return catalog.text(key, shown_fields(catalog, error.fields()));
}

std::string error_text(const Catalog& catalog, const CLI::ParseError& error) {
  std::string key;
  const json fields = match_fields(error.what(), shapes_of(error), key);
  return catalog.text("error." + key, fields);
}

std::string core_error_key(const std::string& text) {
  std::string key = "error.";
  for (std::size_t i = 0; i < text.size();) {
    if (std::isdigit(static_cast<unsigned char>(text[i]))) {
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
      key += '#';
    } else {
      key += text[i++];
    }
  }
  return key;
}

std::string core_error_text(const Catalog& catalog, const std::string& text) {
  const std::string key = core_error_key(text);
  if (!catalog.has_own(key)) return text;
  std::vector<std::string> numbers;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) numbers.push_back(text.substr(i, j - i));
    i = j > i ? j : i + 1;
  }
  std::string out;
  std::size_t n = 0;
  for (char c : catalog.text(key)) {
    if (c == '#' && n < numbers.size()) out += numbers[n++];
    else out += c;
  }
  return out;
}

std::string failed_line(const Catalog& catalog, std::string_view scenario, const std::string& error) {
  return catalog.text("error.run_failed", {{"scenario", std::string(scenario)}, {"error", core_error_text(catalog, error)}}) +
         "\n";
}

std::string error_line(const Catalog& catalog, std::string_view program, const std::string& message, HelpHint hint) {
  std::string line = catalog.text("error.line", {{"program", std::string(program)}, {"message", message}});
  if (hint == HelpHint::Yes) line += "\n" + catalog.text("error.help_hint");
  return line + "\n";
}

std::string language_of_command_line(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    std::string_view value;
    if (arg == "--lang" && i + 1 < argc) value = argv[i + 1];
    else if (arg.substr(0, 7) == "--lang=") value = arg.substr(7);
    if (value == "zh" || value == "en") return std::string(value);
  }
  return language_from_environment();
}

}  // namespace mpdemo
