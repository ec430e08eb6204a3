// mpdemo print-lock through the real binary: interleaving without
// coordination, serial runs with --join and --lock.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "support/mpdemo_runner.hpp"

using test::run_json;

namespace {

std::vector<int> sorted(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The start/done events in the order the main process received them.
std::vector<std::pair<std::string, std::string>> print_events(const test::RunResult& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& e : r.events) {
    const std::string kind = e.value("kind", "");
    if (kind == "print-lock.start" || kind == "print-lock.done") out.emplace_back(kind, e.value("name", ""));
  }
  return out;
}

}  // namespace

TEST_CASE("print-lock without coordination: tasks print at the same time", "[cli][print-lock]") {
  auto seed = GENERATE(1, 2, 3);
  auto r = run_json({"print-lock", "--speed", "0.05", "--seed", std::to_string(seed)});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["mode"] == "none");
  CHECK(s["overlaps"].get<int>() > 0);
  CHECK(r.check("interleaving_observed")["ok"] == true);
  CHECK(r.check("every_task_finished")["ok"] == true);
  CHECK(sorted(s["order"].get<std::vector<int>>()) == std::vector<int>{1, 2, 3});
  // Running at once, the tasks take about the longest job, well under the sum.
  CHECK(s["span"].get<double>() < s["work_sum"].get<double>());
  CHECK(print_events(r).size() == 6);
}

TEST_CASE("print-lock --join: serial, in the parent's order", "[cli][print-lock]") {
  auto r = run_json({"print-lock", "--join", "--tasks", "4", "--speed", "0.02", "--seed", "5"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["overlaps"] == 0);
  CHECK(s["order"] == std::vector<int>{1, 2, 3, 4});
  CHECK(r.check("order_fixed_by_parent")["ok"] == true);
  CHECK(s["span"].get<double>() >= s["work_sum"].get<double>());
  // Events alternate start/done and follow Task-1, Task-2, ...
  auto events = print_events(r);
  REQUIRE(events.size() == 8);
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].first == (i % 2 == 0 ? "print-lock.start" : "print-lock.done"));
    CHECK(events[i].second == "Task-" + std::to_string(i / 2 + 1));
  }
}

TEST_CASE("print-lock --lock: serial, in the order the lock was taken", "[cli][print-lock]") {
  auto tasks = GENERATE(3, 6);
  auto seed = GENERATE(1, 7);
  auto r = run_json({"print-lock", "--lock", "--tasks", std::to_string(tasks), "--speed", "0.02", "--seed",
                     std::to_string(seed)});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["overlaps"] == 0);
  CHECK(r.check("no_interleaving")["ok"] == true);
  std::vector<int> all(static_cast<std::size_t>(tasks));
  for (int i = 0; i < tasks; ++i) all[static_cast<std::size_t>(i)] = i + 1;
  const auto order = s["order"].get<std::vector<int>>();
  CHECK(sorted(order) == all);
  // A task emits "done" before it releases and the next emits "start" after
  // acquiring, so the received events alternate and follow the lock order.
  auto events = print_events(r);
  REQUIRE(events.size() == static_cast<std::size_t>(2 * tasks));
  for (std::size_t i = 0; i < events.size(); i += 2) {
    CHECK(events[i].first == "print-lock.start");
    CHECK(events[i + 1].first == "print-lock.done");
    CHECK(events[i].second == events[i + 1].second);
    CHECK(events[i].second == "Task-" + std::to_string(order[i / 2]));
  }
}

TEST_CASE("print-lock: --join and --lock exclude each other and bad ranges exit 2", "[cli][print-lock][errors]") {
  auto both = test::run_mpdemo({"print-lock", "--join", "--lock"});
  CHECK(both.exit_code == 2);
  auto range = test::run_mpdemo({"print-lock", "--work-min", "3", "--work-max", "1", "--speed", "0"});
  CHECK(range.exit_code == 2);
  CHECK(range.err.find("--work-min") != std::string::npos);
}

TEST_CASE("print-lock without --join or --lock never says the parent's code set the order", "[cli][print-lock][verdict]") {
  auto r = run_json({"print-lock", "--speed", "0", "--seed", "1"});
  INFO(r.err);
  CHECK(test::count_kind(r, "print-lock.verdict_serial") == 0);
  CHECK(test::count_kind(r, "print-lock.verdict_lock_order") == 0);
  CHECK(test::count_kind(r, "print-lock.verdict_interleaved") + test::count_kind(r, "print-lock.verdict_no_overlap_speed0") ==
        1);
  auto one = run_json({"print-lock", "--tasks", "1", "--speed", "0.01", "--seed", "1"});
  INFO(one.err);
  CHECK(one.exit_code == 0);
  CHECK(test::count_kind(one, "print-lock.verdict_one_task") == 1);
}
