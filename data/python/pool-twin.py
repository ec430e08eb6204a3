#!/usr/bin/env python3
"""pool: Pool(5).map over 100 tasks vs 100 processes; apply vs apply_async;
callbacks; imap vs imap_unordered; close and join.

A Pool starts a fixed number of worker processes once and hands them tasks,
so a hundred tasks cost five forks, not a hundred. map() returns the results
in input order, whoever finished first. apply() sends one task and waits for
it: one task at a time however many workers there are. apply_async() only
queues the task and returns an AsyncResult at once; get() waits for its
value. A callback runs in the main process (on a thread of the pool), not in
the worker. imap yields in input order, imap_unordered in finishing order.

Try:  python3 pool-twin.py
      python3 pool-twin.py --workers 2 --tasks 6
"""
import argparse
import json
import multiprocessing as mp
import os
import threading
import time

START = time.monotonic()
running = peak = None  # shared counters, given to each worker by the pool's initializer


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<14} {text}", flush=True)


def share(counters):
    # A Value cannot travel as a task argument (tasks are pickled); it is
    # handed to each worker once, when the worker starts.
    global running, peak
    running, peak = counters


def square(x):
    return x * x


def slow_square(x, seconds):
    with running.get_lock():
        running.value += 1
        peak.value = max(peak.value, running.value)
        now = running.value
    say(f"working on {x} ({now} task(s) running at this moment)")
    time.sleep(seconds)
    with running.get_lock():
        running.value -= 1
    return x * x


def square_with_pid(x):
    return x * x, os.getpid()


def sleepy(x, seconds):
    time.sleep(seconds)
    return x


def measure_peak(body):
    """Runs body() and returns (seconds, the most tasks running at once meanwhile)."""
    peak.value = 0
    began = time.monotonic()
    body()
    return time.monotonic() - began, peak.value


def main():
    parser = argparse.ArgumentParser(description="what a Pool does (mpdemo pool)")
    parser.add_argument("--workers", type=int, default=5, help="pool size")
    parser.add_argument("--map-tasks", type=int, default=100, help="tasks for map, and processes for the comparison")
    parser.add_argument("--tasks", type=int, default=10, help="apply and apply_async calls")
    parser.add_argument("--work", type=float, default=0.5, help="seconds each apply / apply_async task sleeps")
    parser.add_argument("--callbacks", type=int, default=5, help="apply_async calls with a callback")
    parser.add_argument("--imap-tasks", type=int, default=5, help="items for imap and imap_unordered")
    parser.add_argument("--step", type=float, default=0.2, help="imap item n sleeps (items - n) * S seconds")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()
    work, step = args.work * args.speed, args.step * args.speed

    counters = (mp.Value("i", 0), mp.Value("i", 0))
    share(counters)  # main reads them too
    pool = mp.Pool(args.workers, initializer=share, initargs=(counters,))
    say(f"Pool({args.workers}) started workers {sorted(p.pid for p in pool._pool)}")  # _pool: only to show the pids

    began = time.monotonic()
    results = pool.map(square, range(args.map_tasks))
    map_took = time.monotonic() - began
    map_ok = results == [x * x for x in range(args.map_tasks)]
    say(f"map over {args.map_tasks} task(s) took {map_took * 1000:.1f} ms; results in input order: {map_ok}")
    began = time.monotonic()
    ps = [mp.Process(target=square, args=(x,)) for x in range(args.map_tasks)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    procs_took = time.monotonic() - began
    say(f"the same {args.map_tasks} task(s) as {args.map_tasks} separate processes took {procs_took * 1000:.1f} ms")

    say(f"apply: {args.tasks} task(s) of {work:.2f} s each, one call after the other")
    apply_took, apply_peak = measure_peak(lambda: [pool.apply(slow_square, (x, work)) for x in range(args.tasks)])
    say(f"apply: {apply_took:.2f} s in all, at most {apply_peak} task(s) at once: apply waits for each")

    def async_all():
        pending = [pool.apply_async(slow_square, (x, work)) for x in range(args.tasks)]
        say(f"apply_async: queued {args.tasks} task(s); the calls did not wait")
        for x, r in enumerate(pending):
            say(f"get() on result {x} -> {r.get(timeout=60)}")
    async_took, async_peak = measure_peak(async_all)
    say(f"apply_async: {async_took:.2f} s in all, up to {async_peak} task(s) at once with {args.workers} worker(s)")

    callback_where = []  # (pid, thread name) of each callback
    def callback(result):
        value, worker = result
        callback_where.append(os.getpid())
        say(f"callback: result {value}, computed in worker {worker}, called in pid {os.getpid()} "
            f"on thread '{threading.current_thread().name}'")
    say(f"apply_async with a callback, {args.callbacks} time(s); the main process is pid {os.getpid()}")
    pending = [pool.apply_async(square_with_pid, (10 + x,), callback=callback) for x in range(args.callbacks)]
    worker_pids = {r.get(timeout=60)[1] for r in pending}

    items = list(range(args.imap_tasks))
    say(f"imap and imap_unordered over {args.imap_tasks} item(s); item 0 takes longest, the last item is quickest")
    imap_order = list(pool.imap(sleepy_task(step, args.imap_tasks), items))
    unordered = list(pool.imap_unordered(sleepy_task(step, args.imap_tasks), items))
    say(f"imap order {imap_order} (input order); imap_unordered order {unordered} (finishing order)")

    try:
        pool.join()
        join_refused = False
    except ValueError as e:
        join_refused = True
        say(f"join() before close() refused: {e}")
    pool.close()
    say("close(): no new tasks; the workers leave once the queue is empty")
    try:
        pool.apply_async(square, (1,))
        refused_after_close = False
    except ValueError as e:
        refused_after_close = True
        say(f"apply_async after close() refused: {e}")
    pool.join()
    say("join() returned: every worker has left")
    print(json.dumps({"twin": "pool", "workers": args.workers, "map_in_order": map_ok, "map_took": round(map_took, 4),
                      "processes_took": round(procs_took, 4), "apply_peak": apply_peak, "async_peak": async_peak,
                      "apply_took": round(apply_took, 4), "async_took": round(async_took, 4), "work": work, "tasks": args.tasks,
                      "callbacks": len(callback_where), "callback_pids": sorted(set(callback_where)), "main": os.getpid(),
                      "callback_worker_pids": sorted(worker_pids), "imap_order": imap_order, "unordered_order": unordered,
                      "join_before_close_refused": join_refused, "apply_after_close_refused": refused_after_close}))


class sleepy_task:
    """imap item n sleeps (items - n) * step: a picklable callable (a lambda is not)."""

    def __init__(self, step, items):
        self.step, self.items = step, items

    def __call__(self, n):
        return sleepy(n, (self.items - n) * self.step)


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
