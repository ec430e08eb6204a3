#include "step_screen.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "console_layout.hpp"
#include "mp/events.hpp"
#include "step_text.hpp"

namespace mpdemo {
namespace {

constexpr const char* kBoardKind = "step.board";

std::string step_answer_trimmed(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

std::string step_padded(const std::string& text, int width) {
  return text + std::string(static_cast<std::size_t>(std::max(0, width - display_width(text))), ' ');
}

// Waits until `fd` is readable; false when `stop_fd` is first.
bool step_readable_before_stop(int fd, int stop_fd) {
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) return false;
    if (fds[0].revents) return true;
  }
}

}  // namespace

// Passes every event to the console; the board's event is drawn instead,
// once the console has written out everything before it.
class StepScreen::BoardRenderer final : public Renderer {
 public:
  BoardRenderer(StepScreen& screen, Renderer& console) : screen_(screen), console_(console) {}
  void event(const nlohmann::json& e) override {
    if (e.value("kind", "") != kBoardKind) {
      console_.event(e);
      return;
    }
    console_.flush();
    screen_.draw(screen_.shown_board());
    const char drawn = 'd';
    (void)!::write(screen_.drawn_write_.get(), &drawn, 1);
  }
  void summary(const nlohmann::json& s) override { console_.summary(s); }
  void flush() override { console_.flush(); }
  void idle() override { console_.idle(); }

 private:
  StepScreen& screen_;
  Renderer& console_;
};

StepScreen::StepScreen(const Catalog& catalog, std::string scenario, std::uint64_t seed, int in_fd, int out_fd)
    : catalog_(catalog), scenario_(std::move(scenario)), random_(seed), in_fd_(in_fd), out_fd_(out_fd) {
  std::tie(drawn_read_, drawn_write_) = mp::make_pipe();
}

std::unique_ptr<Renderer> StepScreen::in_front_of(Renderer& console) {
  return std::make_unique<BoardRenderer>(*this, console);
}

nlohmann::json StepScreen::shown_board() const {
  std::lock_guard guard(board_mutex_);
  return board_;
}

void StepScreen::say(const std::string& text) const { mp::write_all(out_fd_, text.data(), text.size()); }

void StepScreen::draw(const nlohmann::json& board) const {
  std::string out = "\n" + catalog_.text("step.screen.title", {{"position", board.value("position", 0)}}) + "\n";
  int name_width = 0, state_width = 0;
  for (const auto& p : board["processes"]) {
    name_width = std::max(name_width, display_width(p.value("name", "")));
    state_width = std::max(state_width, display_width(catalog_.text("step.screen." + p.value("state", ""))));
  }
  for (const auto& p : board["processes"]) {
    nlohmann::json merged = p;
    if (p.contains("why")) merged.update(p["why"]);
    const nlohmann::json texts = with_step_texts(catalog_, merged);
    const std::string state = p.value("state", "");
    std::string line = "  " + step_padded(std::to_string(p.value("index", 0)), 3) + step_padded(p.value("name", ""), name_width) +
                       "  " + step_padded(catalog_.text("step.screen." + state), state_width);
    if (state != "finished") line += "  " + catalog_.text("step.screen.next", texts);
    if (state == "blocked") line += "  " + catalog_.text("step.screen.because", texts);
    out += line + "\n";
  }
  // The shared things as the driver knows them, then the scenario's state.
  std::vector<std::string> things;
  const nlohmann::json& model = board["things"];
  for (const auto& [name, held] : model["locks"].items())
    things.push_back(catalog_.text("step.screen.lock_held", {{"thing_text", thing_text(catalog_, name)},
                                                              {"holder", held.value("holder", "?")},
                                                              {"depth", held.value("depth", 1)}}));
  for (const auto& [name, n] : model["counters"].items())
    things.push_back(catalog_.text("step.screen.counter", {{"thing_text", thing_text(catalog_, name)}, {"value", n}}));
  for (const auto& [name, set] : model["events"].items())
    things.push_back(catalog_.text(set.get<bool>() ? "step.screen.event_set" : "step.screen.event_clear",
                                   {{"thing_text", thing_text(catalog_, name)}}));
  if (board.contains("state") && board["state"].is_object() && catalog_.has("step.state." + scenario_))
    things.push_back(catalog_.text("step.state." + scenario_, board["state"]));
  if (!things.empty()) {
    std::string line;
    for (const auto& t : things) line += (line.empty() ? "  " : "  ·  ") + t;
    out += line + "\n";
  }
  if (board.contains("deadlock")) {
    const nlohmann::json texts = with_step_texts(catalog_, board["deadlock"]);
    const bool cycle = !texts.value("cycle_text", "").empty();
    out += catalog_.text(cycle ? "step.screen.deadlock" : "step.screen.stuck", texts) + "\n";
  }
  say(out);
}

bool StepScreen::wait_drawn(int stop_fd) const {
  if (!step_readable_before_stop(drawn_read_.get(), stop_fd)) return false;
  char drawn;
  return ::read(drawn_read_.get(), &drawn, 1) == 1;
}

std::optional<std::string> StepScreen::read_line(int stop_fd) {
  for (;;) {
    const auto newline = typed_.find('\n');
    if (newline != std::string::npos) {
      std::string line = typed_.substr(0, newline);
      typed_.erase(0, newline + 1);
      return line;
    }
    if (!step_readable_before_stop(in_fd_, stop_fd)) return std::nullopt;
    char buffer[256];
    const ssize_t n = ::read(in_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // the terminal is gone: nobody will answer
      input_closed_ = true;
      return std::nullopt;
    }
    typed_.append(buffer, static_cast<std::size_t>(n));
  }
}

StepChooser::Choice StepScreen::choose(const nlohmann::json& board, int stop_fd) {
  using Kind = Choice::Kind;
  // The board itself stays here (an event is at most 4 KB; a board of many
  // processes is more): the event only says "draw it now".
  {
    std::lock_guard guard(board_mutex_);
    board_ = board;
  }
  mp::events::emit(kBoardKind);
  if (!wait_drawn(stop_fd)) return {Kind::Free};
  const bool stuck = board.contains("deadlock");
  const auto& processes = board["processes"];
  for (;;) {
    say(catalog_.text(stuck ? "step.screen.prompt_stuck" : "step.screen.prompt") + " ");
    const auto line = read_line(stop_fd);
    if (!line) return {input_closed_ ? Kind::Quit : Kind::Free};
    const std::string answer = step_answer_trimmed(*line);
    if (answer == "q") return {Kind::Quit};
    if (answer == "r") return {Kind::Free};
    if (answer.empty()) {
      std::vector<std::size_t> ready;
      for (std::size_t i = 0; i < processes.size(); ++i)
        if (processes[i].value("state", "") == "ready") ready.push_back(i);
      if (ready.empty()) continue;  // nobody can move: only r and q
      return {Kind::Go, ready[std::uniform_int_distribution<std::size_t>(0, ready.size() - 1)(random_)]};
    }
    std::optional<std::size_t> slot;
    for (std::size_t i = 0; i < processes.size(); ++i)
      if (answer == std::to_string(i + 1) || answer == processes[i].value("name", "")) slot = i;
    if (!slot) {
      say(catalog_.text("step.screen.unknown", {{"answer", answer}, {"count", processes.size()}}) + "\n");
      continue;
    }
    const nlohmann::json& p = processes[*slot];
    const std::string state = p.value("state", "");
    if (state == "ready") return {Kind::Go, *slot};
    if (state == "finished") {
      say(catalog_.text("step.screen.has_finished", {{"who", p.value("name", "")}}) + "\n");
      continue;
    }
    nlohmann::json merged = p;
    merged["who"] = p.value("name", "");
    if (p.contains("why")) merged.update(p["why"]);
    say(catalog_.text("step.screen.cannot_go", with_step_texts(catalog_, merged)) + "\n");
  }
}

}  // namespace mpdemo
