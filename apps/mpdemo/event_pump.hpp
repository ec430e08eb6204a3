// Reads the event channel on a thread of the main process and hands each
// event to the renderer, in the order the pipe delivered them.
#pragma once

#include <thread>

#include "renderer.hpp"

namespace mpdemo {

class EventPump {
 public:
  EventPump(int read_fd, Renderer& renderer);
  ~EventPump();  // finish() if not done yet
  EventPump(const EventPump&) = delete;
  EventPump& operator=(const EventPump&) = delete;

  // Writes an end marker to the channel and waits until every event before
  // it has been rendered. Call after the scenario's processes have ended:
  // whatever they wrote is then ahead of the marker in the pipe.
  void finish();

 private:
  void pump();

  int read_fd_;
  Renderer& renderer_;
  std::thread thread_;
};

}  // namespace mpdemo
