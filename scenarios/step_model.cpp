#include "step_model.hpp"

#include <algorithm>

namespace mpdemo {
namespace {

// A field that names one thing or several: "lock" or ["items", "places"].
std::vector<std::string> names_in(const nlohmann::json& does, const char* key) {
  std::vector<std::string> names;
  const auto it = does.find(key);
  if (it == does.end()) return names;
  if (it->is_string()) names.push_back(it->get<std::string>());
  if (it->is_array())
    for (const auto& n : *it)
      if (n.is_string()) names.push_back(n.get<std::string>());
  return names;
}

}  // namespace

const char* reason_key(StepBlock::Reason reason) {
  switch (reason) {
    case StepBlock::Reason::HeldByOther: return "held";
    case StepBlock::Reason::HeldBySelf: return "held_self";
    case StepBlock::Reason::CounterEmpty: return "empty";
    case StepBlock::Reason::EventClear: return "clear";
  }
  return "held";
}

StepModel::StepModel(const nlohmann::json& things) {
  if (!things.is_object()) return;
  for (const auto& [name, value] : things.items()) {
    if (value.is_boolean()) events_[name] = value.get<bool>();
    else if (value.is_number_integer()) counters_[name] = value.get<long>();
  }
}

std::optional<StepBlock> StepModel::blocked(std::size_t slot, const nlohmann::json& does) const {
  if (!does.is_object()) return std::nullopt;
  const bool reentrant = does.value("reentrant", false);
  for (const auto& lock : names_in(does, "acquires")) {
    const auto held = locks_.find(lock);
    if (held == locks_.end()) continue;
    if (held->second.holder != slot) return StepBlock{StepBlock::Reason::HeldByOther, lock, held->second.holder};
    if (!reentrant) return StepBlock{StepBlock::Reason::HeldBySelf, lock, slot};
  }
  for (const auto& counter : names_in(does, "takes")) {
    const auto it = counters_.find(counter);
    if (it == counters_.end() || it->second <= 0) return StepBlock{StepBlock::Reason::CounterEmpty, counter, {}};
  }
  if (!does.contains("timeout"))
    for (const auto& event : names_in(does, "waits")) {
      const auto it = events_.find(event);
      if (it == events_.end() || !it->second) return StepBlock{StepBlock::Reason::EventClear, event, {}};
    }
  return std::nullopt;
}

void StepModel::apply(std::size_t slot, const nlohmann::json& does) {
  if (!does.is_object()) return;
  for (const auto& lock : names_in(does, "acquires")) {
    auto [it, fresh] = locks_.try_emplace(lock, Held{slot, 0});
    ++it->second.depth;
  }
  for (const auto& lock : names_in(does, "releases")) {
    const auto it = locks_.find(lock);
    if (it != locks_.end() && it->second.holder == slot && --it->second.depth <= 0) locks_.erase(it);
  }
  for (const auto& counter : names_in(does, "takes")) --counters_[counter];
  for (const auto& counter : names_in(does, "gives")) ++counters_[counter];
  for (const auto& event : names_in(does, "sets")) events_[event] = true;
  for (const auto& event : names_in(does, "clears")) events_[event] = false;
}

std::vector<std::size_t> StepModel::cycle_from(std::size_t slot,
                                               const std::vector<std::optional<StepBlock>>& blocks) const {
  std::vector<std::size_t> path;
  std::size_t at = slot;
  for (;;) {
    const auto seen = std::find(path.begin(), path.end(), at);
    if (seen != path.end()) {
      std::vector<std::size_t> cycle(seen, path.end());
      cycle.push_back(at);
      return cycle;
    }
    if (at >= blocks.size() || !blocks[at] || !blocks[at]->holder) return {};
    path.push_back(at);
    at = *blocks[at]->holder;
  }
}

nlohmann::json StepModel::snapshot() const {
  nlohmann::json locks = nlohmann::json::object(), counters = nlohmann::json::object(),
                 events = nlohmann::json::object();
  for (const auto& [name, held] : locks_) locks[name] = {{"holder", held.holder}, {"depth", held.depth}};
  for (const auto& [name, n] : counters_) counters[name] = n;
  for (const auto& [name, set] : events_) events[name] = set;
  return {{"locks", locks}, {"counters", counters}, {"events", events}};
}

}  // namespace mpdemo
