// mp::Pool reports its workers' lives as events (pool.worker_started,
// pool.worker_exited, pool.worker_died) so scenarios can show recycling and
// deaths.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "mp/events.hpp"
#include "mp/pool.hpp"
#include "pool_test_support.hpp"
#include "support/event_capture.hpp"

using namespace pooltest;

TEST_CASE("the pool emits an event when a worker starts and when it leaves or dies", "[core][pool]") {
  test::EventCapture events;
  {
    mp::Pool pool(1, {}, 2);  // each worker leaves after two tasks
    for (int i = 0; i < 4; ++i) pool.apply(square, i);
    CHECK_THROWS_AS(pool.apply_async(die_by_sigkill, 0).get(30.0), mp::RemoteError);
    pool.apply(square, 9);  // on the replacement, so it has surely started before close()
    pool.close();
    pool.join();
  }
  std::map<std::string, std::vector<nlohmann::json>> by_kind;
  for (auto& e : events.drain()) by_kind[e["kind"].get<std::string>()].push_back(e);

  // Workers 1 and 2 ran two tasks each and left; worker 3 died; worker 4 ran
  // one task and was stopped by close().
  REQUIRE(by_kind["pool.worker_started"].size() == 4);
  for (auto& e : by_kind["pool.worker_started"]) {
    CHECK(e["worker"] == 0);
    CHECK(e["pid"] == ::getpid());  // reported by the pool, in the main process
    CHECK(e["worker_name"].get<std::string>().rfind("PoolWorker-", 0) == 0);
  }
  std::set<long> started;
  for (auto& e : by_kind["pool.worker_started"]) started.insert(e["worker_pid"].get<long>());
  CHECK(started.size() == 4);

  REQUIRE(by_kind["pool.worker_exited"].size() == 3);
  CHECK(by_kind["pool.worker_exited"][0]["tasks"] == 2);
  CHECK(by_kind["pool.worker_exited"][1]["tasks"] == 2);
  CHECK(by_kind["pool.worker_exited"][2]["tasks"] == 1);

  REQUIRE(by_kind["pool.worker_died"].size() == 1);
  const auto& died = by_kind["pool.worker_died"][0];
  CHECK(died["signal"] == SIGKILL);
  CHECK(died["signal_name"] == "SIGKILL");
  CHECK(died["lost_task"] == true);
  CHECK(started.count(died["worker_pid"].get<long>()) == 1);
}
