#include "step_control.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>

#include "mp/errors.hpp"
#include "mp/events.hpp"
#include "mp/fork_hooks.hpp"
#include "mp/process.hpp"

namespace mpdemo {
namespace {

// How often the driver looks for a participant that died between two step
// points (killed, crashed): such a process never reports again.
constexpr int kStepLivenessPollMs = 100;

std::string trim_blanks(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// A zombie or a pid that no longer exists: the process will not report again.
bool step_process_has_ended(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return true;
  const auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] == 'Z' || text[paren + 2] == 'X';
}

// One line per scenario that marks step points: name and an --order example
// that shows its lesson (the same lines open each scenario's file).
struct StepScenario {
  const char* name;
  const char* example;
};
constexpr StepScenario kStepScenarios[] = {
    {"ticket", "mpdemo ticket --buyers 3 --order 1,2,3,1,2,3,1,2,3   (all read, then all write: oversold by 2)"},
    {"print-lock", "mpdemo print-lock --order 3,1,2,1,2,3   (all start, then all finish: 3 overlaps)"},
    {"file-append", "mpdemo file-append --writers 2 --no-append --order 1,2,1,2   (both open, then both write: one record lost)"},
    {"manager", "mpdemo manager --workers 2 --count 2 --order 1,2,1,2   (both read 2, both write 1: one update lost)"},
    {"value-array", "mpdemo value-array --processes 2 --increments 1 --order 1,2,1,2   (both read 0, both write 1)"},
    {"rlock", "mpdemo rlock --order 1,1   (Twice takes the Lock, then asks again: it holds it itself, a deadlock)"},
    {"semaphore", "mpdemo semaphore --rooms 1 --users 2 --order 1,2   (User-2 cannot enter: User-1 has the only room)"},
    {"event", "mpdemo event --cars 1 --order 2,1,*   (the light turns green, then Car-1 drives through)"},
    {"baozi", "mpdemo baozi --consumers 2 --order 2   (Eater-1 asks for a bun before any is made: it cannot go)"},
    {"queue", "mpdemo queue --order 1,2,1,2   (both checkers see one item; both take: one gets Empty)"},
};

// The run's control, set by the app before the first fork (children inherit it).
StepControl* installed_control = nullptr;

}  // namespace

namespace steps {

void install(StepControl* control) noexcept {
  // Once, in the main process before any fork: a child forked during a
  // phase says who it is (StepControl::started) before anything else.
  static bool hook_registered = false;
  if (control && !hook_registered) {
    hook_registered = true;
    mp::at_fork(nullptr, [] {
      if (installed_control) installed_control->started();
    });
  }
  installed_control = control;
}
bool active() noexcept { return installed_control != nullptr; }
Phase begin(const std::vector<std::string>& names, const nlohmann::json& things, StateFunction state) {
  if (!installed_control) return Phase();
  installed_control->begin(names, things, std::move(state));
  return Phase(installed_control);
}
Phase::~Phase() {
  if (control_) control_->end_phase();
}
void at(int index, std::string_view point, const nlohmann::json& does) {
  if (installed_control) installed_control->at(index, point, does);
}
void finish(int index) {
  if (installed_control) installed_control->finish(index);
}
void supplied(std::string_view thing, int n) {
  if (installed_control) installed_control->supplied(thing, n);
}

const char* order_example(std::string_view scenario) noexcept {
  for (const auto& s : kStepScenarios)
    if (scenario == s.name) return s.example;
  return nullptr;
}

std::string scenarios_with_step_points() {
  std::string names;
  for (const auto& s : kStepScenarios) names += (names.empty() ? "" : ", ") + std::string(s.name);
  return names;
}

}  // namespace steps

std::vector<std::string> parse_step_order(const std::string& text) {
  std::vector<std::string> tokens;
  std::size_t start = 0;
  for (;;) {
    const auto comma = text.find(',', start);
    std::string token = trim_blanks(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (token.empty())
      throw UsageError("step.empty", {{"position", tokens.size() + 1}});
    tokens.push_back(std::move(token));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return tokens;
}

StepControl::StepControl(std::vector<std::string> order) : order_(std::move(order)) {
  std::tie(report_read_, report_write_) = mp::make_pipe();
}

StepControl::StepControl(std::unique_ptr<StepChooser> chooser) : chooser_(std::move(chooser)) {
  std::tie(report_read_, report_write_) = mp::make_pipe();
}

StepControl::~StepControl() { end_phase(); }

void StepControl::begin(const std::vector<std::string>& names, const nlohmann::json& things,
                        steps::StateFunction state) {
  end_phase();
  if (quit_) throw StepsQuit();
  ++phases_;
  phase_number_ = phases_;
  participants_.clear();
  for (const auto& n : names) {
    Participant p;
    p.name = n;
    participants_.push_back(std::move(p));
  }
  model_ = StepModel(things);
  later_.clear();
  if (auto it = things.find("later"); it != things.end() && it->is_array())
    for (const auto& name : *it)
      if (name.is_string()) later_.insert(name.get<std::string>());
  state_ = std::move(state);
  // The flag first, then the semaphores, each on its own alignment.
  const std::size_t offset = alignof(sem_t) > sizeof(Shared) ? alignof(sem_t) : 64;
  shared_memory_ = mp::SharedMapping(offset + sizeof(sem_t) * (names.empty() ? 1 : names.size()));
  shared_ = new (shared_memory_.data()) Shared;
  go_ = reinterpret_cast<sem_t*>(static_cast<char*>(shared_memory_.data()) + offset);
  for (std::size_t i = 0; i < names.size(); ++i)
    if (::sem_init(&go_[i], 1, 0) != 0) mp::throw_os_error("sem_init");
  // A run already let free (by '*', the end of the order, r or an order
  // that could not be followed) stays free: no driver for this phase.
  if (run_free_) {
    shared_->free.store(true);
    return;
  }
  std::tie(stop_read_, stop_write_) = mp::make_pipe();
  driver_ = std::thread([this] { drive(); });
}

void StepControl::end_phase() {
  if (driver_.joinable()) {
    const char stop = 's';
    (void)!::write(stop_write_.get(), &stop, 1);
    driver_.join();
  }
  // Whoever still waits at a step point (a participant the scenario gave
  // up on) goes on rather than waiting for ever.
  if (shared_ && !quit_) free_everyone();
  stop_read_.reset();
  stop_write_.reset();
}

void StepControl::send(const nlohmann::json& report) const {
  const std::string line = report.dump() + "\n";  // far below PIPE_BUF: one atomic write
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    const ssize_t n = ::write(report_write_.get(), p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the main process is gone; nothing waits for this report
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void StepControl::at(int index, std::string_view point, const nlohmann::json& does) const {
  if (!shared_ || shared_->free.load()) return;
  send({{"phase", phase_number_}, {"i", index}, {"pid", ::getpid()}, {"point", point}, {"does", does}});
  sem_t* go = &go_[index - 1];
  while (::sem_wait(go) != 0 && errno == EINTR) {
  }
}

void StepControl::finish(int index) const {
  if (!shared_ || shared_->free.load()) return;
  send({{"phase", phase_number_}, {"i", index}, {"pid", ::getpid()}, {"done", true}});
}

void StepControl::started() const {
  if (!shared_ || shared_->free.load()) return;
  send({{"phase", phase_number_}, {"started", mp::current_process().name}, {"pid", ::getpid()}});
}

void StepControl::supplied(std::string_view thing, int n) const {
  if (!shared_ || shared_->free.load()) return;
  send({{"phase", phase_number_}, {"supplied", thing}, {"n", n}});
}

void StepControl::read_report(const nlohmann::json& report) {
  if (!report.is_object() || report.value("phase", 0) != phase_number_) return;
  if (report.contains("supplied")) {
    model_.add(report.value("supplied", ""), report.value("n", 0));
    return;
  }
  if (report.contains("started")) {
    // A process of this phase began: the first participant of that name
    // whose pid is not known yet is it (a process that is not a
    // participant, a Manager's server say, matches none).
    for (auto& p : participants_)
      if (p.pid == 0 && p.name == report.value("started", "")) {
        p.pid = report.value("pid", 0);
        break;
      }
    return;
  }
  const auto i = report.value("i", 0);
  if (i < 1 || static_cast<std::size_t>(i) > participants_.size()) return;
  Participant& p = participants_[static_cast<std::size_t>(i - 1)];
  p.pid = report.value("pid", 0);
  if (report.value("done", false)) {
    p.state = Participant::State::Finished;
    return;
  }
  p.state = Participant::State::Waiting;
  p.point = report.value("point", "");
  p.does = report.value("does", nlohmann::json::object());
  if (!p.does.is_object()) p.does = nlohmann::json::object();
}

// Reads what is in the report pipe now (the caller polled it).
void StepControl::read_reports() {
  char buffer[4096];
  const ssize_t n = ::read(report_read_.get(), buffer, sizeof buffer);
  if (n <= 0) return;
  pending_.append(buffer, static_cast<std::size_t>(n));
  for (auto nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n')) {
    read_report(nlohmann::json::parse(pending_.substr(0, nl), nullptr, false));
    pending_.erase(0, nl + 1);
  }
}

// Reads reports until every participant waits at a step point or has
// finished, and — when the only ones left wait for a counter the main
// process adds to — until it has. False when the phase is being ended.
bool StepControl::wait_until_all_stopped() {
  auto settled = [this] {
    for (const auto& p : participants_)
      if (p.state == Participant::State::Running) return false;
    return !waiting_for_main(blocks());
  };
  while (!settled()) {
    pollfd fds[2] = {{report_read_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, kStepLivenessPollMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (fds[1].revents & POLLIN)) return false;
    if (ready == 0) {
      for (auto& p : participants_)
        if (p.state != Participant::State::Finished && p.pid != 0 && step_process_has_ended(p.pid)) {
          p.state = Participant::State::Finished;
          p.died = true;
        }
      continue;
    }
    read_reports();
  }
  return true;
}

std::vector<std::optional<StepBlock>> StepControl::blocks() const {
  std::vector<std::optional<StepBlock>> out(participants_.size());
  for (std::size_t i = 0; i < participants_.size(); ++i)
    if (participants_[i].state == Participant::State::Waiting) out[i] = model_.blocked(i, participants_[i].does);
  return out;
}

// Nobody can move, and every one that waits, waits for a counter the main
// process still adds to: the phase is not stuck, the main process is busy.
bool StepControl::waiting_for_main(const std::vector<std::optional<StepBlock>>& blocks) const {
  if (later_.empty()) return false;
  bool anyone_waiting = false;
  for (std::size_t i = 0; i < participants_.size(); ++i) {
    if (participants_[i].state != Participant::State::Waiting) continue;
    anyone_waiting = true;
    if (!blocks[i] || blocks[i]->reason != StepBlock::Reason::CounterEmpty || !later_.count(blocks[i]->thing))
      return false;
  }
  return anyone_waiting;
}

nlohmann::json StepControl::why_fields(const StepBlock& block) const {
  nlohmann::json why = {{"reason", reason_key(block.reason)}, {"thing", block.thing}};
  if (block.holder && *block.holder < participants_.size()) why["holder"] = participants_[*block.holder].name;
  return why;
}

// Where everyone stands, for the screen and the events:
// {"phase", "position", "processes": [{"index", "name", "state": ready |
// blocked | finished, "point", "does", "why"}], "things": the model with
// holders by name, "state": the scenario's, "deadlock": {"cycle": [names]}
// when nobody can move}.
nlohmann::json StepControl::board(const std::vector<std::optional<StepBlock>>& blocks) const {
  nlohmann::json processes = nlohmann::json::array();
  bool anyone_ready = false, anyone_waiting = false;
  for (std::size_t i = 0; i < participants_.size(); ++i) {
    const Participant& p = participants_[i];
    nlohmann::json entry = {{"index", i + 1}, {"name", p.name}};
    if (p.state == Participant::State::Finished) {
      entry["state"] = "finished";
    } else {
      anyone_waiting = true;
      entry["point"] = p.point;
      entry["does"] = p.does;
      if (blocks[i]) {
        entry["state"] = "blocked";
        entry["why"] = why_fields(*blocks[i]);
      } else {
        entry["state"] = "ready";
        anyone_ready = true;
      }
    }
    processes.push_back(std::move(entry));
  }
  nlohmann::json things = model_.snapshot();
  for (auto& [name, held] : things["locks"].items()) {
    const auto slot = held["holder"].get<std::size_t>();
    held["holder"] = slot < participants_.size() ? participants_[slot].name : "?";
  }
  nlohmann::json b = {{"phase", phase_number_},
                      {"position", granted_.size() + 1},
                      {"processes", processes},
                      {"things", things}};
  if (state_) b["state"] = state_();
  if (anyone_waiting && !anyone_ready) {
    nlohmann::json cycle = nlohmann::json::array();
    for (std::size_t i = 0; i < blocks.size() && cycle.empty(); ++i)
      for (std::size_t slot : model_.cycle_from(i, blocks)) cycle.push_back(participants_[slot].name);
    nlohmann::json waits = nlohmann::json::array();
    for (std::size_t i = 0; i < blocks.size(); ++i)
      if (blocks[i]) {
        nlohmann::json w = why_fields(*blocks[i]);
        w["who"] = participants_[i].name;
        waits.push_back(std::move(w));
      }
    b["deadlock"] = {{"cycle", cycle}, {"waits", waits}};
  }
  return b;
}

std::optional<std::size_t> StepControl::resolve(const std::string& token) const {
  if (!token.empty() && token.find_first_not_of("0123456789") == std::string::npos) {
    const auto n = std::stoul(token.size() > 6 ? "0" : token);
    if (n >= 1 && n <= participants_.size()) return n - 1;
    return std::nullopt;
  }
  for (std::size_t i = 0; i < participants_.size(); ++i)
    if (participants_[i].name == token) return i;
  return std::nullopt;
}

// `fields` carry position and token, and why a process cannot go.
void StepControl::fail(ErrorKey key, nlohmann::json fields) {
  error_.emplace(key, std::move(fields));
  run_free_ = true;  // the processes go on freely to their end and are reaped
}

StepChooser::Choice StepControl::choose_from_order(const std::vector<std::optional<StepBlock>>& blocks) {
  using Kind = StepChooser::Choice::Kind;
  // '*' lets the rest of this part run freely; the order goes on with the
  // next part (rlock has three). Once the order is used up, the whole rest
  // of the run goes freely.
  if (position_ >= order_.size() || order_[position_] == "*") {
    mp::events::emit("step.free", {{"position", position_ + 1}});
    if (position_ < order_.size()) ++position_;
    if (position_ >= order_.size()) run_free_ = true;
    return {Kind::Free};
  }
  const std::string& token = order_[position_];
  nlohmann::json where = {{"position", position_ + 1}, {"token", token}};
  const auto slot = resolve(token);
  if (!slot) {
    std::string names;
    for (const auto& p : participants_) names += (names.empty() ? "" : ", ") + p.name;
    where["names"] = names;
    where["count"] = participants_.size();
    fail("step.unknown", where);
    return {Kind::Free};
  }
  const Participant& p = participants_[*slot];
  where["who"] = p.name;
  if (p.state == Participant::State::Finished && p.died) {
    fail("step.died", where);
    mp::events::emit("step.died", where);
    return {Kind::Free};
  }
  if (p.state == Participant::State::Finished) {
    fail("step.finished_already", where);
    mp::events::emit("step.finished_already", where);
    return {Kind::Free};
  }
  if (const auto& block = blocks[*slot]) {
    where.update(why_fields(*block));
    fail("step.blocked", where);  // the text says why from where's reason (with_step_texts)
    mp::events::emit("step.blocked", where);
    return {Kind::Free};
  }
  ++position_;
  return {Kind::Go, *slot};
}

void StepControl::let_go(std::size_t slot) {
  Participant& p = participants_[slot];
  model_.apply(slot, p.does);
  p.state = Participant::State::Running;
  granted_.push_back(std::to_string(slot + 1));
  ::sem_post(&go_[slot]);
}

void StepControl::free_everyone() {
  shared_->free.store(true);
  // One post each: a waiting participant takes it now; one that read the
  // flag just before it was set takes it at the step it is reporting.
  for (std::size_t i = 0; i < participants_.size(); ++i) ::sem_post(&go_[i]);
}

// q: every participant of the phase that has not finished is killed now;
// the scenario joins them, and its next phase does not begin.
void StepControl::end_everyone() {
  quit_ = true;
  for (const auto& p : participants_)
    if (p.state != Participant::State::Finished && p.pid > 0) ::kill(p.pid, SIGKILL);
}

// Keeps reading reports sent in the moment before the flag was seen, so no
// participant ever blocks on a full pipe, until the phase ends.
void StepControl::drain_until_stopped() {
  for (;;) {
    pollfd fds[2] = {{report_read_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents & POLLIN) return;
    char buffer[4096];
    if (::read(report_read_.get(), buffer, sizeof buffer) < 0 && errno != EINTR) return;
  }
}

void StepControl::drive() {
  using Kind = StepChooser::Choice::Kind;
  for (;;) {
    if (!wait_until_all_stopped()) return;
    bool anyone_left = false;
    for (const auto& p : participants_) anyone_left = anyone_left || p.state != Participant::State::Finished;
    if (!anyone_left) return;  // the phase is over; the scenario joins its participants
    const auto blocked = blocks();
    nlohmann::json b = board(blocked);
    if (b.contains("deadlock")) {
      // Flat fields for the console line (it cuts lists): the cycle as text,
      // and the first blocked process with why it waits.
      nlohmann::json said = b["deadlock"];
      std::string cycle;
      for (const auto& name : said["cycle"]) cycle += (cycle.empty() ? "" : " → ") + name.get<std::string>();
      said["cycle_text"] = cycle;
      if (!said["waits"].empty()) said.update(said["waits"][0]);
      mp::events::emit("step.deadlock", said);
    }
    const StepChooser::Choice choice = chooser_ ? chooser_->choose(b, stop_read_.get()) : choose_from_order(blocked);
    if (choice.kind == Kind::Go) {
      if (choice.slot >= participants_.size() || blocked[choice.slot] ||
          participants_[choice.slot].state != Participant::State::Waiting)
        continue;  // a chooser that named one who cannot go is asked again
      const Participant& p = participants_[choice.slot];
      nlohmann::json go = p.does;
      for (const char* effect : {"acquires", "releases", "takes", "gives", "waits", "sets", "clears", "reentrant"})
        go.erase(effect);
      go["position"] = granted_.size() + 1;
      go["who"] = p.name;
      go["point"] = p.point;
      mp::events::emit("step.go", go);
      let_go(choice.slot);
      continue;
    }
    if (choice.kind == Kind::Quit) {
      end_everyone();
    } else {
      if (chooser_) granted_.push_back("*");  // r: the rest of this part
      free_everyone();
    }
    drain_until_stopped();
    return;
  }
}

std::string StepControl::equivalent_order() const {
  std::string order;
  for (const auto& g : granted_) order += (order.empty() ? "" : ",") + g;
  return order;
}

}  // namespace mpdemo
