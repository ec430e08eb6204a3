#include "predict_quiz.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/color.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <vector>

#include "catalog.hpp"
#include "console_layout.hpp"
#include "fd_output.hpp"
#include "scenario.hpp"

namespace mpdemo {
namespace {

// A terminal user who mistypes is asked again, this many times in all.
constexpr int kTerminalAttempts = 3;
// The console's width (a projected screen, as console_renderer.cpp).
constexpr int kLineWidth = 100;

struct ChoiceToken {
  std::string token;  // what the user types (compared without case)
  std::string value;  // the measured value it stands for
};

// "a=x|b=y" -> {a, x}, {b, y}.
std::vector<ChoiceToken> parse_choices(const char* spec) {
  std::vector<ChoiceToken> out;
  std::istringstream in(spec);
  for (std::string item; std::getline(in, item, '|');) {
    const auto eq = item.find('=');
    if (eq != std::string::npos) out.push_back({item.substr(0, eq), item.substr(eq + 1)});
  }
  return out;
}

// The distinct tokens, in table order, for the hint ("mpdemo / init / other").
std::string choice_list(const std::vector<ChoiceToken>& choices) {
  std::vector<std::string> seen;
  for (const auto& c : choices)
    if (std::find(seen.begin(), seen.end(), c.token) == seen.end()) seen.push_back(c.token);
  std::string out;
  for (const auto& t : seen) out += (out.empty() ? "" : " / ") + t;
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// A number short enough to read: 0.15000000000000002 -> "0.15".
std::string short_number(double v) { return fmt::format("{:g}", std::round(v * 1000) / 1000); }

}  // namespace

std::string option_value(const CLI::Option& opt) {
  if (opt.get_expected_min() == 0) return opt.count() > 0 ? "on" : "off";  // a flag
  if (opt.count() > 0) {
    std::string joined;
    for (const auto& r : opt.results()) joined += (joined.empty() ? "" : ",") + r;
    return joined;
  }
  std::string value = opt.get_default_str();  // a list's default reads "[1,2,3]"
  if (value.size() >= 2 && value.front() == '[' && value.back() == ']') value = value.substr(1, value.size() - 2);
  return value;
}

namespace {

double number_of(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

// The question's {placeholders}, from the options of this run.
nlohmann::json question_params(const Question& q, const CLI::App& scenario, double speed, const Catalog& catalog) {
  nlohmann::json params = nlohmann::json::object();
  for (const auto& p : q.params) {
    if (!p.placeholder) break;
    const CLI::Option* opt = scenario.get_option_no_throw(p.option);
    if (!opt) throw mp::Error(std::string("predict table: ") + q.scenario + " has no option " + p.option);
    const std::string text = option_value(*opt);
    switch (p.form) {
      case ParamForm::Text:
        params[p.placeholder] = text;
        break;
      case ParamForm::Duration:
        params[p.placeholder] = short_number(number_of(text) * speed);
        break;
      case ParamForm::DurationList: {
        std::string list;
        std::istringstream in(text);
        for (std::string item; std::getline(in, item, ',');)
          list += (list.empty() ? "" : ", ") + short_number(number_of(item) * speed);
        params[p.placeholder] = list;
        break;
      }
      case ParamForm::Word:
        break;  // below, once the other parameters are known
    }
  }
  // A word may name the other parameters ("a Pool of {workers} workers").
  for (const auto& p : q.params) {
    if (!p.placeholder) break;
    if (p.form != ParamForm::Word) continue;
    const std::string value = option_value(*scenario.get_option_no_throw(p.option));
    params[p.placeholder] =
        value.empty() ? "" : catalog.text(std::string("predict.") + q.scenario + "." + p.placeholder + "." + value, params);
  }
  return params;
}

std::string hint(const Question& q, const Catalog& catalog) {
  switch (q.kind) {
    case AnswerKind::Whole:
      return catalog.text("predict.hint.whole");
    case AnswerKind::Seconds:
      return catalog.text("predict.hint.seconds", {{"percent", static_cast<int>(kSecondsTolerance * 100)},
                                                   {"floor", short_number(kSecondsFloor)}});
    case AnswerKind::Choice:
      return catalog.text("predict.hint.choice", {{"choices", choice_list(parse_choices(q.choices))}});
    case AnswerKind::YesNo:
      return catalog.text("predict.hint.yes_no");
  }
  return "";
}

// The answer as the table's kind reads it; UsageError (exit 2) when it is not one.
nlohmann::json parse_answer(const Question& q, const std::string& raw, const std::string& question_hint) {
  const std::string text = trimmed(raw);
  const nlohmann::json fields = {{"answer", text}, {"hint", question_hint}};
  switch (q.kind) {
    case AnswerKind::Whole: {
      std::int64_t v = 0;
      const char* first = text.data() + (text.size() > 1 && text[0] == '+' ? 1 : 0);
      const char* last = text.data() + text.size();
      auto [end, ec] = std::from_chars(first, last, v);
      if (text.empty() || ec != std::errc() || end != last)
        throw UsageError("predict.not_whole", fields);
      return v;
    }
    case AnswerKind::Seconds: {
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v < 0)
        throw UsageError("predict.not_seconds", fields);
      return v;
    }
    case AnswerKind::Choice: {
      for (const auto& c : parse_choices(q.choices))
        if (lower(c.token) == lower(text)) return c.token;
      throw UsageError("predict.not_choice", fields);
    }
    case AnswerKind::YesNo: {
      static constexpr const char* kYes[] = {"yes", "y", "true", "是", "会", "对"};
      static constexpr const char* kNo[] = {"no", "n", "false", "否", "不", "不会"};
      const std::string t = lower(text);
      for (const char* w : kYes)
        if (t == w) return "yes";
      for (const char* w : kNo)
        if (t == w) return "no";
      throw UsageError("predict.not_yes_no", fields);
    }
  }
  return nullptr;
}

// The figure at `path` in the summary ("sold", "seen.Stopped", "fifo_order.0",
// "check:NAME" for a check's measured value; a final '#' counts its items).
nlohmann::json measured_at(const nlohmann::json& summary, std::string path) {
  const bool count = !path.empty() && path.back() == '#';
  if (count) path.pop_back();
  const nlohmann::json* at = &summary;
  if (path.rfind("check:", 0) == 0) {
    at = nullptr;
    if (summary.contains("checks") && summary["checks"].is_array())
      for (const auto& c : summary["checks"])
        if (c.is_object() && c.value("name", "") == path.substr(6) && c.contains("value")) at = &c["value"];
    if (!at) return nullptr;
  } else {
    std::istringstream in(path);
    for (std::string part; std::getline(in, part, '.');) {
      if (at->is_object() && at->contains(part)) {
        at = &(*at)[part];
      } else if (at->is_array() && !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit) &&
                 std::stoul(part) < at->size()) {
        at = &(*at)[std::stoul(part)];
      } else {
        return nullptr;
      }
    }
  }
  if (count) return at->is_structured() ? nlohmann::json(at->size()) : nlohmann::json(nullptr);
  return *at;
}

bool truth_of(const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  return false;
}

// How an answer or a measured value is said: yes/no in words, numbers short.
std::string said(const nlohmann::json& v, const Catalog& catalog) {
  if (v.is_null()) return catalog.text("value.none");
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "yes" || s == "no") return catalog.text("value." + s);
    return s;
  }
  if (v.is_number_float()) return short_number(v.get<double>());
  return v.dump();
}

}  // namespace

bool prediction_requested(const CLI::App& scenario) {
  const CLI::Option* opt = scenario.get_option_no_throw("--predict");
  return opt && opt->count() > 0;
}

Prediction ask_prediction(const CLI::App& scenario, const GlobalOptions& options, const Catalog& catalog) {
  const std::string name = scenario.get_name();
  Prediction p;
  p.question = find_question(name);
  if (!p.question)
    throw UsageError("predict.no_question", {{"scenario", name}});
  p.params = question_params(*p.question, scenario, options.speed, catalog);
  const std::string question_hint = hint(*p.question, catalog);
  p.text = catalog.text("predict.with_hint",
                        {{"question", catalog.text("predict." + name + ".question", p.params)}, {"hint", question_hint}});

  // With --json, stdout holds JSON lines only: the question goes to stderr,
  // and only when it has to be asked.
  const int out = options.json ? STDERR_FILENO : STDOUT_FILENO;
  const bool given = !options.predict.empty();
  if (given) {  // checked before anything is printed: a bad answer is only an error line
    p.answer = parse_answer(*p.question, options.predict, question_hint);
    if (!options.json)
      write_fd(out, "? " + p.text + "\n  " + catalog.text("predict.your_answer", {{"answer", said(p.answer, catalog)}}) + "\n");
    return p;
  }
  if (::isatty(STDIN_FILENO) != 1)
    throw UsageError("predict.needs_terminal");
  write_fd(out, "? " + p.text + "\n");
  for (int attempt = 1;; ++attempt) {
    write_fd(out, "  " + catalog.text("predict.prompt") + " ");
    std::string line;
    if (!std::getline(std::cin, line))
      throw UsageError("predict.no_answer");
    try {
      p.answer = parse_answer(*p.question, line, question_hint);
      return p;
    } catch (const UsageError& e) {
      if (attempt == kTerminalAttempts) throw;
      write_fd(out, "  " + catalog.text("error." + e.key(), e.fields()) + "\n");
    }
  }
}

nlohmann::json judge_prediction(const Prediction& p, const nlohmann::json& summary, const Catalog& catalog) {
  const Question& q = *p.question;
  const nlohmann::json value = measured_at(summary, q.measured);
  nlohmann::json measured = value;
  bool held = false;
  nlohmann::json judged = {{"question", p.text}, {"answer", p.answer}, {"figure", q.measured}};
  if (!value.is_null()) {
    switch (q.kind) {
      case AnswerKind::Whole:
        held = value.is_number() && value.get<double>() == p.answer.get<double>();
        break;
      case AnswerKind::Seconds: {
        const double m = value.is_number() ? value.get<double>() : NAN;
        held = std::abs(p.answer.get<double>() - m) <= std::max(kSecondsTolerance * m, kSecondsFloor);
        judged["tolerance"] = {{"relative", kSecondsTolerance}, {"seconds", kSecondsFloor}};
        break;
      }
      case AnswerKind::Choice: {
        const std::string m = value.is_string() ? value.get<std::string>() : value.dump();
        for (const auto& c : parse_choices(q.choices))
          if (c.value == m) {
            measured = c.token;  // said the way the answer was asked for
            held = held || c.token == p.answer.get<std::string>();
          }
        break;
      }
      case AnswerKind::YesNo:
        measured = truth_of(value) != q.yes_when_false ? "yes" : "no";
        held = measured == p.answer;
        break;
    }
  }
  judged["measured"] = measured;
  judged["held"] = held;
  // The why is told from the run's figures, the question's parameters and
  // the two values; a run that ended before measuring says so instead.
  nlohmann::json fields = nlohmann::json::object();
  for (auto& [k, v] : summary.items()) {
    if (k == "checks") continue;
    if (v.is_boolean()) fields[k] = catalog.text(v.get<bool>() ? "value.yes" : "value.no");
    else if (v.is_structured()) fields[k] = v.dump();  // a list of pids, an order: short enough to say
    else fields[k] = v;
  }
  for (auto& [k, v] : p.params.items()) fields[k] = v;
  fields["measured"] = said(measured, catalog);
  fields["answer"] = said(p.answer, catalog);
  judged["why"] = value.is_null() ? catalog.text("predict.not_measured", fields)
                                  : catalog.text(std::string("predict.") + q.scenario + ".why", fields);
  return judged;
}

std::string prediction_lines(const nlohmann::json& judged, const Catalog& catalog, bool color) {
  const bool held = judged.value("held", false);
  const nlohmann::json fields = {{"answer", said(judged["answer"], catalog)}, {"measured", said(judged["measured"], catalog)}};
  std::string mark = held ? "✔" : "✘";
  std::string verdict = catalog.text(held ? "predict.held" : "predict.missed", fields);
  if (color) {
    const auto style = fmt::fg(held ? fmt::terminal_color::green : fmt::terminal_color::red) | fmt::emphasis::bold;
    mark = fmt::format(style, "{}", mark);
    verdict = fmt::format(style, "{}", verdict);
  }
  // Wrapped to a projected screen's width, as the summary above it is.
  auto wrapped = [](const std::string& first, const std::string& text, const std::string& next) {
    std::string lines;
    for (const auto& line : wrap_to_width(text, kLineWidth - display_width(next)))
      lines += (lines.empty() ? first : next) + line + "\n";
    return lines;
  };
  std::string out = "\n── " + catalog.text("predict.title") + " ──\n";
  out += wrapped("  ? ", judged.value("question", ""), "    ");
  out += "  " + mark + " " + verdict + "\n";
  out += wrapped("    ", judged.value("why", ""), "    ");
  return out;
}

}  // namespace mpdemo
