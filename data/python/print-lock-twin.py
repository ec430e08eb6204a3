#!/usr/bin/env python3
"""print-lock: three tasks print start/done. Without coordination their lines
interleave; with --join or --lock they take turns.

Two ways to take turns: join (main starts a task and waits for it before the
next: serial, in the order the code says) and a Lock (all tasks run at once,
but only the holder prints: serial, in the order the lock was grabbed). Both
cost the same: the run then takes the sum of the jobs. The overlap is measured
from the start/done times each task writes into shared memory.

Try:  python3 print-lock-twin.py
      python3 print-lock-twin.py --lock
      python3 print-lock-twin.py --join
"""
import argparse
import contextlib
import json
import multiprocessing as mp
import os
import random
import time

START = time.monotonic()


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def task(index, arrive, job, lock, started, done, order):
    time.sleep(arrive)
    # Pass the one lock to every task: a Lock made inside each child would be a different lock.
    with lock if lock is not None else contextlib.nullcontext():
        started[index] = time.monotonic()
        with order.get_lock():
            order.value += 1
            rank = order.value
        say(f"start printing (#{rank} to start; my job takes {job:.2f} s)")
        time.sleep(job)
        done[index] = time.monotonic()
        say("done printing")


def main():
    parser = argparse.ArgumentParser(description="tasks sharing one printer (mpdemo print-lock)")
    parser.add_argument("--tasks", type=int, default=3, help="number of task processes")
    parser.add_argument("--work-min", type=float, default=1.0, help="a task prints for at least S seconds")
    parser.add_argument("--work-max", type=float, default=3.0, help="a task prints for at most S seconds")
    parser.add_argument("--arrive-max", type=float, default=0.5, help="a task wants the printer after a random 0..S seconds")
    turns = parser.add_mutually_exclusive_group()
    turns.add_argument("--join", action="store_true", help="start one task and join it before starting the next")
    turns.add_argument("--lock", action="store_true", help="the tasks take turns through one Lock")
    parser.add_argument("--seed", type=int, default=random.randrange(1_000_000), help="fix every random choice")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    jobs = [rng.uniform(args.work_min, args.work_max) * args.speed for _ in range(args.tasks)]
    arrivals = [rng.uniform(0, args.arrive_max) * args.speed for _ in range(args.tasks)]
    mode = "join" if args.join else "lock" if args.lock else "none"
    lock = mp.Lock() if args.lock else None
    started, done, order = mp.Array("d", args.tasks), mp.Array("d", args.tasks), mp.Value("i", 0)
    say(f"{args.tasks} tasks share one printer; coordination: {mode}; seed {args.seed}")
    began = time.monotonic()
    tasks = [mp.Process(target=task, args=(i, arrivals[i], jobs[i], lock, started, done, order), name=f"Task-{i + 1}")
             for i in range(args.tasks)]
    for p in tasks:
        p.start()
        if args.join:
            p.join()  # the next task is not even started before this one is done
    for p in tasks:
        p.join()
    took = time.monotonic() - began
    pairs = sum(1 for i in range(args.tasks) for j in range(i + 1, args.tasks)
                if started[i] < done[j] and started[j] < done[i])  # their printing times overlap
    start_order = sorted(range(args.tasks), key=lambda i: started[i])
    say(f"{pairs} pair(s) of tasks printed at the same time; together they took {took:.2f} s "
        f"(longest job {max(jobs):.2f} s, sum {sum(jobs):.2f} s)")
    print(json.dumps({"twin": "print-lock", "mode": mode, "tasks": args.tasks, "overlapping_pairs": pairs,
                      "took": round(took, 4), "jobs": [round(j, 4) for j in jobs],
                      "arrivals": [round(a, 4) for a in arrivals], "start_order": [i + 1 for i in start_order],
                      "finished": sum(1 for p in tasks if p.exitcode == 0)}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
