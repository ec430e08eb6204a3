// flash-sale: 100 buyers, 10 fitness bands (seed 000's Xiaomi band rush).
//
// Every buyer is a process that arrives at a random moment and tries
// put_nowait(its pid) on a Queue(10). The queue is the stock: the first ten
// puts fit, every later one raises Full at once (nobody waits in line). When
// all buyers are done, the main process takes the pids out in queue order:
// that order is the ranking.
//
// Try:  mpdemo flash-sale
//       mpdemo flash-sale --buyers 20 --bands 5 --seed 7
//       mpdemo flash-sale --arrival-max 0   (all at once: the scheduler decides)
//
// Watch: no lock anywhere, yet never an eleventh winner: the queue's own
// bound decides, atomically, who is in.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "mp/process.hpp"
#include "mp/queue.hpp"
#include "mp/shared_memory.hpp"
#include "number_options.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

struct FlashSaleOptions {
  int buyers = 100;          // seed 000: 100 people
  int bands = 10;            // seed 000: 10 bands on sale
  double arrival_max = 1.0;  // each buyer arrives after a random 0..S seconds
};

// What each buyer ended with, written by the buyer into shared memory.
enum class Outcome : unsigned char { Unknown = 0, InQueue, Full };

void buyer(const FlashSaleOptions& o, const Context& ctx, mp::Queue<pid_t>& stock, Outcome& outcome, int index) {
  Rng rng = ctx.rng(static_cast<std::uint64_t>(index));
  ctx.span("flash.arriving");
  ctx.sleep(rng.uniform(0.0, o.arrival_max));
  try {
    stock.put_nowait(::getpid());
    outcome = Outcome::InQueue;
    // The arrow on the timeline follows the pid, which is what the queue carries.
    ctx.emit("flash.in", {{"qsize", stock.qsize()}, {"span_end", "flash.arriving"}, {"flow_out", ::getpid()}});
  } catch (const mp::Full&) {
    outcome = Outcome::Full;
    ctx.emit("flash.full", {{"span_end", "flash.arriving"}});
  }
}

Summary run_flash_sale(const FlashSaleOptions& o, Context& ctx) {
  mp::Queue<pid_t> stock(static_cast<std::size_t>(o.bands));
  mp::SharedMapping outcomes_memory(static_cast<std::size_t>(o.buyers));
  auto* outcomes = static_cast<Outcome*>(outcomes_memory.data());
  ctx.emit("flash.setup", {{"buyers", o.buyers}, {"bands", o.bands}, {"arrival", ctx.scaled(o.arrival_max)}});

  std::vector<mp::Process> buyers;
  buyers.reserve(static_cast<std::size_t>(o.buyers));
  for (int i = 1; i <= o.buyers; ++i)
    buyers.emplace_back([&, i] { buyer(o, ctx, stock, outcomes[i - 1], i); }, "Buyer-" + std::to_string(i));
  for (auto& b : buyers) b.start();
  std::map<pid_t, std::string> name_of;
  int failed = 0;
  for (auto& b : buyers) {
    name_of[b.pid()] = b.name();
    b.join();
    if (b.exitcode().value_or(-1) != 0) ++failed;
  }

  // The ranking is the queue's order. Every buyer has ended, so the queue
  // holds all it will ever hold: get_nowait until Empty.
  std::vector<pid_t> ranking;
  for (;;) {
    try {
      pid_t pid = stock.get_nowait();
      ranking.push_back(pid);
      ctx.emit("flash.rank", {{"rank", ranking.size()},
                              {"winner", pid},
                              {"buyer", name_of.count(pid) ? name_of[pid] : "?"},
                              {"flow_in", pid}});
    } catch (const mp::Empty&) {
      break;
    }
  }

  std::set<pid_t> distinct(ranking.begin(), ranking.end());
  std::set<pid_t> in_queue;  // buyers whose put_nowait succeeded, by their own account
  int full = 0;
  for (int i = 0; i < o.buyers; ++i) {
    if (outcomes[i] == Outcome::InQueue) in_queue.insert(buyers[static_cast<std::size_t>(i)].pid());
    if (outcomes[i] == Outcome::Full) ++full;
  }
  const int expected_winners = std::min(o.buyers, o.bands);
  const int winners = static_cast<int>(ranking.size());
  ctx.emit("flash.verdict", {{"winners", winners}, {"bands", o.bands}, {"full", full}, {"buyers", o.buyers}});

  Summary s;
  s.figures = {{"buyers", o.buyers}, {"bands", o.bands},    {"winners", winners},
               {"full", full},       {"failed", failed},    {"ranking", ranking}};
  s.check("winners_equal_bands", winners == expected_winners, winners, expected_winners);
  s.check("winners_distinct", static_cast<int>(distinct.size()) == winners, distinct.size(), winners);
  int ranked_in_queue = 0;  // ranked pids that also said their put_nowait went in
  for (pid_t pid : distinct) ranked_in_queue += in_queue.count(pid) ? 1 : 0;
  s.check("ranking_matches_buyers", distinct == in_queue, ranked_in_queue, in_queue.size());
  s.check("others_got_full", full == o.buyers - expected_winners && failed == 0, full, o.buyers - expected_winners);
  return s;
}

}  // namespace

RunFunction setup_flash_sale(CLI::App& app) {
  auto o = std::make_shared<FlashSaleOptions>();
  add_whole(app, "--buyers", o->buyers, "buyer processes", 1, 5000);
  add_whole(app, "--bands", o->bands, "bands on sale: the queue's maxsize", 1, 5000);
  add_seconds(app, "--arrival-max", o->arrival_max, "each buyer arrives after a random 0..S seconds");
  return [o](Context& ctx) { return run_flash_sale(*o, ctx); };
}

}  // namespace mpdemo
