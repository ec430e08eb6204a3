// mpdemo scheduler through the real binary: question mode hides the
// answers, -c shows them, the same seed gives the same jobs.
#include <catch2/catch.hpp>
#include <string>

#include "support/mpdemo_runner.hpp"

using test::count_kind;
using test::run_json;

TEST_CASE("scheduler: question mode prints the parameters and jobs, not the answers", "[cli][scheduler]") {
  auto r = run_json({"scheduler", "--jobs", "4", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["ok"] == true);
  CHECK(count_kind(r, "scheduler.params") == 1);
  CHECK(count_kind(r, "scheduler.job") == 4);
  CHECK(count_kind(r, "scheduler.question") == 1);
  CHECK(count_kind(r, "scheduler.tick") == 0);
  CHECK(count_kind(r, "scheduler.stats") == 0);
  CHECK_FALSE(r.summary().contains("average"));
  // A hidden answer is neither shown nor ticked, and the run does not claim
  // that every check held.
  CHECK(r.check("sjf_turnaround_not_worse_than_fcfs")["hidden"] == true);
  CHECK(r.check("sjf_turnaround_not_worse_than_fcfs")["value"].is_null());
  auto text = test::run_mpdemo({"scheduler", "--jobs", "4", "--seed", "1", "--lang", "en"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("every check held") == std::string::npos);
  CHECK(text.out.find("rerun with -c") != std::string::npos);
  CHECK(text.out.find("✔ SJF") == std::string::npos);
}

TEST_CASE("scheduler -c: FCFS on 5,3,8 gives the hand-worked answers", "[cli][scheduler]") {
  auto r = run_json({"scheduler", "--jobs-list", "5,3,8", "-c", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["ok"] == true);
  CHECK(s["end_time"] == 16);
  CHECK(s["average"]["turnaround"].get<double>() == Approx(9.67));
  CHECK(s["average"]["response"].get<double>() == Approx(4.33));
  CHECK(count_kind(r, "scheduler.tick") == 16);
  CHECK(count_kind(r, "scheduler.done") == 3);
  CHECK(count_kind(r, "scheduler.compare") == 4);
  for (const auto& e : r.events)
    if (e["kind"] == "scheduler.gantt") CHECK(e["chart"] == "0000011122222222");
  CHECK(r.check("end_time_is_total_work")["ok"] == true);
}

TEST_CASE("scheduler -c: every policy passes its checks", "[cli][scheduler]") {
  const std::string policy = GENERATE("fcfs", "sjf", "rr", "mlfq");
  auto seed = GENERATE(1, 2, 3);
  auto r = run_json({"scheduler", "--policy", policy, "--jobs", "6", "--quantum", "2", "--boost", "9", "-c", "--seed",
                     std::to_string(seed)});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.summary()["ok"] == true);
  CHECK(r.summary()["policy"] == policy);
  if (policy == "rr") CHECK(r.check("quantum_respected")["ok"] == true);
  if (policy == "mlfq") CHECK(count_kind(r, "scheduler.tick_mlfq") > 0);
}

TEST_CASE("scheduler: arrivals, idle ticks and MLFQ boosts are shown", "[cli][scheduler]") {
  auto r = run_json({"scheduler", "--policy", "mlfq", "--jobs-list", "2@3,1", "-c", "--seed", "1"});
  REQUIRE(r.exit_code == 0);
  CHECK(count_kind(r, "scheduler.idle") == 2);
  CHECK(r.check("end_time_is_total_work").is_null());  // not every job arrives at tick 0
  auto b = run_json({"scheduler", "--policy", "mlfq", "--jobs-list", "20,4@5,3@12", "--boost", "10", "-c"});
  REQUIRE(b.exit_code == 0);
  CHECK(count_kind(b, "scheduler.boost") == 2);
  CHECK(b.check("priority_respected")["ok"] == true);
}

TEST_CASE("scheduler: the same seed gives the same jobs", "[cli][scheduler]") {
  auto a = run_json({"scheduler", "--jobs", "8", "--seed", "42"});
  auto b = run_json({"scheduler", "--jobs", "8", "--seed", "42"});
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  CHECK(a.summary()["lengths"] == b.summary()["lengths"]);
  bool some_differ = false;
  for (int seed = 1; seed <= 5; ++seed)
    some_differ = some_differ ||
                  run_json({"scheduler", "--jobs", "8", "--seed", std::to_string(seed)}).summary()["lengths"] !=
                      a.summary()["lengths"];
  CHECK(some_differ);
  for (int length : a.summary()["lengths"]) {
    CHECK(length >= 1);
    CHECK(length <= 10);
  }
}

TEST_CASE("scheduler: bad job lists and parameters exit 2", "[cli][scheduler][errors]") {
  auto list = test::run_mpdemo({"scheduler", "--jobs-list", "5,x,3"});
  CHECK(list.exit_code == 2);
  CHECK(list.err.find("--jobs-list") != std::string::npos);
  CHECK(list.err.find("'x'") != std::string::npos);
  CHECK(test::run_mpdemo({"scheduler", "--jobs-list", "0"}).exit_code == 2);
  CHECK(test::run_mpdemo({"scheduler", "--policy", "lottery"}).exit_code == 2);
  auto levels = test::run_mpdemo({"scheduler", "--policy", "mlfq", "--quanta", "1,2", "--levels", "3"});
  CHECK(levels.exit_code == 2);
  CHECK(levels.err.find("--quanta") != std::string::npos);
}
