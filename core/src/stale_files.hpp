// What a process killed while writing a database leaves beside it: a file
// named after the database and after that process ("<dir>/<prefix><pid>...").
// Shared by the JSON db (its temporaries) and the SQLite store (a new
// database made under a temporary name), so both find leftovers one way.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace mp::detail {

// "dir/name" -> "dir" ("." without a slash, "/" at the root) and "name".
std::string directory_of(const std::string& path);
std::string base_name_of(const std::string& path);

// Removes each file in `dir` named `prefix` + "<pid>" + rest, where
// `rest_ok(rest)` holds, whose pid no longer runs or is `also` (a process's
// own leftovers from before). A pid that runs is a writer still at work.
// Returns how many it removed.
int remove_left_by_ended(const std::string& dir, const std::string& prefix, bool (*rest_ok)(std::string_view),
                         pid_t also = 0);

}  // namespace mp::detail
