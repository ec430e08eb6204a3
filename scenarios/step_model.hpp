// What the step driver knows of the things the participants share, built
// only from the steps it granted (the driver never looks into a real lock or
// queue): who holds which lock and how deep, how many permits or items a
// counter has, whether an event is set. With it the driver can tell, before
// it lets a participant go, whether that step would block — so a granted
// step always ends at the participant's next step point, and a step that
// would block is shown as blocked (and on what) instead of hanging the run.
//
// A step says what it does in its fields (steps::at's `does`); each key
// takes one name or a list of names:
//   "acquires": a lock. Blocked while another participant holds it, and —
//               unless "reentrant": true (an RLock) — while the participant
//               itself holds it (Lock's double acquire: a deadlock).
//   "releases": a lock the participant holds (one level of an RLock).
//   "takes":    one unit of a counter (a semaphore's permit, an item in a
//               queue, a free place in a bounded queue). Blocked at 0.
//   "gives":    one unit to a counter.
//   "waits":    an event. Blocked while it is clear, unless the step has a
//               "timeout" (seconds: a wait with a timeout returns either way).
//   "sets" / "clears": an event.
// Counters and events are declared with their starting values when a phase
// begins ({"permits": 4, "green": false}); locks need no declaration.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mpdemo {

// Why a step cannot be taken now.
struct StepBlock {
  enum class Reason { HeldByOther, HeldBySelf, CounterEmpty, EventClear };
  Reason reason;
  std::string thing;                  // the lock, counter or event
  std::optional<std::size_t> holder;  // HeldByOther/HeldBySelf: the slot holding the lock
};

const char* reason_key(StepBlock::Reason reason);  // "held", "held_self", "empty", "clear"

class StepModel {
 public:
  // `things`: counters (numbers) and events (booleans), as declared by the phase.
  explicit StepModel(const nlohmann::json& things = nlohmann::json::object());

  // Whether participant `slot` can take the step `does` now; nullopt: it can.
  std::optional<StepBlock> blocked(std::size_t slot, const nlohmann::json& does) const;
  // Records the step `does` taken by `slot` (which was not blocked).
  void apply(std::size_t slot, const nlohmann::json& does);
  // The main process changed a counter outside any step (baozi's sentinels).
  void add(const std::string& counter, long n) { counters_[counter] += n; }

  // A deadlock among blocked participants: the cycle of "waits for a lock
  // held by" starting from `slot`, as slots (first == last when it closes),
  // or empty when `slot` does not wait on a chain of lock holders that
  // leads back to itself or to another member of such a cycle.
  std::vector<std::size_t> cycle_from(std::size_t slot, const std::vector<std::optional<StepBlock>>& blocks) const;

  // For the screen and the events: {"locks": {name: {"holder": slot, "depth": n}},
  // "counters": {name: n}, "events": {name: bool}}.
  nlohmann::json snapshot() const;

 private:
  struct Held {
    std::size_t holder;
    int depth;
  };
  std::map<std::string, Held> locks_;
  std::map<std::string, long> counters_;
  std::map<std::string, bool> events_;
};

}  // namespace mpdemo
