#include "event_text.hpp"

namespace mpdemo {

bool is_trace_event(std::string_view kind) { return kind.substr(0, 6) == "trace."; }

std::string event_sentence(const Catalog& catalog, const nlohmann::json& event) {
  const std::string kind = event.value("kind", "");
  if (kind == "step.go") {  // what the step does has its own text, keyed by its step point
    nlohmann::json with_doing = event;
    with_doing["doing"] = catalog.text("step." + event.value("point", ""), event);
    return catalog.text(kind, with_doing);
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
