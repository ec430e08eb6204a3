// --chart: the timeline in the terminal, after the summary. One row per
// process (the first kChartRows, then how many more), time across the
// columns left after the name, one character per state: the state that began
// last among those under a column wins, so a nested state shows inside its
// outer one. '-' is alive in no drawn state. On a terminal each state also
// gets a background colour; elsewhere the characters alone carry it.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "drawings.hpp"

namespace mpdemo {
namespace {

constexpr std::size_t kChartRows = 40;
constexpr int kNameWidth = 22;
// Characters for states, in legend order: letters read aloud well in class.
constexpr std::string_view kStateChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr int kAnsiBackgrounds[] = {44, 43, 42, 41, 45, 46, 104, 103, 102, 101, 105, 106};

std::string fit(std::string text, std::size_t width) {
  // Bytes, not columns: names are ASCII (process names), and a cut name still reads.
  if (text.size() > width) text.resize(width);
  return text + std::string(width - text.size(), ' ');
}

std::string cell(int state, bool color) {
  if (state < 0) return std::string(1, state == -1 ? ' ' : '-');
  const char c = kStateChars[static_cast<std::size_t>(state) % kStateChars.size()];
  if (!color) return std::string(1, c);
  return fmt::format("\x1b[30;{}m{}\x1b[0m", kAnsiBackgrounds[state % std::size(kAnsiBackgrounds)], c);
}

}  // namespace

std::string terminal_chart(const TimelineModel& model, const Catalog& catalog, int width, bool color) {
  const int columns = std::max(10, width - kNameWidth - 2);
  const double duration = model.duration > 0 ? model.duration : 1e-6;
  const double per_column = duration / columns;
  std::map<std::string, int> state_index;
  for (const auto& s : model.states) state_index[s] = static_cast<int>(state_index.size());

  std::string out = "\n" + fit(catalog.text("timeline.chart_title"), static_cast<std::size_t>(kNameWidth)) + "  0 s" +
                    std::string(static_cast<std::size_t>(std::max(0, columns - 12)), ' ') +
                    fmt::format("{:>8.3f} s\n", duration);
  std::vector<std::vector<const Span*>> spans_of(model.lanes.size());
  for (const auto& s : model.spans) spans_of[static_cast<std::size_t>(s.lane)].push_back(&s);
  const std::size_t rows = std::min(model.lanes.size(), kChartRows);
  for (std::size_t i = 0; i < rows; ++i) {
    const Lane& l = model.lanes[i];
    // -1: not alive; -2: alive, no state; >= 0: a state.
    std::vector<int> line(static_cast<std::size_t>(columns), -1);
    auto column_of = [&](double t) {
      return std::clamp(static_cast<int>(std::floor(t / per_column)), 0, columns - 1);
    };
    for (int c = column_of(l.start); c <= column_of(l.end); ++c) line[static_cast<std::size_t>(c)] = -2;
    auto& spans = spans_of[i];
    std::stable_sort(spans.begin(), spans.end(), [](const Span* a, const Span* b) { return a->begin < b->begin; });
    for (const Span* s : spans)
      for (int c = column_of(s->begin); c <= column_of(s->end); ++c)
        line[static_cast<std::size_t>(c)] = state_index[s->state];
    std::string row = fit(std::string(static_cast<std::size_t>(std::min(l.depth, 4) * 2), ' ') + l.name + " " +
                              std::to_string(l.pid),
                          static_cast<std::size_t>(kNameWidth)) +
                      " |";
    for (int state : line) row += cell(state, color);
    out += row + "|\n";
  }
  if (model.lanes.size() > rows)
    out += catalog.text("timeline.chart_more", {{"count", model.lanes.size() - rows}}) + "\n";
  std::string legend = catalog.text("timeline.chart_legend") + " ";
  for (const auto& s : model.states) legend += " " + cell(state_index[s], color) + " " + state_text(s, catalog) + " ";
  legend += " - " + catalog.text("timeline.alive");
  out += legend + "\n";
  return out;
}

}  // namespace mpdemo
