// The tutorials' store: a JSON file {"count": N}, read and written whole
// (mp::TicketDb). A purchase is read, wait, write count - 1: exact only
// under --lock.
#include "mp/ticket_db.hpp"
#include "ticket_store.hpp"

namespace mpdemo {
namespace {

class JsonSession : public BuyerSession {
 public:
  explicit JsonSession(const mp::TicketDb& db) : db_(db) {}
  std::int64_t search() override { return db_.read_count(); }
  std::int64_t read() override { return db_.read_count(); }
  bool writes(std::int64_t count_read) const override { return count_read > 0; }
  std::optional<std::int64_t> buy(std::int64_t count_read) override {
    if (count_read <= 0) return std::nullopt;
    db_.write_count(count_read - 1);
    return count_read - 1;
  }

 private:
  const mp::TicketDb& db_;
};

class JsonStore : public TicketStore {
 public:
  explicit JsonStore(const std::string& path) : db_(path) {}

  std::int64_t prepare(std::int64_t tickets, bool keep) override {
    if (keep) {
      tickets = db_.read_count();
      db_.check_writable();
    } else {
      db_.reset_count(tickets);
    }
    temporaries_removed_ = db_.remove_stale_temporaries();  // of earlier runs that were killed
    return tickets;
  }
  std::unique_ptr<BuyerSession> open_session() const override { return std::make_unique<JsonSession>(db_); }
  StoreEnd finish() override {
    // A buyer killed between creating its temporary file and renaming it
    // left the file behind; no writer runs now, so every one of ours goes.
    temporaries_removed_ += db_.remove_stale_temporaries();
    return {db_.read_count(), true};
  }
  bool exact() const override { return false; }
  bool has_write_lock() const override { return false; }
  nlohmann::json figures() const override {
    return {{"store", "json"}, {"temporary_files_removed", temporaries_removed_}};
  }

 private:
  mp::TicketDb db_;  // made in the main process; a child uses its copy
  int temporaries_removed_ = 0;
};

}  // namespace

std::unique_ptr<TicketStore> make_json_store(const std::string& path) { return std::make_unique<JsonStore>(path); }

}  // namespace mpdemo
