#include "python_twin.hpp"

#include <cstdio>
#include <string_view>

#include "catalog.hpp"
#include "error_text.hpp"
#include "mpdata/embedded.hpp"

namespace mpdemo {

int print_python_twin(const std::string& name, const Catalog& catalog) {
  const nlohmann::json fields = {{"name", name}};
  const auto program = mpdata::find("python/" + name + "-twin.py");
  if (!program) {
    std::fputs(error_line(catalog, "mpdemo explain", catalog.text("python.missing", fields)).c_str(), stderr);
    return 2;
  }
  std::string_view rest = *program;
  // The header is a comment, so the output stays a runnable program; it goes
  // after the shebang, which must remain the first line.
  if (rest.substr(0, 2) == "#!") {
    const auto end = rest.find('\n');
    const std::string_view shebang = rest.substr(0, end == std::string_view::npos ? rest.size() : end + 1);
    std::fwrite(shebang.data(), 1, shebang.size(), stdout);
    rest.remove_prefix(shebang.size());
  }
  std::printf("%s\n", catalog.text("python.header", fields).c_str());
  std::fwrite(rest.data(), 1, rest.size(), stdout);
  return 0;
}

}  // namespace mpdemo
