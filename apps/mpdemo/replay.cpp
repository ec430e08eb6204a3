// A recording is the --json output of a run: run.start first (with the
// format version and the wall-clock start), one event per line, the summary
// last. The whole file is checked before anything is shown, so a bad line
// stops the replay with exit 2 before the first line is printed.
#include "replay.hpp"

#include <fstream>
#include <sstream>
#include <vector>

#include "catalog.hpp"
#include "drawings.hpp"
#include "error_text.hpp"
#include "global_options.hpp"
#include "mp/deadline.hpp"
#include "mp/events.hpp"
#include "renderer.hpp"
#include "scenario.hpp"

namespace mpdemo {
namespace {

struct Recording {
  nlohmann::json start;               // the run.start event
  std::vector<nlohmann::json> lines;  // every line, run.start first, summary last
};

// Throws UsageError naming the file, and the line when one is at fault.
Recording read_recording(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("replay.cannot_read", {{"path", path}});
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  // The fields of an error at line n, with the error's own beside them.
  auto at_line = [&](std::size_t n, nlohmann::json more = nlohmann::json::object()) {
    more["path"] = path;
    more["line"] = n;
    return more;
  };
  Recording r;
  std::size_t n = 0, begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    const bool whole = end != std::string::npos;
    const std::string line = text.substr(begin, whole ? end - begin : std::string::npos);
    begin = whole ? end + 1 : text.size();
    ++n;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("kind") || !j["kind"].is_string()) {
      if (!whole && !r.lines.empty()) throw UsageError("replay.cut_in_line", at_line(n));
      throw UsageError("replay.not_an_event", at_line(n));
    }
    const std::string kind = j["kind"].get<std::string>();
    if (r.lines.empty()) {
      if (kind != "run.start")
        throw UsageError("replay.not_run_start", at_line(n, {{"kind", kind}}));
      const int format = j.value("format", 0);
      if (format > mp::events::kFormatVersion)
        throw UsageError("replay.newer_format",
                        at_line(n, {{"format", format}, {"supported", mp::events::kFormatVersion}}));
      r.start = j;
    } else if (r.lines.back().value("kind", "") == "summary") {
      throw UsageError("replay.after_summary", at_line(n));
    }
    if (kind != "summary" && !(j.contains("t") && j["t"].is_number() && j.contains("pid")))
      throw UsageError("replay.no_time_pid", at_line(n));
    r.lines.push_back(std::move(j));
  }
  if (r.lines.empty()) throw UsageError("replay.empty", {{"path", path}});
  if (r.lines.back().value("kind", "") != "summary")
    throw UsageError("replay.no_summary", at_line(n));
  return r;
}

}  // namespace

int run_replay(const ReplayOptions& replay, const GlobalOptions& options) {
  Recording recording;
  std::unique_ptr<Drawings> drawings;
  std::string lang = options.lang;
  try {
    recording = read_recording(replay.file);
    if (lang.empty()) lang = recording.start.value("lang", "");
    if (lang.empty()) lang = language_from_environment();
  } catch (const UsageError& e) {
    // The recording's language is not known: the one asked for, or LANG's.
    const Catalog catalog(lang.empty() ? language_from_environment() : lang);
    std::fputs(error_line(catalog, "mpdemo replay", error_text(catalog, e)).c_str(), stderr);
    return 2;
  }
  const Catalog catalog(lang);
  try {
    const DrawOptions draw{options.timeline, options.trace, options.chart};
    if (draw.any()) drawings = std::make_unique<Drawings>(draw, catalog, use_color(options));
  } catch (const UsageError& e) {
    std::fputs(error_line(catalog, "mpdemo replay", error_text(catalog, e)).c_str(), stderr);
    return 2;
  }
  const double wall = recording.start.value("wall", 0.0);
  auto console = make_console_renderer(
      catalog, ConsoleStyle{use_color(options), options.quiet, wall, options.verbose, options.wall_clock});
  RendererList renderer;
  renderer.add(console.get());
  if (drawings) renderer.add(drawings.get());

  const double started = mp::monotonic_seconds();
  for (std::size_t i = 0; i + 1 < recording.lines.size(); ++i) {
    const auto& e = recording.lines[i];
    if (replay.pace > 0) {
      const double due = e.value("t", 0.0) * replay.pace - (mp::monotonic_seconds() - started);
      if (due > 0) mp::sleep_for(due);
    }
    renderer.event(e);
  }
  const auto& summary = recording.lines.back();
  renderer.summary(summary);
  renderer.flush();
  if (drawings) {
    for (const auto& p : drawings->finish(summary.value("elapsed", 0.0)).problems)
      std::fprintf(stderr, "mpdemo replay: timeline: %s\n", p.c_str());
    try {
      drawings->write(summary);
    } catch (const std::exception& e) {
      std::fputs(error_line(catalog, "mpdemo replay", e.what()).c_str(), stderr);
      return 2;
    }
  }
  return 0;
}

}  // namespace mpdemo
