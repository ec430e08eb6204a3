// Message catalogues (data/messages/<lang>/*.json, one file per scenario): key -> text with {field}
// placeholders filled from an event's fields. A key missing in the chosen
// language falls back to English, then to the key itself, so a missing
// translation shows up as a readable key, never as a crash.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace mpdemo {

class Catalog {
 public:
  explicit Catalog(const std::string& lang);

  bool has(const std::string& key) const;
  // True when the chosen language itself has `key` (no English fallback):
  // what `verify` uses to find text that was never translated.
  bool has_own(const std::string& key) const { return chosen_.contains(key); }
  // The text for `key`, placeholders filled from `fields`.
  std::string text(const std::string& key, const nlohmann::json& fields = nlohmann::json::object()) const;

 private:
  nlohmann::json chosen_;
  nlohmann::json english_;
};

// "{count} left" with {"count": 3} -> "3 left". Unknown placeholders stay.
std::string fill_placeholders(const std::string& text, const nlohmann::json& fields);

}  // namespace mpdemo
