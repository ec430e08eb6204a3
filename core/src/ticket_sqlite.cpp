#include "mp/ticket_sqlite.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <memory>

#include "db_errors.hpp"
#include "stale_files.hpp"
#include "mp/unique_fd.hpp"

namespace mp {

using detail::fail_count_range;
using detail::fail_errno;
using detail::fail_not_regular;
using detail::kDetailBytes;
using detail::kExcerptBytes;
using detail::shortened;
using detail::throw_db_error;

// RAII owners of the library's handles. A connection is closed after its
// statements (members are destroyed in reverse order); sqlite3_close_v2
// would also wait for a forgotten statement instead of failing. In a named
// namespace: TicketSqlite::Handles holds them, and a member of a class with
// linkage should not have a type of an anonymous namespace.
namespace sqlite_handles {
struct SqliteCloser {
  void operator()(sqlite3* db) const noexcept { ::sqlite3_close_v2(db); }
};
using SqliteConnection = std::unique_ptr<sqlite3, SqliteCloser>;
struct SqliteFinalizer {
  void operator()(sqlite3_stmt* statement) const noexcept { ::sqlite3_finalize(statement); }
};
using SqliteStatement = std::unique_ptr<sqlite3_stmt, SqliteFinalizer>;
}  // namespace sqlite_handles

using sqlite_handles::SqliteConnection;
using sqlite_handles::SqliteStatement;

namespace {

using nlohmann::json;

// Resets a statement when the step that used it is done, however it ended:
// a statement left mid-way keeps its read transaction (and, in WAL mode, an
// old snapshot) open, and then the next write of this connection waits on
// itself or fails.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* statement) : statement_(statement) {}
  ~ResetOnExit() {
    ::sqlite3_reset(statement_);
    ::sqlite3_clear_bindings(statement_);
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  sqlite3_stmt* statement_;
};

// The schema of a new database; `count` is checked by the database too.
constexpr const char* kCreateTable = "CREATE TABLE tickets (count INTEGER NOT NULL CHECK (count >= 0))";

// A failed call as a DbError naming the file. SQLITE_BUSY is DbBusy (the
// lock stayed taken: a wait that ran out, not a fault); SQLITE_NOTADB is a
// file that is not a database; anything else carries SQLite's own message.
[[noreturn]] void fail_sqlite(const std::string& path, sqlite3* db, int rc, double busy_timeout = 0) {
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY) {
    json fields = {{"path", path}, {"seconds", busy_timeout}};
    throw DbBusy("db.busy", fields,
                 path + ": the database stayed locked for " + std::to_string(busy_timeout) + " s (SQLITE_BUSY)");
  }
  if (primary == SQLITE_NOTADB)
    throw_db_error("db.not_sqlite", path, json::object(), "not an SQLite database (left untouched)");
  const std::string detail = shortened(db ? ::sqlite3_errmsg(db) : ::sqlite3_errstr(rc), kDetailBytes);
  throw_db_error("db.sqlite_error", path, {{"detail", detail}}, "SQLite: " + detail);
}

SqliteConnection open_connection(const std::string& path, double busy_timeout) {
  sqlite3* raw = nullptr;
  // No SQLITE_OPEN_CREATE: prepare_ticket_sqlite makes a new file itself.
  // NOFOLLOW: a symbolic link swapped in at the path is refused.
  const int rc = ::sqlite3_open_v2(path.c_str(), &raw,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_EXRESCODE, nullptr);
  SqliteConnection db(raw);  // owned even when the open failed
  if (rc != SQLITE_OK) fail_sqlite(path, db.get(), rc);
  // Milliseconds in an int: at most 3600 s x --speed 100 reaches here.
  const double ms = std::min(std::round(busy_timeout * 1000.0), static_cast<double>(INT_MAX));
  ::sqlite3_busy_timeout(db.get(), static_cast<int>(ms));
  return db;
}

SqliteStatement prepare_statement(sqlite3* db, const std::string& path, const char* sql, double busy_timeout = 0) {
  sqlite3_stmt* raw = nullptr;
  const int rc = ::sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  SqliteStatement statement(raw);
  if (rc != SQLITE_OK) fail_sqlite(path, db, rc, busy_timeout);
  return statement;
}

// Runs a statement that returns no row to its end.
void run_statement(sqlite3* db, const std::string& path, sqlite3_stmt* statement, double busy_timeout = 0) {
  ResetOnExit reset(statement);
  const int rc = ::sqlite3_step(statement);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) fail_sqlite(path, db, rc, busy_timeout);
}

void run_sql(sqlite3* db, const std::string& path, const char* sql) {
  SqliteStatement statement = prepare_statement(db, path, sql);
  run_statement(db, path, statement.get());
}

// Reads the ticket count of an existing file without writing anything:
// the file must be an SQLite database with the table, one row, and an
// integer count in range. Throws DbError otherwise (the file untouched).
std::int64_t read_checked_count(sqlite3* db, const std::string& path) {
  // The first read of the file: SQLITE_NOTADB here for anything else.
  SqliteStatement has_table =
      prepare_statement(db, path, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tickets'");
  {
    ResetOnExit reset(has_table.get());
    const int rc = ::sqlite3_step(has_table.get());
    if (rc != SQLITE_ROW) fail_sqlite(path, db, rc);
    if (::sqlite3_column_int64(has_table.get(), 0) == 0)
      throw_db_error("db.sqlite_no_table", path, json::object(),
                     "an SQLite database without the table \"tickets\" (left untouched)");
  }
  sqlite3_stmt* raw = nullptr;
  if (::sqlite3_prepare_v2(db, "SELECT count, typeof(count) FROM tickets LIMIT 2", -1, &raw, nullptr) != SQLITE_OK) {
    SqliteStatement failed(raw);
    throw_db_error("db.sqlite_bad_table", path, {{"detail", shortened(::sqlite3_errmsg(db), kDetailBytes)}},
                   "table \"tickets\" is not a ticket table (" + std::string(::sqlite3_errmsg(db)) +
                       "; left untouched)");
  }
  SqliteStatement rows(raw);
  ResetOnExit reset(rows.get());
  int rc = ::sqlite3_step(rows.get());
  if (rc == SQLITE_DONE)
    throw_db_error("db.sqlite_no_row", path, json::object(),
                   "table \"tickets\" holds no row (expected one; left untouched)");
  if (rc != SQLITE_ROW) fail_sqlite(path, db, rc);
  const std::string type = reinterpret_cast<const char*>(::sqlite3_column_text(rows.get(), 1));
  if (type != "integer") {
    const unsigned char* text = ::sqlite3_column_text(rows.get(), 0);
    const std::string value = shortened(text ? reinterpret_cast<const char*>(text) : "NULL", kExcerptBytes);
    throw_db_error("db.count_not_integer", path, {{"value", value}}, "\"count\" is " + value + ", not an integer");
  }
  const std::int64_t count = ::sqlite3_column_int64(rows.get(), 0);
  if (count < 0) fail_count_range(path, std::to_string(count));
  rc = ::sqlite3_step(rows.get());
  if (rc == SQLITE_ROW)
    throw_db_error("db.sqlite_many_rows", path, json::object(),
                   "table \"tickets\" holds more than one row (expected one; left untouched)");
  if (rc != SQLITE_DONE) fail_sqlite(path, db, rc);
  return count;
}

void set_journal_wal(sqlite3* db, const std::string& path) {
  SqliteStatement statement = prepare_statement(db, path, "PRAGMA journal_mode = WAL");
  ResetOnExit reset(statement.get());
  const int rc = ::sqlite3_step(statement.get());
  if (rc != SQLITE_ROW) fail_sqlite(path, db, rc);
  const unsigned char* mode = ::sqlite3_column_text(statement.get(), 0);
  if (!mode || std::string(reinterpret_cast<const char*>(mode)) != "wal")
    throw_db_error("db.sqlite_error", path, {{"detail", "cannot switch to WAL mode"}},
                   "SQLite: cannot switch to WAL mode");
}

void write_count(sqlite3* db, const std::string& path, std::int64_t count) {
  SqliteStatement update = prepare_statement(db, path, "UPDATE tickets SET count = ?1");
  ::sqlite3_bind_int64(update.get(), 1, count);
  run_statement(db, path, update.get());
}

// A file this process created for a new database: removed again, with any
// -wal, -shm or -journal file beside it, unless the database was finished.
class NewFile {
 public:
  explicit NewFile(std::string path) : path_(std::move(path)) {}
  ~NewFile() {
    if (finished_) return;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path_ + suffix).c_str());
  }
  NewFile(const NewFile&) = delete;
  NewFile& operator=(const NewFile&) = delete;
  void finished() { finished_ = true; }

 private:
  std::string path_;
  bool finished_ = false;
};

std::int64_t create_database(const std::string& path, std::int64_t count) {
  if (count < 0) fail_count_range(path, std::to_string(count));
  NewFile file(path);
  {
    SqliteConnection db = open_connection(path, 0);
    set_journal_wal(db.get(), path);
    run_sql(db.get(), path, "BEGIN IMMEDIATE");
    run_sql(db.get(), path, kCreateTable);
    SqliteStatement insert = prepare_statement(db.get(), path, "INSERT INTO tickets (count) VALUES (?1)");
    ::sqlite3_bind_int64(insert.get(), 1, count);
    run_statement(db.get(), path, insert.get());
    run_sql(db.get(), path, "COMMIT");
  }  // closed: the -wal file is folded in and removed
  file.finished();
  return count;
}

// Where a new database is made before it gets its name: beside it, named
// after it and after the process that makes it (".tickets.sqlite.new.<pid>").
std::string new_database_prefix(const std::string& path) {
  return detail::directory_of(path) + "/." + detail::base_name_of(path) + ".new.";
}

// The new databases (and their -wal, -shm, -journal files) left beside
// `path` by a process that was killed while making one.
void remove_stale_new_databases(const std::string& path) {
  detail::remove_left_by_ended(detail::directory_of(path), "." + detail::base_name_of(path) + ".new.",
                               [](std::string_view rest) { return rest.empty() || rest[0] == '-'; });
}

// A new database at `path`, made complete under a temporary name and then
// renamed to `path`, refusing to replace anything that appeared there
// meanwhile. So the path never names a half-made database: a run killed
// while making it (SIGKILL runs no destructor) leaves at most the
// temporary, which the next run removes; before, it left an empty file that
// every later run refused as "a database without the table". False when
// something now exists at `path` (the caller reads that instead).
bool create_database_in_place(const std::string& path, std::int64_t count) {
  remove_stale_new_databases(path);
  const std::string temporary = new_database_prefix(path) + std::to_string(::getpid());
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((temporary + suffix).c_str());
  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd) fail_errno("db.cannot_create", path, "cannot create", errno);
  fd.reset();
  NewFile file(temporary);
  create_database(temporary, count);  // closed again: nothing is left beside it
  if (::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) {
    file.finished();
    return true;
  }
  if (errno == EEXIST) return false;  // NewFile removes ours
  fail_errno("db.cannot_create", path, "cannot create", errno);
}

}  // namespace

std::int64_t prepare_ticket_sqlite(const std::string& path, std::optional<std::int64_t> reset_to) {
  // lstat first, as for the JSON file: a FIFO or a device is refused before
  // anything could open (and block on) it, a symbolic link is not followed.
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT || !reset_to) fail_errno("db.cannot_open", path, "cannot open", errno);
    // If something appeared at the path meanwhile, it is not ours to fill
    // or to remove: it is read below like any existing file.
    if (create_database_in_place(path, *reset_to)) return *reset_to;
    if (::lstat(path.c_str(), &st) != 0) fail_errno("db.cannot_open", path, "cannot open", errno);
  }
  if (!S_ISREG(st.st_mode)) fail_not_regular(path, st.st_mode);
  SqliteConnection db = open_connection(path, 0);
  const std::int64_t count = read_checked_count(db.get(), path);
  // From here on it is known to be a ticket database: it may be written.
  set_journal_wal(db.get(), path);
  if (!reset_to) return count;
  write_count(db.get(), path, *reset_to);
  return *reset_to;
}

struct TicketSqlite::Handles {
  SqliteConnection db;  // destroyed last
  SqliteStatement select_count, begin_immediate, set_count, take_one, commit, rollback;
};

TicketSqlite::TicketSqlite(std::string path, double busy_timeout)
    : path_(std::move(path)), busy_timeout_(busy_timeout), handles_(std::make_unique<Handles>()) {
  Handles& h = *handles_;
  h.db = open_connection(path_, busy_timeout_);
  h.select_count = prepare_statement(h.db.get(), path_, "SELECT count FROM tickets", busy_timeout_);
  h.begin_immediate = prepare_statement(h.db.get(), path_, "BEGIN IMMEDIATE", busy_timeout_);
  h.set_count = prepare_statement(h.db.get(), path_, "UPDATE tickets SET count = ?1", busy_timeout_);
  h.take_one = prepare_statement(h.db.get(), path_,
                                 "UPDATE tickets SET count = count - 1 WHERE count > 0 RETURNING count", busy_timeout_);
  h.commit = prepare_statement(h.db.get(), path_, "COMMIT", busy_timeout_);
  h.rollback = prepare_statement(h.db.get(), path_, "ROLLBACK", busy_timeout_);
}

// Closing rolls back a transaction still open (a buyer that stopped between
// BEGIN and COMMIT), and the last connection to close removes the -wal file.
TicketSqlite::~TicketSqlite() = default;

std::int64_t TicketSqlite::count() {
  sqlite3_stmt* s = handles_->select_count.get();
  ResetOnExit reset(s);
  const int rc = ::sqlite3_step(s);
  if (rc != SQLITE_ROW) fail_sqlite(path_, handles_->db.get(), rc, busy_timeout_);
  return ::sqlite3_column_int64(s, 0);
}

void TicketSqlite::begin_immediate() {
  run_statement(handles_->db.get(), path_, handles_->begin_immediate.get(), busy_timeout_);
}

void TicketSqlite::set_count(std::int64_t count) {
  if (count < 0) fail_count_range(path_, std::to_string(count));
  ::sqlite3_bind_int64(handles_->set_count.get(), 1, count);
  run_statement(handles_->db.get(), path_, handles_->set_count.get(), busy_timeout_);
}

std::optional<std::int64_t> TicketSqlite::take_one() {
  sqlite3* db = handles_->db.get();
  sqlite3_stmt* s = handles_->take_one.get();
  ResetOnExit reset(s);
  std::int64_t left = 0;
  int rc;
  while ((rc = ::sqlite3_step(s)) == SQLITE_ROW) left = ::sqlite3_column_int64(s, 0);
  if (rc != SQLITE_DONE) fail_sqlite(path_, db, rc, busy_timeout_);
  // The rows the UPDATE changed decide the sale: 1, this buyer got a
  // ticket; 0, none was left when the database ran the statement.
  if (::sqlite3_changes(db) == 0) return std::nullopt;
  return left;
}

void TicketSqlite::commit() { run_statement(handles_->db.get(), path_, handles_->commit.get(), busy_timeout_); }

void TicketSqlite::rollback() { run_statement(handles_->db.get(), path_, handles_->rollback.get(), busy_timeout_); }

}  // namespace mp
