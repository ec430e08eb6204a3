// Cases about the pool: pool_map, pool_apply_async. As in the baseline, the
// pool (2 workers) is started before the clock starts.
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "cases.hpp"
#include "mp/pool.hpp"
#include "pool_cases.hpp"

namespace bench {
namespace {
std::int64_t square(std::int64_t x) { return x * x; }
}  // namespace

double pool_map(std::int64_t n) {
  mp::Pool pool(2);
  std::vector<std::int64_t> xs(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) xs[static_cast<std::size_t>(i)] = i;
  const double t = now();
  std::vector<std::int64_t> r = pool.map(square, xs);
  const double dt = now() - t;
  if (r.back() != (n - 1) * (n - 1)) throw std::runtime_error("pool_map: wrong last result");
  return dt;
}

double pool_apply_async(std::int64_t n) {
  mp::Pool pool(2);
  const double t = now();
  std::vector<mp::AsyncResult<std::int64_t>> rs;
  rs.reserve(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) rs.push_back(pool.apply_async(square, i));
  std::int64_t total = 0;
  for (auto& r : rs) total += r.get();
  const double dt = now() - t;
  std::int64_t expected = 0;
  for (std::int64_t i = 0; i < n; ++i) expected += i * i;
  if (total != expected) throw std::runtime_error("pool_apply_async: wrong total");
  return dt;
}

}  // namespace bench
