// boost_peer: what a C++ programmer would write instead of mpdemo's core,
// with Boost.Interprocess (Debian libboost-dev; the bench only, never the
// product), doing mpbench's cases that Boost has a counterpart for:
//   queue_throughput  message_queue, 100k 8-byte items, parent -> one child
//   lock_counter      interprocess_mutex (process-shared, NOT robust),
//                     4 processes x 20k increments of one shared counter
//   lock_handoff      the same, timed from a gate once the 4 exist
//   dead_holder       its holder SIGKILLed: can anyone take it within 2 s?
// Same sizes, same timed part and same JSON lines as mpbench. Pipe, Pool and
// spawn of a function have no Boost.Interprocess counterpart: left out.
#include <signal.h>
#include <sys/mman.h>

#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "gated_count.hpp"
#include "peer_report.hpp"

namespace bip = boost::interprocess;

namespace {

// message_queue lives in a named object in /dev/shm: removed before (a
// crashed earlier run) and after, whatever way the case is left.
class NamedQueue {
 public:
  // 4096 slots: the size the reference peer (../shared/peer) measured with.
  static constexpr std::size_t kSlots = 4096;
  NamedQueue() : name_("mpdemo-boost-peer-" + std::to_string(::getpid())) {
    bip::message_queue::remove(name_.c_str());
    queue_.emplace(bip::create_only, name_.c_str(), kSlots, sizeof(long));
  }
  ~NamedQueue() {
    if (owner_ == ::getpid()) bip::message_queue::remove(name_.c_str());
  }
  NamedQueue(const NamedQueue&) = delete;
  NamedQueue& operator=(const NamedQueue&) = delete;
  bip::message_queue& get() { return *queue_; }

 private:
  std::string name_;
  pid_t owner_ = ::getpid();
  std::optional<bip::message_queue> queue_;
};

void queue_throughput() {
  const long n = 100000;
  NamedQueue q;
  pid_t child = ::fork();
  if (child < 0) peer::die("fork");
  if (child == 0) {  // the mapping is inherited: the child uses it as is
    long v = 0;
    std::size_t got = 0;
    unsigned priority = 0;
    for (long i = 0; i < n; ++i) {
      q.get().receive(&v, sizeof v, got, priority);
      if (v != i) ::_exit(1);
    }
    ::_exit(0);
  }
  const double t = peer::now();
  for (long i = 0; i < n; ++i) q.get().send(&i, sizeof i, 0);
  peer::reap(child);
  peer::emit_rate("queue_throughput", n, peer::now() - t);
}

struct Counter {
  bip::interprocess_mutex mutex;
  long value = 0;
};

Counter* shared_counter() {
  void* p = ::mmap(nullptr, sizeof(Counter), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) peer::die("mmap");
  return new (p) Counter;
}

void lock_counter() {
  const long n = 4 * 20000;
  Counter* c = shared_counter();
  const double t = peer::now();
  std::vector<pid_t> kids;
  for (int k = 0; k < 4; ++k) {
    pid_t p = ::fork();
    if (p < 0) peer::die("fork");
    if (p == 0) {
      for (long i = 0; i < n / 4; ++i) {
        c->mutex.lock();
        ++c->value;
        c->mutex.unlock();
      }
      ::_exit(0);
    }
    kids.push_back(p);
  }
  for (pid_t p : kids) peer::reap(p);
  const double dt = peer::now() - t;
  if (c->value != n) {
    std::fprintf(stderr, "boost_peer: error: lock_counter counted %ld of %ld\n", c->value, n);
    std::exit(2);
  }
  peer::emit_rate("lock_counter", n, dt);
}

// The lock alone: lock_counter's work, timed from a gate (gated_count.hpp).
void lock_handoff() {
  const long n = 4 * 20000;
  Counter* c = shared_counter();
  const double seconds = peer::gated_count(n, &c->value, [c] { c->mutex.lock(); }, [c] { c->mutex.unlock(); });
  if (c->value != n) {
    std::fprintf(stderr, "boost_peer: error: lock_handoff counted %ld of %ld\n", c->value, n);
    std::exit(2);
  }
  peer::emit_rate("lock_handoff", n, seconds);
}

void dead_holder() {
  Counter* c = shared_counter();
  int ready[2];
  if (::pipe(ready) != 0) peer::die("pipe");
  pid_t holder = ::fork();
  if (holder < 0) peer::die("fork");
  if (holder == 0) {
    c->mutex.lock();
    char b = 1;
    if (::write(ready[1], &b, 1) != 1) ::_exit(1);  // "I hold it"
    for (;;) ::pause();                             // until SIGKILL
  }
  char b;
  if (::read(ready[0], &b, 1) != 1) peer::die("read");
  ::kill(holder, SIGKILL);
  int status;
  ::waitpid(holder, &status, 0);
  const double t = peer::now();
  const auto until = boost::posix_time::microsec_clock::universal_time() + boost::posix_time::seconds(2);
  const bool got = c->mutex.timed_lock(until);
  const double dt = peer::now() - t;
  if (got) c->mutex.unlock();
  ::close(ready[0]);
  ::close(ready[1]);
  // interprocess_mutex has no owner-death notice: even when it is taken, no
  // one is told that the data it guarded may be half-updated.
  peer::emit_dead_holder(got, false, false, dt);
}

constexpr peer::Case kCases[] = {
    {"queue_throughput", queue_throughput},
    {"lock_counter", lock_counter},
    {"lock_handoff", lock_handoff},
    {"dead_holder", dead_holder},
};

}  // namespace

int main(int argc, char** argv) { return peer::main_with(kCases, argc, argv); }
