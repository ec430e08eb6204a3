// A file written whole or not at all. The path is checked before the run
// (its folder exists and is writable, it is not a folder itself), so a bad
// path is an error before anything runs; the content goes to PATH.tmp-PID
// and is renamed over PATH once complete. Nothing exists on disk until then,
// so a run ended by a signal leaves no stray file.
#pragma once

#include <string>
#include <string_view>

namespace mpdemo {

class OutputFile {
 public:
  OutputFile() = default;
  // Throws UsageError naming the path and the reason when it cannot be written.
  explicit OutputFile(std::string path);

  bool wanted() const { return !path_.empty(); }  // a path was given
  const std::string& path() const { return path_; }
  // Writes `content` and renames it into place; throws mp::OSError on failure
  // (and removes the temporary file).
  void commit(std::string_view content);

 private:
  std::string path_;
};

}  // namespace mpdemo
