#!/usr/bin/env python3
"""threads-vs-processes: creation cost, crash isolation, and CPU scaling of
threads vs processes, in CPython.

Threads are cheaper to create than processes. A process is a wall: a crash in
one thread takes the whole process down, every other thread with it, while a
crashing child process leaves its siblings and its parent running. And the
difference from mpdemo's C++: CPython's global interpreter lock (GIL) lets only
one thread run Python bytecode at a time, so CPU-bound threads take turns and
do not get faster; each process has its own interpreter and its own GIL, which
is why multiprocessing exists. (Python 3.13 has an optional build without the GIL.)

Try:  python3 threads-vs-processes-twin.py --count 50
      python3 threads-vs-processes-twin.py --crash abort
"""
import argparse
import json
import multiprocessing as mp
import os
import signal
import threading
import time

START = time.monotonic()
SIGNALS = {"segv": signal.SIGSEGV, "abort": signal.SIGABRT}


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def nothing():
    pass


def create_and_join(make, count):
    began = time.monotonic()
    workers = [make() for _ in range(count)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return (time.monotonic() - began) / count


def crash_now(how):
    # The signal a real crash would raise (a bad pointer: SIGSEGV; abort(): SIGABRT),
    # sent to this very thread; its default action ends the whole process.
    signal.pthread_kill(threading.get_ident(), SIGNALS[how])


def crashy(how, healthy_done, work):
    def healthy():
        say(f"healthy thread starts {work:.2f} s of work")
        time.sleep(work)
        healthy_done.value = True

    t = threading.Thread(target=healthy)
    t.start()
    say(f"faulty thread receives {SIGNALS[how].name} now")
    crash_now(how)
    t.join()


def sibling(index, crasher, how, carry_on):
    say("sibling up")
    if index == crasher:
        say(f"crashing with {SIGNALS[how].name}")
        crash_now(how)
    carry_on.wait(60)  # main tells us once it has seen the crash
    say("finished my work: a sibling's crash did not touch me")


def spin(iterations):
    n = 0
    for _ in range(iterations):
        n += 1
    return n


def timed_parallel(make, workers, iterations):
    """Returns (wall seconds, CPU seconds used meanwhile by this process's threads and its reaped children)."""
    def cpu():
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    began, cpu_began = time.monotonic(), cpu()
    ws = [make(iterations // workers) for _ in range(workers)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    return time.monotonic() - began, cpu() - cpu_began


def main():
    parser = argparse.ArgumentParser(description="threads vs processes in CPython (mpdemo threads-vs-processes)")
    parser.add_argument("--count", type=int, default=100, help="threads and processes to create and join for the cost measurement")
    parser.add_argument("--siblings", type=int, default=3, help="processes in the crash-isolation part")
    parser.add_argument("--crasher", type=int, default=2, help="the sibling that crashes (1-based)")
    parser.add_argument("--crash", choices=["segv", "abort"], default="segv", help="how the crash happens")
    parser.add_argument("--workers", type=int, default=0, help="threads and processes for the CPU part (0: one per usable CPU)")
    parser.add_argument("--work", type=float, default=2.0, help="seconds of single-core CPU work in the CPU part (scaled by --speed)")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep and the CPU work by F")
    args = parser.parse_args()
    workers = args.workers or len(os.sched_getaffinity(0))

    thread_each = create_and_join(lambda: threading.Thread(target=nothing), args.count)
    process_each = create_and_join(lambda: mp.Process(target=nothing), args.count)
    say(f"creating and joining {args.count}: a thread {thread_each * 1e6:.1f} µs, a process {process_each * 1e6:.1f} µs "
        f"({process_each / thread_each:.1f}× as much)")

    say("part 2: a process with two threads, one of which crashes")
    healthy_done = mp.Value("b", False)
    p = mp.Process(target=crashy, args=(args.crash, healthy_done, 0.5 * args.speed), name="Crashy")
    p.start()
    p.join()
    say(f"Crashy ended with exitcode {p.exitcode}; its healthy thread finished: {bool(healthy_done.value)}")

    say(f"part 3: {args.siblings} sibling processes; sibling {args.crasher} crashes")
    carry_on = mp.Event()
    siblings = [mp.Process(target=sibling, args=(i, args.crasher, args.crash, carry_on), name=f"Sibling-{i}")
                for i in range(1, args.siblings + 1)]
    for s in siblings:
        s.start()
    if 1 <= args.crasher <= args.siblings:
        siblings[args.crasher - 1].join()
        say(f"sibling {args.crasher} died (exitcode {siblings[args.crasher - 1].exitcode}); the others carry on")
    carry_on.set()
    for s in siblings:
        s.join()
    codes = [s.exitcode for s in siblings]
    say(f"exit codes of the siblings: {codes}; the main process runs on")

    # Calibrate: how many loop turns make --work seconds on one core here.
    probe = 200_000
    began = time.monotonic()
    spin(probe)
    iterations = max(workers, int(probe * args.work * args.speed / max(time.monotonic() - began, 1e-6)))
    began = time.monotonic()
    spin(iterations)
    serial = time.monotonic() - began
    threads, threads_cpu = timed_parallel(lambda n: threading.Thread(target=spin, args=(n,)), workers, iterations)
    processes, processes_cpu = timed_parallel(lambda n: mp.Process(target=spin, args=(n,)), workers, iterations)
    say(f"CPU work on {workers} worker(s): serial {serial:.2f} s, threads {threads:.2f} s (speedup {serial / threads:.2f}×), "
        f"processes {processes:.2f} s (speedup {serial / processes:.2f}×)")
    # CPU seconds per wall second = how many cores were busy at once on average.
    # The wall times above move with the machine's load; this ratio does not
    # for threads: under the GIL it stays near 1 whatever the load.
    say(f"cores busy at once on average: threads {threads_cpu / threads:.2f} (the GIL lets one run at a time), "
        f"processes {processes_cpu / processes:.2f} (as many as the machine had free, up to {workers})")
    print(json.dumps({"twin": "threads-vs-processes", "thread_each_us": round(thread_each * 1e6, 1),
                      "process_each_us": round(process_each * 1e6, 1), "crash": args.crash,
                      "crash_exitcode": -SIGNALS[args.crash], "crashy_exitcode": p.exitcode,
                      "healthy_thread_finished": bool(healthy_done.value), "crasher": args.crasher, "sibling_exitcodes": codes,
                      "workers": workers, "serial": round(serial, 4), "threads": round(threads, 4),
                      "processes": round(processes, 4), "threads_speedup": round(serial / threads, 3),
                      "processes_speedup": round(serial / processes, 3), "threads_cores_busy": round(threads_cpu / threads, 3),
                      "processes_cores_busy": round(processes_cpu / processes, 3)}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
