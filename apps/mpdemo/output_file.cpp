#include "output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "mp/errors.hpp"
#include "scenario.hpp"

namespace mpdemo {

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  temporary_ = path_ + ".tmp-" + std::to_string(::getpid());
  fd_.reset(::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd_) throw UsageError("cannot write " + path_ + ": " + std::strerror(errno));
}

OutputFile::~OutputFile() {
  if (fd_) ::unlink(temporary_.c_str());
}

void OutputFile::commit(std::string_view content) {
  mp::write_all(fd_.get(), content.data(), content.size());
  fd_.reset();
  if (::rename(temporary_.c_str(), path_.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary_.c_str());
    throw mp::OSError("rename " + temporary_ + " -> " + path_, error);
  }
}

}  // namespace mpdemo
