// --json: stdout holds JSON lines only, one event per line and the summary
// last. Diagnostics go to stderr.
#include <unistd.h>

#include "fd_output.hpp"
#include "renderer.hpp"

namespace mpdemo {
namespace {

std::string json_line(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + '\n';
}

class JsonRenderer final : public Renderer {
 public:
  explicit JsonRenderer(int fd) : fd_(fd) {}
  void event(const nlohmann::json& event) override { write_fd(fd_, json_line(event)); }
  void summary(const nlohmann::json& summary) override { write_fd(fd_, json_line(summary)); }
  void flush() override {}

 private:
  int fd_;
};

class JsonRecorder final : public Renderer {
 public:
  explicit JsonRecorder(std::string& lines) : lines_(lines) {}
  void event(const nlohmann::json& event) override { lines_ += json_line(event); }
  void summary(const nlohmann::json& summary) override { lines_ += json_line(summary); }
  void flush() override {}

 private:
  std::string& lines_;
};

}  // namespace

std::unique_ptr<Renderer> make_json_renderer(int fd) { return std::make_unique<JsonRenderer>(fd); }
std::unique_ptr<Renderer> make_json_recorder(std::string& lines) { return std::make_unique<JsonRecorder>(lines); }

}  // namespace mpdemo
