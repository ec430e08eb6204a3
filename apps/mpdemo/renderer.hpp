// Turns events and the summary into output: console lines for people, JSON
// lines for scripts. Only the main mpdemo process renders.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog.hpp"

namespace mpdemo {

class Renderer {
 public:
  virtual ~Renderer() = default;
  // One event as received from a process ({t, pid, ppid, name, kind, ...}).
  virtual void event(const nlohmann::json& event) = 0;
  // The last thing rendered: {"kind": "summary", "scenario", "ok", "checks", ...figures}.
  virtual void summary(const nlohmann::json& summary) = 0;
  virtual void flush() = 0;
  // Nothing arrived for a moment (see EventPump): output held back in the
  // hope of more of its kind is written now.
  virtual void idle() {}
};

struct ConsoleStyle {
  bool color = false;
  bool quiet = false;     // only the summary
  double start_wall = 0;  // wall-clock seconds at t = 0, for the time column
  bool verbose = false;   // every event on its own line (no folding)
  bool wall_clock = false;  // the time column in wall-clock time, not seconds since the start
};

std::unique_ptr<Renderer> make_console_renderer(const Catalog& catalog, ConsoleStyle style);
// JSON lines to `fd` (stdout by default), one write(2) each.
std::unique_ptr<Renderer> make_json_renderer(int fd = 1);
// The same JSON lines kept in memory (for --record, written whole at the end).
std::unique_ptr<Renderer> make_json_recorder(std::string& lines);

// Hands everything to each of `renderers`, in order.
class RendererList final : public Renderer {
 public:
  void add(Renderer* renderer) { renderers_.push_back(renderer); }
  void event(const nlohmann::json& event) override {
    for (auto* r : renderers_) r->event(event);
  }
  void summary(const nlohmann::json& summary) override {
    for (auto* r : renderers_) r->summary(summary);
  }
  void flush() override {
    for (auto* r : renderers_) r->flush();
  }
  void idle() override {
    for (auto* r : renderers_) r->idle();
  }

 private:
  std::vector<Renderer*> renderers_;
};

}  // namespace mpdemo
