// The ticket "db" of the tutorials: a JSON document {"count": N} on disk,
// read and written whole. Every write is atomic (a temporary file in the same
// directory, flushed to the disk, then rename(2)), so a reader sees the old
// document or the new one, never half of one, and neither a crash nor a
// power loss leaves the user's file broken (after a power loss the previous
// count may come back: the rename itself is not waited for).
// Atomic writes do not make read-modify-write safe: that is the race the
// ticket scenario shows, and what a Lock around it fixes.
//
// What is read is bounded, because the file is input from outside: at most
// kMaxDbBytes, nested at most kMaxDbDepth deep, a count from 0 to
// kMaxTicketCount. Anything else is a DbError naming the file; the file is
// left as it was. Only a regular file is ever read or replaced: a symbolic
// link, FIFO, device or directory given as the db is refused untouched.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mp/errors.hpp"

namespace mp {

// A ticket db is a few bytes; 64 KiB leaves room for fields a user adds.
inline constexpr std::size_t kMaxDbBytes = 64 * 1024;
// {"count": N} is one level; anything nested deeper than this is not a db
// (and bounds the recursion of whatever later walks the document).
inline constexpr int kMaxDbDepth = 32;
// The count is a std::int64_t on both sides of the file.
inline constexpr std::int64_t kMaxTicketCount = std::numeric_limits<std::int64_t>::max();

// A db that cannot be used: missing, unreadable, not a regular file,
// malformed, out of range, or a write that failed. what() is English and
// starts with the path; key() names the problem ("db.not_regular", ...) and
// fields() holds the values its text names ("path" always), so an app can
// say it in the user's language.
class DbError : public Error {
 public:
  DbError(std::string key, nlohmann::json fields, const std::string& english)
      : Error(english), key_(std::move(key)), fields_(std::move(fields)) {}
  const std::string& key() const noexcept { return key_; }
  const nlohmann::json& fields() const noexcept { return fields_; }

 private:
  std::string key_;
  nlohmann::json fields_;
};

// Parses the bytes of a db file named `path` (the name is only used in
// errors); returns its count or throws DbError, never another exception.
// The one parser of the db: TicketDb::read_count uses it, and so can a fuzz
// target.
std::int64_t parse_ticket_db(std::string_view bytes, const std::string& path);

class TicketDb {
 public:
  // The process that constructs the db owns the temporary files that it and
  // its children (copies made by fork) write; see remove_stale_temporaries.
  explicit TicketDb(std::string path);

  // Reads the whole document; throws DbError unless `path` is a regular
  // file (not a symbolic link) holding a valid db. Never blocks on a FIFO.
  std::int64_t read_count() const;
  // Replaces the document with {"count": count}; throws DbError. Used once
  // the db is known to be a db (after read_count or reset_count).
  void write_count(std::int64_t count) const;
  // Starts a db with `count`: creates it if the path does not exist;
  // replaces it only if it already is a ticket db (read_count succeeds).
  // Anything else at the path is a DbError and is left untouched.
  void reset_count(std::int64_t count) const;
  // Throws DbError unless a temporary file can be created beside the db:
  // what every write needs, checked before any writer starts.
  void check_writable() const;
  // Removes temporary files of this db left by writers that were killed
  // between creating and renaming them: those of this owner (call it when
  // no writer runs any more) and those of owners no longer alive (left by
  // an earlier run that was killed). Returns how many were removed.
  int remove_stale_temporaries() const;

  const std::string& path() const noexcept { return path_; }

 private:
  enum class Replace { Allowed, Refused };
  void write(std::int64_t count, Replace replace) const;
  std::string temporary_prefix() const;

  std::string path_;
  pid_t owner_;  // the process that made this db object; names its temporary files
};

}  // namespace mp
