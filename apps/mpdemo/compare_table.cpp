// Every scenario whose lesson has a fix flag (see `mpdemo explain NAME`): the
// race and its lock, the interleaving and its join, the lost record and
// O_APPEND, the private copy and shared memory. A scenario that is not here
// shows both halves in one run already (join-timing, value-array) or has
// variants that are not a fix of one another (zombie's --mode, orphan's
// --no-subreaper): --compare says so and exits 2.
#include "compare_table.hpp"

#include <CLI/CLI.hpp>

#include "predict_quiz.hpp"

namespace mpdemo {

std::span<const CompareEntry> compare_table() {
  static constexpr CompareEntry kEntries[] = {
      {"isolation", "", "isolation", {"", "--shared"}, {"x_in_main", "x_in_child", "shared_in_main"}},
      {"print-lock", "", "print-lock", {"", "--join", "--lock"}, {"overlaps", "order", "span", "work_sum"}},
      // On SQLite the fixes are the database's own: a transaction, one atomic UPDATE.
      {"ticket", "--store=sqlite", "ticket.sqlite", {"--sql naive", "--sql transaction", "--sql atomic"},
       {"sold", "remaining", "oversold", "lost_updates", "busy"}},
      {"ticket", "", "ticket", {"", "--lock"}, {"sold", "remaining", "oversold", "lost_updates"}},
      // The fix is the default here: the first run takes it away.
      {"file-append", "", "file-append", {"--no-append", ""}, {"records", "lost", "torn", "stale_cursors"}},
      {"manager", "", "manager", {"", "--lock"}, {"final", "expected", "lost_updates"}},
  };
  return kEntries;
}

bool has_compare(std::string_view scenario) {
  for (const auto& e : compare_table())
    if (scenario == e.scenario) return true;
  return false;
}

const CompareEntry* find_compare(const CLI::App& scenario) {
  for (const auto& e : compare_table()) {
    if (scenario.get_name() != e.scenario) continue;
    const std::string_view when = e.when;
    if (when.empty()) return &e;
    const auto eq = when.find('=');
    const CLI::Option* opt = scenario.get_option_no_throw(std::string(when.substr(0, eq)));
    if (opt && option_value(*opt) == when.substr(eq + 1)) return &e;
  }
  return nullptr;
}

}  // namespace mpdemo
