#include "error_text.hpp"

#include <string_view>

#include "catalog.hpp"
#include "global_options.hpp"

namespace mpdemo {

std::string error_text(const Catalog& catalog, const std::string& key, const nlohmann::json& fields,
                       const std::string& english) {
  if (key.empty() || !catalog.has("error." + key)) return english;
  nlohmann::json shown = fields;
  if (shown.is_object() && shown.contains("kind") && shown["kind"].is_string())
    shown["kind"] = catalog.text("error.file_kind." + shown["kind"].get<std::string>());
  return catalog.text("error." + key, shown);
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
