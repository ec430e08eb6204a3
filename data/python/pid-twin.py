#!/usr/bin/env python3
"""pid: the pid and ppid of the main process and of its children.

The kernel gives every process a number, its pid, and remembers who created
it: the parent's pid, ppid. A child learns its own with os.getpid() and its
parent's with os.getppid(); the parent learns the child's from p.pid. The same
link is in the kernel's process table, which ps reads (/proc/<pid>/stat).

Try:  python3 pid-twin.py --children 3 --hold 30     (and look with ps meanwhile)
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


def child(reports, looked, hold):
    say(f"my pid is {os.getpid()}, my parent's pid (getppid) is {os.getppid()}")
    reports.put((mp.current_process().name, os.getpid(), os.getppid()))
    looked.wait()  # alive until main has read the process table, whatever --hold says
    time.sleep(hold)  # then a while longer: time to look with ps


def ppid_in_proc(pid):
    """The 4th field of /proc/<pid>/stat is the parent's pid (after the name in parentheses)."""
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def main():
    parser = argparse.ArgumentParser(description="pids and parents (mpdemo pid)")
    parser.add_argument("--children", type=int, default=3, help="number of child processes")
    parser.add_argument("--hold", type=float, default=1.0, help="seconds the children stay alive after reporting (time to run ps)")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()

    me = os.getpid()
    say(f"I am the main process: pid {me}; my parent is pid {os.getppid()}")
    reports, looked = mp.Queue(), mp.Event()
    children = [mp.Process(target=child, args=(reports, looked, args.hold * args.speed), name=f"Child-{i}")
                for i in range(1, args.children + 1)]
    for p in children:
        p.start()
        say(f"started {p.name}: p.pid = {p.pid}")
    seen = dict((name, (pid, ppid)) for name, pid, ppid in (reports.get(timeout=30) for _ in children))
    in_table = 0
    for p in children:  # still alive (they hold): their entries are in the table
        parent = ppid_in_proc(p.pid)
        in_table += parent == me
        say(f"process table (/proc/{p.pid}/stat): {p.name}'s parent pid is {parent}")
    looked.set()
    say(f"ps -o pid,ppid,cmd --ppid {me}  shows them for {args.hold * args.speed:.2f} s more")
    for p in children:
        p.join()
    print(json.dumps({"twin": "pid", "main": me, "children": args.children, "reported": len(seen),
                      "ppid_is_main": sum(1 for pid, ppid in seen.values() if ppid == me),
                      "pid_is_p_pid": sum(1 for p in children if seen.get(p.name, (0,))[0] == p.pid),
                      "distinct_pids": len({pid for pid, _ in seen.values()}), "table_names_main": in_table}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
