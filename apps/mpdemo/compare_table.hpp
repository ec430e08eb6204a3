// The two halves of a lesson (--compare): for each scenario with a fix, the
// runs to put side by side (without the fix, then with it; print-lock has
// two fixes, so three runs) and the figures of their summaries to show.
//
// Texts live in the catalogues (data/messages/<lang>/compare.json):
//   compare.<scenario>.<i>   the header of run i's column ("no lock", "--lock")
//   compare.field.<figure>   a row's label ("sold", "lost updates")
#pragma once

#include <span>
#include <string_view>

namespace CLI {
class App;
}

namespace mpdemo {

inline constexpr int kMaxCompareRuns = 3;
inline constexpr int kMaxCompareFigures = 6;

struct CompareEntry {
  const char* scenario;
  // "--option=value": the entry holds when the run has that value (ticket
  // --store sqlite compares its SQL, not a Lock); "" always. The first
  // entry of a scenario that holds is used.
  const char* when;
  const char* key;  // the catalogue's compare.<key>.<i>
  // Each run's own arguments (space-separated, "" for none), added to what
  // the user gave; nullptr ends the list. The first run is without the fix.
  const char* runs[kMaxCompareRuns + 1];
  // Summary figures shown row by row; nullptr ends the list.
  const char* figures[kMaxCompareFigures + 1];
};

std::span<const CompareEntry> compare_table();
// True when some run of the scenario has a fix to compare (its --help says so).
bool has_compare(std::string_view scenario);
// The entry for this parsed run of the scenario, or nullptr.
const CompareEntry* find_compare(const CLI::App& scenario);

}  // namespace mpdemo
