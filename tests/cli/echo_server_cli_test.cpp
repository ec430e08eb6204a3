// mpdemo echo-server through the real binary: correct replies; a pool serves at most its size at once.
#include <catch2/catch.hpp>

#include <set>

#include "support/mpdemo_runner.hpp"

using test::run_json;

TEST_CASE("echo-server --mode process: a handler process per connection", "[cli][echo-server]") {
  auto clients = GENERATE(1, 6);
  auto r = run_json({"echo-server", "--clients", std::to_string(clients), "--speed", "0.05", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["ok"] == true);
  CHECK(s["replies_ok"] == clients * 3);
  CHECK(s["server_pids"] == clients);
  CHECK(s["port"].get<int>() > 0);
  std::set<int> handlers;
  for (const auto& e : r.events)
    if (e.value("kind", "") == "echo.serving") handlers.insert(e["pid"].get<int>());
  CHECK(static_cast<int>(handlers.size()) == clients);
}

TEST_CASE("echo-server --mode pool: never more served at once than workers", "[cli][echo-server]") {
  struct Case {
    int workers, clients;
  };
  auto c = GENERATE(Case{4, 6}, Case{2, 5}, Case{1, 3});
  auto r = run_json({"echo-server", "--mode", "pool", "--workers", std::to_string(c.workers), "--clients",
                     std::to_string(c.clients), "--speed", "0.05", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const auto& s = r.summary();
  CHECK(s["ok"] == true);
  CHECK(s["replies_ok"] == c.clients * 3);
  CHECK(s["max_served_at_once"].get<int>() <= c.workers);
  CHECK(s["server_pids"].get<int>() <= c.workers);
  for (const auto& e : r.events)
    if (e.value("kind", "") == "echo.serving") CHECK(e["serving"].get<int>() <= c.workers);
}

TEST_CASE("echo-server --mode pool: clients beyond the pool size wait for a worker", "[cli][echo-server]") {
  // Each conversation lasts 3 x 0.5 s x 0.4 = 0.6 s; clients 5 and 6 connect
  // while all four workers are busy, so their first reply takes far longer
  // than the others'.
  auto r = run_json({"echo-server", "--mode", "pool", "--speed", "0.4", "--seed", "2"});
  REQUIRE(r.exit_code == 0);
  const auto waits = r.summary()["first_reply_waits"].get<std::vector<double>>();
  REQUIRE(waits.size() == 6);
  CHECK(waits[4] > 0.2);
  CHECK(waits[5] > 0.2);
  CHECK(r.summary()["max_served_at_once"] == 4);
}

TEST_CASE("echo-server --mode pool: a client that waits for a free worker says so when it starts waiting",
          "[cli][echo-server]") {
  auto r = test::run_json({"echo-server", "--mode", "pool", "--speed", "0.1", "--seed", "1"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  // Six clients, four workers: clients beyond the fourth wait a whole conversation.
  std::set<int> waiting;
  double first_wait_at = 1e9, first_reply_at = 1e9;
  for (const auto& e : r.events) {
    if (e.value("kind", "") == "echo.client_waiting") {
      waiting.insert(e["client"].get<int>());
      first_wait_at = std::min(first_wait_at, e["t"].get<double>());
    }
  }
  CHECK(!waiting.empty());
  for (const auto& c : r.summary()["clients_that_waited"]) CHECK(waiting.count(c.get<int>()) == 1);
  // The waiting line comes before that client's first reply.
  for (const auto& e : r.events)
    if (e.value("kind", "") == "echo.client_reply" && waiting.count(e["client"].get<int>()))
      first_reply_at = std::min(first_reply_at, e["t"].get<double>());
  CHECK(first_wait_at < first_reply_at);
}
