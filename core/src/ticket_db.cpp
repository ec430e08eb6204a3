#include "mp/ticket_db.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>

#include "db_errors.hpp"
#include "stale_files.hpp"
#include "mp/unique_fd.hpp"

namespace mp {

using detail::fail_count_range;
using detail::fail_errno;
using detail::fail_not_regular;
using detail::base_name_of;
using detail::directory_of;
using detail::kDetailBytes;
using detail::kExcerptBytes;
using detail::shortened;
using detail::throw_db_error;

namespace {

using nlohmann::json;

// The deepest nesting of arrays and objects in a JSON text, counted before
// parsing so that no later walk of the document can recurse without bound.
// Stops counting once past `limit`.
int nesting_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

std::string excerpt(const json& value) {
  if (value.is_array()) return "[...]";
  if (value.is_object()) return "{...}";
  return shortened(value.dump(), kExcerptBytes);
}

// What a path is when it is not a regular file: the key of its kind (the
// catalogue says it in the user's language) and its English.
struct FileKind {
  const char* key;
  const char* english;
};

FileKind file_kind_of(mode_t mode) {
  if (S_ISLNK(mode)) return {"symlink", "a symbolic link"};
  if (S_ISFIFO(mode)) return {"fifo", "a FIFO (named pipe)"};
  if (S_ISCHR(mode)) return {"char_device", "a character device"};
  if (S_ISBLK(mode)) return {"block_device", "a block device"};
  if (S_ISDIR(mode)) return {"directory", "a directory"};
  if (S_ISSOCK(mode)) return {"socket", "a socket"};
  return {"other", "a special file"};
}

}  // namespace

namespace detail {

std::string shortened(std::string text, std::size_t limit) {
  if (text.size() > limit) {
    text.resize(limit);
    text += "...";
  }
  return text;
}

[[noreturn]] void throw_db_error(std::string key, const std::string& path, json fields, const std::string& english) {
  fields["path"] = path;
  throw DbError(std::move(key), std::move(fields), path + ": " + english);
}

[[noreturn]] void fail_errno(std::string key, const std::string& path, const std::string& doing, int err) {
  throw_db_error(std::move(key), path, {{"reason", std::strerror(err)}}, doing + ": " + std::strerror(err));
}

[[noreturn]] void fail_not_regular(const std::string& path, mode_t mode) {
  const FileKind kind = file_kind_of(mode);
  throw_db_error("db.not_regular", path, {{"kind", kind.key}},
       std::string("is ") + kind.english + ", not a regular file holding a ticket db (left untouched)");
}

[[noreturn]] void fail_count_range(const std::string& path, const std::string& value) {
  throw_db_error("db.count_out_of_range", path, {{"value", value}, {"max", kMaxTicketCount}},
       "\"count\" is " + value + ": a ticket count must be from 0 to " + std::to_string(kMaxTicketCount));
}

}  // namespace detail

std::int64_t parse_ticket_db(std::string_view text, const std::string& path) {
  if (text.size() > kMaxDbBytes)
    throw_db_error("db.too_large", path, {{"limit", kMaxDbBytes}},
         "larger than " + std::to_string(kMaxDbBytes) + " bytes: not a ticket db");
  if (nesting_depth(text, kMaxDbDepth) > kMaxDbDepth)
    throw_db_error("db.too_deep", path, {{"limit", kMaxDbDepth}},
         "nested deeper than " + std::to_string(kMaxDbDepth) + " levels: not a ticket db");
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.byte is 1-based; turn it into line:column for a human.
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') { ++line; col = 1; } else { ++col; }
    }
    std::string why = e.what();
    auto pos = why.find("parse error");
    why = shortened(pos == std::string::npos ? why : why.substr(pos), kDetailBytes);
    throw DbError("db.not_json", {{"path", path}, {"line", line}, {"column", col}, {"detail", why}},
                  path + ":" + std::to_string(line) + ":" + std::to_string(col) + ": not valid JSON (" + why + ")");
  } catch (const json::exception&) {
    // out_of_range 406: a number beyond a double's range (1e400, or an
    // integer of hundreds of digits). The message would quote all of it.
    throw_db_error("db.number_out_of_range", path, json::object(), "holds a number beyond the range of a double (like 1e400)");
  }
  if (!doc.is_object()) throw_db_error("db.not_object", path, json::object(), "expected a JSON object like {\"count\": 1}");
  auto it = doc.find("count");
  if (it == doc.end()) throw_db_error("db.no_count", path, json::object(), "no \"count\" field (expected {\"count\": N})");
  const json& count = *it;
  if (count.is_number_unsigned()) {
    const auto value = count.get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(kMaxTicketCount)) fail_count_range(path, count.dump());
    return static_cast<std::int64_t>(value);
  }
  if (count.is_number_integer()) {
    const auto value = count.get<std::int64_t>();
    if (value < 0) fail_count_range(path, count.dump());
    return value;
  }
  if (count.is_number_float()) {
    // A whole number too large for an integer (1e19, or 30 digits) is out
    // of range rather than "not an integer".
    const double value = count.get<double>();
    if (std::isfinite(value) && value == std::floor(value) &&
        (value < 0 || value > static_cast<double>(kMaxTicketCount)))
      fail_count_range(path, excerpt(count));
  }
  throw_db_error("db.count_not_integer", path, {{"value", excerpt(count)}}, "\"count\" is " + excerpt(count) + ", not an integer");
}

TicketDb::TicketDb(std::string path) : path_(std::move(path)), owner_(::getpid()) {}

std::int64_t TicketDb::read_count() const {
  // lstat first: a FIFO or a device is refused before open() could block
  // on it or wake it; a symbolic link is refused, not followed.
  struct stat st {};
  if (::lstat(path_.c_str(), &st) != 0) fail_errno("db.cannot_open", path_, "cannot open", errno);
  if (!S_ISREG(st.st_mode)) fail_not_regular(path_, st.st_mode);
  // O_NOFOLLOW and O_NONBLOCK again, and fstat, for a path swapped in between.
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
  if (!fd) fail_errno("db.cannot_open", path_, "cannot open", errno);
  if (::fstat(fd.get(), &st) != 0) fail_errno("db.cannot_read", path_, "cannot read", errno);
  if (!S_ISREG(st.st_mode)) fail_not_regular(path_, st.st_mode);
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("db.cannot_read", path_, "cannot read", errno);
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > kMaxDbBytes) break;  // parse_ticket_db reports it; no need to read the rest
  }
  return parse_ticket_db(text, path_);
}

void TicketDb::write_count(std::int64_t count) const { write(count, Replace::Allowed); }

void TicketDb::reset_count(std::int64_t count) const {
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0) {
    read_count();  // throws unless it is a regular file holding a db
    write(count, Replace::Allowed);
    return;
  }
  if (errno != ENOENT) fail_errno("db.cannot_open", path_, "cannot open", errno);
  write(count, Replace::Refused);
}

void TicketDb::check_writable() const {
  // A named probe, not O_TMPFILE: a write needs to create a name here too.
  std::string probe = temporary_prefix() + "XXXXXX";
  UniqueFd fd(::mkostemp(probe.data(), O_CLOEXEC));
  if (!fd) fail_errno("db.cannot_create_temporary", path_, "cannot create a temporary file beside it", errno);
  ::unlink(probe.c_str());
}

std::string TicketDb::temporary_prefix() const {
  // ".db.json.tmp.<owner pid>.": the owner's pid tells a leftover of a run
  // still going from one whose run was killed.
  return directory_of(path_) + "/." + base_name_of(path_) + ".tmp." + std::to_string(owner_) + ".";
}

// The new document as a file with no name yet (O_TMPFILE), so that a writer
// killed while writing or flushing leaves nothing behind; then a unique
// temporary name, then rename over the db. Only between those two calls does
// a name exist that a killed writer would leave (remove_stale_temporaries
// finds it). Where the filesystem has no O_TMPFILE the file is named from
// the start (mkostemp).
void TicketDb::write(std::int64_t count, Replace replace) const {
  if (count < 0) fail_count_range(path_, std::to_string(count));
  const std::string text = json{{"count", count}}.dump() + "\n";
  // Each writer has its own temporary file (and name): concurrent writers
  // never clobber each other's.
  std::string tmp = temporary_prefix() + "XXXXXX";
  UniqueFd fd(::open(directory_of(path_).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644));
  const bool unnamed = fd.valid();
  if (!unnamed) {
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
      fail_errno("db.cannot_create_temporary", path_, "cannot create a temporary file beside it", errno);
    fd.reset(::mkostemp(tmp.data(), O_CLOEXEC));
    if (!fd) fail_errno("db.cannot_create_temporary", path_, "cannot create a temporary file beside it", errno);
  }
  auto fail_and_clean = [&](const char* key, const char* doing, int err) {
    if (!unnamed) ::unlink(tmp.c_str());
    fail_errno(key, path_, doing, err);
  };
  try {
    write_all(fd.get(), text.data(), text.size());
  } catch (const OSError& e) {
    fail_and_clean("db.cannot_write", "cannot write", e.err());
  }
  ::fchmod(fd.get(), 0644);
  // The bytes reach the disk before the name does: without this a power
  // loss after the rename can leave an empty file under the db's name.
  if (::fsync(fd.get()) != 0) fail_and_clean("db.cannot_write", "cannot write", errno);
  if (unnamed) {
    // linkat through /proc needs no privilege (AT_EMPTY_PATH would).
    const std::string self = "/proc/self/fd/" + std::to_string(fd.get());
    // "<prefix><writer pid>-<n>": unique among live writers; n steps past a
    // leftover of an earlier process that had the same pid.
    for (int n = 0;; ++n) {
      std::string name = temporary_prefix() + std::to_string(::getpid()) + "-" + std::to_string(n);
      if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
        tmp = std::move(name);
        break;
      }
      if (errno != EEXIST || n >= 1000)
        fail_errno("db.cannot_create_temporary", path_, "cannot create a temporary file beside it", errno);
    }
  }
  fd.reset();
  // A new db must not replace something created meanwhile at its path.
  const int rc = replace == Replace::Allowed ? ::rename(tmp.c_str(), path_.c_str())
                                             : ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE);
  if (rc != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail_errno("db.cannot_replace", path_, "cannot replace", err);
  }
}

int TicketDb::remove_stale_temporaries() const {
  // ".db.json.tmp.<pid>.XXXXXX": ours (a leftover of this process) or a
  // killed run's.
  return detail::remove_left_by_ended(directory_of(path_), "." + base_name_of(path_) + ".tmp.",
                                      [](std::string_view rest) { return !rest.empty() && rest[0] == '.'; }, owner_);
}

}  // namespace mp
