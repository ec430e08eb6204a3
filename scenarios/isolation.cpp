// isolation: a child's changes to a global stay in the child (seed 000
// 数据隔离 with x = 1000 -> 2, seeds 002 and 003 with n = 100 -> 0).
//
// The child sets the globals x and n and reports what it sees and where the
// variables live. Main waits for the child (join) and then prints its own
// x and n: unchanged. Both processes print the same virtual address for x:
// fork gave the child a copy of main's address space, page for page, at the
// same addresses, and the kernel copies a page only when one side writes it
// (copy-on-write). Same address, different memory.
// With --shared a third variable lives in MAP_SHARED memory: there the
// child's write is seen by main (see value-array for the real tool).
//
// Try:  mpdemo isolation
//       mpdemo isolation --shared
// Watch for: the address printed by both processes, and main's x and n after
// the child changed its own.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "mp/process.hpp"
#include "mp/shared_memory.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

// The tutorials' module-level globals. Each process has its own after fork.
int x = 1000;
int n = 100;

struct IsolationOptions {
  int x = 1000;        // seed 000
  int n = 100;         // seeds 002 and 003
  int child_x = 2;     // what the child sets them to
  int child_n = 0;
  bool shared = false;  // add a variable in MAP_SHARED memory for contrast
};

// What the child saw after its writes, in memory shared with main.
struct ChildView {
  int x = 0;
  int n = 0;
  std::uintptr_t x_address = 0;
  std::uintptr_t n_address = 0;
  bool reported = false;
};

std::string hex(std::uintptr_t address) {
  char text[32];
  std::snprintf(text, sizeof text, "%#" PRIxPTR, address);
  return text;
}

std::uintptr_t address_of(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

Summary run_isolation(const IsolationOptions& o, Context& ctx) {
  if (o.child_x == o.x || o.child_n == o.n)
    throw UsageError("isolation.child_must_change");
  x = o.x;
  n = o.n;
  mp::Shared<ChildView> view;
  mp::Shared<int> shared_x(o.x);  // one int in MAP_SHARED memory: the same page in both processes

  ctx.emit("isolation.main_before", {{"x", x}, {"n", n}, {"x_address", hex(address_of(&x))}});
  if (o.shared) ctx.emit("isolation.shared_before", {{"value", *shared_x}, {"address", hex(address_of(shared_x.get()))}});

  mp::Process child(
      [&] {
        x = o.child_x;
        n = o.child_n;
        if (o.shared) *shared_x = o.child_x;
        *view = ChildView{x, n, address_of(&x), address_of(&n), true};
        ctx.emit("isolation.child_set", {{"x", x}, {"n", n}, {"x_address", hex(address_of(&x))}});
        if (o.shared) ctx.emit("isolation.child_set_shared", {{"value", *shared_x}, {"address", hex(address_of(shared_x.get()))}});
      },
      "Child");
  child.start();
  ctx.span("isolation.joining");
  child.join();  // the child has surely written by now (seed 000 sleeps 1 s for the same reason)

  ctx.emit("isolation.main_after", {{"x", x}, {"n", n}, {"x_address", hex(address_of(&x))}, {"x_before", o.x}, {"n_before", o.n},
                                    {"span_end", "isolation.joining"}});
  if (o.shared) ctx.emit("isolation.shared_after", {{"value", *shared_x}, {"address", hex(address_of(shared_x.get()))}});

  const bool same_address = view->reported && view->x_address == address_of(&x) && view->n_address == address_of(&n);
  const bool unchanged = x == o.x && n == o.n;
  ctx.emit(unchanged && same_address ? "isolation.verdict_isolated" : "isolation.verdict_unexpected",
           {{"x", x}, {"n", n}, {"child_x", view->x}, {"child_n", view->n}, {"x_address", hex(address_of(&x))},
            {"child_x_address", hex(view->x_address)}});
  Summary s;
  s.figures = {{"x_in_main", x},
               {"n_in_main", n},
               {"x_in_child", view->x},
               {"n_in_child", view->n},
               {"x_address_main", hex(address_of(&x))},
               {"x_address_child", hex(view->x_address)},
               {"child_exitcode", child.exitcode().value_or(-1)}};
  s.check("child_changed_its_copy", view->reported && view->x == o.child_x && view->n == o.child_n,
          json::array({view->x, view->n}), json::array({o.child_x, o.child_n}));
  s.check("main_x_unchanged", x == o.x, x, o.x);
  s.check("main_n_unchanged", n == o.n, n, o.n);
  s.check("same_virtual_address", same_address, hex(view->x_address), hex(address_of(&x)));
  if (o.shared) {
    s.figures["shared_in_main"] = *shared_x;
    s.check("shared_change_seen_by_main", *shared_x == o.child_x, *shared_x, o.child_x);
  }
  return s;
}

}  // namespace

RunFunction setup_isolation(CLI::App& app) {
  auto o = std::make_shared<IsolationOptions>();
  add_whole(app, "--x", o->x, "x before the child starts", -1000000000, 1000000000);
  add_whole(app, "--n", o->n, "n before the child starts", -1000000000, 1000000000);
  add_whole(app, "--child-x", o->child_x, "what the child sets x to", -1000000000, 1000000000);
  add_whole(app, "--child-n", o->child_n, "what the child sets n to", -1000000000, 1000000000);
  app.add_flag("--shared", o->shared, "also change a variable in MAP_SHARED memory: that change is seen by main");
  return [o](Context& ctx) { return run_isolation(*o, ctx); };
}

}  // namespace mpdemo
