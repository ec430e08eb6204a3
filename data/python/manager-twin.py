#!/usr/bin/env python3
"""manager: a dict in a Manager's server process, decremented by 100 workers,
with and without a Lock.

The server runs one call at a time, so a single get or set never tears. But
d['count'] -= 1 is two calls, a read and a write, and another worker can read
the same count in between: their writes overwrite each other and decrements
are lost. One Lock around the read and the write fixes it.

Try:  python3 manager-twin.py               (lost updates)
      python3 manager-twin.py --lock        (count ends at 0)
      python3 manager-twin.py --delay 0.01  (a pause between read and write: nearly every update is lost)
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


def decrement(d, delay):
    count = d["count"]  # one request to the server...
    time.sleep(delay)
    d["count"] = count - 1  # ...and another one: in between, other workers may read the same count
    return count


def worker(d, lock, delay, verbose):
    if lock is None:
        count = decrement(d, delay)
    else:
        with lock:
            count = decrement(d, delay)
    if verbose:
        say(f"read count = {count} from the server, then wrote {count - 1}")


def main():
    parser = argparse.ArgumentParser(description="lost updates through a Manager dict (mpdemo manager)")
    parser.add_argument("--workers", type=int, default=100, help="worker processes, each decrementing the count once")
    parser.add_argument("--count", type=int, default=100, help="the count in the dict at start")
    parser.add_argument("--lock", action="store_true", help="hold a Lock around each read-and-write")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between a worker's read and its write")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    parser.add_argument("-v", "--verbose", action="store_true", help="a line from every worker")
    args = parser.parse_args()

    with mp.Manager() as manager:  # starts the server process; shut down when the block ends
        d = manager.dict({"count": args.count})
        lock = mp.Lock() if args.lock else None
        say(f"a Manager server holds {{'count': {args.count}}}; {args.workers} workers each do "
            f"count -= 1 through a proxy, {'with' if args.lock else 'with no'} lock")
        workers = [mp.Process(target=worker, args=(d, lock, args.delay * args.speed, args.verbose), name=f"Worker-{i}")
                   for i in range(1, args.workers + 1)]
        for p in workers:
            p.start()
        for p in workers:
            p.join()
        final = d["count"]
    expected = args.count - args.workers
    lost = final - expected
    if lost:
        say(f"the count ended at {final} instead of {expected}: {lost} decrement(s) were lost")
    else:
        say(f"the count ended at {final}, as expected: no decrement was lost")
    print(json.dumps({"twin": "manager", "workers": args.workers, "count": args.count, "lock": args.lock,
                      "final": final, "expected": expected, "lost": lost,
                      "failed_workers": sum(1 for p in workers if p.exitcode != 0)}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
