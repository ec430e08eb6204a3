// The one table of scenarios (ninja's tool table): it drives the
// subcommands, `mpdemo list`, `--help` and `verify`. One line each; the
// order is the order of the lessons.
#include <CLI/CLI.hpp>

#include "scenario.hpp"
#include "setups.hpp"

namespace mpdemo {
namespace {

// name, summary, example, verify runs (';'-separated argument sets), setup
const ScenarioEntry kScenarios[] = {
    // Process basics
    {"spawn", "start children two ways: a function target, and a Process subclass overriding run()",
     "mpdemo spawn", "; --per-way 4 --work-min 1 --work-max 2", setup_spawn},
    {"pid", "pid and ppid of the main process and its children", "mpdemo pid --children 3", "; --children 12", setup_pid},
    {"isolation", "a global changed in a child stays unchanged in the parent (copy-on-write, same address)",
     "mpdemo isolation", "; --shared", setup_isolation},
    {"join-timing", "start-all-then-join-all takes the max, start-join one by one takes the sum",
     "mpdemo join-timing --speed 0.5", "--sleeps 1,2,3; --sleeps 2,2,2,2", setup_join_timing},
    {"lifecycle", "name, pid, exitcode and is_alive before, during and after terminate()", "mpdemo lifecycle",
     "; --exit-code 7 --before-terminate 0", setup_lifecycle},
    {"zombie", "a child that exited but was not waited for: state Z (<defunct>) until reaped",
     "mpdemo zombie --count 3", "--mode wait --hold 2; --mode sigchld --count 8; --mode ignore --count 8", setup_zombie},
    {"orphan", "the parent exits first; the child reports its new parent (init or a subreaper)", "mpdemo orphan",
     "; --linger 0", setup_orphan},
    {"daemon", "a daemon child is cut off when the main process ends; a normal child runs to the end",
     "mpdemo daemon", "; --worker 0 --daemon-steps 10", setup_daemon},
    {"fork", "fork() returns twice: 0 in the child, the child's pid in the parent", "mpdemo fork", "; --rounds 20", setup_fork},
    {"threads-vs-processes", "creation cost, crash isolation and CPU scaling of threads vs processes",
     "mpdemo threads-vs-processes --count 50", "--count 20 --work 1", setup_threads_vs_processes},
    {"states", "children that compute, sleep, block, stop and exit, sampled from the process table (R/S/D/T/Z)",
     "mpdemo states", "; --samples 3", setup_states},
    // Synchronisation
    {"print-lock", "three tasks print start/done: interleaved, serial with --join, serial in lock order with --lock",
     "mpdemo print-lock --lock", "; --join; --lock", setup_print_lock},
    {"ticket", "many buyers race for the last ticket in a JSON db, with and without a lock",
     "mpdemo ticket --buyers 5 --lock", "--lock; ; --lock --buyers 12 --tickets 5; --lock --buyers 4 --tickets 4 --crash-holder 2; "
     "--store sqlite; --store sqlite --lock; --store sqlite --sql transaction; --store sqlite --sql transaction --lock; "
     "--store sqlite --sql atomic; --store sqlite --sql atomic --lock; "
     "--store sqlite --sql transaction --buyers 4 --tickets 4 --crash-holder 2", setup_ticket},
    {"file-append", "ten processes append to one file, each reporting its cursor position",
     "mpdemo file-append --writers 10", "; --no-append; --delay-max 0.5", setup_file_append},
    {"semaphore", "a KTV with 4 rooms and 13 singers: never more than 4 inside", "mpdemo semaphore", "; --rooms 2 --users 6", setup_semaphore},
    {"event", "a traffic light: cars wait on red, go on green; a police car passes on a timeout",
     "mpdemo event --cars 10", "; --cars 20 --interval 2 --arrive-max 6", setup_event},
    {"manager", "a dict in a Manager server process, decremented by 100 processes with and without a lock",
     "mpdemo manager --lock", "--lock; ", setup_manager},
    {"value-array", "a shared double and int array, and a shared counter with and without its lock",
     "mpdemo value-array", "; --processes 2 --increments 200000; --numbers docs",
     setup_value_array},
    {"rlock", "a Lock acquired twice deadlocks (seen with a timeout); an RLock may be re-acquired; a Condition",
     "mpdemo rlock", "; --depth 5 --consumers 4 --batches 4", setup_rlock},
    // Communication
    {"queue", "Queue(3): put blocks when full, put_nowait raises Full, get(timeout) raises Empty",
     "mpdemo queue", "; --maxsize 1", setup_queue},
    {"flash-sale", "100 buyers put_nowait their pid into a Queue(10): ten winners, ranked", "mpdemo flash-sale",
     "; --buyers 5 --bands 10", setup_flash_sale},
    {"queue-crowd", "10 writers and 10 readers through a Queue(3): every message read once",
     "mpdemo queue-crowd", "; --writers 4 --readers 3 --messages 5 --maxsize 1", setup_queue_crowd},
    {"pipe", "a parent sends 100 items through a Pipe; the child reads until EOF", "mpdemo pipe",
     "; --duplex --items 1000", setup_pipe},
    {"baozi", "producers and consumers of buns through a queue, a pipe or a JoinableQueue",
     "mpdemo baozi --via joinable --producers 2 --consumers 2",
     "; --via pipe --producers 2 --consumers 2; --via pipe --end sentinel; --via joinable --producers 3 --consumers 2; "
     "--end sentinel --producers 2 --consumers 3",
     setup_baozi},
    // Pools
    {"pool", "Pool(5).map over 100 tasks vs 100 processes; apply vs apply_async; callbacks in the main process",
     "mpdemo pool", "; --workers 2 --map-tasks 20", setup_pool},
    {"echo-server", "an upper-casing TCP echo server on 127.0.0.1: a process per connection, or a Pool(4)",
     "mpdemo echo-server --mode pool", "; --mode pool", setup_echo_server},
    {"crawler", "a Pool fetches pages from a local HTTP server; a callback parses them in the main process",
     "mpdemo crawler", "; --workers 1", setup_crawler},
    // Beyond the tutorials
    {"scheduler", "FCFS, SJF, RR and MLFQ scheduling simulated tick by tick, with an answer mode",
     "mpdemo scheduler --policy rr --jobs 3",
     "; -c; --policy sjf -c; --policy rr --quantum 2 -c; --policy mlfq --jobs 5 --boost 8 -c", setup_scheduler},
};

}  // namespace

std::span<const ScenarioEntry> scenario_table() { return kScenarios; }

const ScenarioEntry* find_scenario(std::string_view name) {
  for (const auto& s : kScenarios)
    if (s.setup && name == s.name) return &s;
  return nullptr;
}

}  // namespace mpdemo
