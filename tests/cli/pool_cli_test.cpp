// mpdemo pool through the real binary: map order, apply vs apply_async, callbacks, imap, close/join.
#include <catch2/catch.hpp>

#include <set>

#include "support/mpdemo_runner.hpp"

using test::run_json;

TEST_CASE("pool: every lesson's check holds", "[cli][pool]") {
  auto workers = GENERATE(1, 2, 5);
  auto r = run_json({"pool", "--workers", std::to_string(workers), "--map-tasks", "40", "--tasks", "6", "--speed",
                     "0.05", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["ok"] == true);
  CHECK(s["apply_max_concurrent"] == 1);
  CHECK(s["apply_async_max_concurrent"].get<int>() <= workers);
  CHECK(s["map_worker_pids"].get<int>() <= workers);
  CHECK(s["imap_order"] == nlohmann::json({0, 1, 2, 3, 4}));
  auto unordered = s["imap_unordered_order"].get<std::vector<int>>();
  CHECK(std::set<int>(unordered.begin(), unordered.end()) == std::set<int>{0, 1, 2, 3, 4});
}

TEST_CASE("pool: callbacks run in the main process, tasks in the workers", "[cli][pool]") {
  auto r = run_json({"pool", "--map-tasks", "10", "--tasks", "3", "--callbacks", "4", "--speed", "0.05", "--seed", "2"});
  REQUIRE(r.exit_code == 0);
  const int main_pid = r.summary()["main_pid"].get<int>();
  std::set<int> worker_pids;
  int callbacks = 0;
  for (const auto& e : r.events) {
    const std::string kind = e.value("kind", "");
    if (kind == "pool.worker_started") {
      CHECK(e["pid"] == main_pid);  // the pool forks its workers from the main process
      worker_pids.insert(e["worker_pid"].get<int>());
    }
    if (kind == "pool.work") CHECK(worker_pids.count(e["pid"].get<int>()) == 1);
    if (kind == "pool.callback") {
      ++callbacks;
      CHECK(e["pid"] == main_pid);   // the event was sent by the main process
      CHECK(e["here"] == main_pid);  // and getpid() in the callback said so
      CHECK(e["worker"] != main_pid);
    }
  }
  CHECK(worker_pids.size() == 5);
  CHECK(callbacks == 4);
}

TEST_CASE("pool: apply_async runs tasks side by side, apply does not", "[cli][pool]") {
  // 6 tasks of 0.5 s at --speed 0.4 (0.2 s each) on 3 workers: apply takes
  // about 1.2 s, apply_async about 0.4 s. The margins are wide on purpose.
  auto r = run_json({"pool", "--workers", "3", "--map-tasks", "10", "--tasks", "6", "--callbacks", "1", "--imap-tasks",
                     "2", "--speed", "0.4", "--seed", "3"});
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["apply_seconds"].get<double>() >= 1.1);
  CHECK(s["apply_async_seconds"].get<double>() < s["apply_seconds"].get<double>());
  CHECK(s["apply_async_max_concurrent"].get<int>() >= 2);
}
