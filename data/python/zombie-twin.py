#!/usr/bin/env python3
"""zombie: a child that exited but was not waited for stays in the process
table in state Z (<defunct>) until its parent reaps it.

The kernel frees a dead child's memory and files at once but keeps its pid and
exit status until the parent asks for them (wait). Three ways to reap:
  wait     join() each child after --hold seconds
  sigchld  a SIGCHLD handler wakes the main loop, which reaps every ended child
  ignore   SIGCHLD set to SIG_IGN: the kernel reaps at once, the status is lost

Try:  python3 zombie-twin.py --hold 10      (and run the printed ps line meanwhile)
      python3 zombie-twin.py --mode ignore
"""
import argparse
import json
import math
import multiprocessing as mp
import os
import select
import signal
import sys
import time

START = time.monotonic()


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def state_of(pid):
    """The state letter ps shows (R, S, Z ...), read where ps reads it; None once the entry is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            # The command name is in parentheses and may hold spaces: split after the last ')'.
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):  # no entry, or reaped between open and read (ESRCH)
        return None


def child(index, go):
    go.wait()  # all children exit together, when main says so
    say(f"exiting with status {index}")
    sys.exit(index)


def wait_until_ended(pids, deadline):
    """Polls /proc until each child has ended (Z, or already reaped by the kernel)."""
    while time.monotonic() < deadline:
        if all(state_of(pid) in ("Z", None) for pid in pids):
            return
        time.sleep(0.002)


def main():
    parser = argparse.ArgumentParser(description="zombies and three ways to reap them (mpdemo zombie)")
    parser.add_argument("--mode", choices=["wait", "sigchld", "ignore"], default="wait", help="how the zombies are reaped")
    parser.add_argument("--count", type=int, default=3, help="number of children")
    parser.add_argument("--hold", type=float, default=10.0, help="seconds the parent stays busy before reaping (--mode wait)")
    parser.add_argument("--show", type=int, default=5, help="show lines for the first N children (all are counted)")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()

    say(f"{args.count} child(ren), reaped in mode '{args.mode}'; the parent is pid {os.getpid()}")
    wakeup_r = None
    if args.mode == "ignore":
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # before the children exit: no zombie is ever made
    elif args.mode == "sigchld":
        # The handler only wakes the main loop (set_wakeup_fd writes a byte to a pipe);
        # the reaping happens in the loop, never in the handler.
        wakeup_r, wakeup_w = os.pipe()
        os.set_blocking(wakeup_w, False)
        signal.set_wakeup_fd(wakeup_w)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)

    go = mp.Event()
    children = [mp.Process(target=child, args=(i, go), name=f"Child-{i}") for i in range(1, args.count + 1)]
    for p in children:
        p.start()
    pids = [p.pid for p in children]
    say(f"to look for yourself, run in another terminal:  ps -o pid,ppid,stat,cmd --ppid {os.getpid()}")
    say("the children exit now; the parent does not call wait")
    go.set()

    statuses = {}
    zombies_seen = 0
    if args.mode == "wait":
        wait_until_ended(pids, time.monotonic() + 10)
        say(f"the parent is busy for {args.hold * args.speed:.2f} s and calls no wait: its exited children are zombies")
        for i, pid in enumerate(pids[:args.show]):
            say(f"/proc/{pid}/stat says state {state_of(pid)}")  # what ps shows now, while the parent holds
        # A few lines on the way, not a silent hold: how long still, and what ps still shows.
        step = 1.0 if args.hold <= 3 else math.ceil(args.hold / 4)
        slept, left = 0.0, args.hold - step
        for _ in range(3):
            if left <= 0:
                break
            time.sleep((args.hold - left - slept) * args.speed)
            slept = args.hold - left
            states = [state_of(pid) for pid in pids]
            say(f"{left * args.speed:.2f} s until the parent reaps; ps still shows {states.count('Z')} of {args.count} as Z")
            left -= step
        time.sleep((args.hold - slept) * args.speed)
        for pid in pids:  # looked at again just before the reap
            zombies_seen += state_of(pid) == "Z"
        say(f"{zombies_seen} of {args.count} child(ren) are zombies (Z); now join() each one")
        for p in children:
            p.join()  # join() calls waitpid: it reads the exit status and frees the entry
            statuses[p.pid] = p.exitcode
    elif args.mode == "sigchld":
        while len(statuses) < args.count:
            ready, _, _ = select.select([wakeup_r], [], [], 1.0)  # woken by the handler's byte
            if ready:
                os.read(wakeup_r, 512)
            # One signal can stand for several exits: reap every ended child, not just one.
            while True:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                statuses[pid] = os.waitstatus_to_exitcode(status)
                say(f"SIGCHLD: reaped {pid}, exit status {statuses[pid]}")
    else:
        wait_until_ended(pids, time.monotonic() + 10)
        for p in children:
            p.join()  # nothing left to wait for: the kernel already reaped it
            statuses[p.pid] = p.exitcode
            say(f"{p.name}: exitcode {p.exitcode} (None: the status was thrown away)")

    gone = sum(1 for pid in pids if state_of(pid) is None)
    say(f"{gone} of {args.count} entries are gone from the process table")
    print(json.dumps({"twin": "zombie", "mode": args.mode, "count": args.count, "zombies_seen": zombies_seen,
                      "gone": gone, "exit_statuses": [statuses.get(pid) for pid in pids]}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
