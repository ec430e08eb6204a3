#include "event_text.hpp"

#include "step_text.hpp"

namespace mpdemo {

bool is_trace_event(std::string_view kind) { return kind.substr(0, 6) == "trace."; }

std::string event_sentence(const Catalog& catalog, const nlohmann::json& event) {
  const std::string kind = event.value("kind", "");
  if (kind.rfind("step.", 0) == 0) {  // what a step does, why it cannot go: see step_text.hpp
    const nlohmann::json texts = with_step_texts(catalog, event);
    const bool no_cycle = kind == "step.deadlock" && texts.value("cycle_text", "").empty();
    return catalog.text(no_cycle ? "step.stuck" : kind, texts);
  }
  std::string message = catalog.text(kind, event);
  if (message != kind) return message;
  nlohmann::json fields = event;  // no text in the catalogue yet: show what it carries
  for (const char* k : {"t", "pid", "ppid", "name", "kind"}) fields.erase(k);
  return kind + " " + fields.dump();
}

std::string check_key(const Catalog& catalog, const std::string& scenario, const std::string& name) {
  std::string own = "check." + scenario + "." + name;
  if (catalog.has(own)) return own;
  std::string shared = "check." + name;
  return catalog.has(shared) ? shared : own;
}

}  // namespace mpdemo
