// pipe: a parent sends 100 items through a Pipe, the child reads until EOF
// (seed 000's pipe demo; seed 003's notes on closing ends).
//
// Three parts:
//   1. done right: each process closes the end it does not use; the parent
//      sends the items and closes its sending end; the child's recv() then
//      raises EOFError: the end of the stream.
//   2. an end left open: the child forgets to close its own copy of the
//      sending end. The parent has closed its copy, yet no EOF comes, because
//      a pipe reports EOF only when every copy of the sending end, in every
//      process, is closed. poll(timeout) shows it (instead of a recv() that
//      would hang for ever); once the child closes its copy, EOF is there.
//   3. a closed end: recv() on a connection this process closed raises an
//      error, and send() into a pipe whose readers are all gone raises
//      BrokenPipe (EPIPE).
//
// Try:  mpdemo pipe
//       mpdemo pipe --duplex      (the same with Pipe(duplex=True): a socketpair)
//       mpdemo pipe --items 5 --show 5
#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>

#include "mp/connection.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

struct PipeOptions {
  int items = 100;       // seed 000: range(100)
  int show = 10;         // the child reports the first N items one by one
  double wait = 1.0;     // how long part 2 waits for an EOF that cannot come
  bool duplex = false;   // Pipe(duplex=True): both ends may send and receive
};

// What the children saw, written into shared memory, read after join.
struct PipeShared {
  int received;        // part 1: items received
  long long sum;       // part 1: their sum
  bool in_order;       // part 1: 0, 1, 2, ... in order
  bool eof;            // part 1: recv raised EOFError at the end
  bool no_eof_while_open;  // part 2: poll timed out while the child's own sending end was open
  bool eof_after_close;    // part 2: EOF came once the child closed it
};

// Part 1's child: close the unused end, read until EOF.
void reader(const PipeOptions& o, const Context& ctx, mp::Connection& recv_end, mp::Connection& send_end,
            PipeShared& shared) {
  // Our copy of the sending end: closed, or our own recv() could never see
  // EOF (a process holding a sending end might still send).
  send_end.close();
  ctx.emit("pipe.child_closed_unused", {{"span_begin", "pipe.reading"}});
  shared.in_order = true;
  for (;;) {
    try {
      const int v = recv_end.recv<int>();
      if (v != shared.received) shared.in_order = false;
      ++shared.received;
      shared.sum += v;
      if (shared.received <= o.show) ctx.emit("pipe.recv", {{"item", v}, {"flow_in", "part1-" + std::to_string(v)}});
    } catch (const mp::EOFError&) {
      shared.eof = true;
      ctx.emit("pipe.eof", {{"received", shared.received}, {"sum", shared.sum}, {"span_end", "pipe.reading"}});
      return;
    }
  }
}

// Part 2's child: forgets to close its copy of the sending end. `parent_done`
// says when the parent has sent everything and closed its own copy.
void forgetful_reader(const Context& ctx, mp::Connection& recv_end, mp::Connection& send_end,
                      mp::Connection& parent_done, int few, double wait, mp::Timeout safety, PipeShared& shared) {
  for (int i = 0; i < few; ++i) {
    const int v = recv_end.recv<int>();
    ctx.emit("pipe.recv", {{"item", v}, {"flow_in", "part2-" + std::to_string(v)}});
  }
  if (parent_done.poll(safety)) (void)parent_done.recv<bool>();
  // The parent's sending end is closed, ours is not. A recv() now would
  // wait for ever: poll with a timeout instead.
  ctx.span("pipe.waiting_eof");
  const bool ready = recv_end.poll(wait);
  shared.no_eof_while_open = !ready;
  ctx.emit(ready ? "pipe.unexpected_data" : "pipe.no_eof", {{"waited", wait}, {"span_end", "pipe.waiting_eof"}});
  send_end.close();
  ctx.emit("pipe.closed_own_send_end");
  try {
    if (recv_end.poll(safety)) {
      const int v = recv_end.recv<int>();
      ctx.emit("pipe.unexpected_data", {{"item", v}});
    }
  } catch (const mp::EOFError&) {
    shared.eof_after_close = true;
    ctx.emit("pipe.eof_after_close");
  }
}

Summary run_pipe(const PipeOptions& o, Context& ctx) {
  mp::Shared<PipeShared> shared;
  const mp::Timeout safety = ctx.timeout(o.wait * 10 + 10, 10.0);
  ctx.emit("pipe.setup", {{"items", o.items}, {"duplex", o.duplex}});

  // Part 1. With duplex=False the first end only receives, the second only sends.
  {
    auto ends = mp::Pipe(o.duplex);
    mp::Connection& recv_end = ends.first;
    mp::Connection& send_end = ends.second;
    mp::Process child([&] { reader(o, ctx, recv_end, send_end, *shared); }, "Reader");
    child.start();
    // Our copy of the receiving end: closed, so that if the child dies our
    // send() fails with BrokenPipe instead of filling a pipe nobody reads.
    recv_end.close();
    ctx.emit("pipe.parent_closed_unused");
    for (int i = 0; i < o.items; ++i) {
      if (i < o.show) ctx.flow_out("part1-" + std::to_string(i));  // an arrow to each item the Reader shows
      send_end.send(i);
    }
    ctx.emit("pipe.sent_all", {{"items", o.items}});
    send_end.close();  // the last open sending end: the child's recv() now sees EOF
    ctx.emit("pipe.closed_send_end");
    if (!child.join(safety)) child.kill();
  }

  // Part 2: the child keeps its copy of the sending end.
  const int few = std::min(3, o.items);
  {
    auto ends = mp::Pipe(o.duplex);
    mp::Connection& recv_end = ends.first;
    mp::Connection& send_end = ends.second;
    auto done = mp::Pipe(false);  // "the parent has closed its end": a second, separate pipe
    ctx.emit("pipe.part2", {{"few", few}});
    mp::Process child(
        [&] { forgetful_reader(ctx, recv_end, send_end, done.first, few, ctx.scaled(o.wait), safety, *shared); },
        "Forgetful");
    child.start();
    recv_end.close();
    done.first.close();
    for (int i = 0; i < few; ++i) {
      ctx.flow_out("part2-" + std::to_string(i));
      send_end.send(i);
    }
    send_end.close();
    ctx.emit("pipe.parent_closed", {{"sent", few}});
    done.second.send(true);
    if (!child.join(safety)) child.kill();
  }

  // Part 3: using closed ends.
  bool recv_closed_raised = false, send_broken_raised = false;
  {
    auto ends = mp::Pipe(o.duplex);
    mp::Connection& recv_end = ends.first;
    mp::Connection& send_end = ends.second;
    ctx.emit("pipe.part3");
    recv_end.close();
    try {
      recv_end.recv<int>();
    } catch (const mp::OSError& e) {
      recv_closed_raised = true;
      ctx.emit("pipe.recv_on_closed_end", {{"error", e.what()}});
    }
    try {
      send_end.send(1);  // every receiving end is closed now: nobody can ever read it
    } catch (const mp::OSError& e) {
      send_broken_raised = true;
      ctx.emit("pipe.send_without_reader", {{"error", e.what()}});
    }
  }

  const long long expected_sum = static_cast<long long>(o.items) * (o.items - 1) / 2;
  const bool all_received = shared->received == o.items && shared->sum == expected_sum && shared->in_order;

  Summary s;
  s.figures = {{"items", o.items}, {"received", shared->received}, {"sum", shared->sum}, {"duplex", o.duplex}};
  s.check("all_items_received", all_received, shared->received, o.items);
  s.check("eof_seen", shared->eof, shared->eof, true);
  s.check("no_eof_while_own_end_open", shared->no_eof_while_open, shared->no_eof_while_open, true);
  s.check("eof_after_closing_own_end", shared->eof_after_close, shared->eof_after_close, true);
  s.check("closed_end_raises", recv_closed_raised && send_broken_raised,
          json{{"recv", recv_closed_raised}, {"send", send_broken_raised}}, json{{"recv", true}, {"send", true}});
  return s;
}

}  // namespace

RunFunction setup_pipe(CLI::App& app) {
  auto o = std::make_shared<PipeOptions>();
  add_whole(app, "--items", o->items, "items the parent sends", 0, 1000000);
  add_whole(app, "--show", o->show, "the child reports the first N items one by one", 0, 2147483647);
  add_seconds(app, "--wait", o->wait, "seconds part 2 waits for an EOF that cannot come");
  app.add_flag("--duplex", o->duplex, "use Pipe(duplex=True) (a socketpair) instead of a one-way pipe");
  return [o](Context& ctx) { return run_pipe(*o, ctx); };
}

}  // namespace mpdemo
