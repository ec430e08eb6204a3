// ticket_race on a real database: the same 200 buyer processes and n / 2
// tickets as ticket_race (the JSON file under an mp::Lock), with the count
// in an SQLite database in WAL mode, bought the three ways `mpdemo ticket
// --store sqlite --sql ...` teaches:
//   naive        SELECT, then UPDATE ... SET count = ?, under an mp::Lock (as
//                ticket_race: without it the naive code oversells);
//   transaction  BEGIN IMMEDIATE, SELECT, UPDATE, COMMIT: no process lock,
//                the database's write lock serialises the buyers;
//   atomic       UPDATE ... SET count = count - 1 WHERE count > 0: one
//                statement, no lock held by the application.
// Timed as ticket_race: from the first fork to the last join, so each buyer's
// connection (opened after its fork: never carried across one) is counted.
// Each case checks that exactly n / 2 tickets were sold and none is left.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "cases.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "mp/ticket_sqlite.hpp"
#include "sqlite_cases.hpp"

namespace bench {
namespace {

enum class Way { Naive, Transaction, Atomic };

// A buyer waits this long for the write lock: far beyond 200 commits.
constexpr double kBusyTimeout = 60.0;

double sqlite_race(std::int64_t n, Way way, const char* name) {
  std::string dir = std::filesystem::temp_directory_path().string() + "/mpbench-XXXXXX";
  if (!::mkdtemp(dir.data())) throw std::runtime_error("mkdtemp failed");
  const std::string path = dir + "/tickets.sqlite";
  const std::int64_t tickets = n / 2;
  mp::prepare_ticket_sqlite(path, tickets);  // opened and closed again before any fork
  mp::Lock lock;
  mp::Shared<std::atomic<std::int64_t>> sold(0);
  const double t = now();
  std::vector<mp::Process> ps;
  ps.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    ps.emplace_back([&] {
      mp::TicketSqlite db(path, kBusyTimeout);  // this buyer's own connection, after the fork
      bool bought = false;
      if (way == Way::Atomic) {
        bought = db.take_one().has_value();
      } else if (way == Way::Transaction) {
        db.begin_immediate();
        const std::int64_t count = db.count();
        if (count > 0) db.set_count(count - 1);
        db.commit();
        bought = count > 0;
      } else {
        std::lock_guard guard(lock);
        const std::int64_t count = db.count();
        if (count > 0) db.set_count(count - 1);
        bought = count > 0;
      }
      if (bought) sold->fetch_add(1);
    });
  for (auto& p : ps) p.start();
  for (auto& p : ps) p.join();
  const double dt = now() - t;
  int failed = 0;
  for (auto& p : ps) failed += p.exitcode().value_or(-1) != 0 ? 1 : 0;
  const std::int64_t left = mp::TicketSqlite(path, 0).count();
  std::filesystem::remove_all(dir);
  if (failed != 0) throw std::runtime_error(std::string(name) + ": " + std::to_string(failed) + " buyers failed");
  if (left != 0 || sold->load() != tickets)
    throw std::runtime_error(std::string(name) + ": sold " + std::to_string(sold->load()) + " of " +
                             std::to_string(tickets) + ", " + std::to_string(left) + " left");
  return dt;
}

}  // namespace

double ticket_race_sqlite_naive(std::int64_t n) { return sqlite_race(n, Way::Naive, "ticket_race_sqlite_naive"); }
double ticket_race_sqlite_transaction(std::int64_t n) {
  return sqlite_race(n, Way::Transaction, "ticket_race_sqlite_transaction");
}
double ticket_race_sqlite_atomic(std::int64_t n) { return sqlite_race(n, Way::Atomic, "ticket_race_sqlite_atomic"); }

}  // namespace bench
