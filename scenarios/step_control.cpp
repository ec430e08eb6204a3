#include "step_control.hpp"

#include "step_points.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

#include "mp/errors.hpp"
#include "mp/events.hpp"
#include "scenario.hpp"

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
};

// The run's control, set by the app before the first fork (children inherit it).
StepControl* installed_control = nullptr;

}  // namespace

namespace steps {

void install(StepControl* control) noexcept { installed_control = control; }
bool active() noexcept { return installed_control != nullptr; }
void begin(const std::vector<std::string>& names) {
  if (installed_control) installed_control->begin(names);
}
void at(int index, std::string_view point, const nlohmann::json& fields) {
  if (installed_control) installed_control->at(index, point, fields);
}
void finish(int index) {
  if (installed_control) installed_control->finish(index);
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
      throw UsageError("step.empty", {{"position", tokens.size() + 1}},
                       "--order: step " + std::to_string(tokens.size() + 1) +
                           " is empty (give a process name or number per step, '*' for the rest)");
    tokens.push_back(std::move(token));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return tokens;
}

StepControl::StepControl(std::vector<std::string> order) : order_(std::move(order)) {
  std::tie(report_read_, report_write_) = mp::make_pipe();
  std::tie(stop_read_, stop_write_) = mp::make_pipe();
}

StepControl::~StepControl() { end(); }

void StepControl::begin(const std::vector<std::string>& names) {
  if (began_) throw std::logic_error("StepControl::begin called twice");
  began_ = true;
  for (const auto& n : names) {
    Participant p;
    p.name = n;
    participants_.push_back(std::move(p));
  }
  // The flag first, then the semaphores, each on its own alignment.
  const std::size_t offset = alignof(sem_t) > sizeof(std::atomic<bool>) ? alignof(sem_t) : 64;
  shared_memory_ = mp::SharedMapping(offset + sizeof(sem_t) * (names.empty() ? 1 : names.size()));
  free_ = new (shared_memory_.data()) std::atomic<bool>(false);
  go_ = reinterpret_cast<sem_t*>(static_cast<char*>(shared_memory_.data()) + offset);
  for (std::size_t i = 0; i < names.size(); ++i)
    if (::sem_init(&go_[i], 1, 0) != 0) mp::throw_os_error("sem_init");
  driver_ = std::thread([this] { drive(); });
}

void StepControl::end() {
  if (!driver_.joinable()) return;
  const char stop = 's';
  (void)!::write(stop_write_.get(), &stop, 1);
  driver_.join();
  for (std::size_t i = 0; i < participants_.size(); ++i) ::sem_destroy(&go_[i]);
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

void StepControl::at(int index, std::string_view point, const nlohmann::json& fields) const {
  if (free_->load()) return;
  send({{"i", index}, {"pid", ::getpid()}, {"point", point}, {"fields", fields}});
  sem_t* go = &go_[index - 1];
  while (::sem_wait(go) != 0 && errno == EINTR) {
  }
}

void StepControl::finish(int index) const {
  if (free_->load()) return;
  send({{"i", index}, {"pid", ::getpid()}, {"done", true}});
}

void StepControl::read_report(const std::string& line) {
  const auto report = nlohmann::json::parse(line, nullptr, false);
  if (report.is_discarded()) return;
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
  p.fields = report.value("fields", nlohmann::json::object());
  if (!p.fields.is_object()) p.fields = nlohmann::json::object();
}

// Reads reports until every participant waits at a step point or has
// finished. False when end() was called meanwhile.
bool StepControl::wait_until_all_stopped() {
  auto anyone_running = [this] {
    for (const auto& p : participants_)
      if (p.state == Participant::State::Running) return true;
    return false;
  };
  while (anyone_running()) {
    pollfd fds[2] = {{report_read_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, kStepLivenessPollMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (fds[1].revents & POLLIN)) return false;
    if (ready == 0) {
      for (auto& p : participants_)
        if (p.state == Participant::State::Running && p.pid != 0 && step_process_has_ended(p.pid))
          p.state = Participant::State::Finished;
      continue;
    }
    char buffer[4096];
    const ssize_t n = ::read(report_read_.get(), buffer, sizeof buffer);
    if (n <= 0) continue;
    pending_.append(buffer, static_cast<std::size_t>(n));
    for (auto nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n')) {
      read_report(pending_.substr(0, nl));
      pending_.erase(0, nl + 1);
    }
  }
  return true;
}

std::optional<std::size_t> StepControl::resolve(const std::string& token) const {
  if (token.find_first_not_of("0123456789") == std::string::npos) {
    const auto n = std::stoul(token.size() > 6 ? "0" : token);
    if (n >= 1 && n <= participants_.size()) return n - 1;
    return std::nullopt;
  }
  for (std::size_t i = 0; i < participants_.size(); ++i)
    if (participants_[i].name == token) return i;
  return std::nullopt;
}

void StepControl::let_go(std::size_t slot) {
  Participant& p = participants_[slot];
  const std::string acquires = p.fields.value("acquires", "");
  const std::string releases = p.fields.value("releases", "");
  if (!acquires.empty()) holders_.emplace_back(acquires, slot);
  if (!releases.empty())
    std::erase_if(holders_, [&](const auto& h) { return h.first == releases && h.second == slot; });
  p.state = Participant::State::Running;
  ::sem_post(&go_[slot]);
}

void StepControl::free_everyone() {
  free_->store(true);
  // One post each: a waiting participant takes it now; one that read the
  // flag just before it was set takes it at the step it is reporting.
  for (std::size_t i = 0; i < participants_.size(); ++i) ::sem_post(&go_[i]);
}

// `fields` carry position and token; `why` is the English text after them.
void StepControl::fail(const std::string& key, nlohmann::json fields, const std::string& why) {
  const std::string english = "--order, step " + std::to_string(fields.value("position", 0)) + " (" +
                              fields.value("token", "") + "): " + why;
  error_.emplace(key, std::move(fields), english);
}

void StepControl::drive() {
  if (!wait_until_all_stopped()) return;
  std::size_t position = 0;
  for (; position < order_.size(); ++position) {
    const std::string& token = order_[position];
    if (token == "*") break;
    const auto slot = resolve(token);
    nlohmann::json where = {{"position", position + 1}, {"token", token}};
    if (!slot) {
      std::string names;
      for (const auto& p : participants_) names += (names.empty() ? "" : ", ") + p.name;
      where["names"] = names;
      where["count"] = participants_.size();
      fail("step.unknown", where,
           "no process named '" + token + "' takes steps here (" + names + ", or 1.." +
               std::to_string(participants_.size()) + ")");
      break;
    }
    Participant& p = participants_[*slot];
    where["who"] = p.name;
    if (p.state == Participant::State::Finished) {
      fail("step.finished_already", where, p.name + " cannot go: it has already finished");
      mp::events::emit("step.finished_already", where);
      break;
    }
    const std::string acquires = p.fields.value("acquires", "");
    const auto holder = std::find_if(holders_.begin(), holders_.end(), [&](const auto& h) { return h.first == acquires; });
    if (!acquires.empty() && holder != holders_.end()) {
      where["holder"] = participants_[holder->second].name;
      where["lock"] = acquires;
      fail("step.blocked", where, p.name + " cannot go: " + participants_[holder->second].name + " holds the " + acquires);
      mp::events::emit("step.blocked", where);
      break;
    }
    nlohmann::json go = p.fields;
    go.erase("acquires");
    go.erase("releases");
    go.update(where);
    go["point"] = p.point;
    mp::events::emit("step.go", go);
    let_go(*slot);
    if (!wait_until_all_stopped()) return;
  }
  bool anyone_left = false;
  for (const auto& p : participants_) anyone_left = anyone_left || p.state != Participant::State::Finished;
  if (anyone_left && !error_) mp::events::emit("step.free", {{"position", position + 1}});
  free_everyone();
  // Keep draining reports sent in the moment before the flag was seen, so
  // no participant ever blocks on a full pipe.
  for (;;) {
    pollfd fds[2] = {{report_read_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno == EINTR) continue;
    if (fds[1].revents & POLLIN) return;
    char buffer[4096];
    if (::read(report_read_.get(), buffer, sizeof buffer) < 0 && errno != EINTR) return;
  }
}

}  // namespace mpdemo
