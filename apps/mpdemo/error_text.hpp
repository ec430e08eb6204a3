// Errors that end a run with exit 2, said in the user's language: every
// UsageError and mp::DbError carries a key, printed from the catalogues
// ("error.<key>", data/messages/{en,zh}/), and CLI11's own parse errors are
// mapped to keys of their own ("error.cli.*"), keeping the option and the
// value at fault.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace CLI {
class ParseError;
}

namespace mpdemo {

class Catalog;
class UsageError;

// The text of error `key` with `fields`; `english` when key is empty or has
// no text. Two fields are themselves translated: "kind" (a file kind such
// as "fifo") and "errno" (a number, shown as {reason}).
std::string error_text(const Catalog& catalog, const std::string& key, const nlohmann::json& fields,
                       const std::string& english);
// A UsageError's text. A key without a text shows as "error.<key>" and its
// fields, never as a silent English fallback (the translation test fails).
std::string error_text(const Catalog& catalog, const UsageError& error);
// What CLI11 refused on the command line (unknown option, missing value,
// a value not among the choices, ...), the option and value kept.
std::string error_text(const Catalog& catalog, const CLI::ParseError& error);

// A core error (mp::Error's text, in English) in the run's language: the
// catalogue's "error.<text>" with every number of the text written as '#'
// ("error.put: queue is full (maxsize #)"), the numbers put back in order.
// Without such an entry the text shows as the core wrote it, and `verify`
// fails the run (core_error_key names the entry it looks for).
std::string core_error_key(const std::string& text);
std::string core_error_text(const Catalog& catalog, const std::string& text);

// A run that ended on an error it could not recover from ("mpdemo ticket:
// failed: ..."), the core's text translated as above.
std::string failed_line(const Catalog& catalog, std::string_view scenario, const std::string& error);

// The line an error is printed as: "mpdemo ticket: error: ..." ("mpdemo
// ticket：错误：..."); with the hint to run --help when `with_help_hint`.
enum class HelpHint { No, Yes };
std::string error_line(const Catalog& catalog, std::string_view program, const std::string& message,
                       HelpHint hint = HelpHint::No);

// The language for an error found while the command line is parsed, before
// --lang is known for sure: --lang from argv if given, else from LANG.
std::string language_of_command_line(int argc, char** argv);

}  // namespace mpdemo
