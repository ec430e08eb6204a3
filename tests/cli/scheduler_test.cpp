// The scheduling simulator (scenarios/scheduler_sim.hpp), unit-tested on its
// own: hand-worked examples, invariants over many random job sets, and
// invariant checks that do fail on broken timelines.
#include <catch2/catch.hpp>
#include <random>
#include <stdexcept>
#include <vector>

#include "../../scenarios/scheduler_sim.hpp"

using namespace mpdemo::sched;

namespace {

std::vector<Job> jobs_of(std::vector<std::pair<int, int>> length_arrival) {
  std::vector<Job> jobs;
  for (auto [length, arrival] : length_arrival) jobs.push_back({static_cast<int>(jobs.size()), length, arrival});
  return jobs;
}

std::vector<Job> at_zero(std::vector<int> lengths) {
  std::vector<Job> jobs;
  for (int l : lengths) jobs.push_back({static_cast<int>(jobs.size()), l, 0});
  return jobs;
}

Params policy(Policy p, int quantum = 1, std::vector<int> quanta = {1, 2, 4}, int boost = 0) {
  return Params{p, quantum, std::move(quanta), boost};
}

std::vector<int> completions(const Result& r) {
  std::vector<int> c;
  for (const auto& s : r.stats) c.push_back(s.completion);
  return c;
}

std::vector<int> responses(const Result& r) {
  std::vector<int> c;
  for (const auto& s : r.stats) c.push_back(s.response());
  return c;
}

std::string chart(const Result& r) {
  std::string c;
  for (const auto& t : r.timeline) c += t.job < 0 ? '.' : static_cast<char>('0' + t.job);
  return c;
}

}  // namespace

TEST_CASE("FCFS on 5,3,8: in order, convoy behind the first job", "[scheduler]") {
  auto r = simulate(at_zero({5, 3, 8}), policy(Policy::Fcfs));
  CHECK(chart(r) == "0000011122222222");
  CHECK(completions(r) == std::vector<int>{5, 8, 16});
  CHECK(responses(r) == std::vector<int>{0, 5, 8});
  CHECK(r.average.turnaround == Approx(29.0 / 3));
  CHECK(r.average.wait == Approx(13.0 / 3));
  CHECK(r.end_time == 16);
}

TEST_CASE("SJF on 5,3,8: shortest first", "[scheduler]") {
  auto r = simulate(at_zero({5, 3, 8}), policy(Policy::Sjf));
  CHECK(chart(r) == "1110000022222222");
  CHECK(completions(r) == std::vector<int>{8, 3, 16});
  CHECK(r.average.turnaround == Approx(27.0 / 3));
  CHECK(responses(r) == std::vector<int>{3, 0, 8});
}

TEST_CASE("SJF breaks ties by arrival, then id", "[scheduler]") {
  auto r = simulate(at_zero({4, 2, 2}), policy(Policy::Sjf));
  CHECK(chart(r) == "11220000");
}

TEST_CASE("RR on 5,3,8 with quantum 1 and 2", "[scheduler]") {
  auto q1 = simulate(at_zero({5, 3, 8}), policy(Policy::Rr, 1));
  CHECK(chart(q1) == "0120120120202222");
  CHECK(completions(q1) == std::vector<int>{12, 8, 16});
  CHECK(responses(q1) == std::vector<int>{0, 1, 2});
  auto q2 = simulate(at_zero({5, 3, 8}), policy(Policy::Rr, 2));
  CHECK(chart(q2) == "0011220012202222");
  CHECK(completions(q2) == std::vector<int>{12, 9, 16});
  CHECK(responses(q2) == std::vector<int>{0, 2, 4});
}

TEST_CASE("RR: a job arriving at a slice boundary goes before the preempted job", "[scheduler]") {
  auto r = simulate(jobs_of({{4, 0}, {1, 2}}), policy(Policy::Rr, 2));
  CHECK(chart(r) == "00100");
}

TEST_CASE("an idle CPU waits for the first arrival", "[scheduler]") {
  auto r = simulate(jobs_of({{2, 3}, {1, 0}}), policy(Policy::Fcfs));
  CHECK(chart(r) == "1..00");
  CHECK(no_idle_while_ready(r));
  CHECK(every_job_completes(jobs_of({{2, 3}, {1, 0}}), r));
  CHECK(r.stats[0].response() == 0);
}

TEST_CASE("MLFQ: jobs sink a level when they use up their slice", "[scheduler]") {
  auto r = simulate(at_zero({3, 3}), policy(Policy::Mlfq, 1, {1, 2, 4}));
  CHECK(chart(r) == "010011");
  std::vector<int> levels;
  for (const auto& t : r.timeline) levels.push_back(t.level);
  CHECK(levels == std::vector<int>{0, 0, 1, 1, 1, 1});
  CHECK(completions(r) == std::vector<int>{4, 6});
}

TEST_CASE("MLFQ: a new job at the top preempts a job below", "[scheduler]") {
  auto jobs = jobs_of({{6, 0}, {2, 3}});
  auto r = simulate(jobs, policy(Policy::Mlfq, 1, {1, 2, 4}));
  CHECK(chart(r) == "00011000");
  CHECK(r.timeline[3].level == 0);
  CHECK(r.timeline[5].level == 2);
  CHECK(completions(r) == std::vector<int>{8, 5});
  CHECK(priority_respected(r));
}

TEST_CASE("MLFQ: the boost lifts a sunk job back to the top", "[scheduler]") {
  auto r = simulate(at_zero({10}), policy(Policy::Mlfq, 1, {1, 2, 4}, 3));
  CHECK(r.timeline[2].level == 1);
  CHECK(r.timeline[3].boosted);
  CHECK(r.timeline[3].level == 0);
  CHECK(r.timeline[6].boosted);
  CHECK(r.timeline[6].level == 0);
  CHECK_FALSE(r.timeline[4].boosted);
}

TEST_CASE("invariants hold for random job sets under every policy", "[scheduler]") {
  auto seed = GENERATE(range(1, 41));
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::uniform_int_distribution<int> count(1, 8), length(1, 12), arrival(0, 10);
  std::vector<Job> together, staggered;
  const int n = count(rng);
  for (int i = 0; i < n; ++i) {
    int l = length(rng);
    together.push_back({i, l, 0});
    staggered.push_back({i, l, arrival(rng)});
  }
  const int quantum = 1 + seed % 3;
  for (Policy p : {Policy::Fcfs, Policy::Sjf, Policy::Rr, Policy::Mlfq}) {
    Params params = policy(p, quantum, {quantum, 2 * quantum, 4 * quantum}, seed % 2 ? 0 : 7);
    for (const auto* jobs : {&together, &staggered}) {
      auto r = simulate(*jobs, params);
      INFO("seed " << seed << " policy " << policy_name(p));
      CHECK(every_job_completes(*jobs, r));
      CHECK(no_idle_while_ready(r));
      if (p == Policy::Rr) CHECK(quantum_respected(r, quantum));
      if (p == Policy::Mlfq) CHECK(priority_respected(r));
    }
    CHECK(simulate(together, params).end_time == total_work(together));
  }
  auto fcfs = simulate(together, policy(Policy::Fcfs));
  auto sjf = simulate(together, policy(Policy::Sjf));
  auto rr = simulate(together, policy(Policy::Rr, quantum));
  auto mlfq = simulate(together, policy(Policy::Mlfq, quantum, {quantum, 2 * quantum}));
  CHECK(sjf.average.turnaround <= fcfs.average.turnaround + 1e-9);
  CHECK(rr.average.response <= fcfs.average.response + 1e-9);
  CHECK(mlfq.average.response <= fcfs.average.response + 1e-9);
}

TEST_CASE("the invariant checks catch broken timelines", "[scheduler]") {
  auto jobs = at_zero({2, 2});
  Result idle;
  idle.timeline = {Tick{0, -1, 0, 0, false, {{0, 0}, {1, 0}}}};
  CHECK_FALSE(no_idle_while_ready(idle));

  Result hog;  // job 0 runs 3 ticks with quantum 1 while job 1 waits
  for (int t = 0; t < 3; ++t) hog.timeline.push_back(Tick{t, 0, 0, 2 - t, false, {{1, 0}}});
  CHECK_FALSE(quantum_respected(hog, 1));
  CHECK(quantum_respected(hog, 3));

  Result inverted;  // a level-1 job runs while a level-0 job waits
  inverted.timeline = {Tick{0, 0, 1, 1, false, {{1, 0}}}};
  CHECK_FALSE(priority_respected(inverted));

  Result short_run;
  short_run.timeline = {Tick{0, 0, 0, 1, false, {}}, Tick{1, 1, 0, 1, false, {}}, Tick{2, 1, 0, 0, false, {}}};
  short_run.stats = stats_from_timeline(jobs, short_run.timeline);
  CHECK_FALSE(every_job_completes(jobs, short_run));
}

TEST_CASE("the simulator refuses what it cannot simulate", "[scheduler]") {
  CHECK_THROWS_AS(simulate({}, policy(Policy::Fcfs)), std::invalid_argument);
  CHECK_THROWS_AS(simulate(at_zero({0}), policy(Policy::Fcfs)), std::invalid_argument);
  CHECK_THROWS_AS(simulate(at_zero({3}), policy(Policy::Rr, 0)), std::invalid_argument);
  CHECK_THROWS_AS(simulate(at_zero({3}), policy(Policy::Mlfq, 1, {})), std::invalid_argument);
  CHECK_THROWS_AS(simulate(jobs_of({{3, -1}}), policy(Policy::Fcfs)), std::invalid_argument);
}
