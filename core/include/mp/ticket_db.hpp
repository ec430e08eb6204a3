// The ticket "db" of the tutorials: a JSON document {"count": N} on disk,
// read and written whole. Every write is atomic (a temporary file in the same
// directory, then rename(2)), so a reader sees the old document or the new
// one, never half of one, and a crash never leaves the user's file broken.
// Atomic writes do not make read-modify-write safe: that is the race the
// ticket scenario shows, and what a Lock around it fixes.
#pragma once

#include <cstdint>
#include <string>

#include "mp/errors.hpp"

namespace mp {

// A missing, unreadable or malformed db. what() starts with the path.
class DbError : public Error {
  using Error::Error;
};

class TicketDb {
 public:
  explicit TicketDb(std::string path) : path_(std::move(path)) {}

  // Reads the whole document; throws DbError unless it is an object whose
  // "count" is a non-negative integer.
  std::int64_t read_count() const;
  // Replaces the document with {"count": count}; throws DbError.
  void write_count(std::int64_t count) const;

  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

}  // namespace mp
