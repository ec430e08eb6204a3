#include "value_words.hpp"

namespace mpdemo {
namespace {

// A list or an object inside another one is put in parentheses, so that its
// items do not run into those of the outer one.
std::string nested_words(const Catalog& catalog, const nlohmann::json& value) {
  std::string text = value_words(catalog, value);
  return value.is_structured() && !value.empty() ? "(" + text + ")" : text;
}

}  // namespace

std::string value_words(const Catalog& catalog, const nlohmann::json& value) {
  if (value.is_boolean()) return catalog.text(value.get<bool>() ? "value.yes" : "value.no");
  if (value.is_null()) return catalog.text("value.none");  // Python's None, not JSON's null
  if (value.is_string()) {  // a word the catalogue translates ("cut off" -> "被截断"), or the text itself
    const std::string text = value.get<std::string>();
    return catalog.has_own("value." + text) ? catalog.text("value." + text) : text;
  }
  if (!value.is_structured()) return value.dump();
  if (value.empty()) return catalog.text("value.empty_list");
  const std::string separator = catalog.text("value.list_separator");
  std::string text;
  if (value.is_array()) {
    for (const auto& item : value) text += (text.empty() ? "" : separator) + nested_words(catalog, item);
    return text;
  }
  for (const auto& [key, item] : value.items()) {
    const std::string label = catalog.has("label." + key) ? catalog.text("label." + key) : key;
    text += (text.empty() ? "" : separator) + label + " " + nested_words(catalog, item);
  }
  return text;
}

}  // namespace mpdemo
