// --timeline FILE.html: the template data/timeline/page.html with the run's
// model in it as JSON. The page's script draws it (lanes, spans, marks,
// arrows; zoom and pan); everything is inline, so the file opens anywhere.
#include <cmath>
#include <stdexcept>

#include "drawings.hpp"
#include "mpdata/embedded.hpp"

namespace mpdemo {
namespace {

constexpr std::string_view kDataSlot = "/*MPDEMO_DATA*/";

// Microsecond precision is what the events carry; fewer digits, smaller page.
double rounded(double t) { return std::round(t * 1e6) / 1e6; }

std::string cell_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace

std::string timeline_page(const TimelineModel& model, const nlohmann::json& summary, const Catalog& catalog) {
  const std::string scenario = summary.value("scenario", model.run_start.value("scenario", ""));
  const bool ok = summary.value("ok", false);
  nlohmann::json d = {
      {"scenario", scenario},
      {"rerun", model.run_start.value("rerun", "mpdemo " + scenario)},
      {"ok", ok},
      {"outcome", catalog.text(ok ? "summary.ok" : "summary.failed")},
      {"duration", rounded(model.duration)},
  };
  nlohmann::json text = nlohmann::json::object();
  for (const char* key : {"alive", "event", "arrow", "axis", "reset", "hint", "info", "cut", "check", "measured",
                          "expected"})
    text[key] = catalog.text(std::string("timeline.") + key);
  d["text"] = text;

  auto states = nlohmann::json::array();
  std::map<std::string, int> state_index;
  for (const auto& s : model.states) {
    state_index[s] = static_cast<int>(states.size());
    states.push_back({s, state_text(s, catalog)});
  }
  d["states"] = states;

  const int main_pid = model.run_start.value("pid", 0);
  auto lanes = nlohmann::json::array();
  for (const auto& l : model.lanes) {
    const bool main = l.pid == main_pid && l.parent < 0;
    const bool ended_well = main || (l.exitcode && *l.exitcode == 0 && !l.crashed);
    lanes.push_back({l.pid, l.name, l.depth, rounded(l.start), rounded(l.end),
                     main ? catalog.text("timeline.end_main") : lane_end_text(l, catalog), ended_well});
  }
  d["lanes"] = lanes;

  auto spans = nlohmann::json::array();
  for (const auto& s : model.spans)
    spans.push_back({s.lane, state_index[s.state], rounded(s.begin), rounded(s.end), s.cut ? 1 : 0});
  d["spans"] = spans;

  auto marks = nlohmann::json::array();
  for (const auto& m : model.marks) marks.push_back({m.lane, rounded(m.t), m.text});
  d["marks"] = marks;

  auto arrows = nlohmann::json::array();
  for (const auto& a : model.arrows) arrows.push_back({a.from_lane, rounded(a.from_t), a.to_lane, rounded(a.to_t)});
  d["arrows"] = arrows;

  auto checks = nlohmann::json::array();
  for (const auto& c : summary.value("checks", nlohmann::json::array()))
    checks.push_back({check_label(catalog, scenario, c), c.value("ok", false), cell_text(c.value("value", nlohmann::json())),
                      cell_text(c.value("expected", nlohmann::json()))});
  d["checks"] = checks;

  // Inside <script>, "</" could end the element early; "<\/" is the same JSON string.
  std::string data = d.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (std::size_t at = 0; (at = data.find("</", at)) != std::string::npos; at += 3) data.replace(at, 2, "<\\/");

  const auto page = mpdata::find("timeline/page.html");
  if (!page) throw std::logic_error("timeline/page.html is not embedded in this build");
  std::string html(*page);
  const auto slot = html.find(kDataSlot);
  if (slot == std::string::npos) throw std::logic_error("timeline/page.html has no " + std::string(kDataSlot));
  html.replace(slot, kDataSlot.size(), data);
  return html;
}

}  // namespace mpdemo
