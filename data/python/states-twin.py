#!/usr/bin/env python3
"""states: children that compute, sleep, block on a pipe, are stopped, and
exit, sampled from the process table.

The textbook's ready, running and blocked are what the kernel's table shows,
with Linux's letters (the third field of /proc/<pid>/stat, what ps shows):
  R  running or ready to run (Linux does not tell them apart)
  S  interruptible sleep: time.sleep, waiting on a lock, reading an empty pipe
  T  stopped by SIGSTOP (Ctrl-Z)
  Z  exited, waiting to be reaped; every process ends as Z, however briefly
mpdemo also shows D (uninterruptible sleep) by holding a vfork; Python has no
safe way to do that, so this twin leaves D out.

Try:  python3 states-twin.py --interval 2     and meanwhile: ps -o pid,stat,wchan:20,cmd --ppid <pid>
"""
import argparse
import json
import multiprocessing as mp
import os
import select
import signal
import time

START = time.monotonic()
ROLES = ["Compute", "Sleep", "ReadPipe", "Stopped", "Exited"]


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def state_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]  # the name in parentheses may hold spaces
    except (FileNotFoundError, ProcessLookupError):  # no entry, or reaped between open and read (ESRCH)
        return "-"  # gone: reaped


def closing(release_w, work, *args):
    """A reader of the release pipe first closes its copy of the write end, or no EOF could ever come."""
    os.close(release_w)
    work(*args)


def compute(stop):
    say("I compute in a loop: I am on a CPU or waiting for one")
    n = 0
    while not stop.value:  # a raw shared flag: reading it takes no lock
        n += 1


def sleep(release_r):
    say("I sleep in select() until released")
    select.select([release_r], [], [])  # EOF on the release pipe wakes me


def read_pipe(release_r):
    say("I read from an empty pipe (like input() or recv()): blocked until the release")
    os.read(release_r, 1)  # returns b"" at EOF


def stopped(release_r, ready):
    say("I sleep until released; the parent will stop me with SIGSTOP first")
    ready.set()
    # Nothing shared is held while I am stopped: SIGSTOP landing while this
    # process held, say, an Event's internal lock would block every other
    # process that touches that Event, the parent's release included.
    select.select([release_r], [], [])


def exited():
    say("I exit at once; nobody reaps me until the end")


def main():
    parser = argparse.ArgumentParser(description="process states from /proc (mpdemo states)")
    parser.add_argument("--samples", type=int, default=6, help="rows of the timeline (samples of /proc/<pid>/stat)")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between samples")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()

    stop, ready = mp.RawValue("b", False), mp.Event()
    release_r, release_w = os.pipe()  # closing the write end releases every reader at once (EOF)
    children = [mp.Process(target=compute, args=(stop,), name="Compute"),
                mp.Process(target=closing, args=(release_w, sleep, release_r), name="Sleep"),
                mp.Process(target=closing, args=(release_w, read_pipe, release_r), name="ReadPipe"),
                mp.Process(target=closing, args=(release_w, stopped, release_r, ready), name="Stopped"),
                # Started last: start() reaps children that have already ended, and this one ends at once.
                mp.Process(target=exited, name="Exited")]
    for p in children:
        p.start()
    os.close(release_r)  # main never reads it
    pids = [p.pid for p in children]
    ready.wait(10)  # it has said its line: stop it now
    os.kill(pids[3], signal.SIGSTOP)
    say(f"SIGSTOP sent to Stopped (pid {pids[3]}); the parent is pid {os.getpid()}")
    # Let every child reach its state before the first sample: the new processes
    # start as R, and Exited needs a moment to end.
    deadline = time.monotonic() + 10
    while [state_of(pid) for pid in pids[1:]] != ["S", "S", "T", "Z"] and time.monotonic() < deadline:
        time.sleep(0.005)
    seen = {role: set() for role in ROLES}
    say("t (s)  " + "".join(f"{role:<10}" for role in ROLES))
    began = time.monotonic()
    for _ in range(args.samples):
        row = [state_of(pid) for pid in pids]
        for role, state in zip(ROLES, row):
            seen[role].add(state)
        say(f"{time.monotonic() - began:5.3f}  " + "".join(f"{state:<10}" for state in row))
        time.sleep(args.interval * args.speed)
    say("release: the flag set, the release pipe closed (EOF), SIGCONT to Stopped")
    stop.value = True
    os.close(release_w)
    os.kill(pids[3], signal.SIGCONT)
    deadline = time.monotonic() + 10
    while any(state_of(pid) != "Z" for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.002)  # each child ends now; none is reaped yet
    after_release = "".join(state_of(pid) for pid in pids)
    say(f"{time.monotonic() - began:5.3f}  " + "".join(f"{state:<10}" for state in after_release))
    for p in children:
        p.join()
    gone = sum(1 for pid in pids if state_of(pid) == "-")
    say(f"join() reaped them: {gone} of {len(pids)} entries gone from the process table")
    print(json.dumps({"twin": "states", "seen": {role: "".join(sorted(s)) for role, s in seen.items()},
                      "after_release": after_release, "gone_after_join": gone, "children": len(pids)}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
