// mp::events: every event carries its header (t, pid, ppid, name, kind), a
// field cannot replace the header, and an event always fits one atomic write.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <limits.h>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "mp/events.hpp"
#include "mp/process.hpp"
#include "support/event_capture.hpp"
#include "support/proc_watch.hpp"

TEST_CASE("an event carries its header and its fields", "[core][events]") {
  test::EventCapture capture;
  mp::events::emit("demo.hello", {{"count", 3}, {"text", "hi"}});
  auto events = capture.drain();
  REQUIRE(events.size() == 1);
  const auto& e = events[0];
  CHECK(e["kind"] == "demo.hello");
  CHECK(e["pid"] == ::getpid());
  CHECK(e["ppid"] == ::getppid());
  CHECK(e["name"] == mp::current_process().name);
  CHECK(e["t"].get<double>() >= 0.0);
  CHECK(e["count"] == 3);
  CHECK(e["text"] == "hi");
}

TEST_CASE("a field named like a header field is refused", "[core][events]") {
  test::EventCapture capture;
  for (const char* reserved : {"t", "pid", "ppid", "name", "kind"}) {
    CAPTURE(reserved);
    CHECK_THROWS_AS(mp::events::emit("demo.clash", {{reserved, 1}}), std::invalid_argument);
  }
  CHECK(capture.drain().empty());  // nothing half-sent
}

TEST_CASE("a child's event reaches the channel with the child's pid", "[core][events]") {
  test::EventCapture capture;
  mp::Process child([] { mp::events::emit("demo.from_child", {{"n", 1}}); });
  child.start();
  const pid_t child_pid = child.pid();
  REQUIRE(test::join_one(child));
  CHECK(child.exitcode() == 0);
  auto events = capture.drain();
  REQUIRE(events.size() == 1);
  CHECK(events[0]["pid"] == child_pid);
  CHECK(events[0]["ppid"] == ::getpid());
}

TEST_CASE("an oversized event is cut to fit one atomic pipe write", "[core][events]") {
  nlohmann::json big = {{"kind", "demo.big"}, {"small", "kept"}, {"huge", std::string(3 * PIPE_BUF, 'x')}};
  std::string line = mp::events::encode(big);
  CHECK(line.size() <= mp::events::kMaxEventBytes);
  CHECK(line.size() <= PIPE_BUF);
  auto back = nlohmann::json::parse(line);
  CHECK(back["truncated"] == true);
  CHECK(back["small"] == "kept");
  CHECK(back["kind"] == "demo.big");
}
