// Every scenario whose lesson has a fix flag (see `mpdemo explain NAME`): the
// race and its lock, the interleaving and its join, the lost record and
// O_APPEND, the private copy and shared memory. A scenario that is not here
// shows both halves in one run already (join-timing, value-array) or has
// variants that are not a fix of one another (zombie's --mode, orphan's
// --no-subreaper): --compare says so and exits 2.
#include "compare_table.hpp"

namespace mpdemo {

std::span<const CompareEntry> compare_table() {
  static constexpr CompareEntry kEntries[] = {
      {"isolation", {"", "--shared"}, {"x_in_main", "x_in_child", "shared_in_main"}},
      {"print-lock", {"", "--join", "--lock"}, {"overlaps", "order", "span", "work_sum"}},
      {"ticket", {"", "--lock"}, {"sold", "remaining", "oversold", "lost_updates"}},
      // The fix is the default here: the first run takes it away.
      {"file-append", {"--no-append", ""}, {"records", "lost", "torn", "stale_cursors"}},
      {"manager", {"", "--lock"}, {"final", "expected", "lost_updates"}},
  };
  return kEntries;
}

const CompareEntry* find_compare(std::string_view scenario) {
  for (const auto& e : compare_table())
    if (scenario == e.scenario) return &e;
  return nullptr;
}

}  // namespace mpdemo
