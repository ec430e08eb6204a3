// Cases about processes and locks: spawn_join, lock_counter, ticket_race.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "cases.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"
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
