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
//       mpdemo ticket --store sqlite                    (the same race on a real database)
//       mpdemo ticket --store sqlite --sql transaction  (BEGIN IMMEDIATE: the others wait on its lock)
//       mpdemo ticket --store sqlite --sql atomic       (one UPDATE ... WHERE count > 0 decides)
//       mpdemo ticket --store sqlite --sql transaction --crash-holder 2
//                                               (buyer 2 dies inside its transaction: rolled back)
// The stores and the three ways of buying from SQLite are in ticket_store.hpp.
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
#include "mp/ticket_sqlite.hpp"
#include "number_options.hpp"
#include "setups.hpp"
#include "step_points.hpp"
#include "ticket_store.hpp"

namespace mpdemo {
namespace {

// --busy-timeout when not given. A rerun line repeats every option with its
// default, so a JSON run's rerun line says --busy-timeout with this value.
constexpr double kDefaultBusyTimeout = 60.0;

struct TicketOptions {
  int buyers = 5;
  std::int64_t tickets = 1;
  bool keep = false;
  std::string db;              // empty: db.json, or tickets.sqlite with --store sqlite
  std::string store = "json";  // json (the tutorials) or sqlite
  std::string sql;             // with --store sqlite: naive (the default), transaction or atomic
  double busy_timeout = kDefaultBusyTimeout;  // a buyer waits this long for the database's write lock
  bool busy_timeout_given = false;             // --busy-timeout was on the command line
  bool lock = false;
  double search_max = 1.0;  // seed 000: search sleeps random() seconds
  double buy_min = 1.0;     // seed 000: the purchase waits randint(1, 3) seconds
  double buy_max = 3.0;
  int crash_holder = 0;     // 1-based buyer that dies while holding the lock (or inside its transaction)
  int crash_writer = 0;     // 1-based buyer that dies between its db write and its report
};

// What each buyer ended with, written by the buyer into shared memory.
// Writing: it was replacing the db when it stopped (a buyer killed in that
// step may or may not have recorded its sale; see run_ticket).
// Uncommitted: killed inside its SQLite transaction, after its UPDATE and
// before COMMIT (--crash-holder with --sql transaction): nothing reached the
// db. Busy: the db's write lock stayed taken past the busy timeout.
enum class Outcome : unsigned char { Unknown = 0, Writing, Bought, SoldOut, Uncommitted, Busy };

void buyer(const TicketOptions& o, const Context& ctx, const TicketStore& store, double busy_timeout, mp::Lock& lock,
           Outcome* outcome, std::atomic<pid_t>* recovered_dead, int index) {
  Rng rng = ctx.rng(static_cast<std::uint64_t>(index));
  const double search_delay = rng.uniform(0.0, o.search_max);
  const double buy_delay = rng.uniform(o.buy_min, o.buy_max);
  // This buyer's own way into the store, opened here, after the fork: an
  // SQLite connection is never inherited from the parent.
  const std::unique_ptr<BuyerSession> session = store.open_session();

  // Spans: searching, then (with --lock) waiting for the lock and holding
  // it, and the network wait between read and write; see spans.json.
  ctx.span("ticket.searching");
  ctx.sleep(search_delay);
  // Step points (--order): search, [take the lock,] [BEGIN,] read, write.
  steps::at(index, "ticket.search");
  json searched = {{"count", session->search()}, {"span_end", "ticket.searching"}};
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
  const char* open_wait = "ticket.network";  // the span SQLITE_BUSY cuts short
  try {
    if (session->transactional()) {
      // With --lock the process lock already stands for the db's; without
      // it, --order must know who holds the database's write lock.
      steps::at(index, "ticket.begin", o.lock ? json() : json{{"acquires", "db write lock"}});
      // Spans: waiting for the database's write lock, then holding it.
      open_wait = "ticket.waiting_db_lock";
      ctx.span("ticket.waiting_db_lock");
      session->begin();
      ctx.emit("ticket.db_lock_acquired",
               {{"span_end", "ticket.waiting_db_lock"}, {"span_begin", "ticket.holding_db_lock"}});
      open_wait = "ticket.network";
    }
    steps::at(index, "ticket.read");
    const std::int64_t count = session->read();
    ctx.emit("ticket.read", {{"count", count}, {"delay", ctx.scaled(buy_delay)}, {"span_begin", "ticket.network"}});
    ctx.sleep(buy_delay);  // the simulated network: others read the same count meanwhile
    if (index == o.crash_holder && !session->transactional()) {
      ctx.emit("ticket.crash");
      ::raise(SIGKILL);  // dies holding the lock; the kernel marks it owner-dead
    }
    if (steps::active()) {
      // Atomic: the UPDATE decides, whatever was read.
      const bool db_decides = session->database_decides();
      json next = count > 0 && !db_decides ? json{{"left", count - 1}} : json::object();
      if (o.lock) next["releases"] = "lock";
      else if (session->transactional()) next["releases"] = "db write lock";  // COMMIT follows the write
      steps::at(index, db_decides ? "ticket.update_atomic" : count > 0 ? "ticket.write" : "ticket.give_up", next);
    }
    if (session->writes(count)) *outcome = Outcome::Writing;
    const std::optional<std::int64_t> left = session->buy(count);
    if (session->transactional()) {
      if (index == o.crash_holder) {
        *outcome = Outcome::Uncommitted;
        ctx.emit("ticket.crash_in_transaction", {{"left", left.value_or(count)}});
        ::raise(SIGKILL);  // inside the transaction: its UPDATE never commits
      }
      ctx.span({}, "ticket.holding_db_lock");  // ended before COMMIT lets the next holder in
      session->commit();
    }
    const char* said = session->database_decides() ? "_atomic" : "";
    if (left) {
      if (index == o.crash_writer) {
        ctx.emit("ticket.crash_writer", {{"left", *left}});
        ::raise(SIGKILL);  // the db holds the sale; nobody will report it
      }
      *outcome = Outcome::Bought;
      ctx.emit(std::string("ticket.bought") + said, {{"left", *left}, {"span_end", "ticket.network"}});
    } else {
      *outcome = Outcome::SoldOut;
      ctx.emit(std::string("ticket.sold_out") + said, {{"span_end", "ticket.network"}});
    }
  } catch (const mp::DbBusy&) {
    // Not a crash: the lock stayed taken for the whole timeout, and this
    // buyer gives up without a ticket.
    *outcome = Outcome::Busy;
    ctx.emit("ticket.busy", {{"seconds", busy_timeout}, {"span_end", open_wait}});
  }
  if (o.lock) {
    // Timed while still held, so no two holders' spans can overlap on the page.
    ctx.span({}, "ticket.holding_lock");
    guard.unlock();
  }
  steps::finish(index);
}

SqlMode sql_mode(const std::string& word) {
  return word == "transaction" ? SqlMode::Transaction : word == "atomic" ? SqlMode::Atomic : SqlMode::Naive;
}

Summary run_ticket(const TicketOptions& o, Context& ctx) {
  if (o.buy_min > o.buy_max) throw UsageError("option.min_above_max", {{"min_option", "--buy-min"}, {"min", o.buy_min},
                                                                       {"max_option", "--buy-max"}, {"max", o.buy_max}});
  const bool sqlite = o.store == "sqlite";
  if (!sqlite && !o.sql.empty())
    throw UsageError("ticket.sql_needs_sqlite");
  // A JSON db has no write lock to wait on: a timeout for it would be
  // ignored. The default itself is let through (a rerun line repeats it).
  if (!sqlite && o.busy_timeout_given && o.busy_timeout != kDefaultBusyTimeout)
    throw UsageError("ticket.busy_timeout_needs_sqlite");
  const SqlMode mode = sql_mode(o.sql);
  // Scaled like every wait of the lesson, but never below 10 s (or the
  // option itself, if smaller), so that many buyers at a high --speed are not
  // cut short; 0 never waits.
  const double busy_timeout = std::max(ctx.scaled(o.busy_timeout), std::min(o.busy_timeout, kStepTimeout));
  const std::string path = !o.db.empty() ? o.db : sqlite ? "tickets.sqlite" : "db.json";
  const std::unique_ptr<TicketStore> store =
      sqlite ? make_sqlite_store(path, mode, busy_timeout) : make_json_store(path);
  if (o.crash_holder != 0 && !o.lock && !store->has_write_lock())
    throw sqlite ? UsageError("ticket.crash_holder_sqlite") : UsageError("ticket.crash_holder_needs_lock");
  for (auto [option, index] : {std::pair{"--crash-writer", o.crash_writer}, std::pair{"--crash-holder", o.crash_holder}})
    if (index > o.buyers)
      throw UsageError("ticket.not_a_buyer", {{"option", option}, {"index", index}, {"buyers", o.buyers}});
  for (auto [option, index] : {std::pair{"--crash-writer", o.crash_writer}, std::pair{"--crash-holder", o.crash_holder}})
    if (index != 0 && steps::active())
      throw UsageError("ticket.crash_with_order", {{"option", option}});

  // Every problem with the db is found here, before any buyer is forked:
  // what is at the path (only a ticket db is replaced), its content, and
  // whether a write can be made beside it. An SQLite database is opened,
  // checked and closed again: no connection is open when the buyers fork.
  const std::int64_t tickets = store->prepare(o.tickets, o.keep);
  if (sqlite)
    ctx.emit("ticket.setup_sqlite", {{"buyers", o.buyers}, {"tickets", tickets}, {"lock", o.lock}, {"db", path},
                                     {"sql", o.sql.empty() ? "naive" : o.sql}});
  else
    ctx.emit("ticket.setup", {{"buyers", o.buyers}, {"tickets", tickets}, {"lock", o.lock}, {"db", path}});

  mp::Lock lock;
  mp::SharedMapping outcomes_memory(static_cast<std::size_t>(o.buyers));
  auto* outcomes = static_cast<Outcome*>(outcomes_memory.data());
  mp::SharedMapping recovery_memory(sizeof(std::atomic<pid_t>));
  auto* recovered_dead = new (recovery_memory.data()) std::atomic<pid_t>(0);  // set by the buyer that recovers the lock

  std::vector<mp::Process> buyers;
  buyers.reserve(static_cast<std::size_t>(o.buyers));
  for (int i = 1; i <= o.buyers; ++i) {
    buyers.emplace_back([&, i] { buyer(o, ctx, *store, busy_timeout, lock, &outcomes[i - 1], recovered_dead, i); },
                        "Buyer-" + std::to_string(i));
  }
  // The db's count is what the buyers race for: the --step screen shows it
  // (the JSON db; an SQLite db is read only through the buyers' sessions).
  steps::StateFunction db_count;
  if (!sqlite && steps::active())
    db_count = [path] {
      try {
        return json{{"count", mp::TicketDb(path).read_count()}};
      } catch (const std::exception&) {
        return json::object();
      }
    };
  const auto phase = steps::begin_for(buyers, json::object(), db_count);
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
  if (o.lock && o.crash_holder != 0 && recovered_dead->load() == 0) {
    ctx.emit("ticket.main_takes_lock");  // the core's core.owner_died line follows
    if (lock.acquire(true, kStepTimeout)) {
      if (lock.recovered_from() != 0) recovered_dead->store(lock.recovered_from());
      lock.release();
    }
  }

  const StoreEnd end = store->finish();
  const std::int64_t remaining = end.count;
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
  const auto busy = static_cast<std::int64_t>(std::count(outcomes, outcomes + o.buyers, Outcome::Busy));
  // Sales are exact under the lock, or when the database makes them so.
  const bool guarded = o.lock || store->exact();
  json killed = json::array();
  for (std::size_t i = 0; i < buyers.size(); ++i)
    if (buyers[i].exitcode().value_or(0) == -SIGKILL) killed.push_back(buyers[i].name());

  if (o.crash_holder != 0 && store->has_write_lock())
    ctx.emit("ticket.crash_rolled_back", {{"buyer", "Buyer-" + std::to_string(o.crash_holder)},
                                          {"remaining", remaining}, {"tickets", tickets}, {"sold", sold}});

  if (oversold > 0) {
    ctx.emit("ticket.verdict_oversold", {{"sold", sold}, {"tickets", tickets}, {"oversold", oversold}});
  } else if (lost_updates > 0) {
    ctx.emit("ticket.verdict_lost", {{"sold", sold}, {"recorded", recorded}, {"lost", lost_updates}});
  } else if (unreported > 0) {
    ctx.emit("ticket.verdict_unreported", {{"sold", sold}, {"recorded", recorded}, {"unreported", unreported}});
  } else if (busy > 0) {
    ctx.emit("ticket.verdict_busy", {{"sold", sold}, {"buyers", o.buyers}, {"busy", busy}, {"seconds", busy_timeout},
                                     {"tickets", tickets}, {"remaining", remaining}});
  } else {
    // The closing sentence says why nothing was lost: the lock, or (without
    // it) a run in which no two buyers could overlap.
    const json fields = {{"sold", sold}, {"buyers", o.buyers}, {"tickets", tickets}, {"remaining", remaining}};
    ctx.emit(store->exact() ? (mode == SqlMode::Atomic ? "ticket.verdict_ok_atomic" : "ticket.verdict_ok_transaction")
             : o.lock              ? "ticket.verdict_ok"
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
               {"failed", failed},         {"busy", busy},
               {"killed", killed}};
  s.figures.update(store->figures());
  s.check("buyers_finished", failed == 0, failed, 0);
  if (guarded) {
    // A killed buyer could not buy, unless its sale reached the db (it
    // reported it, or it is one of the unreported ones).
    std::int64_t killed_after_sale = 0;
    for (std::size_t i = 0; i < buyers.size(); ++i)
      if (buyers[i].exitcode().value_or(0) == -SIGKILL && outcomes[i] == Outcome::Bought) ++killed_after_sale;
    // Nor could one that gave up on a busy database.
    const std::int64_t able = o.buyers - crashed - busy + killed_after_sale + unreported;
    const std::int64_t expected_sales = std::min<std::int64_t>(able, tickets);
    s.check("sold_equals_min_buyers_tickets", recorded == expected_sales, recorded, expected_sales);
    // Under the lock the db holds exactly the reported sales, plus at most
    // one unreported sale per buyer killed while writing.
    s.check("db_consistent", sold <= recorded && unreported <= interrupted, remaining,
            interrupted == 0 ? json(tickets - sold)
                             : json(std::to_string(tickets - sold - interrupted) + ".." + std::to_string(tickets - sold)));
    if (o.crash_holder != 0 && o.lock)
      s.check("dead_holder_recovered", recovered_dead->load() != 0, recovered_dead->load() != 0, true);
    // The holder killed inside its transaction took the write lock with it:
    // nobody holds it now, and the db holds only committed sales.
    if (o.crash_holder != 0 && store->has_write_lock())
      s.check("db_lock_released", end.write_lock_free, end.write_lock_free, true);
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
  app.add_option("--db", o->db,
                 "the db file (default db.json, {\"count\": N}; with --store sqlite, tickets.sqlite); "
                 "an existing file must already be a ticket db");
  app.add_option("--store", o->store, "json: the tutorials' JSON file; sqlite: an SQLite database (WAL mode)")
      ->capture_default_str()
      ->check(CLI::IsMember({"json", "sqlite"}));
  app.add_option("--sql", o->sql,
                 "with --store sqlite, how a buyer buys: naive (select, wait, update: the race; the default), "
                 "transaction (BEGIN IMMEDIATE ... COMMIT), atomic (one UPDATE ... WHERE count > 0)")
      ->check(CLI::IsMember({"naive", "transaction", "atomic"}));
  add_seconds(app, "--busy-timeout", o->busy_timeout,
              "with --store sqlite, how long a buyer waits for the database's write lock before SQLITE_BUSY "
              "(scaled by --speed, never below 10 s or S; 0: no wait)")
      ->each([o](const std::string&) { o->busy_timeout_given = true; });
  app.add_flag("--lock", o->lock, "guard read-wait-write with a process-shared Lock");
  add_seconds(app, "--search-max", o->search_max, "search waits a random 0..S seconds");
  add_seconds(app, "--buy-min", o->buy_min, "purchase waits at least S seconds");
  add_seconds(app, "--buy-max", o->buy_max, "purchase waits at most S seconds");
  add_whole(app, "--crash-holder", o->crash_holder,
            "buyer K is killed while holding the lock (needs --lock), or inside its transaction before COMMIT "
            "(--sql transaction); 0: none",
            0, 20000);
  add_whole(app, "--crash-writer", o->crash_writer,
            "buyer K is killed right after its sale reaches the db, before it reports it (0: none)", 0, 20000);
  return [o](Context& ctx) { return run_ticket(*o, ctx); };
}

}  // namespace mpdemo
