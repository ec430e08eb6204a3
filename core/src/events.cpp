#include "mp/events.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <stdexcept>
#include <string>

#include "mp/deadline.hpp"
#include "mp/errors.hpp"
#include "mp/process.hpp"

namespace mp::events {
namespace {
// Set once by the main process before any fork; children inherit the values.
int channel_fd = -1;
double start_time = 0;
bool tracing_on = false;
}  // namespace

Channel::Channel() {
  auto [r, w] = make_pipe();
  // A roomy pipe lets a thousand children report without waiting on the
  // renderer; F_SETPIPE_SZ failing (over the user limit) is harmless.
  ::fcntl(w.get(), F_SETPIPE_SZ, 1 << 20);
  read_ = std::move(r);
  write_ = std::move(w);
}

void install(int write_fd, double start) noexcept {
  channel_fd = write_fd;
  start_time = start;
}

void uninstall() noexcept { channel_fd = -1; }
bool installed() noexcept { return channel_fd >= 0; }
void set_tracing(bool on) noexcept { tracing_on = on; }
bool tracing() noexcept { return tracing_on && channel_fd >= 0; }
double elapsed() noexcept { return monotonic_seconds() - start_time; }

std::string encode(nlohmann::json event) {
  std::string line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  while (line.size() > kMaxEventBytes) {
    // Drop the longest string field until the line fits.
    std::string longest;
    std::size_t longest_size = 0;
    for (auto& [key, value] : event.items()) {
      std::size_t size = value.dump().size();
      if (key != "kind" && size > longest_size) {
        longest = key;
        longest_size = size;
      }
    }
    if (longest.empty()) break;
    event[longest] = "(cut: too long for one event)";
    event["truncated"] = true;
    line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return line;
}

void emit(std::string_view kind, nlohmann::json fields) {
  if (channel_fd < 0) return;
  nlohmann::json event = nlohmann::json::object();
  event["t"] = std::round(elapsed() * 1e6) / 1e6;
  event["pid"] = ::getpid();
  event["ppid"] = ::getppid();
  event["name"] = current_process().name;
  event["kind"] = kind;
  if (fields.is_object())
    for (auto& [key, value] : fields.items()) {
      // The header says who sent the event and when; a field of the same
      // name would silently replace it, so that is a programming error.
      if (event.contains(key))
        throw std::invalid_argument("event '" + std::string(kind) + "': field '" + key +
                                    "' is reserved for the event header (t, pid, ppid, name, kind)");
      event[key] = value;
    }
  std::string line = encode(std::move(event));
  // One write: atomic because line.size() <= PIPE_BUF.
  ssize_t n;
  do {
    n = ::write(channel_fd, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
}

}  // namespace mp::events
