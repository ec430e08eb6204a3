// The CPU scheduling simulator of `mpdemo scheduler` (FCFS, SJF, RR, MLFQ:
// the algorithms seed 003 describes; the shape of the OSTEP homework tools).
// Pure logic, no processes and no I/O, so that it can be unit-tested
// (tests/cli/scheduler_test.cpp): it depends on the standard library only.
//
// Time is counted in ticks; one job runs per tick (one CPU). The rules:
//  - jobs that arrive at tick t join the (top) ready queue at the start of
//    tick t, in the order they were given;
//  - FCFS runs the job that arrived first to completion; SJF (non-preemptive)
//    runs the shortest ready job to completion (ties: earlier arrival, then
//    lower id);
//  - RR gives each job `quantum` ticks, then puts it at the end of the queue,
//    behind the jobs that arrived meanwhile;
//  - MLFQ (OSTEP's rules): a higher level always runs first; within a level,
//    round robin; a new job starts at the top; a job that used up its level's
//    quantum (its allotment) moves one level down; every `boost` ticks (if
//    > 0) every job goes back to the top. A job preempted by a higher level
//    goes to the end of its own queue and keeps the time it used there.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace mpdemo::sched {

enum class Policy { Fcfs, Sjf, Rr, Mlfq };

inline const char* policy_name(Policy p) {
  switch (p) {
    case Policy::Fcfs: return "fcfs";
    case Policy::Sjf: return "sjf";
    case Policy::Rr: return "rr";
    case Policy::Mlfq: return "mlfq";
  }
  return "?";
}

struct Job {
  int id = 0;       // 0-based, in the order given
  int length = 1;   // ticks of CPU it needs
  int arrival = 0;  // tick at which it becomes ready
};

struct Params {
  Policy policy = Policy::Fcfs;
  int quantum = 1;          // RR time slice, in ticks
  std::vector<int> quanta;  // MLFQ: time slice per level, top level first
  int boost = 0;            // MLFQ: every `boost` ticks all jobs go to the top (0: never)
};

// A job waiting in a ready queue during a tick.
struct Waiting {
  int job = 0;
  int level = 0;  // MLFQ level (0 = top); 0 for the other policies
};

// What happened in one tick.
struct Tick {
  int time = 0;
  int job = -1;                // the job that ran, -1 = the CPU was idle
  int level = 0;               // its MLFQ level
  int left = 0;                // ticks it still needs after this one
  bool boosted = false;        // MLFQ: every job was moved to the top before this tick
  std::vector<Waiting> ready;  // jobs ready but not running, in queue order (higher levels first)
};

struct JobStats {
  int id = 0, length = 0, arrival = 0;
  int first_run = -1;   // first tick it ran
  int completion = -1;  // tick at whose start it had finished (last tick + 1)
  int ran = 0;          // ticks it ran
  int response() const { return first_run - arrival; }
  int turnaround() const { return completion - arrival; }
  int wait() const { return turnaround() - length; }
};

struct Averages {
  double response = 0, turnaround = 0, wait = 0;
};

struct Result {
  std::vector<Tick> timeline;
  std::vector<JobStats> stats;  // by job id, derived from the timeline
  Averages average;
  int end_time = 0;             // ticks until the last job finished
};

// Per-job figures and their averages, read off the timeline alone (not from
// the simulator's own bookkeeping), so the invariants below test the
// simulation rather than restate it.
inline std::vector<JobStats> stats_from_timeline(const std::vector<Job>& jobs, const std::vector<Tick>& timeline) {
  std::vector<JobStats> stats;
  for (const auto& j : jobs) stats.push_back({j.id, j.length, j.arrival});
  for (const auto& t : timeline) {
    if (t.job < 0) continue;
    auto& s = stats[static_cast<std::size_t>(t.job)];
    if (s.first_run < 0) s.first_run = t.time;
    s.completion = t.time + 1;
    ++s.ran;
  }
  return stats;
}

inline Averages averages(const std::vector<JobStats>& stats) {
  Averages a;
  if (stats.empty()) return a;
  for (const auto& s : stats) {
    a.response += s.response();
    a.turnaround += s.turnaround();
    a.wait += s.wait();
  }
  const auto n = static_cast<double>(stats.size());
  a.response /= n;
  a.turnaround /= n;
  a.wait /= n;
  return a;
}

// Throws std::invalid_argument for jobs or parameters it cannot simulate.
inline void validate(const std::vector<Job>& jobs, const Params& p) {
  if (jobs.empty()) throw std::invalid_argument("no jobs to schedule");
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (jobs[i].id != static_cast<int>(i)) throw std::invalid_argument("job ids must be 0, 1, 2, ... in order");
    if (jobs[i].length < 1) throw std::invalid_argument("job " + std::to_string(i) + ": length must be at least 1");
    if (jobs[i].arrival < 0) throw std::invalid_argument("job " + std::to_string(i) + ": arrival must not be negative");
  }
  if (p.quantum < 1) throw std::invalid_argument("quantum must be at least 1");
  if (p.policy == Policy::Mlfq) {
    if (p.quanta.empty()) throw std::invalid_argument("mlfq needs at least one level");
    for (int q : p.quanta)
      if (q < 1) throw std::invalid_argument("every mlfq quantum must be at least 1");
  }
  if (p.boost < 0) throw std::invalid_argument("boost must not be negative");
}

inline Result simulate(const std::vector<Job>& jobs, const Params& p) {
  validate(jobs, p);
  struct State {
    int remaining = 0;
    int level = 0;
    int used = 0;  // ticks used in the current slice (RR) or at the current level (MLFQ)
  };
  std::vector<State> state(jobs.size());
  for (const auto& j : jobs) state[static_cast<std::size_t>(j.id)].remaining = j.length;
  const std::size_t levels = p.policy == Policy::Mlfq ? p.quanta.size() : 1;
  std::vector<std::deque<int>> queue(levels);
  auto slice_of = [&](int job) {
    if (p.policy == Policy::Rr) return p.quantum;
    if (p.policy == Policy::Mlfq) return p.quanta[static_cast<std::size_t>(state[static_cast<std::size_t>(job)].level)];
    return 0;  // FCFS and SJF never take the CPU away
  };
  auto highest_waiting_level = [&]() {
    for (std::size_t l = 0; l < levels; ++l)
      if (!queue[l].empty()) return static_cast<int>(l);
    return static_cast<int>(levels);
  };

  Result r;
  std::size_t finished = 0;
  int current = -1;
  const int last_arrival = std::max_element(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
                             return a.arrival < b.arrival;
                           })->arrival;
  const int limit = last_arrival + std::accumulate(jobs.begin(), jobs.end(), 0,
                                                   [](int sum, const Job& j) { return sum + j.length; });
  for (int t = 0; finished < jobs.size(); ++t) {
    if (t > limit) throw std::logic_error("scheduler simulation did not finish");
    Tick tick;
    tick.time = t;
    for (const auto& j : jobs)
      if (j.arrival == t) queue[0].push_back(j.id);
    if (p.policy == Policy::Mlfq && p.boost > 0 && t > 0 && t % p.boost == 0) {
      tick.boosted = true;
      for (std::size_t l = 1; l < levels; ++l) {
        for (int job : queue[l]) queue[0].push_back(job);
        queue[l].clear();
      }
      for (auto& s : state) {
        s.level = 0;
        s.used = 0;
      }
    }
    if (current >= 0) {
      auto& s = state[static_cast<std::size_t>(current)];
      const int slice = slice_of(current);
      if (slice > 0 && s.used >= slice) {  // time slice used up
        s.used = 0;
        if (p.policy == Policy::Mlfq) s.level = std::min(s.level + 1, static_cast<int>(levels) - 1);
        queue[static_cast<std::size_t>(s.level)].push_back(current);
        current = -1;
      } else if (p.policy == Policy::Mlfq && highest_waiting_level() < s.level) {  // a higher level is ready
        queue[static_cast<std::size_t>(s.level)].push_back(current);
        current = -1;
      }
    }
    if (current < 0) {
      if (p.policy == Policy::Sjf && !queue[0].empty()) {
        auto shortest = std::min_element(queue[0].begin(), queue[0].end(), [&](int a, int b) {
          const Job& ja = jobs[static_cast<std::size_t>(a)];
          const Job& jb = jobs[static_cast<std::size_t>(b)];
          if (ja.length != jb.length) return ja.length < jb.length;
          if (ja.arrival != jb.arrival) return ja.arrival < jb.arrival;
          return ja.id < jb.id;
        });
        current = *shortest;
        queue[0].erase(shortest);
      } else {
        const int level = highest_waiting_level();
        if (level < static_cast<int>(levels)) {
          current = queue[static_cast<std::size_t>(level)].front();
          queue[static_cast<std::size_t>(level)].pop_front();
        }
      }
    }
    for (std::size_t l = 0; l < levels; ++l)
      for (int job : queue[l]) tick.ready.push_back({job, static_cast<int>(l)});
    if (current >= 0) {
      auto& s = state[static_cast<std::size_t>(current)];
      tick.job = current;
      tick.level = s.level;
      --s.remaining;
      ++s.used;
      tick.left = s.remaining;
      if (s.remaining == 0) {
        ++finished;
        s.used = 0;
        current = -1;
      }
    }
    r.timeline.push_back(std::move(tick));
  }
  r.end_time = static_cast<int>(r.timeline.size());
  r.stats = stats_from_timeline(jobs, r.timeline);
  r.average = averages(r.stats);
  return r;
}

// ---- invariants -------------------------------------------------------------

// Every job ran exactly its length, and never before it arrived.
inline bool every_job_completes(const std::vector<Job>& jobs, const Result& r) {
  for (const auto& j : jobs) {
    const auto& s = r.stats[static_cast<std::size_t>(j.id)];
    if (s.ran != j.length || s.first_run < j.arrival) return false;
  }
  return true;
}

// The CPU was idle only in ticks when no job was ready.
inline bool no_idle_while_ready(const Result& r) {
  for (const auto& t : r.timeline)
    if (t.job < 0 && !t.ready.empty()) return false;
  return true;
}

// Round robin: a job ran more than `quantum` ticks in a row only when no
// other job was waiting at the end of its slice.
inline bool quantum_respected(const Result& r, int quantum) {
  int run = 0;
  for (std::size_t i = 0; i < r.timeline.size(); ++i) {
    const auto& t = r.timeline[i];
    run = (i > 0 && t.job >= 0 && r.timeline[i - 1].job == t.job) ? run + 1 : 1;
    if (t.job >= 0 && run > 1 && (run - 1) % quantum == 0 && !t.ready.empty()) return false;
  }
  return true;
}

// MLFQ rule 1: the running job's level is never below (numerically above)
// the level of a job that waits.
inline bool priority_respected(const Result& r) {
  for (const auto& t : r.timeline)
    for (const auto& w : t.ready)
      if (t.job >= 0 && w.level < t.level) return false;
  return true;
}

inline bool all_arrive_at_start(const std::vector<Job>& jobs) {
  return std::all_of(jobs.begin(), jobs.end(), [](const Job& j) { return j.arrival == 0; });
}

inline int total_work(const std::vector<Job>& jobs) {
  return std::accumulate(jobs.begin(), jobs.end(), 0, [](int sum, const Job& j) { return sum + j.length; });
}

}  // namespace mpdemo::sched
