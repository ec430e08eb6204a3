// What a run looked like over time, built from its events: one lane per
// process, the spans of the states each lesson is about, a mark per event and
// arrows from each item sent to where it was received. The page, the trace
// and the terminal chart all draw this one model (README, "Events and spans").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog.hpp"

namespace mpdemo {

struct Lane {
  int pid = 0;
  int ppid = 0;
  std::string name;
  double start = 0;  // its trace.process_start, else its first event
  double end = 0;    // reaped, else its own exit, else its last event
  int depth = 0;     // 0 for a process whose parent is not in the run
  int parent = -1;   // index of the parent's lane, -1 when none
  std::optional<int> exitcode;  // as Process.exitcode: N, or -signal; none when not known
  bool crashed = false;         // raised an exception out of its target
  bool exited = false;          // sent its own trace.process_exit
};

struct Span {
  int lane = 0;
  std::string state;  // e.g. "ticket.holding_lock"; its text is "span.<state>" in the catalogue
  double begin = 0;
  double end = 0;
  bool cut = false;  // the process died inside it (or it was never ended)
};

struct Mark {
  int lane = 0;
  double t = 0;
  std::string kind;
  std::string text;  // the console's sentence for the event
};

struct Arrow {
  int from_lane = 0;
  double from_t = 0;
  int to_lane = 0;
  double to_t = 0;
};

struct TimelineModel {
  std::vector<Lane> lanes;  // display order: every parent before its children, depth first
  std::vector<Span> spans;
  std::vector<Mark> marks;  // per lane in time order
  std::vector<Arrow> arrows;
  std::vector<std::string> states;  // in order of first appearance: the legend
  nlohmann::json run_start;         // the run.start event (null if the run had none)
  double duration = 0;              // the latest time anything happened
  // What is wrong with the events as a drawing (a span never ended, ended
  // without a beginning, begun twice); empty when well formed.
  std::vector<std::string> problems;
};

// Feeds events one by one (in the order the pipe delivered them), then
// builds the model.
class TimelineBuilder {
 public:
  explicit TimelineBuilder(const Catalog& catalog) : catalog_(catalog) {}
  void add(const nlohmann::json& event);
  // Closes every lane; `elapsed` is the run's length (the main process's lane
  // lasts that long).
  TimelineModel build(double elapsed);

 private:
  int lane_of(const nlohmann::json& event);
  void open_span(int lane, const std::string& state, double t);
  void close_span(int lane, const std::string& state, double t);

  const Catalog& catalog_;
  std::vector<Lane> lanes_;                     // in order of first appearance
  std::vector<double> last_seen_;               // per lane: the latest time of anything in it
  std::map<int, int> lane_by_pid_;              // the pid's current lane
  std::vector<std::map<std::string, std::size_t>> open_;  // per lane: state -> index in spans_
  std::vector<Span> spans_;
  std::vector<Mark> marks_;
  std::map<std::string, std::pair<int, double>> sent_;  // flow id -> where it left
  std::vector<std::pair<std::string, std::pair<int, double>>> received_;
  std::vector<std::string> states_;
  std::vector<std::string> problems_;
  nlohmann::json run_start_;
};

// "exit 0", "killed by SIGKILL", "crashed (exit 1)", in the catalogue's language.
std::string lane_end_text(const Lane& lane, const Catalog& catalog);
// The legend's text for a state ("span.<state>" in the catalogue).
std::string state_text(const std::string& state, const Catalog& catalog);

}  // namespace mpdemo
