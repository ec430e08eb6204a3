#!/usr/bin/env python3
"""fork: os.fork() is called once and returns twice: 0 in the child, the child's
pid in the parent.

The kernel copies the calling process and the call returns in both copies; the
program tells them apart only by the value. The child ends with os._exit(), so
it never runs the parent's code after the switch; the parent reaps it with
os.waitpid(), or it stays a zombie. Which branch runs first is up to the
scheduler: try --rounds 100. (multiprocessing.Process does all this for you.)

Try:  python3 fork-twin.py
      python3 fork-twin.py --rounds 100
"""
import argparse
import json
import os
import time

START = time.monotonic()


def say(name, text):
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def main():
    parser = argparse.ArgumentParser(description="fork() returns twice (mpdemo fork)")
    parser.add_argument("--rounds", type=int, default=1, help="fork this many times, one after the other")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F (nothing sleeps here)")
    args = parser.parse_args()

    figures = {"child_branch": 0, "parent_branch": 0, "pid_matches": 0, "ppid_matches": 0, "reaped_ok": 0, "child_first": 0}
    parent_pid = os.getpid()
    for round_ in range(1, args.rounds + 1):
        verbose = round_ <= 3
        if verbose:
            say("MainProcess", f"about to call fork() (round {round_}): this line is printed once, by one process")
        report_r, report_w = os.pipe()
        pid = os.fork()
        stamp = time.monotonic_ns()  # taken first thing in each branch: which one ran first?
        if pid == 0:  # the child's branch
            os.close(report_r)
            if verbose:
                say("Child", f"fork() returned 0: so I am the child; my pid is {os.getpid()}, my parent is {os.getppid()}")
            os.write(report_w, json.dumps([os.getpid(), os.getppid(), stamp]).encode())
            os._exit(0)  # never return into the parent's code
        os.close(report_w)  # the parent's branch: close our copy, so the read below ends at the child's EOF
        if verbose:
            say("MainProcess", f"fork() returned {pid}: so I am the parent, and {pid} is my new child")
        child_pid, child_ppid, child_stamp = json.loads(os.read(report_r, 4096))
        os.close(report_r)
        _, status = os.waitpid(pid, 0)
        if verbose:
            say("MainProcess", f"waitpid({pid}) collected the child: exitcode {os.waitstatus_to_exitcode(status)}")
        figures["child_branch"] += 1
        figures["parent_branch"] += 1
        figures["pid_matches"] += child_pid == pid
        figures["ppid_matches"] += child_ppid == parent_pid
        figures["reaped_ok"] += os.waitstatus_to_exitcode(status) == 0
        figures["child_first"] += child_stamp < stamp
    say("MainProcess", f"{args.rounds} fork(s): the child's branch ran first {figures['child_first']} time(s)")
    print(json.dumps({"twin": "fork", "rounds": args.rounds, **figures}))


if __name__ == "__main__":
    main()
