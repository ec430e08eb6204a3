// Captures the events that core code emits during a test: installs an event
// channel for the object's lifetime (emit() is a no-op otherwise) and reads
// back every event written so far.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mp/deadline.hpp"
#include "mp/events.hpp"

namespace test {

struct EventCapture {
  mp::events::Channel channel;
  EventCapture() { mp::events::install(channel.write_fd(), mp::monotonic_seconds()); }
  ~EventCapture() { mp::events::uninstall(); }
  EventCapture(const EventCapture&) = delete;
  EventCapture& operator=(const EventCapture&) = delete;

  // Every event written so far, in order.
  std::vector<nlohmann::json> drain() const {
    ::fcntl(channel.read_fd(), F_SETFL, O_NONBLOCK);
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(channel.read_fd(), buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
    std::vector<nlohmann::json> events;
    std::size_t start = 0, end;
    while ((end = text.find('\n', start)) != std::string::npos) {
      events.push_back(nlohmann::json::parse(text.substr(start, end - start)));
      start = end + 1;
    }
    return events;
  }
};

}  // namespace test
