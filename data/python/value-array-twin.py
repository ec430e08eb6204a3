#!/usr/bin/env python3
"""value-array: a shared double and int array, and a shared counter with and
without its lock.

Value and Array put plain numbers in shared memory, so a child's writes are
seen by its parent: here 3.14 and a[0] = 5, as the tutorial's child writes
(--numbers docs: 3.1415927 and every element negated, as Python's docs do). Each single read or write takes the object's lock, but
that does not make v.value += 1 safe: it is a read and then a write, two
locked steps, and another process can add in between; its increment is then
overwritten. Holding get_lock() around the read and the write makes the
increment one step. How many unlocked increments are lost depends on how the
scheduler interleaves the processes: it varies from run to run.

Try:  python3 value-array-twin.py
      python3 value-array-twin.py --numbers docs
      python3 value-array-twin.py --processes 8 --increments 20000
"""
import argparse
import json
import multiprocessing as mp
import os
import time

START = time.monotonic()


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


# What the child writes: (the double, the array as the child leaves it from range(n)).
NUMBERS = {
    "tutorial": lambda n: (3.14, [5] + list(range(1, n))),     # n.value = 3.14; a[0] = 5
    "docs": lambda n: (3.1415927, [-i for i in range(n)]),      # 3.1415927; a[i] = -a[i]
}


def change(value, array, numbers):
    if numbers == "docs":
        value.value = 3.1415927
        for i in range(len(array)):
            array[i] = -array[i]
        say(f"set the value to {value.value} and negated the array: {array[:]}")
    else:
        value.value = 3.14
        array[0] = 5
        say(f"set the value to {value.value} and a[0] to {array[0]}: {array[:]}")


def count(counter, increments, locked):
    for _ in range(increments):
        if locked:
            with counter.get_lock():  # an RLock: the read and the write inside may take it again
                counter.value += 1
        else:
            counter.value += 1  # read (locked), add, write (locked): two steps, not one
    say(f"added 1, {increments} times")


def run_counters(processes, increments, locked):
    counter = mp.Value("i", 0)
    ps = [mp.Process(target=count, args=(counter, increments, locked), name=f"Counter-{i}") for i in range(1, processes + 1)]
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    made = processes * increments
    say(f"the counter reads {counter.value}; {made} increments were made; lost: {made - counter.value}")
    return counter.value


def main():
    parser = argparse.ArgumentParser(description="Value, Array and a shared counter (mpdemo value-array)")
    parser.add_argument("--length", type=int, default=10, help="length of the shared int array")
    parser.add_argument("--numbers", choices=sorted(NUMBERS), default="tutorial",
                        help="what the child writes: tutorial (3.14, a[0] = 5) or docs (3.1415927, every element negated)")
    parser.add_argument("--processes", type=int, default=4, help="processes incrementing the shared counter")
    parser.add_argument("--increments", type=int, default=100000, help="increments by each process")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F (nothing sleeps here)")
    args = parser.parse_args()

    value, array = mp.Value("d", 0.0), mp.Array("i", range(args.length))
    say(f"made Value('d') = {value.value} and Array('i') = {array[:]} in shared memory")
    p = mp.Process(target=change, args=(value, array, args.numbers), name="Child")
    p.start()
    p.join()
    say(f"after join, the parent sees value = {value.value} and array = {array[:]}")
    seen = (value.value, array[:]) == NUMBERS[args.numbers](args.length)

    say(f"now a shared counter: {args.processes} processes each add 1, {args.increments} times, with no lock held")
    unlocked = run_counters(args.processes, args.increments, locked=False)
    say("again, with the whole read-and-write under the counter's own lock")
    locked = run_counters(args.processes, args.increments, locked=True)
    made = args.processes * args.increments
    print(json.dumps({"twin": "value-array", "parent_sees_child_writes": seen, "made": made,
                      "without_lock": unlocked, "with_lock": locked, "lost_without_lock": made - unlocked}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
