#include "output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mp/errors.hpp"
#include "mp/unique_fd.hpp"
#include "scenario.hpp"

namespace mpdemo {

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw UsageError("output.no_name");
  const auto slash = path_.rfind('/');
  const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path_.substr(0, slash);
  struct stat st {};
  if (::stat(folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw UsageError("output.no_folder", {{"path", path_}, {"folder", folder}});
  if (::access(folder.c_str(), W_OK) != 0) throw UsageError("output.cannot_write", {{"path", path_}, {"errno", errno}});
  if (::stat(path_.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw UsageError("output.is_folder", {{"path", path_}});
}

void OutputFile::commit(std::string_view content) {
  const std::string temporary = path_ + ".tmp-" + std::to_string(::getpid());
  mp::UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw mp::OSError("create " + temporary, errno);
  try {
    mp::write_all(fd.get(), content.data(), content.size());
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
  fd.reset();
  if (::rename(temporary.c_str(), path_.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    throw mp::OSError("rename " + temporary + " -> " + path_, error);
  }
}

}  // namespace mpdemo
