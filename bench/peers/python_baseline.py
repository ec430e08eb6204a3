#!/usr/bin/env python3
"""Python's multiprocessing doing mpbench's cases: the baseline of scripts/bench.

    python3 python_baseline.py [case ...]     (default: every case)
    python3 python_baseline.py --list

Each case prints one JSON line with mpbench's keys in mpbench's order:
{"case", "n", "seconds", "per_s"}; dead_holder prints {"case", "recovered",
"told", "named", "seconds"}. The sizes and the timed part of every case are
mpbench's (bench/*.cpp), so the two rates divide: a process started before
the clock starts is not timed, one started after it is.
"""
import json
import multiprocessing
import os
import signal
import sys
import tempfile
import time


def _take(queue, n):
    for _ in range(n):
        queue.get()


def queue_throughput(n=100_000):
    """100k small ints through a Queue, parent -> one child; timed until the child has them all."""
    queue = multiprocessing.Queue()
    consumer = multiprocessing.Process(target=_take, args=(queue, n))
    consumer.start()
    start = time.perf_counter()
    for i in range(n):
        queue.put(i)
    consumer.join()
    return n, time.perf_counter() - start


def _recv_all(conn, n):
    for _ in range(n):
        conn.recv()


def pipe_throughput(n=100_000):
    """100k small ints through a one-way Pipe, one send each."""
    reader, writer = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.Process(target=_recv_all, args=(reader, n))
    child.start()
    reader.close()  # only the child reads
    start = time.perf_counter()
    for i in range(n):
        writer.send(i)
    child.join()
    return n, time.perf_counter() - start


def _nothing():
    pass


def spawn_join(n=500):
    """500 processes that do nothing: start all, then join all."""
    start = time.perf_counter()
    children = [multiprocessing.Process(target=_nothing) for _ in range(n)]
    for c in children:
        c.start()
    for c in children:
        c.join()
    return n, time.perf_counter() - start


def _count(value, lock, k):
    for _ in range(k):
        with lock:
            value.value += 1


def lock_counter(n=4 * 20_000):
    """4 processes each add 1 to a shared int n/4 times, under one Lock."""
    value = multiprocessing.Value('q', 0, lock=False)  # the Lock below guards it
    lock = multiprocessing.Lock()
    start = time.perf_counter()
    workers = [multiprocessing.Process(target=_count, args=(value, lock, n // 4)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - start
    if value.value != n:
        raise SystemExit(f"lock_counter: counted {value.value} of {n}")
    return n, seconds


def _square(x):
    return x * x


def pool_map(n=100_000):
    """Pool(2).map of x*x over 100k ints; the pool is started before the clock."""
    with multiprocessing.Pool(2) as pool:
        start = time.perf_counter()
        squares = pool.map(_square, range(n))
        seconds = time.perf_counter() - start
    if squares[-1] != (n - 1) ** 2:
        raise SystemExit("pool_map: wrong last result")
    return n, seconds


def pool_apply_async(n=20_000):
    """20k apply_async calls on Pool(2), then every result's get()."""
    with multiprocessing.Pool(2) as pool:
        start = time.perf_counter()
        pending = [pool.apply_async(_square, (i,)) for i in range(n)]
        total = sum(r.get() for r in pending)
        seconds = time.perf_counter() - start
    if total != sum(i * i for i in range(n)):
        raise SystemExit("pool_apply_async: wrong total")
    return n, seconds


def _buy_one(path, lock):
    # A plain rewrite of the file, as the tutorials (and ../shared/peer) do:
    # no fsync. mp::TicketDb fsyncs each sale (power-loss safety), so
    # mpbench's ticket_race does more disk work than this; scripts/bench says
    # so beside the ratio rather than hiding it here.
    with lock:
        with open(path) as f:
            count = json.load(f)['count']
        if count > 0:
            with open(path, 'w') as f:
                json.dump({'count': count - 1}, f)


def ticket_race(n=200):
    """n buyers race for n/2 tickets in a JSON file under one Lock."""
    with tempfile.TemporaryDirectory(prefix='mpbench-py-') as folder:
        path = os.path.join(folder, 'db.json')
        with open(path, 'w') as f:
            json.dump({'count': n // 2}, f)
        lock = multiprocessing.Lock()
        start = time.perf_counter()
        buyers = [multiprocessing.Process(target=_buy_one, args=(path, lock)) for _ in range(n)]
        for b in buyers:
            b.start()
        for b in buyers:
            b.join()
        seconds = time.perf_counter() - start
        with open(path) as f:
            left = json.load(f)['count']
    if left != 0:
        raise SystemExit(f"ticket_race: {left} tickets left")
    return n, seconds


def _hold_until_killed(lock, ready):
    lock.acquire()
    ready.set()
    signal.pause()


def dead_holder():
    """A holder SIGKILLed inside `with lock`: can another process take the lock (2 s)?"""
    lock = multiprocessing.Lock()
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_until_killed, args=(lock, ready))
    holder.start()
    ready.wait()
    holder.kill()
    holder.join()
    start = time.perf_counter()
    got = lock.acquire(timeout=2.0)
    seconds = time.perf_counter() - start
    # Python's Lock is a semaphore: it never tells that its holder died.
    return {'case': 'dead_holder', 'recovered': got, 'told': False, 'named': False, 'seconds': round(seconds, 4)}


RATE_CASES = {f.__name__: f for f in (queue_throughput, pipe_throughput, spawn_join, lock_counter,
                                      pool_map, pool_apply_async, ticket_race)}
PROBES = {'dead_holder': dead_holder}


def main(argv):
    names = list(RATE_CASES) + list(PROBES)
    if argv == ['--list']:
        print('\n'.join(names))
        return 0
    unknown = [a for a in argv if a not in names]
    if unknown:
        print(f"python_baseline: error: unknown case '{unknown[0]}'", file=sys.stderr)
        return 2
    multiprocessing.set_start_method('fork')
    for name in argv or names:
        if name in PROBES:
            line = PROBES[name]()
        else:
            n, seconds = RATE_CASES[name]()
            line = {'case': name, 'n': n, 'seconds': round(seconds, 4), 'per_s': round(n / seconds)}
        print(json.dumps(line), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
