// echo-server's count of processes serving at once (scenarios/serving_table.hpp),
// checked on tables laid out by hand: no server, no sockets.
#include <catch2/catch.hpp>

#include "../../scenarios/serving_table.hpp"

using mpdemo::count_servers;
using mpdemo::ServingTable;

namespace {

bool every_pid_alive(pid_t) { return true; }

}  // namespace

TEST_CASE("echo-server's serving count: a worker met twice in one read of the table counts once",
          "[echo-server][serving-table]") {
  // Worker 101 ended its first connection (entry 0) and took the fourth
  // (entry 3) while worker 102 read the table: it read entry 0 before 101
  // cleared it and entry 3 after 101 wrote it. Two workers serve, not three.
  ServingTable table;
  table.serving_pid[0] = 101;
  table.serving_pid[1] = 102;
  table.serving_pid[3] = 101;
  CHECK(count_servers(table, 102, every_pid_alive) == 2);
}

TEST_CASE("echo-server's serving count: ended connections and dead servers do not count",
          "[echo-server][serving-table]") {
  ServingTable table;
  table.serving_pid[0] = 0;    // a connection that ended
  table.serving_pid[1] = 201;  // killed while serving: its entry was never cleared
  table.serving_pid[2] = 202;
  table.serving_pid[5] = 203;
  const auto alive = [](pid_t pid) { return pid != 201; };
  CHECK(count_servers(table, 203, alive) == 2);
  // The reader counts itself without asking whether it runs.
  CHECK(count_servers(table, 203, [](pid_t) { return false; }) == 1);
  CHECK(count_servers(ServingTable{}, 300, every_pid_alive) == 0);
}
