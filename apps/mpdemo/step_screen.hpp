// The --step screen: the user is the scheduler. Whenever every participant
// stands at a step point, the screen shows each process, where it stands
// and what its next step will do, which ones are blocked and on what, the
// shared things (locks and their holders, counters, events) and the
// scenario's own state; then it asks who goes next.
//
//   a number or a name   that process takes its next step
//   Enter                a random ready process does (the run's seed picks)
//   r                    the rest of the run goes freely
//   q                    the run ends: every process is stopped and reaped
//
// When nobody can move, the screen says "deadlock" and shows the cycle of
// lock holders; only r and q are left.
//
// The board is drawn when a small event ("step.board") comes through the
// run's event channel, so it appears after every line the step before it
// printed, never in the middle of them; the drawing renderer then tells the
// chooser (a pipe) that the user can answer.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "catalog.hpp"
#include "mp/unique_fd.hpp"
#include "renderer.hpp"
#include "step_control.hpp"

namespace mpdemo {

class StepScreen final : public StepChooser {
 public:
  // Reads answers from `in_fd` and draws on `out_fd` (both the terminal).
  StepScreen(const Catalog& catalog, std::string scenario, std::uint64_t seed, int in_fd, int out_fd);

  Choice choose(const nlohmann::json& board, int stop_fd) override;

  // The renderer to put in place of `console`: it passes every event on to
  // it and draws the board when the board's event comes.
  std::unique_ptr<Renderer> in_front_of(Renderer& console);

 private:
  class BoardRenderer;

  void draw(const nlohmann::json& board) const;
  nlohmann::json shown_board() const;
  void say(const std::string& text) const;
  // The next line the user typed; nullopt when the phase ends (stop_fd) or
  // the terminal is gone (EOF).
  std::optional<std::string> read_line(int stop_fd);
  // Waits for the drawing renderer; false when the phase ends first.
  bool wait_drawn(int stop_fd) const;

  const Catalog& catalog_;
  std::string scenario_;
  std::mt19937_64 random_;
  int in_fd_, out_fd_;
  std::string typed_;  // typed ahead, not yet taken as an answer
  bool input_closed_ = false;
  mp::UniqueFd drawn_read_, drawn_write_;
  // The board to draw: set by the driver thread, drawn by the pump thread.
  mutable std::mutex board_mutex_;
  nlohmann::json board_;
};

}  // namespace mpdemo
