#include "event_pump.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "interrupt_guard.hpp"
#include "mp/events.hpp"

namespace mpdemo {
namespace {
constexpr const char* kEndKind = "mpdemo.end_of_events";
// After this long without an event the renderer is told (Renderer::idle), so
// that a line it holds back never waits for the next event: a tenth of a
// second is below what a reader notices.
constexpr int kIdleMs = 100;
}

EventPump::EventPump(int read_fd, Renderer& renderer)
    : read_fd_(read_fd), renderer_(renderer), thread_([this] { pump(); }) {}

EventPump::~EventPump() { finish(); }

void EventPump::finish() {
  if (!thread_.joinable()) return;
  mp::events::emit(kEndKind);
  thread_.join();
  renderer_.flush();
}

void EventPump::pump() {
  std::string buffer;
  char chunk[65536];
  for (;;) {
    pollfd ready{read_fd_, POLLIN, 0};
    const int polled = ::poll(&ready, 1, kIdleMs);
    if (polled == 0) {
      if (!interrupted()) renderer_.idle();
      continue;
    }
    if (polled < 0 && errno != EINTR) return;
    if (polled < 0) continue;
    ssize_t n = ::read(read_fd_, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (n == 0) return;
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
      auto event = nlohmann::json::parse(buffer.begin() + static_cast<long>(start),
                                         buffer.begin() + static_cast<long>(nl), nullptr, false);
      if (event.is_discarded()) continue;
      if (event.value("kind", "") == kEndKind) return;
      if (!interrupted()) renderer_.event(event);
    }
    buffer.erase(0, start);
  }
}

}  // namespace mpdemo
