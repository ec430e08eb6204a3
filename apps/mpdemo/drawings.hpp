// The pictures of a run, drawn after it from its events: the timeline page
// (--timeline), the Chrome/Perfetto trace (--trace) and the terminal chart
// (--chart). A live run and `mpdemo replay` both feed one of these.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog.hpp"
#include "output_file.hpp"
#include "renderer.hpp"
#include "timeline_model.hpp"

namespace mpdemo {

struct DrawOptions {
  std::string timeline;  // FILE.html, empty: none
  std::string trace;     // FILE.json, empty: none
  bool chart = false;
  bool any() const { return !timeline.empty() || !trace.empty() || chart; }
};

// Collects the events (as a Renderer, on the event pump's thread); after the
// run, finish() builds the model and write() draws it.
class Drawings final : public Renderer {
 public:
  // Opens the output files now: a path that cannot be written is a
  // UsageError before the run starts.
  Drawings(const DrawOptions& options, const Catalog& catalog, bool color);

  void event(const nlohmann::json& event) override { builder_.add(event); }
  void summary(const nlohmann::json&) override {}
  void flush() override {}

  // Builds the model once every event is in; its problems say whether the
  // events made a well-formed drawing (every span ended, ...).
  const TimelineModel& finish(double elapsed);
  // Writes the page and the trace, and prints the chart on stdout.
  void write(const nlohmann::json& summary);

 private:
  DrawOptions options_;
  const Catalog& catalog_;
  bool color_;
  TimelineBuilder builder_;
  std::optional<TimelineModel> model_;
  OutputFile page_file_;
  OutputFile trace_file_;
};

// The drawings, each as text (exposed for tests).
std::string timeline_page(const TimelineModel& model, const nlohmann::json& summary, const Catalog& catalog);
std::string trace_json(const TimelineModel& model, const nlohmann::json& summary, const Catalog& catalog);
// `width` columns in all; `color`: ANSI colours (a terminal), else plain characters.
std::string terminal_chart(const TimelineModel& model, const Catalog& catalog, int width, bool color);
// The width to draw the chart at: the terminal's, else $COLUMNS, else 100.
int chart_width();

// The label of a check in the summary, in the catalogue's language.
std::string check_label(const Catalog& catalog, const std::string& scenario, const nlohmann::json& check);

}  // namespace mpdemo
