// Who is serving, for echo-server: a table in shared memory that every server
// process (handler or pool worker) updates, and the count of servers read
// from it. Header-only so that tests/cli/serving_table_test.cpp can check the
// count without a server.
#pragma once

#include <sys/types.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>

namespace mpdemo {

// Lives in shared memory made before any fork; the atomics are lock-free, so
// they work across processes. Each connection served takes an entry naming
// its server, rather than raising a count: a server killed while serving
// never lowers a count (its destructor does not run), so a replacement would
// be counted beside a dead process; a dead server's entry is simply not
// counted.
struct ServingTable {
  static constexpr int kEntries = 256;            // more than --clients allows: one per connection
  std::atomic<int> next{0};                       // the next free entry
  std::atomic<pid_t> serving_pid[kEntries] = {};  // the server of each connection; 0 once it ended
  std::atomic<int> max_serving{0};                // the most ever served at once
};

// How many processes serve a connection now, as seen by `self` (which is
// serving). The table is read entry by entry, not as one snapshot: a pool
// worker that ends one connection and accepts the next moves to a later
// entry, so one read of the table can meet it twice. A process serves one
// connection at a time, so it is counted once, by pid; before that rule the
// count read 3 with two workers (CI, echo-server --workers 2 --clients 5).
// `alive(pid)` says whether a pid other than self still runs.
template <class Alive>
int count_servers(const ServingTable& table, pid_t self, Alive alive) {
  std::array<pid_t, ServingTable::kEntries> seen{};
  std::size_t distinct = 0;
  for (const auto& entry : table.serving_pid) {
    const pid_t pid = entry.load();
    if (pid == 0 || std::find(seen.begin(), seen.begin() + distinct, pid) != seen.begin() + distinct) continue;
    if (pid != self && !alive(pid)) continue;
    seen[distinct++] = pid;
  }
  return static_cast<int>(distinct);
}

}  // namespace mpdemo
