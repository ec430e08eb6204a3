// dead_holder: a process SIGKILLed while it holds an mp::Lock. Can another
// process take the lock, is it told that the holder died, and does it learn
// who? The peers answer the same question for Python's Lock, Boost's
// interprocess_mutex and a bare robust pthread mutex.
#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <stdexcept>

#include "cases.hpp"
#include "dead_holder_case.hpp"
#include "mp/connection.hpp"
#include "mp/lock.hpp"
#include "mp/process.hpp"

namespace bench {

nlohmann::ordered_json dead_holder() {
  mp::Lock lock;
  auto [ready_in, ready_out] = mp::Pipe(false);
  mp::Process holder([&] {
    lock.acquire();
    ready_out.send(1);  // "I hold it"
    for (;;) ::pause();  // until SIGKILL
  });
  holder.start();
  ready_in.recv<int>();
  holder.kill();
  holder.join();
  const double t = now();
  const bool got = lock.acquire(true, 2.0);
  const double dt = now() - t;
  const bool told = got && lock.recovered();
  const bool named = told && lock.recovered_from() == holder.pid();
  if (got) lock.release();
  nlohmann::ordered_json line;
  line["case"] = "dead_holder";
  line["recovered"] = got;
  line["told"] = told;
  line["named"] = named;
  line["seconds"] = std::round(dt * 1e4) / 1e4;
  return line;
}

}  // namespace bench
