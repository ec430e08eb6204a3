#include "step_text.hpp"

namespace mpdemo {

std::string thing_text(const Catalog& catalog, const std::string& thing) {
  const std::string key = "step.thing." + thing;
  return catalog.has(key) ? catalog.text(key) : thing;
}

nlohmann::json with_step_texts(const Catalog& catalog, nlohmann::json fields) {
  if (!fields.is_object()) return fields;
  if (fields.contains("point") && fields["point"].is_string()) {
    nlohmann::json described = fields.value("does", nlohmann::json::object());
    if (!described.is_object()) described = nlohmann::json::object();
    for (auto& [k, v] : fields.items())
      if (!described.contains(k)) described[k] = v;
    fields["doing"] = catalog.text("step." + fields["point"].get<std::string>(), described);
  }
  if (fields.contains("thing") && fields["thing"].is_string()) {
    fields["thing_text"] = thing_text(catalog, fields["thing"].get<std::string>());
    if (fields.contains("reason") && fields["reason"].is_string())
      fields["why"] = catalog.text("step.why." + fields["reason"].get<std::string>(), fields);
  }
  // A deadlock: the cycle of lock holders ("Twice → Twice"), and what each
  // blocked process waits for.
  if (!fields.contains("cycle_text") && fields.contains("cycle") && fields["cycle"].is_array()) {
    std::string cycle;
    for (const auto& name : fields["cycle"]) cycle += (cycle.empty() ? "" : " → ") + name.get<std::string>();
    fields["cycle_text"] = cycle;
  }
  if (fields.contains("waits") && fields["waits"].is_array()) {
    std::string waits;
    for (const auto& w : fields["waits"]) {
      const nlohmann::json texts = with_step_texts(catalog, w);
      waits += (waits.empty() ? "" : "; ") + texts.value("who", "?") + ": " + texts.value("why", "");
    }
    fields["waits_text"] = waits;
  }
  return fields;
}

}  // namespace mpdemo
