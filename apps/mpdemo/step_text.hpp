// The words of stepping (--order, --step), shared by the console lines of
// step events, the errors of an order that cannot be followed and the
// --step screen, so they never differ.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "catalog.hpp"

namespace mpdemo {

// A step's fields with the texts made from them added: "doing" (what the
// step at "point" does, from its "step.<point>" text), "thing_text" (the
// lock, counter or event named by "thing"), "why" (why it cannot go, from
// "reason", "thing" and "holder") and, for a deadlock, "cycle_text".
nlohmann::json with_step_texts(const Catalog& catalog, nlohmann::json fields);

// The name of a lock, counter or event in the catalogue's language
// ("step.thing.<name>"; the name itself when there is no text).
std::string thing_text(const Catalog& catalog, const std::string& thing);

}  // namespace mpdemo
