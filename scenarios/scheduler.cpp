// scheduler: the CPU scheduling algorithms of seed 003 (FCFS, SJF, round
// robin, multi-level feedback queue) as a simulator, in the manner of the
// OSTEP homework tools: every run prints its resolved parameters first (so
// it can be rerun with the same --seed), asks the question by default, and
// shows the answers with -c.
//
// Nothing here runs real processes: the jobs are numbers (ticks of CPU
// each) and the simulation is scheduler_sim.hpp. With -c the run shows one
// line per tick (which job runs, who waits), each job's response, turnaround
// and wait time, their averages, a Gantt chart, and the averages of all four
// policies on the same jobs.
//
// Try:  mpdemo scheduler --policy fcfs --jobs 3 --seed 1        (work it out)
//       mpdemo scheduler --policy fcfs --jobs 3 --seed 1 -c     (check)
//       mpdemo scheduler --policy rr --quantum 2 --jobs-list 5,3,8 -c
//       mpdemo scheduler --policy mlfq --jobs-list 20,4@5,3@12 --boost 10 -c
// Watch for: SJF's short jobs finishing first; RR's short response times and
// long turnarounds; MLFQ moving long jobs down and boosting them back up.
#include <CLI/CLI.hpp>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "scheduler_sim.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

using sched::Policy;

struct SchedulerOptions {
  std::string policy_word = "fcfs";  // --policy as typed (shown in the "rerun with" line)
  Policy policy = Policy::Fcfs;      // set from policy_word when the run starts
  int jobs = 3;            // generated jobs (OSTEP's default)
  int max_length = 10;     // generated lengths are 1..max_length ticks
  std::string jobs_list;   // "5,3,8" or "5,3@2,8@4" (length@arrival): overrides --jobs/--max-length
  int quantum = 1;         // RR slice; MLFQ's top-level slice unless --quanta
  int levels = 3;          // MLFQ queues
  std::string quanta;      // MLFQ slice per level, top first, e.g. "1,2,4"
  int boost = 0;           // MLFQ: every B ticks all jobs back to the top (0: never)
  bool compute = false;    // -c: show the answers
  bool levels_given = false;  // --levels was on the command line (else --quanta decides)
};

// At most this many per-tick lines; the rest of a long run is summed up.
constexpr int kMaxTickEvents = 1000;

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) parts.push_back(part);
  return parts;
}

// A whole non-negative number, or nullopt.
std::optional<int> parse_count(const std::string& text) {
  if (text.empty() || text.size() > 6) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  return std::stoi(text);
}

std::vector<sched::Job> jobs_from_list(const std::string& list) {
  std::vector<sched::Job> jobs;
  for (const auto& item : split_commas(list)) {
    const auto at = item.find('@');
    auto length = parse_count(item.substr(0, at));
    auto arrival = at == std::string::npos ? std::optional<int>(0) : parse_count(item.substr(at + 1));
    if (!length || !arrival || *length < 1)
      throw UsageError("scheduler.not_a_job", {{"item", item}});
    jobs.push_back({static_cast<int>(jobs.size()), *length, *arrival});
  }
  if (jobs.empty()) throw UsageError("scheduler.no_jobs");
  if (jobs.size() > 100) throw UsageError("scheduler.too_many_jobs", {{"max", 100}});
  return jobs;
}

std::vector<sched::Job> generated_jobs(const SchedulerOptions& o, const Context& ctx) {
  Rng rng = ctx.rng(0);
  std::vector<sched::Job> jobs;
  for (int i = 0; i < o.jobs; ++i) jobs.push_back({i, static_cast<int>(rng.integer(1, o.max_length)), 0});
  return jobs;
}

std::vector<int> mlfq_quanta(const SchedulerOptions& o) {
  if (!o.quanta.empty()) {
    std::vector<int> q;
    for (const auto& item : split_commas(o.quanta)) {
      auto n = parse_count(item);
      if (!n || *n < 1) throw UsageError("scheduler.not_a_quantum", {{"item", item}});
      q.push_back(*n);
    }
    return q;
  }
  // Lower levels get longer slices: long jobs that sink are switched less often.
  std::vector<int> q;
  for (int l = 0; l < o.levels; ++l) q.push_back(o.quantum << l);
  return q;
}

sched::Params params_for(Policy policy, const SchedulerOptions& o) {
  sched::Params p;
  p.policy = policy;
  p.quantum = o.quantum;
  p.quanta = mlfq_quanta(o);
  p.boost = o.boost;
  return p;
}

// One character per job on the Gantt chart: 0-9, then a-z, A-Z.
char job_char(int id) {
  static constexpr char kChars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  return id >= 0 && id < 62 ? kChars[id] : '*';
}

std::string gantt(const sched::Result& r) {
  std::string chart;
  for (const auto& t : r.timeline) chart += t.job < 0 ? '.' : job_char(t.job);
  return chart;
}

std::string ready_text(const sched::Tick& t, bool with_levels) {
  if (t.ready.empty()) return "-";
  std::string text;
  for (const auto& w : t.ready) {
    if (!text.empty()) text += ' ';
    text += std::to_string(w.job);
    if (with_levels) text += "@L" + std::to_string(w.level);
  }
  return text;
}

double round2(double x) { return std::round(x * 100) / 100; }

json averages_json(const sched::Averages& a) {
  return {{"response", round2(a.response)}, {"turnaround", round2(a.turnaround)}, {"wait", round2(a.wait)}};
}

void emit_answers(const Context& ctx, const sched::Result& r, Policy policy) {
  const bool mlfq = policy == Policy::Mlfq;
  int shown = 0;
  for (const auto& t : r.timeline) {
    if (shown++ == kMaxTickEvents) {
      ctx.emit("scheduler.ticks_cut", {{"shown", kMaxTickEvents}, {"total", r.timeline.size()}});
      break;
    }
    if (t.boosted) ctx.emit("scheduler.boost", {{"tick", t.time}});
    if (t.job < 0) {
      ctx.emit("scheduler.idle", {{"tick", t.time}});
      continue;
    }
    json fields = {{"tick", t.time}, {"job", t.job}, {"left", t.left}, {"ready", ready_text(t, mlfq)}};
    if (mlfq) fields["level"] = t.level;
    ctx.emit(mlfq ? "scheduler.tick_mlfq" : "scheduler.tick", fields);
    if (t.left == 0) ctx.emit("scheduler.done", {{"job", t.job}, {"end", t.time + 1}});
  }
  ctx.emit("scheduler.gantt", {{"chart", gantt(r)}});
  ctx.emit("scheduler.stats_head");
  for (const auto& s : r.stats)
    ctx.emit("scheduler.stats", {{"job", s.id}, {"length", s.length}, {"arrival", s.arrival},
                                 {"response", s.response()}, {"turnaround", s.turnaround()}, {"wait", s.wait()}});
  json avg = averages_json(r.average);
  ctx.emit("scheduler.average", avg);
}

Summary run_scheduler(const SchedulerOptions& o, Context& ctx) {
  const std::vector<sched::Job> jobs = o.jobs_list.empty() ? generated_jobs(o, ctx) : jobs_from_list(o.jobs_list);
  const sched::Params params = params_for(o.policy, o);
  if (o.policy == Policy::Mlfq && !o.quanta.empty() && o.levels_given &&
      static_cast<int>(params.quanta.size()) != o.levels)
    throw UsageError("scheduler.quanta_levels_differ", {{"quanta", params.quanta.size()}, {"levels", o.levels}});

  std::string quanta_text;
  for (int q : params.quanta) quanta_text += (quanta_text.empty() ? "" : ",") + std::to_string(q);
  json resolved = {{"policy", sched::policy_name(o.policy)}, {"compute", o.compute}};
  if (o.jobs_list.empty()) {
    resolved["jobs"] = o.jobs;
    resolved["max_length"] = o.max_length;
  } else {
    resolved["jobs_list"] = o.jobs_list;
  }
  if (o.policy == Policy::Rr) resolved["quantum"] = o.quantum;
  if (o.policy == Policy::Mlfq) {
    resolved["levels"] = params.quanta.size();
    resolved["quanta"] = quanta_text;
    resolved["boost"] = o.boost;
  }
  std::string resolved_text;
  for (auto& [key, value] : resolved.items())
    resolved_text += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump()) + "  ";
  ctx.emit("scheduler.params", {{"params", resolved_text}, {"resolved", resolved}});
  for (const auto& j : jobs) ctx.emit("scheduler.job", {{"job", j.id}, {"length", j.length}, {"arrival", j.arrival}});

  // Every policy on the same jobs: the chosen one, and the others to compare.
  std::map<Policy, sched::Result> results;
  for (Policy p : {Policy::Fcfs, Policy::Sjf, Policy::Rr, Policy::Mlfq}) results[p] = sched::simulate(jobs, params_for(p, o));
  const sched::Result& r = results[o.policy];

  if (o.compute) {
    emit_answers(ctx, r, o.policy);
    for (const auto& [p, res] : results) {
      json fields = averages_json(res.average);
      fields["policy"] = sched::policy_name(p);
      fields["chart"] = gantt(res);
      ctx.emit("scheduler.compare", fields);
    }
  } else {
    ctx.emit("scheduler.question", {{"policy", sched::policy_name(o.policy)}});
  }

  Summary s;
  const int work = sched::total_work(jobs);
  const bool together = sched::all_arrive_at_start(jobs);
  // The numbers are the answers: in question mode they stay hidden, and so
  // does whether they held (a tick would give the answer away).
  auto check_answer = [&](std::string name, bool ok, json value, json expected) {
    if (o.compute) s.check(std::move(name), ok, std::move(value), std::move(expected));
    else s.hidden_check(std::move(name), ok, std::move(expected));
  };

  s.figures = {{"policy", sched::policy_name(o.policy)}, {"jobs", jobs.size()}, {"total_work", work}};
  json lengths = json::array();
  for (const auto& j : jobs) lengths.push_back(j.length);
  s.figures["lengths"] = lengths;
  if (o.compute) {
    s.figures["end_time"] = r.end_time;
    s.figures["average"] = averages_json(r.average);
    json per_job = json::array();
    for (const auto& st : r.stats)
      per_job.push_back({{"job", st.id}, {"response", st.response()}, {"turnaround", st.turnaround()}, {"wait", st.wait()}});
    s.figures["per_job"] = per_job;
  }
  int completed = 0;
  for (const auto& st : r.stats) completed += st.ran == st.length ? 1 : 0;
  s.check("every_job_completes", sched::every_job_completes(jobs, r), completed, jobs.size());
  s.check("no_idle_while_ready", sched::no_idle_while_ready(r), sched::no_idle_while_ready(r), true);
  if (together) check_answer("end_time_is_total_work", r.end_time == work, r.end_time, work);
  if (o.policy == Policy::Rr) s.check("quantum_respected", sched::quantum_respected(r, o.quantum), sched::quantum_respected(r, o.quantum), true);
  if (o.policy == Policy::Mlfq) s.check("priority_respected", sched::priority_respected(r), sched::priority_respected(r), true);
  if (together) {
    const auto& fcfs = results[Policy::Fcfs].average;
    const auto& sjf = results[Policy::Sjf].average;
    check_answer("sjf_turnaround_not_worse_than_fcfs", sjf.turnaround <= fcfs.turnaround + 1e-9,
                 {{"sjf", round2(sjf.turnaround)}, {"fcfs", round2(fcfs.turnaround)}}, "sjf <= fcfs");
    if (o.policy == Policy::Rr || o.policy == Policy::Mlfq) {
      check_answer("response_not_worse_than_fcfs", r.average.response <= fcfs.response + 1e-9,
                   {{sched::policy_name(o.policy), round2(r.average.response)}, {"fcfs", round2(fcfs.response)}},
                   std::string(sched::policy_name(o.policy)) + " <= fcfs");
    }
  }
  return s;
}

}  // namespace

RunFunction setup_scheduler(CLI::App& app) {
  auto o = std::make_shared<SchedulerOptions>();
  app.add_option("-p,--policy", o->policy_word, "scheduling policy: fcfs, sjf, rr or mlfq")
      ->check(CLI::IsMember({"fcfs", "sjf", "rr", "mlfq"}))
      ->capture_default_str();
  add_whole(app, "-j,--jobs", o->jobs, "number of jobs to generate from the seed", 1, 100);
  add_whole(app, "-m,--max-length", o->max_length, "generated job lengths are 1..M ticks", 1, 1000);
  app.add_option("-l,--jobs-list", o->jobs_list,
                 "the jobs instead: lengths in ticks, each optionally @arrival tick, e.g. 5,3,8 or 20,4@5,3@12");
  add_whole(app, "--quantum", o->quantum, "round-robin time slice in ticks (MLFQ: the top level's)", 1, 1000);
  CLI::Option* levels = add_whole(app, "--levels", o->levels, "MLFQ: number of queues", 1, 10);
  app.add_option("--quanta", o->quanta, "MLFQ: time slice per level, top first, e.g. 1,2,4 (default: quantum doubled per level)");
  add_whole(app, "-B,--boost", o->boost, "MLFQ: every B ticks every job goes back to the top queue (0: never)", 0, 100000);
  app.add_flag("-c,--compute", o->compute, "show the answers: the timeline, each job's times and the averages");
  return [o, levels](Context& ctx) {
    o->levels_given = levels->count() > 0;
    const std::map<std::string, Policy> policies{
        {"fcfs", Policy::Fcfs}, {"sjf", Policy::Sjf}, {"rr", Policy::Rr}, {"mlfq", Policy::Mlfq}};
    o->policy = policies.at(o->policy_word);
    return run_scheduler(*o, ctx);
  };
}

}  // namespace mpdemo
