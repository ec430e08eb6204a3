// queue-crowd: many writers and many readers through one small queue (seed
// 003's inputQ/outputQ: 10 writer processes, 10 reader processes, Queue(3)).
//
// The writers start first. Three notes fit in the queue; the other writers
// find it full and wait in put() until the readers, started a moment later,
// make room. Each reader takes its share of the notes. A tally in shared
// memory counts how often each note was read: the queue hands every item to
// exactly one get(), so every count ends at 1.
//
// Try:  mpdemo queue-crowd
//       mpdemo queue-crowd --writers 4 --readers 2 --messages 5
//       mpdemo queue-crowd --maxsize 1 --readers-after 2
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <memory>

#include "mp/events.hpp"
#include "mp/process.hpp"
#include "mp/queue.hpp"
#include "mp/shared_memory.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

struct QueueCrowdOptions {
  int writers = 10;           // seed 003: ten inputQ processes
  int readers = 10;           // seed 003: ten outputQ processes
  int maxsize = 3;            // seed 003: Queue(3)
  int messages = 1;           // notes per writer (seed 003: one each)
  double readers_after = 1.0; // the readers start this long after the writers
};

// One note, as a writer puts it (seed 003's "pid(put): time").
struct Note {
  int writer;      // 1-based
  int seq;         // 1-based, per writer
  pid_t pid;       // the writer's pid
  double sent_at;  // seconds since the run started
};

// Written by the processes, read by the main process after join.
struct CrowdShared {
  std::atomic<int> writers_waited;  // writers that found the queue full at least once
};

// Which note an arrow on the timeline follows: writer and sequence number.
std::string note_id(int writer, int seq) { return std::to_string(writer) + "/" + std::to_string(seq); }

void writer(const QueueCrowdOptions& o, const Context& ctx, mp::Queue<Note>& q, CrowdShared& shared, int index,
            mp::Timeout safety) {
  bool waited = false;
  for (int seq = 1; seq <= o.messages; ++seq) {
    const Note note{index, seq, ::getpid(), mp::events::elapsed()};
    try {
      q.put_nowait(note);
      ctx.emit("crowd.put", {{"seq", seq}, {"flow_out", note_id(index, seq)}});
    } catch (const mp::Full&) {
      // Full: do what put(block=True) does, but say so first.
      if (!waited) shared.writers_waited.fetch_add(1);
      waited = true;
      ctx.emit("crowd.waiting", {{"seq", seq}, {"qsize", q.qsize()}, {"span_begin", "crowd.blocked_put"}});
      const double start = mp::monotonic_seconds();
      q.put(note, true, safety);
      ctx.emit("crowd.put_after_wait", {{"seq", seq},
                                        {"waited", mp::monotonic_seconds() - start},
                                        {"span_end", "crowd.blocked_put"},
                                        {"flow_out", note_id(index, seq)}});
    }
  }
}

void reader(const Context& ctx, mp::Queue<Note>& q, std::atomic<int>* tally, int messages, int share,
            mp::Timeout safety) {
  if (share == 0) ctx.emit("crowd.nothing_to_read");
  for (int i = 0; i < share; ++i) {
    ctx.span("crowd.blocked_get");
    const Note note = q.get(true, safety);
    tally[(note.writer - 1) * messages + (note.seq - 1)].fetch_add(1);
    ctx.emit("crowd.got", {{"writer", note.writer}, {"writer_pid", note.pid}, {"seq", note.seq}, {"sent_at", note.sent_at},
                           {"age", mp::events::elapsed() - note.sent_at},
                           {"span_end", "crowd.blocked_get"},
                           {"flow_in", note_id(note.writer, note.seq)}});
  }
}

Summary run_queue_crowd(const QueueCrowdOptions& o, Context& ctx) {
  const int total = o.writers * o.messages;
  mp::Queue<Note> q(static_cast<std::size_t>(o.maxsize));
  mp::Shared<CrowdShared> shared;
  // One counter per note, in shared memory: how many readers got it.
  mp::SharedMapping tally_memory(sizeof(std::atomic<int>) * static_cast<std::size_t>(total));
  auto* tally = static_cast<std::atomic<int>*>(tally_memory.data());
  for (int i = 0; i < total; ++i) new (&tally[i]) std::atomic<int>(0);
  const mp::Timeout safety = ctx.timeout(o.readers_after * 10 + 10, 10.0);  // only a lost note reaches it
  ctx.emit("crowd.setup", {{"writers", o.writers}, {"readers", o.readers}, {"maxsize", o.maxsize},
                           {"messages", o.messages}, {"total", total}});

  std::vector<mp::Process> processes;
  processes.reserve(static_cast<std::size_t>(o.writers + o.readers));
  for (int w = 1; w <= o.writers; ++w) {
    processes.emplace_back([&, w] { writer(o, ctx, q, *shared, w, safety); }, "Writer-" + std::to_string(w));
    processes.back().start();
  }
  ctx.sleep(o.readers_after);
  ctx.emit("crowd.readers_start", {{"qsize", q.qsize()}, {"readers", o.readers}});
  for (int r = 1; r <= o.readers; ++r) {
    // The notes are split as evenly as they go: reader r takes its share and ends.
    const int share = total / o.readers + (r <= total % o.readers ? 1 : 0);
    processes.emplace_back([&, share] { reader(ctx, q, tally, o.messages, share, safety); },
                           "Reader-" + std::to_string(r));
    processes.back().start();
  }
  int failed = 0;
  for (auto& p : processes) {
    if (!p.join(safety)) p.kill();
    if (p.exitcode().value_or(-1) != 0) ++failed;
  }

  int once = 0, twice = 0, never = 0;
  for (int i = 0; i < total; ++i) {
    const int n = tally[i].load();
    once += n == 1;
    twice += n > 1;
    never += n == 0;
  }
  const int waited = shared->writers_waited.load();
  ctx.emit("crowd.verdict", {{"total", total}, {"once", once}, {"never", never}, {"twice", twice}, {"waited", waited}});

  Summary s;
  s.figures = {{"writers", o.writers},   {"readers", o.readers}, {"maxsize", o.maxsize},   {"messages", total},
               {"read_once", once},      {"lost", never},        {"read_twice", twice},    {"writers_waited", waited},
               {"failed", failed},       {"left_in_queue", q.qsize()}};
  s.check("all_delivered_exactly_once", once == total && never == 0 && twice == 0, once, total);
  s.check("all_processes_ended", failed == 0, failed, 0);
  return s;
}

}  // namespace

RunFunction setup_queue_crowd(CLI::App& app) {
  auto o = std::make_shared<QueueCrowdOptions>();
  add_whole(app, "--writers", o->writers, "writer processes", 1, 2000);
  add_whole(app, "--readers", o->readers, "reader processes", 1, 2000);
  add_whole(app, "--maxsize", o->maxsize, "the queue's maxsize", 1, 1000);
  add_whole(app, "--messages", o->messages, "notes each writer puts", 1, 1000);
  add_seconds(app, "--readers-after", o->readers_after, "the readers start S seconds after the writers");
  return [o](Context& ctx) { return run_queue_crowd(*o, ctx); };
}

}  // namespace mpdemo
