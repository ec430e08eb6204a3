// The event pipeline's sending side. Every process of a run reports what
// happens as one JSON object per event, written with a single write(2) to one
// pipe that the main process created before the first fork and reads from.
// Writes of at most PIPE_BUF bytes to a pipe are atomic, so events from many
// processes never interleave mid-line, and an event from a child that is
// killed a moment later is either whole or absent.
//
// Each event carries {t, pid, ppid, name, kind, ...fields}: t is seconds
// since the run started (CLOCK_MONOTONIC), name is current_process().name.
// Scenario code never prints; it emits.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "mp/unique_fd.hpp"

namespace mp::events {

// Version of the event schema (README, "Events and spans"), sent in run.start
// as "format": a recording names the version it was written in, and a reader
// refuses versions newer than its own.
//   1: span_begin / span_end / flow_out / flow_in fields; trace.* events.
constexpr int kFormatVersion = 1;

// Largest event written; bigger ones lose their largest string fields
// (marked "truncated": true) so the write stays atomic.
constexpr std::size_t kMaxEventBytes = 4096;

// The pipe. Created by the main process; children inherit the write end.
class Channel {
 public:
  Channel();
  int read_fd() const noexcept { return read_.get(); }
  int write_fd() const noexcept { return write_.get(); }

 private:
  UniqueFd read_;
  UniqueFd write_;
};

// Makes emit() write to `write_fd`, with t measured from `start` (seconds on
// CLOCK_MONOTONIC). Until then emit() does nothing, which is what unit tests
// of the core want.
void install(int write_fd, double start) noexcept;
void uninstall() noexcept;
bool installed() noexcept;

// Whether this run is drawn (a timeline, trace or chart, or a --json
// recording that may be drawn later). Events that exist only for drawing
// (trace.*: a span with no sentence of its own, a process's start, exit and
// reaping) are sent only then. Set by the main process before the first
// fork; children inherit it. Costs one load when off.
void set_tracing(bool on) noexcept;
bool tracing() noexcept;

// Seconds since the run started.
double elapsed() noexcept;

// Sends one event from the calling process. Throws std::invalid_argument if
// `fields` uses a header name (t, pid, ppid, name, kind).
void emit(std::string_view kind, nlohmann::json fields = nlohmann::json::object());

// Serialises an event to one line (with '\n'), shortening it to fit
// kMaxEventBytes. Exposed for tests.
std::string encode(nlohmann::json event);

}  // namespace mp::events
