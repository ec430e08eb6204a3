#!/usr/bin/env python3
"""join-timing: start all, then join all, takes the longest sleep; start and join
one by one takes the sum. join(timeout) returns after the timeout either way.

join() waits for one child to end; it neither starts nor stops anything. When
every child is started first they sleep at the same time, so joining them one
after the other only waits for what is left of each.

Try:  python3 join-timing-twin.py --speed 0.5
      python3 join-timing-twin.py --sleeps 2,2,2
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


def sleeper(seconds):
    time.sleep(seconds)
    say(f"slept {seconds:.2f} s, done")


def busy(stop):
    say("working until main tells me to stop")
    stop.wait()  # an Event: main sets it when the child may end
    say("told to stop: done")


def children(sleeps):
    return [mp.Process(target=sleeper, args=(s,), name=f"p{i}") for i, s in enumerate(sleeps, 1)]


def main():
    parser = argparse.ArgumentParser(description="what join() waits for (mpdemo join-timing)")
    parser.add_argument("--sleeps", default="1,2,3", help="seconds each child sleeps, one child per value (e.g. 1,2,3)")
    parser.add_argument("--join-timeout", type=float, default=0.5, help="timeout of join(timeout) on the busy child")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep and timeout by F")
    args = parser.parse_args()
    sleeps = [round(float(s) * args.speed, 4) for s in args.sleeps.split(",")]
    say(f"{len(sleeps)} children sleep {sleeps} s: the longest is {max(sleeps):.2f} s, together {sum(sleeps):.2f} s")

    say("way 1: start all children, then join them one after the other")
    began = time.monotonic()
    ps = children(sleeps)
    for p in ps:
        p.start()
    for p in ps:
        p.join()  # the children already slept side by side: this only waits for the rest
        say(f"join({p.name}) returned {time.monotonic() - began:.2f} s after the first start()")
    parallel = time.monotonic() - began
    say(f"way 1 took {parallel:.2f} s: about the longest sleep, not the sum")

    say("way 2: start one child and join it, then the next")
    began = time.monotonic()
    for p in children(sleeps):
        p.start()
        p.join()  # the next child is not even created before this one ends
    serial = time.monotonic() - began
    say(f"way 2 took {serial:.2f} s: about the sum")

    stop = mp.Event()
    p = mp.Process(target=busy, args=(stop,), name="busy")
    p.start()
    timeout = args.join_timeout * args.speed
    say(f"join(busy, timeout={timeout:.2f} s): wait at most that long")
    began = time.monotonic()
    p.join(timeout)  # returns None whether or not the child ended: ask is_alive()
    waited = time.monotonic() - began
    alive_after_timeout = p.is_alive()
    say(f"join returned after {waited:.2f} s; is_alive() = {alive_after_timeout}, exitcode = {p.exitcode}")
    stop.set()
    p.join()
    say(f"main told the child to stop and joined it: is_alive() = {p.is_alive()}, exitcode = {p.exitcode}")
    print(json.dumps({"twin": "join-timing", "sleeps": sleeps, "start_all_then_join": round(parallel, 4),
                      "one_by_one": round(serial, 4), "timeout": timeout, "timeout_waited": round(waited, 4),
                      "alive_after_timeout": alive_after_timeout, "busy_exitcode": p.exitcode}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
