// Builds the timeline model. The span vocabulary (README, "Events and
// spans"): any event may carry "span_begin" and "span_end", each a state id or
// a list of them; the state starts or stops in the sending process at the
// event's time. "flow_out": ID on the event that sends an item and
// "flow_in": ID on the one that receives it draw an arrow between them.
// trace.process_start / trace.process_exit (sent by the process itself) and
// trace.reaped (sent by the parent, naming the child) bound a lane.
//
// A state may not be begun twice in one process without ending in between,
// nor ended when not begun. One still open when its process ends is cut
// there: fine for a process that was killed or crashed (it died inside the
// state), a fault of the scenario for one that exited normally.
#include "timeline_model.hpp"

#include <string.h>

#include <algorithm>
#include <functional>

#include "event_text.hpp"

namespace mpdemo {
namespace {

std::vector<std::string> state_list(const nlohmann::json& field) {
  std::vector<std::string> out;
  if (field.is_string()) {
    if (!field.get<std::string>().empty()) out.push_back(field.get<std::string>());
  } else if (field.is_array()) {
    for (const auto& s : field)
      if (s.is_string() && !s.get<std::string>().empty()) out.push_back(s.get<std::string>());
  }
  return out;
}

std::string who(const Lane& lane) { return lane.name + " (pid " + std::to_string(lane.pid) + ")"; }

std::string seconds(double t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", t);
  return buf;
}

}  // namespace

int TimelineBuilder::lane_of(const nlohmann::json& event) {
  const int pid = event.value("pid", 0);
  auto it = lane_by_pid_.find(pid);
  // A pid seen again after its process was reaped is a new process (reuse).
  const bool reused = it != lane_by_pid_.end() && lanes_[static_cast<std::size_t>(it->second)].exitcode &&
                      event.value("kind", "") == "trace.process_start";
  if (it != lane_by_pid_.end() && !reused) return it->second;
  Lane lane;
  lane.pid = pid;
  lane.ppid = event.value("ppid", 0);
  lane.name = event.value("name", "?");
  lane.start = lane.end = event.value("t", 0.0);
  lanes_.push_back(lane);
  last_seen_.push_back(lane.start);
  open_.emplace_back();
  const int index = static_cast<int>(lanes_.size()) - 1;
  lane_by_pid_[pid] = index;
  return index;
}

void TimelineBuilder::open_span(int lane, const std::string& state, double t) {
  auto& open = open_[static_cast<std::size_t>(lane)];
  if (open.count(state)) {
    problems_.push_back(who(lanes_[static_cast<std::size_t>(lane)]) + ": span '" + state + "' begun again at " +
                        seconds(t) + " s while still open");
    return;
  }
  if (std::find(states_.begin(), states_.end(), state) == states_.end()) states_.push_back(state);
  open[state] = spans_.size();
  spans_.push_back(Span{lane, state, t, t, false});
}

void TimelineBuilder::close_span(int lane, const std::string& state, double t) {
  auto& open = open_[static_cast<std::size_t>(lane)];
  auto it = open.find(state);
  if (it == open.end()) {
    problems_.push_back(who(lanes_[static_cast<std::size_t>(lane)]) + ": span '" + state + "' ended at " +
                        seconds(t) + " s without a beginning");
    return;
  }
  Span& span = spans_[it->second];
  span.end = t;
  // Two threads of one process (the main one has several) may take their
  // times in one order and write in the other; a span ending before it began
  // is drawn empty rather than backwards.
  if (span.end < span.begin) span.end = span.begin;
  open.erase(it);
}

void TimelineBuilder::add(const nlohmann::json& event) {
  const std::string kind = event.value("kind", "");
  const double t = event.value("t", 0.0);
  if (kind == "trace.reaped") {
    // About the child, sent by the parent: the child's lane ends here.
    auto it = lane_by_pid_.find(event.value("child", 0));
    if (it == lane_by_pid_.end()) return;
    Lane& lane = lanes_[static_cast<std::size_t>(it->second)];
    lane.exitcode = event.value("exitcode", 0);
    if (lane.exited) {
      // Dead but not yet waited for: a zombie, from its exit to now.
      spans_.push_back(Span{it->second, "core.zombie", lane.end, t, false});
      if (std::find(states_.begin(), states_.end(), "core.zombie") == states_.end()) states_.push_back("core.zombie");
    }
    lane.end = std::max(lane.end, t);
    last_seen_[static_cast<std::size_t>(it->second)] = lane.end;
    return;
  }
  const int index = lane_of(event);
  Lane& lane = lanes_[static_cast<std::size_t>(index)];
  if (kind == "run.start") run_start_ = event;
  if (kind == "process.exception") lane.crashed = true;
  if (kind == "trace.process_exit") {
    lane.exited = true;
    lane.exitcode = event.value("exitcode", 0);
  }
  for (const auto& state : state_list(event.value("span_end", nlohmann::json())))
    close_span(index, state, t);
  for (const auto& state : state_list(event.value("span_begin", nlohmann::json())))
    open_span(index, state, t);
  if (event.contains("flow_out")) sent_[event["flow_out"].dump()] = {index, t};
  if (event.contains("flow_in")) received_.push_back({event["flow_in"].dump(), {index, t}});
  if (!is_trace_event(kind)) marks_.push_back(Mark{index, t, kind, event_sentence(catalog_, event)});
  last_seen_[static_cast<std::size_t>(index)] = std::max(last_seen_[static_cast<std::size_t>(index)], t);
  if (!lane.exitcode || lane.exited) lane.end = std::max(lane.end, t);
}

TimelineModel TimelineBuilder::build(double elapsed) {
  TimelineModel model;
  model.run_start = run_start_;
  double duration = elapsed;
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    Lane& lane = lanes_[i];
    lane.end = std::max(lane.end, last_seen_[i]);
    duration = std::max(duration, lane.end);
  }
  // The first lane is the main process (it sent run.start); it lasts the
  // run, from t = 0 (its set-up before run.start included).
  if (!lanes_.empty()) {
    lanes_[0].start = 0;
    lanes_[0].end = std::max(lanes_[0].end, elapsed);
  }
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    const Lane& lane = lanes_[i];
    const bool died = lane.crashed || (lane.exitcode && *lane.exitcode != 0);
    for (auto& [state, span_index] : open_[i]) {
      Span& span = spans_[span_index];
      span.end = std::max(span.begin, lane.end);
      span.cut = true;
      if (!died)
        problems_.push_back(who(lane) + ": span '" + state + "' begun at " + seconds(span.begin) +
                            " s never ended");
    }
    open_[i].clear();
  }
  model.problems = problems_;

  // Parents: the lane of the ppid the process first reported, if it is in the run.
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    auto it = lane_by_pid_.find(lanes_[i].ppid);
    if (it != lane_by_pid_.end() && static_cast<std::size_t>(it->second) < i) lanes_[i].parent = it->second;
  }
  // Display order: each process followed by its children, depth first, in
  // the order they first appeared.
  std::vector<std::vector<int>> children(lanes_.size());
  std::vector<int> roots;
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    if (lanes_[i].parent >= 0) children[static_cast<std::size_t>(lanes_[i].parent)].push_back(static_cast<int>(i));
    else roots.push_back(static_cast<int>(i));
  }
  std::vector<int> order, position(lanes_.size(), -1);
  std::function<void(int, int)> visit = [&](int lane, int depth) {
    lanes_[static_cast<std::size_t>(lane)].depth = depth;
    position[static_cast<std::size_t>(lane)] = static_cast<int>(order.size());
    order.push_back(lane);
    for (int child : children[static_cast<std::size_t>(lane)]) visit(child, depth + 1);
  };
  for (int root : roots) visit(root, 0);
  for (int lane : order) {
    Lane copy = lanes_[static_cast<std::size_t>(lane)];
    if (copy.parent >= 0) copy.parent = position[static_cast<std::size_t>(copy.parent)];
    model.lanes.push_back(copy);
  }
  auto moved = [&](int lane) { return position[static_cast<std::size_t>(lane)]; };
  for (auto span : spans_) {
    span.lane = moved(span.lane);
    model.spans.push_back(span);
  }
  for (auto mark : marks_) {
    mark.lane = moved(mark.lane);
    model.marks.push_back(std::move(mark));
  }
  // Marks per lane in time order (threads of one process may write out of order).
  std::stable_sort(model.marks.begin(), model.marks.end(), [](const Mark& a, const Mark& b) {
    return a.lane != b.lane ? a.lane < b.lane : a.t < b.t;
  });
  for (const auto& [id, to] : received_) {
    auto from = sent_.find(id);
    if (from == sent_.end()) continue;  // sent before anyone drew (or by a process that never reported)
    // A sender reports a send once its put or send has returned, and by then
    // the receiver may have got the item and reported first (on one clock,
    // CLOCK_MONOTONIC). The report's time bounds the sending from above, and
    // so does the receiving: the arrow leaves at the earlier of the two.
    const double left = std::min(from->second.second, to.second);
    model.arrows.push_back(Arrow{moved(from->second.first), left, moved(to.first), to.second});
  }
  model.states = states_;
  model.duration = duration;
  return model;
}

std::string lane_end_text(const Lane& lane, const Catalog& catalog) {
  if (!lane.exitcode) return catalog.text("timeline.end_unknown");
  const int code = *lane.exitcode;
  if (lane.crashed) return catalog.text("timeline.end_crashed", {{"code", code}});
  if (code < 0) {
    const char* abbrev = ::sigabbrev_np(-code);
    const std::string signal = abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(-code);
    return catalog.text("timeline.end_killed", {{"signal", signal}});
  }
  return catalog.text("timeline.end_exit", {{"code", code}});
}

std::string state_text(const std::string& state, const Catalog& catalog) {
  const std::string key = "span." + state;
  return catalog.has(key) ? catalog.text(key) : state;
}

}  // namespace mpdemo
