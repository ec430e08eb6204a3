#!/usr/bin/env python3
"""orphan: the parent exits first; the child reports its new parent.

An orphan keeps running; the kernel only gives it a new parent, so that someone
will collect its exit status. The new parent is the nearest ancestor that made
itself a "child subreaper" (systemd --user, container runtimes do), or else
process 1 of its pid namespace. By default this program makes itself the
subreaper (Linux prctl, through ctypes: the standard library has no wrapper),
so the orphan comes back to it and it reaps it.

The steps are ordered with pipes: Child reports its first parent, waits until
main has reaped that parent, then reads getppid() again.

Try:  python3 orphan-twin.py
      python3 orphan-twin.py --no-subreaper      (what does your system do?)
"""
import argparse
import ctypes
import json
import multiprocessing as mp
import os
import time

START = time.monotonic()
PR_SET_CHILD_SUBREAPER = 36  # from <linux/prctl.h>


def say(text, name=None):
    name = name or mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def parent(reports, go, linger):
    hello_r, hello_w = os.pipe()
    pid = os.fork()  # a bare fork: this child is not a multiprocessing Process, it belongs to Parent
    if pid == 0:
        os.close(hello_r)
        reports.send(("first", os.getppid()))
        say(f"Child here: my parent is pid {os.getppid()}", "Child")
        os.write(hello_w, b"x")  # tell Parent it may exit now
        go.recv()  # main says: your parent is dead and reaped
        reports.send(("second", os.getppid()))
        say(f"Child here: my parent is now pid {os.getppid()}", "Child")
        time.sleep(linger)
        say("Child exits; its new parent must reap it", "Child")
        os._exit(0)  # a forked copy leaves with _exit: no cleanup of the parent's Python state
    os.close(hello_w)
    say("Parent forked Child (os.fork), waits until Child has said hello")
    os.read(hello_r, 1)
    reports.send(("child", pid))
    say(f"Parent exits now, leaving Child (pid {pid}) behind")


def main():
    parser = argparse.ArgumentParser(description="an orphan and its new parent (mpdemo orphan)")
    parser.add_argument("--no-subreaper", action="store_true", help="do not become a child subreaper: the system picks the new parent")
    parser.add_argument("--linger", type=float, default=1.0, help="seconds the orphan lives on after its parent died")
    parser.add_argument("--reaper-wait", type=float, default=3.0, help="with --no-subreaper: seconds to watch whether the new parent reaps the orphan")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()

    me = os.getpid()
    subreaper = not args.no_subreaper
    if subreaper:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
        say(f"main (pid {me}) declares itself a child subreaper: orphans among its descendants come back to it")
    reports_r, reports_w = mp.Pipe(duplex=False)
    go_r, go_w = mp.Pipe(duplex=False)
    p = mp.Process(target=parent, args=(reports_w, go_r, args.linger * args.speed), name="Parent")
    p.start()
    got = dict(reports_r.recv() for _ in range(2))  # ("first", ppid) and ("child", pid), in either order
    child_pid, first_parent = got["child"], got["first"]
    p.join()
    say(f"Parent (pid {p.pid}) has exited and been reaped (exitcode {p.exitcode}); Child runs on, an orphan")
    go_w.send("go")
    _, new_parent = reports_r.recv()
    say(f"the kernel re-parented Child {child_pid} to pid {new_parent}")

    reaped_by_main = False
    if subreaper:
        _, status = os.waitpid(child_pid, 0)  # it is our child now: we can and must wait for it
        reaped_by_main = True
        say(f"main, Child's new parent, reaped it (exit status {os.waitstatus_to_exitcode(status)})")
    else:
        deadline = time.monotonic() + (args.linger + args.reaper_wait) * args.speed + 1
        while os.path.exists(f"/proc/{child_pid}") and time.monotonic() < deadline:
            time.sleep(0.01)
        gone = not os.path.exists(f"/proc/{child_pid}")
        say(f"pid {new_parent} {'reaped' if gone else 'did not reap'} the orphan")
    print(json.dumps({"twin": "orphan", "main": me, "dead_parent": p.pid, "first_parent": first_parent,
                      "new_parent": new_parent, "subreaper": subreaper, "reaped_by_main": reaped_by_main,
                      "parent_exitcode": p.exitcode}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
