#!/usr/bin/env python3
"""lifecycle: name, pid, exitcode and is_alive() before, during and after a
child's life, for three ends: the target returns, sys.exit(N), terminate().

Before start() a Process has a name but no pid and is not alive. After start()
it has a pid and exitcode is None. When the child ends, exitcode says how: 0
when the target returned, N after sys.exit(N), -N when signal N ended it (-15
after terminate(), which sends SIGTERM). terminate() only sends the signal, so
is_alive() asked right away may still be True.

Then a pitfall of Process subclasses: the base initialiser, super().__init__(),
names every process object ("MyProcess-N" unless told otherwise). A subclass
that sets self.name first and calls super().__init__() after loses its name;
set it after super().__init__() instead.

Try:  python3 lifecycle-twin.py
      python3 lifecycle-twin.py --exit-code 42
      python3 lifecycle-twin.py --subclass-name egon
"""
import argparse
import json
import multiprocessing as mp
import os
import sys
import time

START = time.monotonic()


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def works_then_returns(seconds):
    say(f"working {seconds:.2f} s, then my function returns")
    time.sleep(seconds)
    say("returning: a normal end")


def exits_with(code):
    say(f"calling sys.exit({code}): the exit code becomes {code}")
    sys.exit(code)


def never_stops(ready):
    say("working, and I will not stop by myself")
    ready.set()
    while True:
        time.sleep(0.01)


class MyProcess(mp.Process):
    """A subclass whose __init__ sets its name before or after super().__init__()."""

    def __init__(self, name, name_first):
        if name_first:
            self.name = name      # set first ...
            super().__init__()    # ... and overwritten here: MyProcess-N
        else:
            super().__init__()
            self.name = name      # set after the base initialiser: it stays

    def run(self):
        say(f"I run as {self.name}")


def show(p, when):
    say(f"{when}: name = {p.name}, pid = {p.pid}, is_alive() = {p.is_alive()}, exitcode = {p.exitcode}")


def main():
    parser = argparse.ArgumentParser(description="a Process object's story (mpdemo lifecycle)")
    parser.add_argument("--name", default="task-1", help="name of the first child (Process(name=...))")
    parser.add_argument("--work", type=float, default=3.0, help="seconds the first child works before it returns")
    parser.add_argument("--exit-code", type=int, default=3, help="code the second child passes to sys.exit")
    parser.add_argument("--before-terminate", type=float, default=1.0, help="seconds main lets the third child work before terminate()")
    parser.add_argument("--subclass-name", default="my-task",
                        help="the name two Process subclass objects set, one before and one after the base initialiser")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()

    first = mp.Process(target=works_then_returns, args=(args.work * args.speed,), name=args.name)
    before = {"pid": first.pid, "alive": first.is_alive(), "exitcode": first.exitcode}
    show(first, "before start()")
    first.start()
    running = {"pid": first.pid, "alive": first.is_alive(), "exitcode": first.exitcode}
    show(first, "after start()")
    first.join()
    show(first, "after join()")

    second = mp.Process(target=exits_with, args=(args.exit_code,), name="task-2")
    second.start()
    second.join()
    show(second, "after join()")

    ready = mp.Event()
    third = mp.Process(target=never_stops, args=(ready,), name="task-3")
    third.start()
    ready.wait()
    show(third, "running")
    time.sleep(args.before_terminate * args.speed)
    third.terminate()
    alive_right_after = third.is_alive()  # the signal is sent, but the child may not have died yet
    say(f"terminate() sent SIGTERM; asked at once, is_alive() = {alive_right_after}")
    third.join()
    show(third, "after join()")

    subclassed = []
    for name_first in (True, False):
        p = MyProcess(args.subclass_name, name_first)
        order = "self.name first, then super().__init__()" if name_first else "super().__init__() first, then self.name"
        say(f"MyProcess with {order}: p.name = {p.name}")
        p.start()
        p.join()
        subclassed.append(p.name)
    print(json.dumps({"twin": "lifecycle", "before_start": before, "while_running": running,
                      "exitcodes": [first.exitcode, second.exitcode, third.exitcode], "exit_code_asked": args.exit_code,
                      "alive_right_after_terminate": alive_right_after,
                      "alive_after_join": [p.is_alive() for p in (first, second, third)], "names": [first.name, second.name, third.name],
                      "subclass_name": args.subclass_name, "name_set_before_init": subclassed[0],
                      "name_set_after_init": subclassed[1]}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
