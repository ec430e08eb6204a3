// The ticket count in an SQLite database (mp::TicketSqlite), bought in one
// of three ways (--sql); see ticket_store.hpp.
#include "mp/ticket_sqlite.hpp"
#include "ticket_store.hpp"

namespace mpdemo {
namespace {

class SqliteSession : public BuyerSession {
 public:
  // Opened by the buyer itself, after its fork: never an inherited connection.
  SqliteSession(const std::string& path, SqlMode mode, double busy_timeout) : db_(path, busy_timeout), mode_(mode) {}

  std::int64_t search() override { return db_.count(); }
  bool transactional() const override { return mode_ == SqlMode::Transaction; }
  void begin() override {
    if (mode_ == SqlMode::Transaction) db_.begin_immediate();
  }
  std::int64_t read() override { return db_.count(); }
  bool database_decides() const override { return mode_ == SqlMode::Atomic; }
  bool writes(std::int64_t count_read) const override { return mode_ == SqlMode::Atomic || count_read > 0; }
  std::optional<std::int64_t> buy(std::int64_t count_read) override {
    // The database decides: whatever this buyer read before its wait.
    if (mode_ == SqlMode::Atomic) return db_.take_one();
    // naive and transaction: the application decides from what it read.
    if (count_read <= 0) return std::nullopt;
    db_.set_count(count_read - 1);
    return count_read - 1;
  }
  void commit() override {
    if (mode_ == SqlMode::Transaction) db_.commit();
  }

 private:
  mp::TicketSqlite db_;
  SqlMode mode_;
};

class SqliteStore : public TicketStore {
 public:
  SqliteStore(std::string path, SqlMode mode, double busy_timeout)
      : path_(std::move(path)), mode_(mode), busy_timeout_(busy_timeout) {}

  std::int64_t prepare(std::int64_t tickets, bool keep) override {
    // Opens, checks and closes the file: no connection is open when the
    // buyers are forked.
    return mp::prepare_ticket_sqlite(path_, keep ? std::nullopt : std::optional<std::int64_t>(tickets));
  }
  std::unique_ptr<BuyerSession> open_session() const override {
    return std::make_unique<SqliteSession>(path_, mode_, busy_timeout_);
  }
  StoreEnd finish() override {
    // Every buyer has ended, so nobody may hold the write lock now: a
    // BEGIN IMMEDIATE that does not wait shows it (a buyer killed inside
    // its transaction lost the lock with its life). Closing this last
    // connection folds the -wal file in and removes it.
    mp::TicketSqlite db(path_, 0);
    StoreEnd end;
    try {
      db.begin_immediate();
    } catch (const mp::DbBusy&) {
      end.write_lock_free = false;
    }
    end.count = db.count();
    if (end.write_lock_free) db.rollback();
    return end;
  }
  bool exact() const override { return mode_ != SqlMode::Naive; }
  bool has_write_lock() const override { return mode_ == SqlMode::Transaction; }
  nlohmann::json figures() const override {
    static constexpr const char* kNames[] = {"naive", "transaction", "atomic"};
    return {{"store", "sqlite"}, {"sql", kNames[static_cast<int>(mode_)]}, {"busy_timeout", busy_timeout_}};
  }

 private:
  std::string path_;
  SqlMode mode_;
  double busy_timeout_;
};

}  // namespace

std::unique_ptr<TicketStore> make_sqlite_store(const std::string& path, SqlMode mode, double busy_timeout) {
  return std::make_unique<SqliteStore>(path, mode, busy_timeout);
}

}  // namespace mpdemo
