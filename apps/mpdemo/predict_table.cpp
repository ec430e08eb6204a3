// One question per scenario, in the order of `mpdemo list`. Each answer is a
// figure the run measures (see predict_table.hpp); the texts are in the
// catalogues (predict.json), keyed by the scenario's name.
#include "predict_table.hpp"

namespace mpdemo {

std::span<const Question> question_table() {
  // Inside the function: the enumerators' short names stay out of the
  // namespace (a unity build puts many files in one).
  using enum AnswerKind;
  using enum ParamForm;
  static constexpr Question kQuestions[] = {
    // For how many children did start() return while the child still worked?
    {"spawn",
     {{"per_way", "--per-way"}, {"work_min", "--work-min", Duration}, {"work_max", "--work-max", Duration}},
     "check:start_returned_while_child_worked", Whole},
    {"pid", {{"children", "--children"}}, "check:child_ppid_is_main_pid", Whole},
    {"isolation", {{"x", "--x"}, {"child_x", "--child-x"}}, "x_in_main", Whole},
    {"join-timing", {{"sleeps", "--sleeps", DurationList}}, "serial_seconds", Seconds},
    {"lifecycle", {{"before_terminate", "--before-terminate", Duration}}, "exitcode_terminated", Whole},
    {"zombie", {{"count", "--count"}, {"mode", "--mode", Word}}, "zombies_seen", Whole},
    {"orphan", {{"subreaper", "--no-subreaper", Word}}, "adopter", Choice,
     "mpdemo=mpdemo (subreaper)|init=init (pid 1)|other=another subreaper|other=outside this pid namespace"},
    {"daemon",
     {{"steps", "--daemon-steps"}, {"step", "--step", Duration}, {"main", "--main", Duration}},
     "daemon_steps_done", Whole},
    {"fork", {{"rounds", "--rounds"}}, "check:child_branch_ran_with_0", Whole},
    {"threads-vs-processes", {{"crash", "--crash", Word}}, "thread_crash_exitcode", Whole},
    {"states", {}, "seen.Stopped", Choice, "R=R|S=S|D=D|T=T|Z=Z"},
    {"print-lock", {{"tasks", "--tasks"}, {"join", "--join", Word}, {"lock", "--lock", Word}}, "overlaps", Whole},
    {"ticket",
     {{"buyers", "--buyers"},
      {"tickets", "--tickets"},
      {"lock", "--lock", Word},
      {"store", "--store", Word},
      {"sql", "--sql", Word}},
     "sold", Whole},
    {"file-append", {{"writers", "--writers"}, {"append", "--no-append", Word}}, "records", Whole},
    {"semaphore", {{"rooms", "--rooms"}, {"users", "--users"}}, "peak", Whole},
    {"event",
     {{"interval", "--interval", Duration},
      {"police_arrive", "--police-arrive", Duration},
      {"police_timeout", "--police-timeout", Duration}},
     "police_on_red", YesNo},
    {"manager", {{"workers", "--workers"}, {"count", "--count"}, {"lock", "--lock", Word}}, "final", Whole},
    {"value-array", {{"processes", "--processes"}, {"increments", "--increments"}}, "unlocked_lost", YesNo},
    {"rlock", {{"timeout", "--timeout", Duration}}, "lock_second_acquire", Choice,
     "acquired=acquired|timeout=timed out|hung=hung"},
    {"queue", {{"maxsize", "--maxsize"}}, "fifo_order.0", Whole},
    {"flash-sale", {{"buyers", "--buyers"}, {"bands", "--bands"}}, "winners", Whole},
    {"queue-crowd",
     {{"writers", "--writers"}, {"messages", "--messages"}, {"readers", "--readers"}, {"maxsize", "--maxsize"}},
     "read_once", Whole},
    // The check's value is true when no EOF came while the child's own
    // write end was open: "yes, it sees EOF" is then wrong.
    {"pipe", {{"items", "--items"}}, "check:no_eof_while_own_end_open", YesNo, "", true},
    {"baozi",
     {{"producers", "--producers"}, {"items", "--items"}, {"consumers", "--consumers"}, {"via", "--via"}},
     "eaten_once", Whole},
    {"pool", {{"workers", "--workers"}, {"tasks", "--tasks"}}, "apply_max_concurrent", Whole},
    {"echo-server", {{"clients", "--clients"}, {"mode", "--mode", Word}, {"workers", "--workers"}},
     "max_served_at_once", Whole},
    // The check's value lists the pids the callbacks ran in: "#" counts them.
    {"crawler", {{"workers", "--workers"}}, "check:parsed_in_main_process#", Whole},
    // The check's value is true when the CPU never idled with a job ready.
    {"scheduler", {{"policy", "--policy"}}, "check:no_idle_while_ready", YesNo, "", true},
  };
  return kQuestions;
}

const Question* find_question(std::string_view scenario) {
  for (const auto& q : question_table())
    if (scenario == q.scenario) return &q;
  return nullptr;
}

}  // namespace mpdemo
