#include "mp/ticket_db.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "mp/unique_fd.hpp"

namespace mp {
namespace {

std::string errno_text() { return std::strerror(errno); }

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::int64_t TicketDb::read_count() const {
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw DbError(path_ + ": cannot open: " + errno_text());
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw DbError(path_ + ": cannot read: " + errno_text());
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > (1 << 20)) throw DbError(path_ + ": too large for a ticket db (over 1 MiB)");
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based; turn it into line:column for a human.
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') { ++line; col = 1; } else { ++col; }
    }
    std::string why = e.what();
    auto pos = why.find("parse error");
    throw DbError(path_ + ":" + std::to_string(line) + ":" + std::to_string(col) + ": not valid JSON (" +
                  (pos == std::string::npos ? why : why.substr(pos)) + ")");
  }
  if (!doc.is_object()) throw DbError(path_ + ": expected a JSON object like {\"count\": 1}");
  auto it = doc.find("count");
  if (it == doc.end()) throw DbError(path_ + ": no \"count\" field (expected {\"count\": N})");
  if (!it->is_number_integer()) throw DbError(path_ + ": \"count\" is " + it->dump() + ", not an integer");
  std::int64_t count = it->get<std::int64_t>();
  if (count < 0) throw DbError(path_ + ": \"count\" is " + std::to_string(count) + ", must not be negative");
  return count;
}

void TicketDb::write_count(std::int64_t count) const {
  if (count < 0) throw DbError(path_ + ": refusing to write a negative count");
  std::string tmp = directory_of(path_) + "/.db.tmp.XXXXXX";
  // mkstemp gives each writer its own temporary name: concurrent writers
  // never clobber each other's half-written file.
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) throw DbError(path_ + ": cannot create a temporary file beside it: " + errno_text());
  std::string text = nlohmann::json{{"count", count}}.dump() + "\n";
  try {
    write_all(fd.get(), text.data(), text.size());
  } catch (const OSError& e) {
    ::unlink(tmp.c_str());
    throw DbError(path_ + ": cannot write: " + e.what());
  }
  ::fchmod(fd.get(), 0644);
  fd.reset();
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw DbError(path_ + ": cannot replace: " + why);
  }
}

}  // namespace mp
