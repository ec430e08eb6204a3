#include "catalog.hpp"

#include "mpdata/embedded.hpp"

namespace mpdemo {
namespace {

// Merges every messages/<lang>/*.json (one file per scenario, plus common).
nlohmann::json load(const std::string& lang) {
  nlohmann::json merged = nlohmann::json::object();
  const std::string prefix = "messages/" + lang + "/";
  for (std::string_view path : mpdata::paths()) {
    if (path.substr(0, prefix.size()) != prefix) continue;
    auto j = nlohmann::json::parse(*mpdata::find(path), nullptr, false);
    if (j.is_object()) merged.update(j);
  }
  return merged;
}

std::string value_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v.get<double>());
    return buf;
  }
  return v.dump();
}

}  // namespace

Catalog::Catalog(const std::string& lang) : chosen_(load(lang)), english_(load("en")) {}

bool Catalog::has(const std::string& key) const { return chosen_.contains(key) || english_.contains(key); }

std::string Catalog::text(const std::string& key, const nlohmann::json& fields) const {
  const nlohmann::json* source = chosen_.contains(key) ? &chosen_ : english_.contains(key) ? &english_ : nullptr;
  if (!source) return key;
  const auto& entry = (*source)[key];
  return fill_placeholders(entry.is_string() ? entry.get<std::string>() : entry.dump(), fields);
}

std::string fill_placeholders(const std::string& text, const nlohmann::json& fields) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '{') {
      auto close = text.find('}', i + 1);
      if (close != std::string::npos) {
        std::string name = text.substr(i + 1, close - i - 1);
        if (fields.is_object() && fields.contains(name)) {
          out += value_text(fields[name]);
          i = close + 1;
          continue;
        }
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace mpdemo
