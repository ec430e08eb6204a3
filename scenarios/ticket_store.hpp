// Where the ticket scenario keeps its count, and how a buyer buys there.
//
// Two stores, one shape, so scenarios/ticket.cpp tells one story:
//   json    the tutorials' JSON file (mp::TicketDb): read, wait, write back;
//   sqlite  an SQLite database (mp::TicketSqlite), bought one of three ways:
//     naive        SELECT count, wait, UPDATE ... SET count = ? in autocommit:
//                  the JSON race again, on a real database;
//     transaction  BEGIN IMMEDIATE, select, wait, update, COMMIT: the others
//                  wait on the database's write lock (busy_timeout);
//     atomic       one UPDATE ... SET count = count - 1 WHERE count > 0 after
//                  the wait: the database decides, nothing is held across it.
//
// A TicketStore lives in the main process: it prepares the store before any
// buyer is forked and reads the result after they all ended. Each buyer
// opens its own BuyerSession after the fork (an SQLite connection must
// never cross a fork: see mp/ticket_sqlite.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace mpdemo {

enum class SqlMode { Naive, Transaction, Atomic };

// One buyer's way into the store, used in that buyer's process only.
class BuyerSession {
 public:
  virtual ~BuyerSession() = default;
  // A plain read of the count (the buyer's search).
  virtual std::int64_t search() = 0;
  // Whether begin() takes the database's write lock, held until commit().
  virtual bool transactional() const { return false; }
  virtual void begin() {}
  // The read the purchase starts from.
  virtual std::int64_t read() = 0;
  // Whether buy() ignores what was read and lets the database decide.
  virtual bool database_decides() const { return false; }
  // Whether buy(count_read) writes to the store.
  virtual bool writes(std::int64_t count_read) const = 0;
  // Buys one ticket if it can: the count left after this sale, or nothing
  // when sold out. The JSON file and naive/transaction decide from
  // `count_read`; atomic lets the database decide.
  virtual std::optional<std::int64_t> buy(std::int64_t count_read) = 0;
  // Ends what begin() started (a no-op without a transaction).
  virtual void commit() {}
};

// What the main process finds in the store once every buyer has ended.
struct StoreEnd {
  std::int64_t count = 0;
  // False if a write lock was still taken with no buyer left alive.
  bool write_lock_free = true;
};

class TicketStore {
 public:
  virtual ~TicketStore() = default;
  // Before any buyer is forked: checks what is at the path (only a ticket
  // store is ever changed), starts it with `tickets` or keeps its count.
  // Returns the starting count. Throws mp::DbError.
  virtual std::int64_t prepare(std::int64_t tickets, bool keep) = 0;
  // In a buyer, after the fork.
  virtual std::unique_ptr<BuyerSession> open_session() const = 0;
  // After every buyer has ended.
  virtual StoreEnd finish() = 0;
  // Whether sales are exact without --lock (transaction, atomic).
  virtual bool exact() const = 0;
  // Whether a buyer can hold the store's own write lock (transaction).
  virtual bool has_write_lock() const = 0;
  // The store's own figures for the summary.
  virtual nlohmann::json figures() const = 0;
};

std::unique_ptr<TicketStore> make_json_store(const std::string& path);
// busy_timeout: real seconds a statement waits for the write lock.
std::unique_ptr<TicketStore> make_sqlite_store(const std::string& path, SqlMode mode, double busy_timeout);

}  // namespace mpdemo
