// The errors both ticket stores raise (the JSON file, ticket_db.cpp, and the
// SQLite database, ticket_sqlite.cpp), made one way: a DbError whose key the
// catalogues say in the user's language, whose English starts with the path.
// Defined in ticket_db.cpp.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace mp::detail {

// How much of a value or a library message goes into an error: enough to
// recognise it, never the whole of a hostile input.
inline constexpr std::size_t kExcerptBytes = 40;
inline constexpr std::size_t kDetailBytes = 160;

std::string shortened(std::string text, std::size_t limit);
[[noreturn]] void throw_db_error(std::string key, const std::string& path, nlohmann::json fields,
                                 const std::string& english);
[[noreturn]] void fail_errno(std::string key, const std::string& path, const std::string& doing, int err);
// `path` exists but is a symbolic link, FIFO, device, directory or socket.
[[noreturn]] void fail_not_regular(const std::string& path, mode_t mode);
[[noreturn]] void fail_count_range(const std::string& path, const std::string& value);

}  // namespace mp::detail
