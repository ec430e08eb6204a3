// The allocator gate of the sanitizer build (scripts/test --sanitize only;
// linked into every target when MPDEMO_SANITIZE is on, never otherwise).
//
// Why it exists. The core's fork rule (core/FORK_SAFETY.md) lets a child
// allocate after fork() because glibc's malloc takes and resets its own
// locks around fork. AddressSanitizer replaces malloc, and the allocator of
// GCC 12's libasan (Debian 12) does neither: a child forked while another
// thread of the parent is inside ASan's allocator inherits that thread's
// size-class lock held for ever, and its first allocation from that size
// class waits for ever. Seen in core_tests under ASan (a Pool worker's
// first thread, started in the child, stuck in
// SizeClassAllocator64::GetFromAllocator called from free() in
// pthread_getattr_np in AsanThread::Init) and in `mpdemo verify` (issue 12,
// item 10). Upstream fixed it in LLVM 18 (llvm/llvm-project#75290, "[asan]
// Install pthread_atfork": lock the allocator before fork, unlock after;
// earlier reports google/sanitizers#774 and #836); Debian 12's runtimes
// predate it, and no interface of theirs lets a program take those locks.
//
// What it does, from outside the runtime, to the same effect: every
// allocation and deallocation of the process passes a gate on its way to
// ASan (the executable's malloc, free, ..., operator new and delete take
// precedence over libasan's and forward to them). A pthread_atfork prepare
// handler closes the gate and waits until no other thread is inside it;
// the handlers after fork open it again in parent and child. So at the
// instant of fork no thread is inside ASan's allocator and no lock of it is
// held. Everything still goes through ASan, which checks it as before.
//
// The gate's handler is registered before any other (constructor priority
// 101), so its prepare step runs last, after the prepare handlers that take
// other locks (mpcore's children registry): a thread that holds one of those
// and allocates gets through before the gate closes.
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cstddef>
#include <new>

namespace {

std::atomic<int> inside{0};         // threads between enter() and leave()
std::atomic<bool> closed{false};    // a fork is being prepared
thread_local int depth = 0;         // nested allocations of this thread pass
thread_local bool forking = false;  // this thread closed the gate: it passes

void enter() noexcept {
  if (forking || depth++ > 0) return;
  for (;;) {
    inside.fetch_add(1);
    if (!closed.load()) return;
    inside.fetch_sub(1);
    while (closed.load()) ::sched_yield();  // a fork takes milliseconds
  }
}

void leave() noexcept {
  if (forking || --depth > 0) return;
  inside.fetch_sub(1);
}

struct Pass {
  Pass() noexcept { enter(); }
  ~Pass() { leave(); }
  Pass(const Pass&) = delete;
  Pass& operator=(const Pass&) = delete;
};

void close_before_fork() noexcept {
  forking = true;
  closed.store(true);
  while (inside.load() != 0) ::sched_yield();
}

void open_after_fork() noexcept {
  closed.store(false);
  forking = false;
}

[[gnu::constructor(101)]] void install_gate() { ::pthread_atfork(close_before_fork, open_after_fork, open_after_fork); }

// libasan's operator new and delete (the next definition after ours).
// Looked up on first use: a library's constructor may allocate before ours.
template <class F>
F next(const char* name) noexcept {
  static_assert(sizeof(F) == sizeof(void*));
  void* symbol = ::dlsym(RTLD_NEXT, name);
  F f;
  __builtin_memcpy(&f, &symbol, sizeof f);
  return f;
}

#define MPDEMO_NEXT(type, name)                              \
  static std::atomic<type> f_{nullptr};                      \
  type f = f_.load(std::memory_order_relaxed);               \
  if (!f) f_.store(f = next<type>(name), std::memory_order_relaxed)

}  // namespace

extern "C" {
void* __interceptor_malloc(std::size_t);
void* __interceptor_calloc(std::size_t, std::size_t);
void* __interceptor_realloc(void*, std::size_t);
void* __interceptor_reallocarray(void*, std::size_t, std::size_t);
void __interceptor_free(void*);
void __interceptor_cfree(void*);
void* __interceptor_memalign(std::size_t, std::size_t);
int __interceptor_posix_memalign(void**, std::size_t, std::size_t);
void* __interceptor_aligned_alloc(std::size_t, std::size_t);
void* __interceptor_valloc(std::size_t);
void* __interceptor_pvalloc(std::size_t);
char* __interceptor_strdup(const char*);
char* __interceptor___strdup(const char*);
char* __interceptor_strndup(const char*, std::size_t);

void* malloc(std::size_t n) {
  Pass pass;
  return __interceptor_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  Pass pass;
  return __interceptor_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  Pass pass;
  return __interceptor_realloc(p, n);
}
void* reallocarray(void* p, std::size_t n, std::size_t size) {
  Pass pass;
  return __interceptor_reallocarray(p, n, size);
}
void free(void* p) {
  Pass pass;
  __interceptor_free(p);
}
void cfree(void* p) {
  Pass pass;
  __interceptor_cfree(p);
}
void* memalign(std::size_t alignment, std::size_t n) {
  Pass pass;
  return __interceptor_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
  Pass pass;
  return __interceptor_posix_memalign(out, alignment, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
  Pass pass;
  return __interceptor_aligned_alloc(alignment, n);
}
void* valloc(std::size_t n) {
  Pass pass;
  return __interceptor_valloc(n);
}
void* pvalloc(std::size_t n) {
  Pass pass;
  return __interceptor_pvalloc(n);
}
char* strdup(const char* s) {
  Pass pass;
  return __interceptor_strdup(s);
}
char* __strdup(const char* s) {
  Pass pass;
  return __interceptor___strdup(s);
}
char* strndup(const char* s, std::size_t n) {
  Pass pass;
  return __interceptor_strndup(s, n);
}
}  // extern "C"

// operator new and delete: libasan's own, through the gate (they allocate
// directly, not through malloc, and tell new from malloc for ASan's checks).
using New = void* (*)(std::size_t);
using NewNothrow = void* (*)(std::size_t, const std::nothrow_t&);
using NewAligned = void* (*)(std::size_t, std::align_val_t);
using NewAlignedNothrow = void* (*)(std::size_t, std::align_val_t, const std::nothrow_t&);
using Delete = void (*)(void*);
using DeleteNothrow = void (*)(void*, const std::nothrow_t&);
using DeleteSized = void (*)(void*, std::size_t);
using DeleteAligned = void (*)(void*, std::align_val_t);
using DeleteAlignedNothrow = void (*)(void*, std::align_val_t, const std::nothrow_t&);
using DeleteSizedAligned = void (*)(void*, std::size_t, std::align_val_t);

#define MPDEMO_GATED(ret, signature, type, name, call) \
  ret signature {                                       \
    MPDEMO_NEXT(type, name);                            \
    Pass pass;                                          \
    return f call;                                      \
  }

MPDEMO_GATED(void*, operator new(std::size_t n), New, "_Znwm", (n))
MPDEMO_GATED(void*, operator new[](std::size_t n), New, "_Znam", (n))
MPDEMO_GATED(void*, operator new(std::size_t n, const std::nothrow_t& t) noexcept, NewNothrow, "_ZnwmRKSt9nothrow_t", (n, t))
MPDEMO_GATED(void*, operator new[](std::size_t n, const std::nothrow_t& t) noexcept, NewNothrow, "_ZnamRKSt9nothrow_t", (n, t))
MPDEMO_GATED(void*, operator new(std::size_t n, std::align_val_t a), NewAligned, "_ZnwmSt11align_val_t", (n, a))
MPDEMO_GATED(void*, operator new[](std::size_t n, std::align_val_t a), NewAligned, "_ZnamSt11align_val_t", (n, a))
MPDEMO_GATED(void*, operator new(std::size_t n, std::align_val_t a, const std::nothrow_t& t) noexcept, NewAlignedNothrow,
             "_ZnwmSt11align_val_tRKSt9nothrow_t", (n, a, t))
MPDEMO_GATED(void*, operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t& t) noexcept,
             NewAlignedNothrow, "_ZnamSt11align_val_tRKSt9nothrow_t", (n, a, t))
MPDEMO_GATED(void, operator delete(void* p) noexcept, Delete, "_ZdlPv", (p))
MPDEMO_GATED(void, operator delete[](void* p) noexcept, Delete, "_ZdaPv", (p))
MPDEMO_GATED(void, operator delete(void* p, const std::nothrow_t& t) noexcept, DeleteNothrow, "_ZdlPvRKSt9nothrow_t", (p, t))
MPDEMO_GATED(void, operator delete[](void* p, const std::nothrow_t& t) noexcept, DeleteNothrow, "_ZdaPvRKSt9nothrow_t", (p, t))
MPDEMO_GATED(void, operator delete(void* p, std::size_t n) noexcept, DeleteSized, "_ZdlPvm", (p, n))
MPDEMO_GATED(void, operator delete[](void* p, std::size_t n) noexcept, DeleteSized, "_ZdaPvm", (p, n))
MPDEMO_GATED(void, operator delete(void* p, std::align_val_t a) noexcept, DeleteAligned, "_ZdlPvSt11align_val_t", (p, a))
MPDEMO_GATED(void, operator delete[](void* p, std::align_val_t a) noexcept, DeleteAligned, "_ZdaPvSt11align_val_t", (p, a))
MPDEMO_GATED(void, operator delete(void* p, std::align_val_t a, const std::nothrow_t& t) noexcept, DeleteAlignedNothrow,
             "_ZdlPvSt11align_val_tRKSt9nothrow_t", (p, a, t))
MPDEMO_GATED(void, operator delete[](void* p, std::align_val_t a, const std::nothrow_t& t) noexcept,
             DeleteAlignedNothrow, "_ZdaPvSt11align_val_tRKSt9nothrow_t", (p, a, t))
MPDEMO_GATED(void, operator delete(void* p, std::size_t n, std::align_val_t a) noexcept, DeleteSizedAligned,
             "_ZdlPvmSt11align_val_t", (p, n, a))
MPDEMO_GATED(void, operator delete[](void* p, std::size_t n, std::align_val_t a) noexcept, DeleteSizedAligned,
             "_ZdaPvmSt11align_val_t", (p, n, a))
