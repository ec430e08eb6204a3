// Errors that end a run with exit 2, said in the user's language: a keyed
// error (a UsageError or mp::DbError with a key) is printed from the
// catalogues ("error.<key>"), an older English-only one as it is.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace mpdemo {

class Catalog;

// The text of error `key` with `fields`; `english` when key is empty.
// A "kind" field (a file kind such as "fifo") is itself translated.
std::string error_text(const Catalog& catalog, const std::string& key, const nlohmann::json& fields,
                       const std::string& english);

// The language for an error found while the command line is parsed, before
// --lang is known for sure: --lang from argv if given, else from LANG.
std::string language_of_command_line(int argc, char** argv);

}  // namespace mpdemo
