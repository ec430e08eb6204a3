// The ticket db on a real database: an SQLite file holding one table,
//   CREATE TABLE tickets (count INTEGER NOT NULL CHECK (count >= 0))
// with one row. Beside the JSON file (ticket_db.hpp) it shows what a real
// system relies on instead of a process lock: the database's own write lock
// (BEGIN IMMEDIATE) and a single UPDATE that decides in the database.
//
// The database runs in WAL mode: readers never wait for the writer, one
// writer at a time holds the write lock, and a process killed in the middle
// of a transaction leaves no trace in the file (its frames in the -wal file
// have no commit record; the kernel drops its fcntl locks when it dies).
// The last connection to close folds the -wal file back into the database
// and removes the -wal and -shm files.
//
// Fork: an SQLite connection must never be carried across fork() (sqlite.org,
// "How To Corrupt An SQLite Database File", section 2.6: the child would
// share the parent's file descriptors and lock state). So nothing here is
// copied into a child open: the main process prepares the file and closes
// it before any buyer is forked, and each buyer opens its own TicketSqlite
// after the fork. The library's own global state (its mutexes, the list of
// open files) is touched only by the thread that forks, never during a fork,
// so a child finds it unlocked (core/FORK_SAFETY.md, rule 2 in effect).
//
// What is read is input from outside: a file that is not an SQLite database,
// lacks the table, holds other than one row, or a count that is not an
// integer from 0 to kMaxTicketCount is a DbError naming the file, found
// before anything is written, and the file is left as it was.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "mp/ticket_db.hpp"

namespace mp {

// SQLITE_BUSY: the database's write lock stayed taken for the whole busy
// timeout, so the statement gave up. Not a crash: the caller says so.
class DbBusy : public DbError {
 public:
  using DbError::DbError;
};

// Starts the ticket database at `path`, in the calling process, and closes
// it again before returning (so that nothing open is carried into a fork).
// A path that does not exist becomes a new database with the table and one
// row holding *reset_to. An existing path is used only if it is a regular
// file holding a ticket database; then its count is set to *reset_to, or
// kept when reset_to is empty. Returns the count the database now holds.
// Throws DbError; whatever is at an existing path that is not a ticket
// database is left untouched, and a new file that could not be finished is
// removed.
std::int64_t prepare_ticket_sqlite(const std::string& path, std::optional<std::int64_t> reset_to);

// One connection to a ticket database prepared by prepare_ticket_sqlite.
// Open it in the process that uses it (see "Fork" above). Every statement
// is reset as soon as it is done, so no read transaction is left open
// between calls. Each call throws DbBusy when the busy timeout ran out, or
// DbError for any other failure.
class TicketSqlite {
 public:
  // Waits up to `busy_timeout` seconds for a lock another connection holds
  // (sqlite3_busy_timeout) before a statement returns SQLITE_BUSY; 0 does
  // not wait at all.
  TicketSqlite(std::string path, double busy_timeout);
  ~TicketSqlite();
  TicketSqlite(const TicketSqlite&) = delete;
  TicketSqlite& operator=(const TicketSqlite&) = delete;

  // SELECT count FROM tickets.
  std::int64_t count();
  // BEGIN IMMEDIATE: returns once this connection holds the write lock.
  void begin_immediate();
  // UPDATE tickets SET count = ? (the application decided the new value).
  void set_count(std::int64_t count);
  // UPDATE tickets SET count = count - 1 WHERE count > 0: the database
  // decides. Returns the count left when one row changed (sqlite3_changes),
  // nothing when none did (sold out).
  std::optional<std::int64_t> take_one();
  void commit();
  void rollback();

  const std::string& path() const noexcept { return path_; }

 private:
  struct Handles;  // the sqlite3* and its prepared statements, closed in order
  std::string path_;
  double busy_timeout_;
  std::unique_ptr<Handles> handles_;
};

}  // namespace mp
