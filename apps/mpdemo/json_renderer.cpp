// --json: stdout holds JSON lines only, one event per line and the summary
// last. Diagnostics go to stderr.
#include <unistd.h>

#include "fd_output.hpp"
#include "renderer.hpp"

namespace mpdemo {
namespace {

class JsonRenderer final : public Renderer {
 public:
  void event(const nlohmann::json& event) override { write(event); }
  void summary(const nlohmann::json& summary) override { write(summary); }
  void flush() override {}

 private:
  static void write(const nlohmann::json& j) {
    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line += '\n';
    write_fd(STDOUT_FILENO, line);
  }
};

}  // namespace

std::unique_ptr<Renderer> make_json_renderer() { return std::make_unique<JsonRenderer>(); }

}  // namespace mpdemo
