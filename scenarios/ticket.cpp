// ticket: the headline race (seed 000's ticket rush, 002 and 003's variants).
//
// Every buyer is a process. It first searches (reads the db, reports the
// count), then buys: reads the count, waits for the "network", and writes
// count - 1 if the count it read was positive. Without --lock every buyer
// reads the same last ticket before anyone writes, so the ticket is sold
// several times. With --lock the read-wait-write runs under a process-shared
// Lock and exactly min(buyers, tickets) buyers succeed.
//
// Try:  mpdemo ticket              (oversold)
//       mpdemo ticket --lock       (fixed; winners in lock order)
//       mpdemo ticket --lock --crash-holder 2   (buyer 2 dies holding the lock)
//       mpdemo ticket --lock --crash-writer 1   (buyer 1's sale reaches the db, then it dies
//                                               before telling anyone: an unreported sale)
//       mpdemo ticket --buyers 3 --order 1,2,3,1,2,3,1,2,3   (all read, then all write: oversold by 2)
//       mpdemo ticket --buyers 3 --order 1,1,1,2,2,2,3,3,3   (one at a time: sold once)
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "mp/lock.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "mp/ticket_db.hpp"
#include "number_options.hpp"
#include "setups.hpp"
#include "step_points.hpp"

namespace mpdemo {
namespace {

struct TicketOptions {
  int buyers = 5;
  std::int64_t tickets = 1;
  bool keep = false;
  std::string db = "db.json";
  bool lock = false;
  double search_max = 1.0;  // seed 000: search sleeps random() seconds
  double buy_min = 1.0;     // seed 000: the purchase waits randint(1, 3) seconds
  double buy_max = 3.0;
  int crash_holder = 0;     // 1-based buyer that dies while holding the lock
  int crash_writer = 0;     // 1-based buyer that dies between its db write and its report
};

// What each buyer ended with, written by the buyer into shared memory.
// Writing: it was replacing the db when it stopped (a buyer killed in that
// step may or may not have recorded its sale; see run_ticket).
enum class Outcome : unsigned char { Unknown = 0, Writing, Bought, SoldOut };

void buyer(const TicketOptions& o, const Context& ctx, const mp::TicketDb& db, mp::Lock& lock,
           Outcome* outcome, std::atomic<pid_t>* recovered_dead, int index) {
  Rng rng = ctx.rng(static_cast<std::uint64_t>(index));
  const double search_delay = rng.uniform(0.0, o.search_max);
  const double buy_delay = rng.uniform(o.buy_min, o.buy_max);

  // Spans: searching, then (with --lock) waiting for the lock and holding
  // it, and the network wait between read and write; see spans.json.
  ctx.span("ticket.searching");
  ctx.sleep(search_delay);
  // Step points (--order): search, [take the lock,] read, write.
  steps::at(index, "ticket.search");
  json searched = {{"count", db.read_count()}, {"span_end", "ticket.searching"}};
  if (o.lock) searched["span_begin"] = "ticket.waiting_lock";
  ctx.emit("ticket.search", searched);

  std::unique_lock<mp::Lock> guard(lock, std::defer_lock);
  if (o.lock) {
    steps::at(index, "ticket.acquire", {{"acquires", "lock"}});
    guard.lock();
    // The core already reported the take-over (core.owner_died): one line
    // for it, not two; the buyer only records it for the check.
    if (lock.recovered_from() != 0) recovered_dead->store(lock.recovered_from());
    ctx.emit("ticket.lock_acquired", {{"span_end", "ticket.waiting_lock"}, {"span_begin", "ticket.holding_lock"}});
  }
  steps::at(index, "ticket.read");
  const std::int64_t count = db.read_count();
  ctx.emit("ticket.read", {{"count", count}, {"delay", ctx.scaled(buy_delay)}, {"span_begin", "ticket.network"}});
  ctx.sleep(buy_delay);  // the simulated network: others read the same count meanwhile
  if (o.lock && index == o.crash_holder) {
    ctx.emit("ticket.crash");
    ::raise(SIGKILL);  // dies holding the lock; the kernel marks it owner-dead
  }
  if (steps::active()) {
    json next = count > 0 ? json{{"left", count - 1}} : json::object();
    if (o.lock) next["releases"] = "lock";
    steps::at(index, count > 0 ? "ticket.write" : "ticket.give_up", next);
  }
  if (count > 0) {
    *outcome = Outcome::Writing;
    db.write_count(count - 1);
    if (index == o.crash_writer) {
      ctx.emit("ticket.crash_writer", {{"left", count - 1}});
      ::raise(SIGKILL);  // the db holds the sale; nobody will report it
    }
    *outcome = Outcome::Bought;
    ctx.emit("ticket.bought", {{"left", count - 1}, {"span_end", "ticket.network"}});
  } else {
    *outcome = Outcome::SoldOut;
    ctx.emit("ticket.sold_out", {{"span_end", "ticket.network"}});
  }
  if (o.lock) {
    // Timed while still held, so no two holders' spans can overlap on the page.
    ctx.span({}, "ticket.holding_lock");
    guard.unlock();
  }
  steps::finish(index);
}

Summary run_ticket(const TicketOptions& o, Context& ctx) {
  if (o.buy_min > o.buy_max) throw UsageError("--buy-min (" + std::to_string(o.buy_min) +
                                              ") is larger than --buy-max (" + std::to_string(o.buy_max) + ")");
  if (o.crash_holder != 0 && !o.lock) throw UsageError("--crash-holder needs --lock (there is no holder without a lock)");
  for (auto [option, index] : {std::pair{"--crash-writer", o.crash_writer}, std::pair{"--crash-holder", o.crash_holder}})
    if (index > o.buyers)
      throw UsageError("ticket.not_a_buyer", {{"option", option}, {"index", index}, {"buyers", o.buyers}},
                       std::string(option) + " " + std::to_string(index) + " is not a buyer (there are " +
                           std::to_string(o.buyers) + ")");
  for (auto [option, index] : {std::pair{"--crash-writer", o.crash_writer}, std::pair{"--crash-holder", o.crash_holder}})
    if (index != 0 && steps::active())
      throw UsageError("ticket.crash_with_order", {{"option", option}},
                       std::string(option) + " cannot be combined with --order (a killed buyer takes no more steps)");

  // Every problem with the db is found here, before any buyer is forked:
  // what is at the path (only a ticket db is replaced), its content, and
  // whether a write can be made beside it.
  const mp::TicketDb db(o.db);
  std::int64_t tickets = o.tickets;
  if (o.keep) {
    tickets = db.read_count();
    db.check_writable();
  } else {
    db.reset_count(tickets);
  }
  int temporaries_removed = db.remove_stale_temporaries();  // of earlier runs that were killed
  ctx.emit("ticket.setup", {{"buyers", o.buyers}, {"tickets", tickets}, {"lock", o.lock}, {"db", o.db}});

  mp::Lock lock;
  mp::SharedMapping outcomes_memory(static_cast<std::size_t>(o.buyers));
  auto* outcomes = static_cast<Outcome*>(outcomes_memory.data());
  mp::SharedMapping recovery_memory(sizeof(std::atomic<pid_t>));
  auto* recovered_dead = new (recovery_memory.data()) std::atomic<pid_t>(0);  // set by the buyer that recovers the lock

  std::vector<mp::Process> buyers;
  buyers.reserve(static_cast<std::size_t>(o.buyers));
  for (int i = 1; i <= o.buyers; ++i) {
    buyers.emplace_back([&, i] { buyer(o, ctx, db, lock, &outcomes[i - 1], recovered_dead, i); }, "Buyer-" + std::to_string(i));
  }
  if (steps::active()) {
    std::vector<std::string> names;
    for (const auto& b : buyers) names.push_back(b.name());
    steps::begin(names);
  }
  for (auto& b : buyers) b.start();
  int crashed = 0, failed = 0;
  for (auto& b : buyers) {
    b.join();
    int code = b.exitcode().value_or(0);
    if (code == -SIGKILL) ++crashed;
    else if (code != 0) ++failed;
  }

  // If the crashed holder was the last to take the lock, no buyer was left to
  // find it owner-dead; the main process takes it now, so the recovery is
  // seen in every run, not only when the scheduler put the crash early.
  if (o.crash_holder != 0 && recovered_dead->load() == 0) {
    ctx.emit("ticket.main_takes_lock");  // the core's core.owner_died line follows
    if (lock.acquire(true, kStepTimeout)) {
      if (lock.recovered_from() != 0) recovered_dead->store(lock.recovered_from());
      lock.release();
    }
  }

  // A buyer killed between creating its temporary file and renaming it
  // left the file behind; no writer runs now, so every one of ours goes.
  temporaries_removed += db.remove_stale_temporaries();

  const std::int64_t remaining = db.read_count();
  const std::int64_t recorded = tickets - remaining;  // sales the db holds
  const auto sold = static_cast<std::int64_t>(std::count(outcomes, outcomes + o.buyers, Outcome::Bought));
  // Buyers killed while replacing the db: each may or may not have renamed
  // its file before it died, so each may be a sale nobody reported.
  const auto interrupted = static_cast<std::int64_t>(std::count(outcomes, outcomes + o.buyers, Outcome::Writing));
  const std::int64_t oversold = std::max<std::int64_t>(0, sold - tickets);
  // Sales the db does not know about: buyers who wrote over each other.
  const std::int64_t lost_updates = std::max<std::int64_t>(0, sold - recorded);
  // Sales the db holds but no buyer reported: killed after its rename,
  // before it could say so. Its own category, not a negative lost update.
  const std::int64_t unreported = std::max<std::int64_t>(0, recorded - sold);

  if (oversold > 0) {
    ctx.emit("ticket.verdict_oversold", {{"sold", sold}, {"tickets", tickets}, {"oversold", oversold}});
  } else if (lost_updates > 0) {
    ctx.emit("ticket.verdict_lost", {{"sold", sold}, {"recorded", recorded}, {"lost", lost_updates}});
  } else if (unreported > 0) {
    ctx.emit("ticket.verdict_unreported", {{"sold", sold}, {"recorded", recorded}, {"unreported", unreported}});
  } else {
    // The closing sentence says why nothing was lost: the lock, or (without
    // it) a run in which no two buyers could overlap.
    const json fields = {{"sold", sold}, {"buyers", o.buyers}, {"tickets", tickets}, {"remaining", remaining}};
    ctx.emit(o.lock                ? "ticket.verdict_ok"
             : o.buyers < 2        ? "ticket.verdict_one_buyer"
             : tickets == 0        ? "ticket.verdict_nothing_to_sell"
             : ctx.speed() == 0    ? "ticket.verdict_no_race_speed0"
                                   : "ticket.verdict_no_race",
             fields);
  }

  Summary s;
  s.figures = {{"buyers", o.buyers},       {"tickets", tickets},
               {"sold", sold},             {"remaining", remaining},
               {"oversold", oversold},     {"lost_updates", lost_updates},
               {"unreported", unreported}, {"interrupted_writes", interrupted},
               {"lock", o.lock},           {"crashed", crashed},
               {"failed", failed},         {"temporary_files_removed", temporaries_removed}};
  s.check("buyers_finished", failed == 0, failed, 0);
  if (o.lock) {
    // A killed buyer could not buy, unless its sale reached the db (it
    // reported it, or it is one of the unreported ones).
    std::int64_t killed_after_sale = 0;
    for (std::size_t i = 0; i < buyers.size(); ++i)
      if (buyers[i].exitcode().value_or(0) == -SIGKILL && outcomes[i] == Outcome::Bought) ++killed_after_sale;
    const std::int64_t able = o.buyers - crashed + killed_after_sale + unreported;
    const std::int64_t expected_sales = std::min<std::int64_t>(able, tickets);
    s.check("sold_equals_min_buyers_tickets", recorded == expected_sales, recorded, expected_sales);
    // Under the lock the db holds exactly the reported sales, plus at most
    // one unreported sale per buyer killed while writing.
    s.check("db_consistent", sold <= recorded && unreported <= interrupted, remaining,
            interrupted == 0 ? json(tickets - sold)
                             : json(std::to_string(tickets - sold - interrupted) + ".." + std::to_string(tickets - sold)));
    if (o.crash_holder != 0)
      s.check("dead_holder_recovered", recovered_dead->load() != 0, recovered_dead->load() != 0, true);
  } else if (o.buyers >= 2 && tickets > 0) {
    s.check("race_observed", lost_updates > 0, lost_updates, "> 0");
  } else {
    // One buyer cannot race, and nobody writes when there is nothing to
    // sell: what the run can show is that the db stayed right.
    s.check("db_consistent", remaining == tickets - sold, remaining, tickets - sold);
  }
  return s;
}

}  // namespace

RunFunction setup_ticket(CLI::App& app) {
  auto o = std::make_shared<TicketOptions>();
  add_whole(app, "--buyers", o->buyers, "number of buyer processes", 1, 20000);
  add_whole(app, "--tickets", o->tickets, "tickets in the db at start", 0, mp::kMaxTicketCount);
  app.add_flag("--keep", o->keep, "keep the count already in the db instead of setting it to --tickets");
  app.add_option("--db", o->db, "the JSON db file, {\"count\": N}; an existing file must already be a ticket db")
      ->capture_default_str();
  app.add_flag("--lock", o->lock, "guard read-wait-write with a process-shared Lock");
  add_seconds(app, "--search-max", o->search_max, "search waits a random 0..S seconds");
  add_seconds(app, "--buy-min", o->buy_min, "purchase waits at least S seconds");
  add_seconds(app, "--buy-max", o->buy_max, "purchase waits at most S seconds");
  add_whole(app, "--crash-holder", o->crash_holder, "buyer K is killed while holding the lock (needs --lock; 0: none)",
            0, 20000);
  add_whole(app, "--crash-writer", o->crash_writer,
            "buyer K is killed right after its sale reaches the db, before it reports it (0: none)", 0, 20000);
  return [o](Context& ctx) { return run_ticket(*o, ctx); };
}

}  // namespace mpdemo
