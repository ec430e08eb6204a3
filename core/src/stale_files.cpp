#include "stale_files.hpp"

#include <dirent.h>
#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

namespace mp::detail {

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int remove_left_by_ended(const std::string& dir, const std::string& prefix, bool (*rest_ok)(std::string_view),
                         pid_t also) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return 0;
  int removed = 0;
  while (const dirent* entry = ::readdir(d.get())) {
    const std::string_view name = entry->d_name;
    if (name.substr(0, prefix.size()) != prefix) continue;
    const std::string rest(name.substr(prefix.size()));
    char* end = nullptr;
    errno = 0;
    const long pid = std::strtol(rest.c_str(), &end, 10);
    if (errno != 0 || end == rest.c_str() || pid <= 0 || !rest_ok(end)) continue;
    const bool ours = pid == also;
    const bool owner_gone = ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
    if (!ours && !owner_gone) continue;  // a writer that is still at work
    if (::unlinkat(::dirfd(d.get()), entry->d_name, 0) == 0) ++removed;
  }
  return removed;
}

}  // namespace mp::detail
