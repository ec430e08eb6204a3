// Cases about moving messages: queue_throughput, pipe_throughput. As in the
// baseline, the timed part is the producer's puts/sends plus the join of the
// consumer, which has then received everything.
#include <cstdint>

#include "cases.hpp"
#include "ipc_cases.hpp"
#include "mp/connection.hpp"
#include "mp/process.hpp"
#include "mp/queue.hpp"

namespace bench {

double queue_throughput(std::int64_t n) {
  mp::Queue<std::int64_t> q;
  mp::Process consumer([&] {
    for (std::int64_t i = 0; i < n; ++i) q.get();
  });
  consumer.start();
  const double t = now();
  for (std::int64_t i = 0; i < n; ++i) q.put(i);
  consumer.join();
  return now() - t;
}

double pipe_throughput(std::int64_t n) {
  auto [reader, writer] = mp::Pipe(false);
  mp::Process child([&] {
    writer.close();  // only the parent writes
    for (std::int64_t i = 0; i < n; ++i) reader.recv<std::int64_t>();
  });
  child.start();
  reader.close();  // only the child reads
  const double t = now();
  for (std::int64_t i = 0; i < n; ++i) writer.send(i);
  child.join();
  return now() - t;
}

}  // namespace bench
