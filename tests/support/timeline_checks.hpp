// Structure checks of the drawings mpdemo writes (--timeline, --trace), shared
// by the CLI tests and the browser test. Each CHECKs inside the calling test.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace test {

// The run's data inside a timeline page (the JSON of its data script).
inline nlohmann::json page_data(const std::string& html) {
  const std::string open = "<script id=\"mpdemo-data\" type=\"application/json\">";
  auto begin = html.find(open);
  if (begin == std::string::npos) return nullptr;
  begin += open.size();
  auto end = html.find("</script>", begin);
  if (end == std::string::npos) return nullptr;
  return nlohmann::json::parse(html.substr(begin, end - begin), nullptr, false);
}

inline bool is_trace_kind(const std::string& kind) { return kind.rfind("trace.", 0) == 0; }

// The events of a recording (not the summary) that have a console line.
inline std::size_t shown_events(const std::vector<nlohmann::json>& recorded) {
  std::size_t n = 0;
  for (const auto& e : recorded) {
    const std::string kind = e.value("kind", "");
    n += kind != "summary" && !is_trace_kind(kind) ? 1 : 0;
  }
  return n;
}

// Page data against the recording of the same run: one lane per process,
// one mark per event, every span closed and inside its lane, times
// monotonic per lane.
inline void check_page_against_recording(const nlohmann::json& d, const std::vector<nlohmann::json>& recorded) {
  REQUIRE(d.is_object());
  std::set<int> pids;
  for (const auto& e : recorded)
    if (e.value("kind", "") != "summary") pids.insert(e["pid"].get<int>());
  std::set<int> lane_pids;
  for (const auto& l : d["lanes"]) lane_pids.insert(l[0].get<int>());
  CHECK(d["lanes"].size() == pids.size());
  CHECK(lane_pids == pids);
  CHECK(d["marks"].size() == shown_events(recorded));
  for (const auto& l : d["lanes"]) CHECK(l[3].get<double>() <= l[4].get<double>());
  std::map<int, double> last_mark;
  for (const auto& m : d["marks"]) {
    const int lane = m[0].get<int>();
    const double t = m[1].get<double>();
    REQUIRE(lane < static_cast<int>(d["lanes"].size()));
    if (last_mark.count(lane)) CHECK(last_mark[lane] <= t);
    last_mark[lane] = t;
    const auto& l = d["lanes"][static_cast<std::size_t>(lane)];
    CHECK(l[3].get<double>() <= t + 1e-9);
    CHECK(t <= l[4].get<double>() + 1e-9);
    CHECK_FALSE(m[2].get<std::string>().empty());
  }
  for (const auto& s : d["spans"]) {
    const auto& l = d["lanes"][s[0].get<std::size_t>()];
    CHECK(s[2].get<double>() <= s[3].get<double>());
    CHECK(l[3].get<double>() <= s[2].get<double>() + 1e-9);
    CHECK(s[3].get<double>() <= l[4].get<double>() + 1e-9);
    REQUIRE(s[1].get<std::size_t>() < d["states"].size());
  }
}

// Arrows: between lanes of the run, never backwards in time, one per item
// received whose sending was seen.
inline void check_arrows(const nlohmann::json& d, const std::vector<nlohmann::json>& recorded) {
  std::set<std::string> sent;
  std::size_t received = 0;
  for (const auto& e : recorded)
    if (e.contains("flow_out")) sent.insert(e["flow_out"].dump());
  for (const auto& e : recorded)
    if (e.contains("flow_in") && sent.count(e["flow_in"].dump())) ++received;
  CHECK(d["arrows"].size() == received);
  for (const auto& a : d["arrows"]) {
    CHECK(a[0].get<std::size_t>() < d["lanes"].size());
    CHECK(a[2].get<std::size_t>() < d["lanes"].size());
    CHECK(a[1].get<double>() <= a[3].get<double>());
  }
}

// [begin, end) of every span of `state`.
inline std::vector<std::pair<double, double>> spans_of(const nlohmann::json& d, const std::string& state) {
  std::vector<std::pair<double, double>> out;
  for (const auto& s : d["spans"])
    if (d["states"][s[1].get<std::size_t>()][0] == state) out.emplace_back(s[2].get<double>(), s[3].get<double>());
  return out;
}

// How many pairs of the intervals overlap (share more than a point).
inline int overlapping_pairs(std::vector<std::pair<double, double>> spans) {
  std::sort(spans.begin(), spans.end());
  int pairs = 0;
  for (std::size_t i = 0; i < spans.size(); ++i)
    for (std::size_t j = i + 1; j < spans.size() && spans[j].first < spans[i].second; ++j) ++pairs;
  return pairs;
}

// The Chrome Trace Event format's rules as they apply to what mpdemo
// writes: an object with traceEvents; every event has ph, pid, tid; every
// timed one a numeric ts >= 0; complete events a dur >= 0; instant events a
// scope (g, p or t); metadata names a process and a thread for every pid;
// flow events pair up: one "s" and one "f" per id, same cat and name, the
// end not before the start. Returns how many events of each phase it holds.
inline std::map<std::string, int> check_trace(const nlohmann::json& trace) {
  std::map<std::string, int> phases;
  REQUIRE(trace.is_object());
  REQUIRE(trace.contains("traceEvents"));
  REQUIRE(trace["traceEvents"].is_array());
  std::set<int> pids, named_processes, named_threads;
  std::map<int, std::vector<nlohmann::json>> flows;
  for (const auto& e : trace["traceEvents"]) {
    REQUIRE(e.contains("ph"));
    REQUIRE(e.contains("pid"));
    REQUIRE(e.contains("tid"));
    const std::string ph = e["ph"].get<std::string>();
    ++phases[ph];
    pids.insert(e["pid"].get<int>());
    if (ph == "M") {
      const std::string name = e["name"].get<std::string>();
      if (name == "process_name") named_processes.insert(e["pid"].get<int>());
      if (name == "thread_name") named_threads.insert(e["pid"].get<int>());
      CHECK(e["args"].is_object());
      continue;
    }
    REQUIRE(e.contains("ts"));
    CHECK(e["ts"].is_number());
    CHECK(e["ts"].get<double>() >= 0);
    CHECK(e.contains("name"));
    if (ph == "X") {
      REQUIRE(e.contains("dur"));
      CHECK(e["dur"].get<double>() >= 0);
    } else if (ph == "i") {
      REQUIRE(e.contains("s"));
      CHECK((e["s"] == "g" || e["s"] == "p" || e["s"] == "t"));
    } else if (ph == "s" || ph == "f") {
      REQUIRE(e.contains("id"));
      flows[e["id"].get<int>()].push_back(e);
    } else {
      FAIL("unexpected phase " << ph);
    }
  }
  CHECK(named_processes == pids);
  CHECK(named_threads == pids);
  for (const auto& [id, pair] : flows) {
    REQUIRE(pair.size() == 2);
    const auto& start = pair[0]["ph"] == "s" ? pair[0] : pair[1];
    const auto& finish = pair[0]["ph"] == "s" ? pair[1] : pair[0];
    CHECK(start["ph"] == "s");
    CHECK(finish["ph"] == "f");
    CHECK(start["cat"] == finish["cat"]);
    CHECK(start["name"] == finish["name"]);
    CHECK(start["ts"].get<double>() <= finish["ts"].get<double>());
  }
  return phases;
}

}  // namespace test
