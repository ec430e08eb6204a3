#!/usr/bin/env python3
"""isolation: a global changed in a child stays unchanged in the parent.

fork gives the child a copy of the parent's memory: the same variables at the
same addresses, with the same values at that moment. A write in the child
changes the child's copy only (copy-on-write), so main still reads the old
value at the very same address. To share, ask for it: --shared adds a
multiprocessing.Value, which lives in shared memory.

Try:  python3 isolation-twin.py
      python3 isolation-twin.py --shared
"""
import argparse
import json
import multiprocessing as mp
import os
import time

START = time.monotonic()
x = 0  # set from --x before the child starts
n = 0


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def child(new_x, new_n, shared, report):
    global x, n
    x, n = new_x, new_n
    if shared is not None:
        shared.value = new_x
    # id() of the module's globals dict is its address in this process: the same number as in main.
    say(f"child: set x = {x} and n = {n}; the globals live at address {id(globals()):#x}")
    report.send((x, n, id(globals())))


def main():
    global x, n
    parser = argparse.ArgumentParser(description="processes do not share variables (mpdemo isolation)")
    parser.add_argument("--x", type=int, default=1000, help="x before the child starts")
    parser.add_argument("--n", type=int, default=100, help="n before the child starts")
    parser.add_argument("--child-x", type=int, default=2, help="what the child sets x to")
    parser.add_argument("--child-n", type=int, default=0, help="what the child sets n to")
    parser.add_argument("--shared", action="store_true", help="also change a shared Value: that change is seen by main")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F (nothing sleeps here)")
    args = parser.parse_args()

    x, n = args.x, args.n
    shared = mp.Value("i", args.x) if args.shared else None
    say(f"main, before the child starts: x = {x}, n = {n}; the globals live at address {id(globals()):#x}")
    receive, send = mp.Pipe(duplex=False)
    p = mp.Process(target=child, args=(args.child_x, args.child_n, shared, send), name="Child")
    p.start()
    child_x, child_n, child_address = receive.recv()
    p.join()
    say(f"main, after join(): x = {x}, n = {n}; same address {id(globals()) == child_address}")
    if shared is not None:
        say(f"the shared Value reads {shared.value} in main: that one the child really changed")
    print(json.dumps({"twin": "isolation", "before": [args.x, args.n], "child_saw": [child_x, child_n],
                      "main_after": [x, n], "same_address": id(globals()) == child_address,
                      "shared_after": shared.value if shared is not None else None, "child_exitcode": p.exitcode}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
