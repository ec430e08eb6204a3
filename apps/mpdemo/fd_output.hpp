// Output straight to a file descriptor with write(2), bypassing stdio.
//
// Why: mpdemo renders on a thread while the main thread forks children. A
// child inherits a copy of every stdio buffer, and whatever the renderer had
// buffered at that instant would be written a second time when the child
// flushes at exit (seen as torn JSON lines). Output that never sits in a
// stdio buffer cannot be duplicated.
#pragma once

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <mutex>
#include <string_view>

namespace mpdemo {

// Writes all of `text` to `fd`, retrying short writes; gives up quietly on
// error (a closed stdout must not crash a run).
void write_fd(int fd, std::string_view text) noexcept;

// An spdlog sink that writes each formatted line with one write(2).
class FdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit FdSink(int fd) : fd_(fd) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}

 private:
  int fd_;
};

}  // namespace mpdemo
