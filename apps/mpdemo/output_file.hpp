// A file written whole or not at all: opened (as PATH.tmp-PID) before the
// run, so a path that cannot be written is an error before anything runs,
// and renamed over PATH only once its content is complete. Dropped
// uncommitted (an error, Ctrl-C), it leaves nothing behind.
#pragma once

#include <string>
#include <string_view>

#include "mp/unique_fd.hpp"

namespace mpdemo {

class OutputFile {
 public:
  OutputFile() = default;
  // Throws UsageError naming the path and the reason when it cannot be created.
  explicit OutputFile(std::string path);
  OutputFile(OutputFile&&) = default;
  OutputFile& operator=(OutputFile&&) = default;
  ~OutputFile();

  bool is_open() const { return fd_.valid(); }
  const std::string& path() const { return path_; }
  // Writes `content` and renames it into place; throws mp::OSError on failure.
  void commit(std::string_view content);

 private:
  std::string path_;
  std::string temporary_;
  mp::UniqueFd fd_;
};

}  // namespace mpdemo
