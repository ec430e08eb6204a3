// The calling thread's robust list, as glibc keeps it and the kernel reads
// it, for the lock of robust_mutex.hpp/.cpp, which takes a RobustMutex's word
// itself instead of calling pthread_mutex_lock (measured: glibc's robust
// path costs about a quarter more than its plain one; see robust_mutex.cpp).
//
// The kernel's side (Documentation/locking/robust-futex-ABI.rst): each
// thread registers one list head; when the thread dies, the kernel walks the
// list and, for every entry whose 32-bit word (at entry + futex_offset)
// still holds the thread's tid, sets FUTEX_OWNER_DIED in the word and wakes
// one waiter. `list_op_pending` covers the instant between taking a word and
// linking its entry (and between unlinking and letting go).
//
// glibc's side (nptl/descr.h, pthread_mutex_lock.c, x86_64 and every port
// with __PTHREAD_MUTEX_HAVE_PREV): the head lives in the thread's TCB, right
// after a `robust_prev` pointer; the entries are the __list fields of the
// pthread_mutex_t objects the thread holds, a doubly linked list whose
// pointers point at a neighbour's __list.__next (the head itself standing in
// for one). glibc links its own mutexes into the same list, so ours follow
// exactly its layout and its order of stores, each step separated by a
// compiler fence, because a SIGKILL can stop us between any two of them and
// the kernel must then find a whole list.
#pragma once

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace mp::detail {

// struct robust_list_head of <linux/futex.h>, as glibc fills it.
struct RobustListHead {
  void* list;  // the first entry, or the head itself when empty
  long futex_offset;
  void* list_op_pending;
};

// __pthread_list_t: both pointers point at a neighbour's `next`.
struct ListLinks {
  void* prev;
  void* next;
};

static_assert(sizeof(pthread_mutex_t::__data.__lock) == sizeof(std::uint32_t), "the lock word is the futex word");
static_assert(offsetof(ListLinks, next) == sizeof(void*), "glibc's QUEUE_PTR_ADJUST");

// The futex word of a mutex: glibc's __lock (tid | FUTEX_WAITERS | FUTEX_OWNER_DIED).
inline std::uint32_t& lock_word(pthread_mutex_t& m) noexcept {
  return reinterpret_cast<std::uint32_t&>(m.__data.__lock);  // int and unsigned int may alias
}

// What the kernel and glibc keep on the list for a mutex: its __list.__next.
inline void* list_entry(pthread_mutex_t& m) noexcept { return &m.__data.__list.__next; }

// The links around an entry; the entry's low bit marks a PI mutex of
// glibc's, not part of the address.
inline ListLinks& links_of(void* entry) noexcept {
  const auto at = reinterpret_cast<std::uintptr_t>(entry) & ~std::uintptr_t{1};
  return *reinterpret_cast<ListLinks*>(at - offsetof(ListLinks, next));
}

// The calling thread's head, or nullptr unless it is glibc's: a C library
// that lays out its robust list otherwise would see it broken by ours.
inline RobustListHead* this_threads_robust_list() noexcept {
  RobustListHead* head = nullptr;
  std::size_t len = 0;
  if (::syscall(SYS_get_robust_list, 0, &head, &len) != 0) return nullptr;
  const long glibc_offset = static_cast<long>(offsetof(pthread_mutex_t, __data.__lock)) -
                            static_cast<long>(offsetof(pthread_mutex_t, __data.__list.__next));
  if (head == nullptr || len != sizeof(RobustListHead) || head->futex_offset != glibc_offset) return nullptr;
  return head;
}

inline void compiler_fence() noexcept { std::atomic_signal_fence(std::memory_order_seq_cst); }

// One lock or unlock of `m` on the thread's list: pending from construction
// to destruction, linked or unlinked in between.
class RobustListOp {
 public:
  RobustListOp(RobustListHead* head, pthread_mutex_t& m) noexcept : head_(head), entry_(list_entry(m)) {
    head_->list_op_pending = entry_;
    compiler_fence();
  }
  ~RobustListOp() {
    compiler_fence();
    head_->list_op_pending = nullptr;
  }
  RobustListOp(const RobustListOp&) = delete;
  RobustListOp& operator=(const RobustListOp&) = delete;

  // glibc's ENQUEUE_MUTEX: in front of the first entry.
  void link() noexcept {
    ListLinks& mine = links_of(entry_);
    links_of(head_->list).prev = entry_;
    mine.next = head_->list;
    mine.prev = head_;  // the head stands in for an entry: its `list` is its `next`
    compiler_fence();
    head_->list = entry_;
  }
  // glibc's DEQUEUE_MUTEX.
  void unlink() noexcept {
    ListLinks& mine = links_of(entry_);
    links_of(mine.next).prev = mine.prev;
    links_of(mine.prev).next = mine.next;
    mine.prev = nullptr;
    mine.next = nullptr;
    compiler_fence();
  }

 private:
  RobustListHead* head_;
  void* entry_;
};

}  // namespace mp::detail
