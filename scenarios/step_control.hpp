// Step points (README, "Controlling the race"): the moments of a lesson where
// the interleaving matters. A participant that reaches one stops for real: it
// writes where it is and what its next step does to a pipe that the main
// process reads, then waits on its own process-shared semaphore, which only
// the main process posts. A thread of the main process (the driver) decides
// who takes the next step, following --order.
//
// The driver never lets a process take a step that acquires a lock another
// holds (it knows the holders from the steps it granted), so every granted
// step ends at the participant's next step point or at its end: the run
// stays under the driver's control, and an order that would need a blocked
// process is refused by name and position instead of hanging.
//
// Without --order no StepControl exists and Context::step is one null check.
#pragma once

#include <semaphore.h>
#include <sys/types.h>

#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "mp/shared_memory.hpp"
#include "mp/unique_fd.hpp"
#include "scenario.hpp"

namespace mpdemo {

// --order "2,1,Buyer-3,*" split into its tokens; throws UsageError on an
// empty token.
std::vector<std::string> parse_step_order(const std::string& text);

class StepControl {
 public:
  explicit StepControl(std::vector<std::string> order);
  ~StepControl();
  StepControl(const StepControl&) = delete;
  StepControl& operator=(const StepControl&) = delete;

  // Main process, before the participants are forked: their names, index
  // 1..n in this order. Starts the driver.
  void begin(const std::vector<std::string>& names);
  // Main process, after every participant has been joined: stops the driver.
  void end();

  // In participant `index`: reports that it stands at `point`, about to take
  // the step that `fields` describe ({"acquires": "lock"} / {"releases":
  // "lock"} tell the driver what the step does to a lock), and waits until
  // the driver lets it go.
  void at(int index, std::string_view point, const nlohmann::json& fields) const;
  // In participant `index`: it has no more steps.
  void finish(int index) const;

  // After end(): whether begin() was ever called, and why the order could
  // not be followed (nullptr: it was).
  bool began() const { return began_; }
  const UsageError* error() const { return error_ ? &*error_ : nullptr; }

 private:
  // What the driver knows of one participant.
  struct Participant {
    std::string name;
    pid_t pid = 0;
    enum class State { Running, Waiting, Finished } state = State::Running;
    std::string point;            // where it waits (State::Waiting)
    nlohmann::json fields;        // what its next step does
  };

  void drive();
  bool wait_until_all_stopped();
  void read_report(const std::string& line);
  void let_go(std::size_t slot);
  void free_everyone();
  std::optional<std::size_t> resolve(const std::string& token) const;
  void fail(const std::string& key, nlohmann::json fields, const std::string& why);
  void send(const nlohmann::json& report) const;

  std::vector<std::string> order_;
  std::vector<Participant> participants_;
  std::vector<std::pair<std::string, std::size_t>> holders_;  // lock -> slot holding it
  // Shared with every participant: the flag that lets everyone run freely
  // from now on, and one semaphore per participant that the driver posts.
  mp::SharedMapping shared_memory_;
  std::atomic<bool>* free_ = nullptr;
  sem_t* go_ = nullptr;
  mp::UniqueFd report_read_, report_write_;
  mp::UniqueFd stop_read_, stop_write_;
  std::string pending_;  // bytes of a report line not yet complete
  std::thread driver_;
  bool began_ = false;
  bool stopping_ = false;
  std::optional<UsageError> error_;
};

}  // namespace mpdemo
