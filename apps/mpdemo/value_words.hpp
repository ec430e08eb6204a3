// A value of an event or a check, written for a student in the run's
// language instead of as raw JSON: a list reads "1, 2, 3" (an empty one
// "none"), an object reads "alive 0, failed 0" with each key's label from the
// catalogue (label.<key>; a key without one, such as a process name, is shown
// as it is), booleans read yes/no, null None, and a text with a value.<text>
// entry (a word such as "cut off") reads in the run's language.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "catalog.hpp"

namespace mpdemo {

std::string value_words(const Catalog& catalog, const nlohmann::json& value);

}  // namespace mpdemo
