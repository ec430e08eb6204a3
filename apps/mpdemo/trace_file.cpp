// --trace FILE.json: the run in the Chrome Trace Event format (the JSON
// object form), which ui.perfetto.dev and chrome://tracing open. Each process
// is a trace process with one thread, named by metadata events ("M"); its
// life is one complete event ("X") that encloses its spans (also "X") and
// its marks (instant events, "i", thread scope). An arrow is a flow: "s" at
// the sending mark and "f" at the receiving one, same id, cat and name, the
// end bound to its enclosing slice ("bp": "e"). Times are microseconds.
#include <fmt/format.h>

#include <cmath>

#include "drawings.hpp"

namespace mpdemo {
namespace {

// Microseconds, whole: what the format's ts and dur are in.
long long micros(double seconds) { return std::llround(seconds * 1e6); }

// A JSON string literal (quotes and escapes).
std::string quoted(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Written as text, one event per line: building a JSON document of ten
// thousand small objects first took about a second for a 1000-process run.
class TraceText {
 public:
  void event(const std::string& body) {
    out_ += first_ ? "\n" : ",\n";
    out_ += "{" + body + "}";
    first_ = false;
  }
  std::string finish(const std::string& other_data) {
    return "{\"traceEvents\":[" + out_ + "\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":" + other_data + "}\n";
  }

 private:
  std::string out_;
  bool first_ = true;
};

std::string where(int pid, long long ts) { return fmt::format("\"pid\":{0},\"tid\":{0},\"ts\":{1}", pid, ts); }

}  // namespace

std::string trace_json(const TimelineModel& model, const nlohmann::json& summary, const Catalog& catalog) {
  TraceText trace;
  const int main_pid = model.run_start.value("pid", 0);
  for (std::size_t i = 0; i < model.lanes.size(); ++i) {
    const Lane& l = model.lanes[i];
    const std::string label = l.name + " (pid " + std::to_string(l.pid) + ")";
    trace.event(fmt::format(R"("ph":"M","name":"process_name","pid":{0},"tid":{0},"args":{{"name":{1}}})", l.pid,
                            quoted(label)));
    trace.event(fmt::format(R"("ph":"M","name":"process_sort_index","pid":{0},"tid":{0},"args":{{"sort_index":{1}}})",
                            l.pid, i));
    trace.event(fmt::format(R"("ph":"M","name":"thread_name","pid":{0},"tid":{0},"args":{{"name":{1}}})", l.pid,
                            quoted(l.name)));
    const bool main = l.pid == main_pid && l.parent < 0;
    const std::string ended = main ? catalog.text("timeline.end_main") : lane_end_text(l, catalog);
    trace.event(fmt::format(R"("ph":"X","name":{},"cat":"process",{},"dur":{},"args":{{"ppid":{},"end":{}}})",
                            quoted(l.name), where(l.pid, micros(l.start)), micros(l.end) - micros(l.start), l.ppid,
                            quoted(ended)));
  }
  std::map<std::string, std::string> state_names;
  for (const auto& s : model.states) state_names[s] = quoted(state_text(s, catalog));
  for (const auto& s : model.spans) {
    const Lane& l = model.lanes[static_cast<std::size_t>(s.lane)];
    trace.event(fmt::format(R"("ph":"X","name":{},"cat":"span",{},"dur":{},"args":{{"state":{},"cut":{}}})",
                            state_names[s.state], where(l.pid, micros(s.begin)), micros(s.end) - micros(s.begin),
                            quoted(s.state), s.cut ? "true" : "false"));
  }
  for (const auto& m : model.marks) {
    const Lane& l = model.lanes[static_cast<std::size_t>(m.lane)];
    trace.event(fmt::format(R"("ph":"i","s":"t","name":{},"cat":"event",{},"args":{{"text":{}}})", quoted(m.kind),
                            where(l.pid, micros(m.t)), quoted(m.text)));
  }
  int id = 0;
  for (const auto& a : model.arrows) {
    const Lane& from = model.lanes[static_cast<std::size_t>(a.from_lane)];
    const Lane& to = model.lanes[static_cast<std::size_t>(a.to_lane)];
    ++id;
    trace.event(fmt::format(R"("ph":"s","id":{},"name":"item","cat":"flow",{})", id, where(from.pid, micros(a.from_t))));
    trace.event(
        fmt::format(R"("ph":"f","bp":"e","id":{},"name":"item","cat":"flow",{})", id, where(to.pid, micros(a.to_t))));
  }
  const nlohmann::json other = {{"scenario", summary.value("scenario", "")},
                                {"rerun", model.run_start.value("rerun", "")},
                                {"ok", summary.value("ok", false)},
                                {"format", model.run_start.value("format", 0)}};
  return trace.finish(other.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace mpdemo
