// --predict: the scenario asks its question before the run (OSTEP's
// homework tools: guess first, then see), reads the answer, and after the
// run says whether the prediction held, from the run's own summary. The
// question of each scenario is a line of predict_table.cpp.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "global_options.hpp"
#include "predict_table.hpp"

namespace CLI {
class App;
class Option;
}

namespace mpdemo {

class Catalog;

// A question asked and answered, waiting for the run that answers it.
struct Prediction {
  const Question* question = nullptr;
  std::string text;                           // in the run's language, with its hint
  nlohmann::json params = nlohmann::json::object();  // placeholder -> text, for the why
  nlohmann::json answer;                      // a number, or a token (choice, yes/no)
};

// An option's value as the run will use it: what was given (a list joined
// with ','), else its default; a flag's is "on" or "off".
std::string option_value(const CLI::Option& option);

// True when the scenario's command line holds --predict (with or without a value).
bool prediction_requested(const CLI::App& scenario);

// Builds the question from the run's options (`scenario` is the parsed
// subcommand), prints it (stdout; stderr with --json, where stdout holds
// JSON lines only) and takes the answer: the one given as --predict VALUE,
// or one typed on the terminal. Throws UsageError (exit 2): no question for
// the scenario, no terminal to ask on, an answer of the wrong kind.
Prediction ask_prediction(const CLI::App& scenario, const GlobalOptions& options, const Catalog& catalog);

// The summary line's "prediction": {question, answer, measured, held, why,
// figure[, tolerance]}, judged against the summary's own figures.
nlohmann::json judge_prediction(const Prediction& prediction, const nlohmann::json& summary, const Catalog& catalog);

// The console's lines for a judged prediction, shown after the summary.
std::string prediction_lines(const nlohmann::json& judged, const Catalog& catalog, bool color);

}  // namespace mpdemo
