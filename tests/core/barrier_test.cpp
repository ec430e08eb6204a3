// mp::Barrier: parties, arrival indices, the action once per generation,
// reuse, and breaking by timeout, abort() and reset().
#include "mp/barrier.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <vector>

#include "mp/errors.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "support/proc_watch.hpp"

namespace {

constexpr int kGenerations = 5;
constexpr int kParties = 4;

// What the parties of the reuse test record, each in its own slot.
struct Record {
  int actions = 0;                           // times the action ran
  pid_t action_pid[kGenerations] = {};       // who ran it, per generation
  int index[kGenerations][kParties] = {};    // wait()'s result per generation and party
};

}  // namespace

TEST_CASE("a Barrier reports its parties and refuses fewer than one", "[core][barrier]") {
  mp::Barrier barrier(3);
  CHECK(barrier.parties() == 3);
  CHECK(barrier.n_waiting() == 0);
  CHECK_FALSE(barrier.broken());
  CHECK_THROWS_AS(mp::Barrier(0), mp::ValueError);
  mp::Barrier alone(1);
  CHECK(alone.wait() == 0);  // one party passes at once
  CHECK(alone.wait() == 0);
}

TEST_CASE("a Barrier releases its parties together, generation after generation", "[core][barrier]") {
  mp::Shared<Record> shared;
  Record* rec = shared.get();
  // The action runs in the last arrival, before anyone goes on.
  mp::Barrier barrier(kParties, [rec] {
    if (rec->actions < kGenerations) rec->action_pid[rec->actions] = ::getpid();
    ++rec->actions;
  });
  std::vector<mp::Process> ps;
  // Exit codes: 0 fine, 2 passed before the action ran, 3 ran the action but index wrong.
  for (int party = 0; party < kParties; ++party)
    ps.emplace_back([&barrier, rec, party] {
      for (int gen = 0; gen < kGenerations; ++gen) {
        const int index = barrier.wait(30.0);
        rec->index[gen][party] = index;
        if (rec->actions < gen + 1) throw mp::SystemExit{2};
        if ((index == kParties - 1) != (rec->action_pid[gen] == ::getpid())) throw mp::SystemExit{3};
      }
    });
  for (auto& p : ps) p.start();
  REQUIRE(test::join_all(ps));
  for (auto& p : ps) CHECK(p.exitcode() == 0);
  CHECK(rec->actions == kGenerations);
  for (int gen = 0; gen < kGenerations; ++gen) {
    // The indices of one generation are 0..parties-1, each exactly once.
    std::vector<int> seen(kParties, 0);
    for (int party = 0; party < kParties; ++party) {
      const int index = rec->index[gen][party];
      REQUIRE(index >= 0);
      REQUIRE(index < kParties);
      ++seen[index];
    }
    CHECK(seen == std::vector<int>(kParties, 1));
  }
  CHECK_FALSE(barrier.broken());
  CHECK(barrier.n_waiting() == 0);
}

TEST_CASE("a wait that times out breaks the Barrier for every party", "[core][barrier]") {
  mp::Barrier barrier(3);
  // Exit codes: 0 BrokenBarrierError, 2 passed the barrier.
  auto party = [&barrier](mp::Timeout timeout) {
    return [&barrier, timeout] {
      try {
        barrier.wait(timeout);
      } catch (const mp::BrokenBarrierError&) {
        return;
      }
      throw mp::SystemExit{2};
    };
  };
  mp::Process patient(party(std::nullopt));  // would wait forever
  patient.start();
  REQUIRE(test::wait_until([&] { return barrier.n_waiting() == 1; }));
  mp::Process hasty(party(0.2));
  hasty.start();
  REQUIRE(test::join_one(hasty));
  REQUIRE(test::join_one(patient));
  CHECK(hasty.exitcode() == 0);
  CHECK(patient.exitcode() == 0);
  CHECK(barrier.broken());
  CHECK_THROWS_AS(barrier.wait(1.0), mp::BrokenBarrierError);
  barrier.reset();
  CHECK_FALSE(barrier.broken());
}

TEST_CASE("a Barrier's default timeout applies when wait() gives none", "[core][barrier]") {
  mp::Barrier barrier(2, {}, 0.2);
  CHECK_THROWS_AS(barrier.wait(), mp::BrokenBarrierError);
  CHECK(barrier.broken());
}

TEST_CASE("abort() breaks a Barrier for the processes waiting in it", "[core][barrier]") {
  mp::Barrier barrier(3);
  std::vector<mp::Process> ps;
  // Exit codes: 0 BrokenBarrierError, 2 passed the barrier.
  for (int i = 0; i < 2; ++i)
    ps.emplace_back([&barrier] {
      try {
        barrier.wait(30.0);
      } catch (const mp::BrokenBarrierError&) {
        return;
      }
      throw mp::SystemExit{2};
    });
  for (auto& p : ps) p.start();
  REQUIRE(test::wait_until([&] { return barrier.n_waiting() == 2; }));
  barrier.abort();
  REQUIRE(test::join_all(ps));
  for (auto& p : ps) CHECK(p.exitcode() == 0);
  CHECK(barrier.broken());
  CHECK(barrier.n_waiting() == 0);
  CHECK_THROWS_AS(barrier.wait(1.0), mp::BrokenBarrierError);
}

TEST_CASE("reset() turns waiters away and leaves the Barrier usable", "[core][barrier]") {
  mp::Barrier barrier(3);
  // Exit codes: 0 turned away by the reset, then passed a full generation;
  // 2 passed the first wait; 3 the second wait failed.
  auto party = [&barrier] {
    try {
      barrier.wait(30.0);
      throw mp::SystemExit{2};
    } catch (const mp::BrokenBarrierError&) {
    }
    try {
      barrier.wait(30.0);
    } catch (const mp::BrokenBarrierError&) {
      throw mp::SystemExit{3};
    }
  };
  std::vector<mp::Process> ps;
  ps.emplace_back(party);
  ps.emplace_back(party);
  for (auto& p : ps) p.start();
  REQUIRE(test::wait_until([&] { return barrier.n_waiting() == 2; }));
  barrier.reset();
  CHECK_FALSE(barrier.broken());
  // Both come back for the next generation; the parent makes the third.
  CHECK(barrier.wait(30.0) >= 0);
  REQUIRE(test::join_all(ps));
  for (auto& p : ps) CHECK(p.exitcode() == 0);
  CHECK_FALSE(barrier.broken());
}

TEST_CASE("an action that throws breaks the Barrier and reaches its caller", "[core][barrier]") {
  mp::Barrier barrier(2, [] { throw std::runtime_error("action failed"); });
  // Exit code 0: the other party got BrokenBarrierError.
  mp::Process other([&barrier] {
    try {
      barrier.wait(30.0);
    } catch (const mp::BrokenBarrierError&) {
      return;
    }
    throw mp::SystemExit{2};
  });
  other.start();
  REQUIRE(test::wait_until([&] { return barrier.n_waiting() == 1; }));
  CHECK_THROWS_AS(barrier.wait(30.0), std::runtime_error);  // the parent arrives last
  REQUIRE(test::join_one(other));
  CHECK(other.exitcode() == 0);
  CHECK(barrier.broken());
}
