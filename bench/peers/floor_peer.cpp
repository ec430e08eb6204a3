// floor_peer: the raw OS floor under mpbench's cases, with no library at all.
//   queue_throughput a ring of 8-byte items in shared memory for exactly one
//                    producer and one consumer, no lock and no atomic
//                    read-modify-write: the least moving an item through
//                    shared memory can cost. Not a queue mp::Queue could be:
//                    a second producer or consumer would corrupt it, and a
//                    waiting side spins for ever if the other is killed.
//   pipe_throughput  one write(2) per 8-byte message, one read(2) per message:
//                    the least a message on a pipe can cost (mp::Connection
//                    adds a length header and its locks on top).
//   lock_counter     4 processes x 20k increments under a process-shared,
//                    robust pthread mutex used directly (mp::Lock wraps one).
//   lock_handoff     the same, timed from a gate once the 4 exist.
//   dead_holder      a holder SIGKILLed: the next locker gets EOWNERDEAD.
// Same sizes, same timed part and same JSON lines as mpbench.
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <new>
#include <vector>

#include "gated_count.hpp"
#include "peer_report.hpp"

namespace {

void check(int err, const char* what) {
  if (err != 0) {
    errno = err;
    peer::die(what);
  }
}

void write_all(int fd, const void* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) peer::die("write");
    p = static_cast<const char*>(p) + w;
    n -= static_cast<size_t>(w);
  }
}

bool read_all(int fd, void* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) peer::die("read");
    if (r == 0) return false;
    p = static_cast<char*>(p) + r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// queue_throughput's floor: head and tail on lines of their own, each
// written by one side only; the waiting side spins.
struct alignas(64) SpscRing {
  static constexpr long kSlots = 1 << 17;  // 1 MiB of 8-byte items, as mp::Queue's ring
  std::atomic<long> tail{0};               // written by the producer
  alignas(64) std::atomic<long> head{0};   // written by the consumer
  alignas(64) long slots[kSlots];
};

void queue_throughput() {
  const long n = 100000;
  void* at = ::mmap(nullptr, sizeof(SpscRing), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (at == MAP_FAILED) peer::die("mmap");
  auto* ring = new (at) SpscRing;
  pid_t child = ::fork();
  if (child < 0) peer::die("fork");
  if (child == 0) {
    for (long i = 0; i < n; ++i) {
      while (ring->tail.load(std::memory_order_acquire) == i) relax();
      if (ring->slots[i % SpscRing::kSlots] != i) ::_exit(1);
      ring->head.store(i + 1, std::memory_order_release);
    }
    ::_exit(0);
  }
  const double t = peer::now();
  for (long i = 0; i < n; ++i) {
    while (i - ring->head.load(std::memory_order_acquire) >= SpscRing::kSlots) relax();
    ring->slots[i % SpscRing::kSlots] = i;
    ring->tail.store(i + 1, std::memory_order_release);
  }
  peer::reap(child);
  const double dt = peer::now() - t;
  ::munmap(at, sizeof(SpscRing));
  peer::emit_rate("queue_throughput", n, dt);
}

void pipe_throughput() {
  const long n = 100000;
  int fds[2];
  if (::pipe(fds) != 0) peer::die("pipe");
  pid_t child = ::fork();
  if (child < 0) peer::die("fork");
  if (child == 0) {
    ::close(fds[1]);  // close our copy of the write end so EOF could be seen
    long v = 0;
    for (long i = 0; i < n; ++i)
      if (!read_all(fds[0], &v, sizeof v) || v != i) ::_exit(1);
    ::_exit(0);
  }
  ::close(fds[0]);  // only the child reads
  const double t = peer::now();
  for (long i = 0; i < n; ++i) write_all(fds[1], &i, sizeof i);
  peer::reap(child);
  const double dt = peer::now() - t;
  ::close(fds[1]);
  peer::emit_rate("pipe_throughput", n, dt);
}

struct Counter {
  pthread_mutex_t mutex;
  long value;
};

Counter* shared_counter() {
  void* p = ::mmap(nullptr, sizeof(Counter), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) peer::die("mmap");
  auto* c = new (p) Counter{};
  pthread_mutexattr_t attr;
  check(pthread_mutexattr_init(&attr), "pthread_mutexattr_init");
  check(pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED), "setpshared");
  check(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST), "setrobust");
  check(pthread_mutex_init(&c->mutex, &attr), "pthread_mutex_init");
  pthread_mutexattr_destroy(&attr);
  return c;
}

// Returns true when the previous holder died holding it (made consistent).
bool lock_robust(pthread_mutex_t* m) {
  int err = pthread_mutex_lock(m);
  if (err == EOWNERDEAD) {
    pthread_mutex_consistent(m);
    return true;
  }
  check(err, "pthread_mutex_lock");
  return false;
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
        lock_robust(&c->mutex);
        ++c->value;
        pthread_mutex_unlock(&c->mutex);
      }
      ::_exit(0);
    }
    kids.push_back(p);
  }
  for (pid_t p : kids) peer::reap(p);
  const double dt = peer::now() - t;
  if (c->value != n) {
    std::fprintf(stderr, "floor_peer: error: lock_counter counted %ld of %ld\n", c->value, n);
    std::exit(2);
  }
  ::munmap(c, sizeof(Counter));
  peer::emit_rate("lock_counter", n, dt);
}

// The lock alone: lock_counter's work, timed from a gate (gated_count.hpp).
void lock_handoff() {
  const long n = 4 * 20000;
  Counter* c = shared_counter();
  const double seconds = peer::gated_count(n, &c->value, [c] { lock_robust(&c->mutex); }, [c] { pthread_mutex_unlock(&c->mutex); });
  if (c->value != n) {
    std::fprintf(stderr, "floor_peer: error: lock_handoff counted %ld of %ld\n", c->value, n);
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
    lock_robust(&c->mutex);
    char b = 1;
    write_all(ready[1], &b, 1);  // "I hold it"
    for (;;) ::pause();          // until SIGKILL
  }
  char b;
  if (!read_all(ready[0], &b, 1)) peer::die("read");
  ::kill(holder, SIGKILL);
  int status;
  ::waitpid(holder, &status, 0);
  const double t = peer::now();
  timespec at;
  ::clock_gettime(CLOCK_REALTIME, &at);
  at.tv_sec += 2;
  const int err = pthread_mutex_timedlock(&c->mutex, &at);
  const double dt = peer::now() - t;
  const bool told = err == EOWNERDEAD;
  if (told) pthread_mutex_consistent(&c->mutex);
  if (err == 0 || told) pthread_mutex_unlock(&c->mutex);
  ::close(ready[0]);
  ::close(ready[1]);
  ::munmap(c, sizeof(Counter));
  // The kernel says that the holder died, not who it was.
  peer::emit_dead_holder(err == 0 || told, told, false, dt);
}

constexpr peer::Case kCases[] = {
    {"queue_throughput", queue_throughput},
    {"pipe_throughput", pipe_throughput},
    {"lock_counter", lock_counter},
    {"lock_handoff", lock_handoff},
    {"dead_holder", dead_holder},
};

}  // namespace

int main(int argc, char** argv) { return peer::main_with(kCases, argc, argv); }
