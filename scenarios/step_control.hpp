// Step points (README, "Controlling the race"): the moments of a lesson where
// the interleaving matters. A participant that reaches one stops for real: it
// writes where it is and what its next step does to a pipe that the main
// process reads, then waits on its own process-shared semaphore, which only
// the main process posts. A thread of the main process (the driver) decides
// who takes the next step: from --order, or by asking a StepChooser (the
// --step screen).
//
// The driver keeps a StepModel of the shared things, built from the steps it
// granted, and never lets a process take a step that would block (a lock
// another holds, an empty queue, an unset event): so every granted step ends
// at the participant's next step point or at its end, and the run stays
// under the driver's control. A step that would block is shown as blocked,
// and when nobody can move the driver says "deadlock" and shows the cycle.
//
// Without --order or --step no StepControl exists and a step point is one
// null check.
#pragma once

#include <semaphore.h>
#include <sys/types.h>

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "mp/shared_memory.hpp"
#include "mp/unique_fd.hpp"
#include "scenario.hpp"
#include "step_model.hpp"
#include "step_points.hpp"

namespace mpdemo {

// --order "2,1,Buyer-3,*" split into its tokens; throws UsageError on an
// empty token.
std::vector<std::string> parse_step_order(const std::string& text);

// Thrown by steps::begin() in the main process once the user ended a --step
// run (q): the scenario stops where it is.
struct StepsQuit : std::runtime_error {
  StepsQuit() : std::runtime_error("the stepped run was ended") {}
};

// Who takes the next step, when a person decides (--step).
class StepChooser {
 public:
  struct Choice {
    enum class Kind { Go, Free, Quit } kind = Kind::Free;
    std::size_t slot = 0;  // Go: the participant (0-based)
  };
  virtual ~StepChooser() = default;
  // Every participant of the phase stands at a step point or has finished;
  // `board` says where each stands (StepControl::board). When `stop_fd`
  // becomes readable the phase is ending: return Free at once.
  virtual Choice choose(const nlohmann::json& board, int stop_fd) = 0;
};

class StepControl {
 public:
  // Scripted: --order's tokens.
  explicit StepControl(std::vector<std::string> order);
  // Interactive: `chooser` decides every step.
  explicit StepControl(std::unique_ptr<StepChooser> chooser);
  ~StepControl();
  StepControl(const StepControl&) = delete;
  StepControl& operator=(const StepControl&) = delete;

  // Main process, before the phase's participants are forked: their names,
  // index 1..n in this order; see steps::begin. Ends the previous phase.
  void begin(const std::vector<std::string>& names, const nlohmann::json& things, steps::StateFunction state);
  // Main process, once the phase's participants are joined (steps::Phase).
  void end_phase();
  // Main process, after the run.
  void end() { end_phase(); }

  // In participant `index`: reports that it stands at `point`, about to take
  // the step `does` describes, and waits until the driver lets it go.
  void at(int index, std::string_view point, const nlohmann::json& does) const;
  // In participant `index`: it has no more steps.
  void finish(int index) const;
  // In every process forked while a phase runs, first thing after the fork:
  // reports its name and pid, so that the driver knows the pid of a
  // participant that dies before its first step point.
  void started() const;
  // In the main process: it added `n` to counter `thing` outside any step.
  void supplied(std::string_view thing, int n) const;

  // After end(): whether a phase ever began, why the order could not be
  // followed (nullptr: it was), whether the user ended the run (q), and the
  // steps granted as an --order that replays them ("1,2,1,*").
  bool began() const { return phases_ > 0; }
  const UsageError* error() const { return error_ ? &*error_ : nullptr; }
  bool quit() const { return quit_; }
  std::string equivalent_order() const;

 private:
  // What the driver knows of one participant.
  struct Participant {
    std::string name;
    pid_t pid = 0;
    enum class State { Running, Waiting, Finished } state = State::Running;
    bool died = false;      // ended without saying finish() (killed, crashed)
    std::string point;      // where it waits (State::Waiting)
    nlohmann::json does;    // what its next step does
  };
  // Shared with every participant of the phase: the flag that lets
  // everyone run freely from now on, then one semaphore per participant
  // that only the driver posts.
  struct Shared {
    std::atomic<bool> free{false};
  };

  void drive();
  bool wait_until_all_stopped();
  void read_reports();
  void read_report(const nlohmann::json& report);
  std::vector<std::optional<StepBlock>> blocks() const;
  nlohmann::json board(const std::vector<std::optional<StepBlock>>& blocks) const;
  nlohmann::json why_fields(const StepBlock& block) const;
  bool waiting_for_main(const std::vector<std::optional<StepBlock>>& blocks) const;
  StepChooser::Choice choose_from_order(const std::vector<std::optional<StepBlock>>& blocks);
  std::optional<std::size_t> resolve(const std::string& token) const;
  void let_go(std::size_t slot);
  void free_everyone();
  void end_everyone();
  void drain_until_stopped();
  void fail(ErrorKey key, nlohmann::json fields);  // the first failure is kept: error()
  void send(const nlohmann::json& report) const;

  // Set at construction: how the next step is chosen.
  std::vector<std::string> order_;
  std::unique_ptr<StepChooser> chooser_;
  // The run: the report pipe every phase's participants write to.
  mp::UniqueFd report_read_, report_write_;
  std::string pending_;  // bytes of a report line not yet complete
  int phases_ = 0;       // phases begun; a report names its phase
  // The phase in progress. Set by begin() before the participants fork
  // (they read phase_number_, shared_, go_); the rest belongs to the driver
  // thread until end_phase() joins it.
  int phase_number_ = 0;
  mp::SharedMapping shared_memory_;
  Shared* shared_ = nullptr;
  sem_t* go_ = nullptr;
  std::vector<Participant> participants_;
  StepModel model_;
  std::set<std::string> later_;  // counters the main process adds to
  steps::StateFunction state_;
  mp::UniqueFd stop_read_, stop_write_;
  std::thread driver_;
  // The run so far, written by the drivers (one at a time).
  std::size_t position_ = 0;            // next token of order_
  std::vector<std::string> granted_;    // per step: the participant's number, or "*"
  bool run_free_ = false;               // the rest of the run goes without steps
  bool quit_ = false;
  std::optional<UsageError> error_;
};

}  // namespace mpdemo
