// mp::Pool's non-template half: argument checks, then the engine.
#include "mp/pool.hpp"

#include <fmt/format.h>

#include "mp/errors.hpp"
#include "pool_engine.hpp"

namespace mp {

namespace detail {

void throw_result_timeout(Timeout timeout) {
  throw TimeoutError(fmt::format("result not ready after {:g} s", timeout.value_or(0.0)));
}

}  // namespace detail

Pool::Pool(int processes, std::function<void()> initializer, int maxtasksperchild) : processes_(processes) {
  if (processes < 1) throw ValueError(fmt::format("number of processes must be at least 1, not {}", processes));
  if (maxtasksperchild < 0)
    throw ValueError(fmt::format("maxtasksperchild must be a positive number or 0 (no limit), not {}", maxtasksperchild));
  engine_ = std::make_unique<detail::PoolEngine>(processes, std::move(initializer), maxtasksperchild);
}

Pool::~Pool() = default;

void Pool::close() { engine_->close(); }
void Pool::terminate() { engine_->terminate(); }
void Pool::join() { engine_->join(); }
std::vector<pid_t> Pool::worker_pids() const { return engine_->worker_pids(); }

std::size_t Pool::default_chunksize(std::size_t items) const noexcept {
  // Python: divmod(len, 4 * processes), rounded up; at least 1.
  const std::size_t per = 4 * static_cast<std::size_t>(processes_);
  return std::max<std::size_t>(1, (items + per - 1) / per);
}

void Pool::check_imap_chunksize(std::size_t chunksize) {
  if (chunksize < 1) throw ValueError("chunksize must be 1+, not 0");
}

void Pool::submit(std::shared_ptr<detail::Job> job, std::string message) { engine_->submit(std::move(job), std::move(message)); }

void Pool::submit(std::shared_ptr<detail::Job> job, std::vector<std::string> messages) {
  engine_->submit(std::move(job), std::move(messages));
}

}  // namespace mp
