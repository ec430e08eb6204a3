#include "mp/fork_hooks.hpp"

#include <array>
#include <cstddef>

namespace mp {
namespace {

struct Hooks {
  ForkHook before = nullptr;
  ForkHook child = nullptr;
};

// A fixed table: no static constructor, no allocation near fork().
constexpr std::size_t kMaxHooks = 16;
std::array<Hooks, kMaxHooks> hooks{};
std::size_t hook_count = 0;

}  // namespace

void at_fork(ForkHook before_fork, ForkHook after_fork_in_child) {
  if (hook_count < kMaxHooks) hooks[hook_count++] = {before_fork, after_fork_in_child};
}

void run_before_fork() {
  for (std::size_t i = 0; i < hook_count; ++i)
    if (hooks[i].before) hooks[i].before();
}

void run_after_fork_in_child() {
  for (std::size_t i = 0; i < hook_count; ++i)
    if (hooks[i].child) hooks[i].child();
}

}  // namespace mp
