// What the console says for one event, shared by every renderer that shows
// it (console lines, the timeline's marks, a replay), so they never differ.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "catalog.hpp"

namespace mpdemo {

// trace.* events exist only for drawing (a span boundary with no sentence of
// its own, a process's start, exit, reaping): no console line, no mark.
bool is_trace_event(std::string_view kind);

// The sentence for an event in the catalogue's language; an event with no
// text yet shows as its kind and fields.
std::string event_sentence(const Catalog& catalog, const nlohmann::json& event);

// The catalogue key of a check: "check.<scenario>.<name>", or "check.<name>"
// for a check every scenario can have (timeline_well_formed).
std::string check_key(const Catalog& catalog, const std::string& scenario, const std::string& name);

}  // namespace mpdemo
