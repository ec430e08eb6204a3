#!/usr/bin/env python3
"""daemon: a daemon child is cut off when the main process's code ends; a normal
child runs to its end.

When main's code ends, multiprocessing's exit handler terminates the daemon
children wherever they are, and only then waits for the normal ones. A daemon
may not start children of its own: it can be killed at any moment and its
children would be left orphaned, so start() refuses.

Try:  python3 daemon-twin.py
      python3 daemon-twin.py --main 5      (main outlives the daemon: it finishes)
"""
import atexit
import json
import os
import time

# The report at the end must come after multiprocessing's own exit handler
# (which terminates the daemons and joins the rest). atexit runs handlers in
# reverse order of registration, so ours is registered before multiprocessing
# is even imported: it runs last, and only observes.
RESULT = {}
atexit.register(lambda: RESULT and report())

import argparse  # noqa: E402  (after the atexit registration above, on purpose)
import multiprocessing as mp  # noqa: E402

START = time.monotonic()


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def daemon_work(steps, step, steps_done, daemon_done, refused):
    say(f"I am a daemon; I will work {steps} steps ({steps * step:.2f} s) and then say done")
    try:
        mp.Process(target=time.sleep, args=(0,)).start()
    except AssertionError as e:  # multiprocessing says: daemonic processes are not allowed to have children
        refused.value = True
        say(f"tried to start a child of my own and was refused: {e}")
    for i in range(1, steps + 1):
        time.sleep(step)
        steps_done.value = i
        say(f"step {i} of {steps} done")
    daemon_done.value = True
    say("done")


def worker_work(seconds, worker_done):
    say(f"I am a normal child; I will work {seconds:.2f} s")
    time.sleep(seconds)
    worker_done.value = True
    say("done: worked to the end")


def report():
    r = RESULT
    waited = time.monotonic() - r["main_ended"]
    say(f"the daemon stopped after {r['steps_done'].value} of {r['steps']} steps; "
        f"main then waited {waited:.2f} s for the normal child")
    print(json.dumps({"twin": "daemon", "daemon_steps": r["steps"], "steps_done": r["steps_done"].value,
                      "daemon_done": bool(r["daemon_done"].value), "worker_done": bool(r["worker_done"].value),
                      "refused_child": bool(r["refused"].value), "daemon_exitcode": r["daemon"].exitcode,
                      "worker_exitcode": r["worker"].exitcode, "waited_for_worker": round(waited, 4)}), flush=True)


def main():
    parser = argparse.ArgumentParser(description="a daemon child is cut off when main ends (mpdemo daemon)")
    parser.add_argument("--main", type=float, default=2.0, help="seconds main works before its code ends")
    parser.add_argument("--daemon-steps", type=int, default=5, help="steps the daemon works")
    parser.add_argument("--step", type=float, default=0.7, help="seconds per daemon step")
    parser.add_argument("--worker", type=float, default=3.0, help="seconds the normal child works")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()

    steps_done, daemon_done, worker_done, refused = (mp.Value("i", 0) for _ in range(4))
    daemon = mp.Process(target=daemon_work, name="Daemon", daemon=True,  # daemon is set before start()
                        args=(args.daemon_steps, args.step * args.speed, steps_done, daemon_done, refused))
    worker = mp.Process(target=worker_work, name="Worker", args=(args.worker * args.speed, worker_done))
    daemon.start()
    worker.start()
    say(f"started Daemon (pid {daemon.pid}, daemon=True) and Worker (pid {worker.pid}); "
        f"main works {args.main * args.speed:.2f} s, then its code ends")
    time.sleep(args.main * args.speed)
    RESULT.update(steps=args.daemon_steps, steps_done=steps_done, daemon_done=daemon_done, worker_done=worker_done,
                  refused=refused, daemon=daemon, worker=worker, main_ended=time.monotonic())
    say("main's code ends here: its daemon child is terminated now, its normal child is waited for")
    # No join() here, on purpose: what happens next is multiprocessing's exit handler.


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
