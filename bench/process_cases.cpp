// Cases about processes and locks: spawn_join, lock_counter, lock_handoff,
// ticket_race.
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <new>
#include <stdexcept>
#include <vector>

#include "cases.hpp"
#include "mp/detail/robust_mutex.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "mp/unique_fd.hpp"
#include "mp/value.hpp"
#include "mp/ticket_db.hpp"
#include "process_cases.hpp"

namespace bench {

double spawn_join(std::int64_t n) {
  const double t = now();
  std::vector<mp::Process> ps;
  ps.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) ps.emplace_back([] {});
  for (auto& p : ps) p.start();
  for (auto& p : ps) p.join();
  return now() - t;
}

double lock_counter(std::int64_t n) {
  // Python: Value('q', 0, lock=False) guarded by a separate Lock, 4 processes.
  mp::Value<std::int64_t> value(0, mp::Locking::Off);
  mp::Lock lock;
  const std::int64_t k = n / 4;
  const double t = now();
  std::vector<mp::Process> ps;
  for (int i = 0; i < 4; ++i)
    ps.emplace_back([&] {
      for (std::int64_t j = 0; j < k; ++j) {
        std::lock_guard guard(lock);
        value.raw() += 1;
      }
    });
  for (auto& p : ps) p.start();
  for (auto& p : ps) p.join();
  const double dt = now() - t;
  if (value.value() != n) throw std::runtime_error("lock_counter: counted " + std::to_string(value.value()));
  return dt;
}

double lock_handoff(std::int64_t n) {
  // The lock alone, as the peers' lock_handoff (bench/peers/gated_count.hpp):
  // the counter sits in the mutex's cache line, so an increment moves one
  // line between cores, not two; the 4 processes wait at a gate, and the
  // clock runs from its opening to the increment that reaches n, leaving out
  // fork and exit (they cost more in this binary than in a peer's). The
  // mutex and lock/unlock are mp::Lock's own.
  struct Counter {
    mp::detail::RobustMutex mutex;
    std::int64_t value = 0;
    alignas(64) double end = 0;  // when the last increment was made
  };
  static_assert(offsetof(Counter, value) + sizeof(std::int64_t) <= 64, "counter in the mutex's line");
  mp::SharedMapping mapping(sizeof(Counter));
  auto* c = new (mapping.data()) Counter;
  auto [gate_r, gate_w] = mp::make_pipe();
  const std::int64_t k = n / 4;
  std::vector<mp::Process> ps;
  for (int i = 0; i < 4; ++i)
    ps.emplace_back([&] {
      gate_w.reset();
      char go;
      (void)mp::read_exact(gate_r.get(), &go, 1);  // false at EOF: the gate opened
      for (std::int64_t j = 0; j < k; ++j) {
        mp::detail::lock(c->mutex, true, std::nullopt, "Lock");
        if (++c->value == n) c->end = now();
        mp::detail::unlock(c->mutex, "Lock");
      }
    });
  for (auto& p : ps) p.start();
  gate_r.reset();
  const double start = now();
  gate_w.reset();  // every child's read ends: go
  for (auto& p : ps) p.join();
  if (c->value != n) throw std::runtime_error("lock_handoff: counted " + std::to_string(c->value));
  return c->end - start;
}

double ticket_race(std::int64_t n) {
  // The real ticket db code: read the JSON file, decrement, write it atomically.
  std::string dir = std::filesystem::temp_directory_path().string() + "/mpbench-XXXXXX";
  if (!::mkdtemp(dir.data())) throw std::runtime_error("mkdtemp failed");
  const mp::TicketDb db(dir + "/db.json");
  db.write_count(n / 2);
  mp::Lock lock;
  const double t = now();
  std::vector<mp::Process> ps;
  ps.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    ps.emplace_back([&] {
      std::lock_guard guard(lock);
      std::int64_t count = db.read_count();
      if (count > 0) db.write_count(count - 1);
    });
  for (auto& p : ps) p.start();
  for (auto& p : ps) p.join();
  const double dt = now() - t;
  const std::int64_t left = db.read_count();
  std::filesystem::remove_all(dir);
  if (left != 0) throw std::runtime_error("ticket_race: " + std::to_string(left) + " tickets left");
  return dt;
}

}  // namespace bench
