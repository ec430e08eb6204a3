// Console output for a classroom, made to fit a projected screen (about 40
// lines of 100 columns): every line carries the time since the start (wall
// time with --clock), pid and process name; long sentences wrap under their
// column and long values are cut with "…"; after the first two events of one
// kind (one, when the next comes from the same process), the rest are held and
// told in one screen line with their count and spread (-v shows every line).
// Values read as words (value_words.hpp), never as raw JSON. Each process gets its own colour, different from
// its siblings' and from MainProcess's (on a terminal only). Lines go through
// one spdlog logger with a bare pattern and a write(2) sink (see
// fd_output.hpp): the time shown is the event's own time, taken in the
// process that emitted it, not the time it was rendered.
#include <fmt/color.h>
#include <fmt/format.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <algorithm>
#include <map>
#include <vector>

#include "console_layout.hpp"
#include "error_text.hpp"
#include "event_text.hpp"
#include "fd_output.hpp"
#include "renderer.hpp"
#include "value_words.hpp"

namespace mpdemo {
namespace {

// Red is kept for failures and deaths; MainProcess keeps the terminal's colour.
const fmt::terminal_color kPalette[] = {
    fmt::terminal_color::cyan,         fmt::terminal_color::yellow,        fmt::terminal_color::green,
    fmt::terminal_color::magenta,      fmt::terminal_color::blue,          fmt::terminal_color::bright_cyan,
    fmt::terminal_color::bright_green, fmt::terminal_color::bright_yellow, fmt::terminal_color::bright_magenta,
    fmt::terminal_color::bright_blue,
};

constexpr int kScreenWidth = 100;  // a projector shows about this many columns
// Events of one kind shown before the rest are folded: two from different
// processes show how siblings interleave; a second one from the same process
// tells nothing its fold line does not.
constexpr int kShownPerKind = 2;
// A line held to see whether a run of its kind begins is let out after this
// long even while other events keep coming (idle() covers a quiet channel).
constexpr auto kLongestHold = std::chrono::milliseconds(100);
constexpr int kValueWidth = 40;    // a value longer than this is cut with "…"

std::string clock_text(double wall) {
  auto secs = static_cast<std::time_t>(wall);
  std::tm tm{};
  ::localtime_r(&secs, &tm);
  int ms = static_cast<int>((wall - static_cast<double>(secs)) * 1000);
  return fmt::format("{:02}:{:02}:{:02}.{:03}", tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

bool is_alarm(const std::string& kind) {
  return kind.find("warn") != std::string::npos || kind.find("died") != std::string::npos ||
         kind.find("crash") != std::string::npos;
}

// A table's row ("states.row") is never folded: a fold line would break the
// table's columns, and a table is already one short line per row.
bool is_table_row(const std::string& kind) {
  const std::string_view k = kind;
  return k.size() >= 4 && (k.substr(k.size() - 4) == ".row" || k.find(".row_") != std::string_view::npos);
}

// A countdown ("7 s left before the reap") marks time passing while a run
// holds: folded, its lines would come out only once the hold is over, after
// the silence they are there to fill.
bool is_countdown(const std::string& kind) {
  const std::string_view k = kind;
  return k.size() >= 10 && k.substr(k.size() - 10) == ".countdown";
}

// A verdict is the sentence that states the outcome: it is shown highlighted
// in the summary, not in the stream.
bool is_verdict(const std::string& kind) { return kind.find(".verdict") != std::string::npos; }

class ConsoleRenderer final : public Renderer {
 public:
  ConsoleRenderer(const Catalog& catalog, ConsoleStyle style)
      : catalog_(catalog),
        style_(style),
        colours_(std::size(kPalette)),
        logger_(std::make_shared<spdlog::logger>("console", std::make_shared<FdSink>(STDOUT_FILENO))) {
    logger_->set_pattern("%v");
  }

  void event(const nlohmann::json& e) override {
    const std::string kind = e.value("kind", "");
    if (is_trace_event(kind)) return;
    if (is_verdict(kind)) {  // kept for the summary, where it is highlighted (with -q too)
      verdict_ = e;
      return;
    }
    if (style_.quiet) return;
    // The header waits for the run's first real event: a usage error found
    // at the start then prints no "rerun with" line before it.
    if (kind == "run.start") {
      header_ = e;
      return;
    }
    show_header();
    if (style_.verbose) {
      print_event(e);
      return;
    }
    const std::uint64_t order = ++arrivals_;
    const std::string name = e.value("name", "?");
    const bool foldable = !is_alarm(kind) && !is_table_row(kind) && !is_countdown(kind);
    if (!pending_.is_null() && std::chrono::steady_clock::now() - pending_since_ > kLongestHold) release_pending();
    // The held line and this one are a run of one kind from one process
    // ("started worker" five times): one fold line tells the whole run.
    if (!pending_.is_null() && foldable && pending_.value("kind", "") == kind && pending_.value("name", "") == name) {
      Fold& fold = folds_[kind];
      if (fold.count == 0) fold.first_order = pending_order_;
      fold.add(cut_values(pending_));
      fold.from_first = true;
      pending_ = nullptr;
      fold.add(cut_values(e));
      return;
    }
    Shown& shown = shown_per_kind_[kind];
    const bool repeat = shown.count >= kShownPerKind || (shown.count > 0 && shown.first_name == name);
    if (repeat && foldable) {
      // Held in its fold; a held line stays held, so that the main
      // process's get() 0, 1, 2 ... between the workers' lines still make a run.
      Fold& fold = folds_[kind];
      if (fold.count == 0) fold.first_order = order;
      fold.add(cut_values(e));  // its values as words, so that their spread reads as words too
      return;
    }
    release_pending();
    if (shown.count++ == 0) shown.first_name = name;
    if (foldable) {  // held until the next shown event (or a moment of quiet) says whether a run begins
      pending_ = e;
      pending_order_ = order;
      pending_since_ = std::chrono::steady_clock::now();
    } else {
      show(e, order);
    }
  }

  // Nothing came for a moment: the held line goes out, so that a student
  // never waits for a line that has already happened.
  void idle() override {
    release_pending();
    logger_->flush();
  }

  void summary(const nlohmann::json& s) override {
    show_header();
    release_pending();
    close_folds();
    const bool ok = s.value("ok", false);
    const std::string scenario = s.value("scenario", "");
    // The title's rule sets the summary apart; no blank line, which a
    // projected screen cannot spare.
    logger_->info("{}", style(fmt::format("── {} · {} ──", scenario, catalog_.text("summary.title")), fmt::emphasis::bold));
    print_wrapped("  ", figures_line(scenario, s), "  ");
    if (!verdict_.is_null()) {
      std::string outcome = catalog_.text(verdict_.value("kind", ""), cut_values(verdict_));
      if (style_.color) {
        for (auto& line : wrap_to_width(outcome, kScreenWidth - 4))
          logger_->info("  {}", fmt::format(fmt::fg(ok ? fmt::terminal_color::bright_white : fmt::terminal_color::bright_red) |
                                                fmt::emphasis::bold, "{}", line));
      } else {
        print_wrapped("▶ ", outcome, "  ");
      }
    }
    int hidden = 0;
    for (const auto& c : s.value("checks", nlohmann::json::array())) {
      const bool held = c.value("ok", false);
      const std::string id = c.value("name", "");
      const std::string key = check_key(catalog_, scenario, id);
      const std::string label = catalog_.has(key) ? catalog_.text(key, c) : id;
      if (c.value("hidden", false)) {  // an answer the student works out: no value, no tick
        ++hidden;
        print_wrapped("  ? ", fmt::format("{}  ({})", label, catalog_.text("summary.hidden_check")), "    ");
        continue;
      }
      std::string mark = held ? "✔" : "✘";
      if (style_.color)
        mark = fmt::format(fmt::fg(held ? fmt::terminal_color::green : fmt::terminal_color::red) | fmt::emphasis::bold, "{}", mark);
      // "(measured 6, as expected)" when the two agree: the figure once, not twice.
      const nlohmann::json values = {{"value", cut_to_width(value_words(catalog_, c["value"]), kValueWidth * 2)},
                                     {"expected", cut_to_width(value_words(catalog_, c["expected"]), kValueWidth * 2)}};
      const bool as_expected = values["value"] == values["expected"];
      print_wrapped("  " + mark + " ",
                    label + "  " + catalog_.text(as_expected ? "summary.as_expected" : "summary.measured_expected", values),
                    "    ");
    }
    std::string verdict = catalog_.text(!ok ? "summary.failed" : hidden ? "summary.ok_hidden" : "summary.ok", {{"hidden", hidden}});
    if (folded_lines_ > 0) verdict += "  " + catalog_.text("console.folded_hint", {{"lines", folded_lines_}});
    for (auto& line : wrap_to_width(verdict, kScreenWidth - 2)) {
      if (style_.color)
        line = fmt::format(fmt::fg(ok ? fmt::terminal_color::green : fmt::terminal_color::red) | fmt::emphasis::bold, "{}", line);
      logger_->info("  {}", line);
    }
    logger_->flush();
  }

  void flush() override {
    release_pending();
    logger_->flush();
  }

 private:
  void show_header() {
    if (header_.is_null()) return;
    nlohmann::json h = std::move(header_);
    header_ = nullptr;
    print_event(h);
  }

  // A fold's line comes before a line that it happened before: every fold
  // before a line of the main process (which marks the lesson's steps), and
  // before any line a fold that holds a run, or one with events of the
  // same process (which now does something else), so that no process's
  // lines are told out of their order.
  // Only folds begun before the line (`order`: its arrival) can come before it.
  void show(const nlohmann::json& e, std::uint64_t order) {
    const std::string name = e.value("name", "");
    close_folds([&](const Fold& fold) {
      return fold.first_order < order &&
             (name == "MainProcess" || fold.from_first ||
              std::find(fold.names.begin(), fold.names.end(), name) != fold.names.end());
    });
    print_event(e);
  }

  void release_pending() {
    if (pending_.is_null()) return;
    nlohmann::json e = std::move(pending_);
    pending_ = nullptr;
    show(e, pending_order_);
  }

  void close_folds() {
    close_folds([](const Fold&) { return true; });
  }

  // The folds that `due` picks, in the order their first held event arrived.
  template <typename Due>
  void close_folds(Due due) {
    std::vector<Fold*> open;
    for (auto& [kind, fold] : folds_)
      if (fold.count > 0 && due(fold)) open.push_back(&fold);
    std::sort(open.begin(), open.end(), [](const Fold* a, const Fold* b) { return a->first_order < b->first_order; });
    for (Fold* held : open) {
      Fold& fold = *held;
      const std::string kind = fold.kind;
      if (fold.count == 1) {  // a fold of one saves nothing: the event itself
        print_event(fold.first);
        fold = Fold{};
        continue;
      }
      nlohmann::json line = fold.spread_fields(catalog_.text("value.list_separator"));
      const std::string sentence = catalog_.text(kind, cut_values(line));
      const std::string told = catalog_.text(fold.from_first ? "console.folded_run" : "console.folded",
                                             {{"count", fold.count}, {"sentence", sentence}});
      // One screen line: the count and the spread are what it tells; -v has the rest.
      std::string who = fold.names_text();
      if (who.empty()) who = catalog_.text("console.processes", {{"count", fold.names.size()}});
      print_line(fold.first_t, "", who, fold.names.front(), told, kind, Lines::One);
      folded_lines_ += fold.count;
      fold = Fold{};
    }
  }

  void print_event(const nlohmann::json& e) {
    const std::string kind = e.value("kind", "");
    std::string message = event_sentence(catalog_, cut_values(e));
    const std::string name = e.value("name", "?");
    if (auto pick = colours_.pick(name); pick && !pick->shares_with.empty())
      message += "  " + catalog_.text("console.colour_shared", {{"other", pick->shares_with}});
    print_line(e.value("t", 0.0), std::to_string(e.value("pid", 0)), name, name, message, kind);
  }

  // One event's line(s): the time, pid and name columns, then the message
  // wrapped in the remaining width under its own column.
  enum class Lines { AsMany, One };
  void print_line(double t, const std::string& pid, const std::string& who, const std::string& colour_of,
                  const std::string& message, const std::string& kind, Lines fit = Lines::AsMany) {
    const std::string time = style_.wall_clock ? clock_text(style_.start_wall + t) : fmt::format("+{:.3f}", t);
    std::string name_column = cut_to_width(who, 14);
    name_column += std::string(static_cast<std::size_t>(std::max(0, 14 - display_width(name_column))), ' ');
    std::string columns = fmt::format("{:>7} {}", pid, name_column);
    const int indent = display_width(time) + 1 + display_width(columns) + 1;
    auto lines = fit == Lines::One ? std::vector<std::string>{cut_to_width(message, kScreenWidth - indent)}
                                   : wrap_to_width(message, kScreenWidth - indent);
    if (style_.color) {
      if (auto pick = colours_.pick(colour_of)) columns = fmt::format(fmt::fg(kPalette[pick->index]), "{}", columns);
      if (is_alarm(kind))
        for (auto& l : lines) l = fmt::format(fmt::fg(fmt::terminal_color::bright_red) | fmt::emphasis::bold, "{}", l);
    }
    logger_->info("{} {} {}", style(time, fmt::emphasis::faint), columns, lines.front());
    for (std::size_t i = 1; i < lines.size(); ++i)
      logger_->info("{}{}", std::string(static_cast<std::size_t>(indent), ' '), lines[i]);
  }

  void print_wrapped(const std::string& first_prefix, const std::string& text, const std::string& next_prefix) {
    auto lines = wrap_to_width(text, kScreenWidth - display_width(next_prefix));
    logger_->info("{}{}", first_prefix, lines.front());
    for (std::size_t i = 1; i < lines.size(); ++i) logger_->info("{}{}", next_prefix, lines[i]);
  }

  // The scenario's figures in its own order and words (figures.<scenario>
  // in the catalogue); without one, the plain figures, key by key.
  std::string figures_line(const std::string& scenario, const nlohmann::json& s) const {
    const std::string key = "figures." + scenario;
    if (catalog_.has(key)) return catalog_.text(key, cut_values(s));
    std::string line;
    for (auto& [k, v] : s.items()) {
      if (k == "kind" || k == "scenario" || k == "ok" || k == "checks" || v.is_structured()) continue;
      line += (line.empty() ? "" : " · ") + k + " " + cut_to_width(value_words(catalog_, v), kValueWidth);
    }
    return line;
  }

  // The event's fields with every long value cut, booleans and null in words.
  nlohmann::json cut_values(const nlohmann::json& e) const {
    nlohmann::json out = e;
    for (auto& [k, v] : out.items()) {
      if (v.is_boolean()) v = catalog_.text(v.get<bool>() ? "value.yes" : "value.no");
      else if (v.is_null()) v = catalog_.text("value.none");  // Python's None, not JSON's null
      else if (v.is_structured()) v = cut_to_width(value_words(catalog_, v), kValueWidth * 2);
      else if (v.is_string() && k == "error") v = cut_to_width(core_error_text(catalog_, v.get<std::string>()), kValueWidth * 2);
      else if (v.is_string() && catalog_.has_own("value." + v.get<std::string>())) v = catalog_.text("value." + v.get<std::string>());
      else if (v.is_string() && k != "rerun") v = cut_to_width(v.get<std::string>(), kValueWidth * 2);
    }
    return out;
  }

  std::string style(const std::string& text, fmt::emphasis emphasis) const {
    return style_.color ? fmt::format(fmt::text_style(emphasis), "{}", text) : text;
  }

  const Catalog& catalog_;
  ConsoleStyle style_;
  ColourBook colours_;
  std::shared_ptr<spdlog::logger> logger_;
  nlohmann::json header_;                 // run.start, until the first event
  nlohmann::json verdict_;                // the outcome sentence, for the summary
  nlohmann::json pending_;                // a line held until the next shown event: shown, or the start of a run
  std::uint64_t pending_order_ = 0;       // its arrival number
  std::chrono::steady_clock::time_point pending_since_;
  std::uint64_t arrivals_ = 0;            // events so far, to order folds against lines
  struct Shown {
    int count = 0;
    std::string first_name;  // the process of the first one shown
  };
  std::map<std::string, Shown> shown_per_kind_;
  std::map<std::string, Fold> folds_;     // kind -> events held back
  int folded_lines_ = 0;
};

}  // namespace

std::unique_ptr<Renderer> make_console_renderer(const Catalog& catalog, ConsoleStyle style) {
  return std::make_unique<ConsoleRenderer>(catalog, style);
}

}  // namespace mpdemo
