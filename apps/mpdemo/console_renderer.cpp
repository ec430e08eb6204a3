// Console output for a classroom: every line carries wall time, pid and the
// process name, in a fixed layout that reads well when projected. Colour
// tells processes apart (on a terminal only). Lines go through one spdlog
// logger with a bare pattern and a write(2) sink (see fd_output.hpp): the time shown is the event's own time, taken
// in the process that emitted it, not the time it was rendered.
#include <fmt/color.h>
#include <fmt/format.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <functional>

#include "event_text.hpp"
#include "fd_output.hpp"
#include "renderer.hpp"

namespace mpdemo {
namespace {

const fmt::terminal_color kPalette[] = {
    fmt::terminal_color::cyan,         fmt::terminal_color::yellow,        fmt::terminal_color::green,
    fmt::terminal_color::magenta,      fmt::terminal_color::bright_blue,   fmt::terminal_color::bright_cyan,
    fmt::terminal_color::bright_green, fmt::terminal_color::bright_yellow, fmt::terminal_color::bright_magenta,
};

std::string clock_text(double wall) {
  auto secs = static_cast<std::time_t>(wall);
  std::tm tm{};
  ::localtime_r(&secs, &tm);
  int ms = static_cast<int>((wall - static_cast<double>(secs)) * 1000);
  return fmt::format("{:02}:{:02}:{:02}.{:03}", tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

class ConsoleRenderer final : public Renderer {
 public:
  ConsoleRenderer(const Catalog& catalog, ConsoleStyle style)
      : catalog_(catalog),
        style_(style),
        logger_(std::make_shared<spdlog::logger>("console", std::make_shared<FdSink>(STDOUT_FILENO))) {
    logger_->set_pattern("%v");
  }

  void event(const nlohmann::json& e) override {
    if (style_.quiet) return;
    const std::string kind = e.value("kind", "");
    if (is_trace_event(kind)) return;
    const std::string name = e.value("name", "?");
    const double t = e.value("t", 0.0);
    std::string message = event_sentence(catalog_, e);
    std::string who = fmt::format("{:>7} {:<13}", e.value("pid", 0), name);
    if (style_.color) {
      auto color = kPalette[std::hash<std::string>{}(name) % std::size(kPalette)];
      who = fmt::format(fmt::fg(color), "{}", who);
      if (kind.find("warn") != std::string::npos || kind.find("died") != std::string::npos ||
          kind.find("crash") != std::string::npos)
        message = fmt::format(fmt::fg(fmt::terminal_color::bright_red) | fmt::emphasis::bold, "{}", message);
    }
    logger_->info("{} {} {}", style(clock_text(style_.start_wall + t), fmt::emphasis::faint), who, message);
  }

  void summary(const nlohmann::json& s) override {
    const bool ok = s.value("ok", false);
    const std::string scenario = s.value("scenario", "");
    logger_->info("");
    logger_->info("{}", style(fmt::format("── {} · {} ──", scenario, catalog_.text("summary.title")), fmt::emphasis::bold));
    std::string figures;
    for (auto& [key, value] : s.items()) {
      if (key == "kind" || key == "scenario" || key == "ok" || key == "checks") continue;
      figures += fmt::format("{}={}  ", key, value.is_string() ? value.get<std::string>() : value.dump());
    }
    logger_->info("  {}", figures);
    int hidden = 0;
    for (const auto& c : s.value("checks", nlohmann::json::array())) {
      const bool held = c.value("ok", false);
      if (c.value("hidden", false)) {  // an answer the student works out: no value, no tick
        ++hidden;
        const std::string key = "check." + scenario + "." + c.value("name", "");
        logger_->info("  ? {}  ({})", catalog_.has(key) ? catalog_.text(key, c) : c.value("name", ""),
                      catalog_.text("summary.hidden_check"));
        continue;
      }
      const std::string id = c.value("name", "");
      const std::string key = check_key(catalog_, scenario, id);
      std::string label = catalog_.has(key) ? catalog_.text(key, c) : id;
      std::string mark = held ? "✔" : "✘";
      if (style_.color) mark = fmt::format(fmt::fg(held ? fmt::terminal_color::green : fmt::terminal_color::red) | fmt::emphasis::bold, "{}", mark);
      logger_->info("  {} {}  ({} {}, {} {})", mark, label, catalog_.text("summary.measured"), c["value"].dump(),
                    catalog_.text("summary.expected"), json_text(c["expected"]));
    }
    std::string verdict = catalog_.text(!ok ? "summary.failed" : hidden ? "summary.ok_hidden" : "summary.ok", {{"hidden", hidden}});
    if (style_.color)
      verdict = fmt::format(fmt::fg(ok ? fmt::terminal_color::green : fmt::terminal_color::red) | fmt::emphasis::bold, "{}", verdict);
    logger_->info("  {}", verdict);
    logger_->flush();
  }

  void flush() override { logger_->flush(); }

 private:
  std::string style(const std::string& text, fmt::emphasis emphasis) const {
    return style_.color ? fmt::format(fmt::text_style(emphasis), "{}", text) : text;
  }
  static std::string json_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

  const Catalog& catalog_;
  ConsoleStyle style_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace

std::unique_ptr<Renderer> make_console_renderer(const Catalog& catalog, ConsoleStyle style) {
  return std::make_unique<ConsoleRenderer>(catalog, style);
}

}  // namespace mpdemo
