#!/usr/bin/env python3
"""spawn: two ways to give a child its work: a function as the target, or a
subclass of Process that overrides run().

Either way start() creates the process and the new process calls run(), whose
default calls the target. start() only asks the OS for a new process and
returns at once: it never waits for the child's code. The children end in the
order of their work, not in the order they were started.

Try:  python3 spawn-twin.py
      python3 spawn-twin.py --per-way 5 --work-min 0 --work-max 2
"""
import argparse
import json
import multiprocessing as mp
import os
import random
import time

START = time.monotonic()


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def work(seconds, slot, ran, pids, ended):
    """What each child does, whichever way it was given its work; it records what it saw."""
    with ran.get_lock():
        ran[slot] += 1
    pids[slot] = os.getpid()
    time.sleep(seconds)
    ended[slot] = time.monotonic()
    say(f"done after {seconds:.2f} s")


def task(seconds, slot, ran, pids, ended):
    say(f"running: my code is the function passed as target; I will work {seconds:.2f} s")
    work(seconds, slot, ran, pids, ended)


class Worker(mp.Process):
    """The second way: the subclass's run() is the child's code."""

    def __init__(self, seconds, slot, shared, name):
        super().__init__(name=name)  # set the name through the base class: it would overwrite one set before
        self.seconds, self.slot, self.shared = seconds, slot, shared

    def run(self):
        say(f"running: my code is the run() my subclass overrides; I will work {self.seconds:.2f} s")
        work(self.seconds, self.slot, *self.shared)


def main():
    parser = argparse.ArgumentParser(description="two ways to start a child (mpdemo spawn)")
    parser.add_argument("--per-way", type=int, default=2, help="children started each way (function target, Process subclass)")
    parser.add_argument("--work-min", type=int, default=1, help="each child works a random whole number of seconds, at least this")
    parser.add_argument("--work-max", type=int, default=4, help="each child works a random whole number of seconds, at most this")
    parser.add_argument("--seed", type=int, default=random.randrange(1_000_000), help="fix every random choice")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    total = 2 * args.per_way
    shared = (mp.Array("i", total), mp.Array("i", total), mp.Array("d", total))  # runs, pids, end times
    seconds = [rng.randint(args.work_min, args.work_max) * args.speed for _ in range(total)]
    children = [mp.Process(target=task, args=(seconds[i], i, *shared), name=f"Target-{i + 1}") for i in range(args.per_way)]
    children += [Worker(seconds[args.per_way + i], args.per_way + i, shared, f"Subclass-{i + 1}") for i in range(args.per_way)]
    say(f"main process (pid {os.getpid()}) starts {args.per_way} child(ren) each way; seed {args.seed}")
    returned = []
    for p in children:
        p.start()
        returned.append(time.monotonic())  # when start() gave control back to main
        say(f"start() returned for {p.name} (pid {p.pid}): main goes on at once")
    say(f"main's own line, written after all {total} start() calls")
    for p in children:
        p.join()
    runs, pids, ended = shared
    ran_once = sum(1 for i, p in enumerate(children) if runs[i] == 1 and pids[i] == p.pid and p.exitcode == 0)
    early = sum(1 for i in range(total) if returned[i] < ended[i])
    say(f"{ran_once} of {total} children ran once as started; {early} start() calls returned while the child still worked")
    print(json.dumps({"twin": "spawn", "children": total, "ran_once": ran_once, "start_returned_while_working": early,
                      "longest_work": max(seconds)}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
