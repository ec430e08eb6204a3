#!/usr/bin/env python3
"""queue: Queue(3): put blocks when full, put_nowait raises Full, get(timeout)
raises Empty, and empty() only tells how things were a moment ago.

On a full queue put() waits until some get() frees a slot; put_nowait() raises
queue.Full at once; put(timeout=T) raises Full after T seconds. On an empty
queue get() waits; get_nowait() raises queue.Empty at once; get(timeout=T)
after T seconds. qsize(), empty() and full() may be out of date as soon as
they return: another process can change the queue before you act. Catch Full
and Empty instead of asking first (the two checkers show why).

Try:  python3 queue-twin.py
      python3 queue-twin.py --maxsize 5 --timeout 2
"""
import argparse
import json
import multiprocessing as mp
import os
import queue  # the Full and Empty exceptions live here
import time

START = time.monotonic()


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def consumer(q, delay, got_at, first):
    time.sleep(delay)
    got_at.value = time.monotonic()  # the moment this get begins
    item = q.get()
    first.value = int(item.split("-")[1])
    say(f"got {item} from the queue: a slot is free, so the blocked put can go on")


def checker(q, both_looked, saw, got, empty):
    seen = not q.empty()
    say(f"empty() = {not seen}: {'an item is there, I will take it' if seen else 'nothing for me'}")
    with saw.get_lock():
        saw.value += seen
    both_looked.wait()  # a Barrier: neither takes before both have looked
    try:
        item = q.get_nowait()
        with got.get_lock():
            got.value += 1
        say(f"get_nowait() gave me {item}")
    except queue.Empty:
        with empty.get_lock():
            empty.value += 1
        say("get_nowait() raised Empty, although empty() was False a moment ago: the other checker was faster")


def in_pipe(q):
    """put() returns before the queue's feeder thread has written the item into
    the pipe, and empty() looks at the pipe: wait until the item is there."""
    while q.empty():
        time.sleep(0.001)


def timed(call):
    """Runs call(); returns (the exception it raised or None, seconds it took)."""
    began = time.monotonic()
    try:
        call()
        return None, time.monotonic() - began
    except (queue.Full, queue.Empty) as e:
        return e, time.monotonic() - began


def main():
    parser = argparse.ArgumentParser(description="a bounded Queue, blocking and not (mpdemo queue)")
    parser.add_argument("--maxsize", type=int, default=3, help="the queue's maxsize")
    parser.add_argument("--consumer-delay", type=float, default=1.0, help="the consumer sleeps S seconds before its get")
    parser.add_argument("--timeout", type=float, default=0.5, help="timeout of put(timeout) and get(timeout), seconds")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep and timeout by F")
    args = parser.parse_args()
    timeout = args.timeout * args.speed

    q = mp.Queue(args.maxsize)
    say(f"made Queue(maxsize={args.maxsize}) before any child: every child shares it")
    for i in range(1, args.maxsize + 1):
        q.put(f"item-{i}")
        say(f"put item-{i}: qsize is now {q.qsize()}")
    in_pipe(q)
    say(f"looked at the queue: qsize() = {q.qsize()}, empty() = {q.empty()}, full() = {q.full()}")
    last = f"item-{args.maxsize + 1}"
    full_nowait, _ = timed(lambda: q.put_nowait(last))
    say(f"put_nowait({last}) raised {type(full_nowait).__name__} at once")
    full_timeout, waited = timed(lambda: q.put(last, timeout=timeout))
    say(f"put({last}, timeout={timeout:.2f}) waited {waited:.2f} s, then raised {type(full_timeout).__name__}")

    got_at, first = mp.Value("d", 0.0), mp.Value("i", 0)
    c = mp.Process(target=consumer, args=(q, args.consumer_delay * args.speed, got_at, first), name="Consumer")
    c.start()
    say(f"put({last}) with block=True on a full queue: it waits until the consumer takes an item")
    began = time.monotonic()
    q.put(last)
    put_returned = time.monotonic()
    say(f"put({last}) returned after {put_returned - began:.2f} s, right after the consumer's get")
    c.join()
    order = [first.value] + [int(q.get().split("-")[1]) for _ in range(args.maxsize - 1)]
    say(f"items came out in the order {order}: first in, first out")

    in_pipe(q)
    say("1 item left; two checker processes will look at empty() first and then take it")
    both_looked = mp.Barrier(2)
    saw, got, empty = mp.Value("i", 0), mp.Value("i", 0), mp.Value("i", 0)
    checkers = [mp.Process(target=checker, args=(q, both_looked, saw, got, empty), name=f"Checker-{i}") for i in (1, 2)]
    for p in checkers:
        p.start()
    for p in checkers:
        p.join()

    empty_timeout, waited_empty = timed(lambda: q.get(timeout=timeout))
    say(f"get(timeout={timeout:.2f}) waited {waited_empty:.2f} s, then raised {type(empty_timeout).__name__}")
    empty_nowait, _ = timed(q.get_nowait)
    say(f"get_nowait() raised {type(empty_nowait).__name__} at once")
    print(json.dumps({"twin": "queue", "maxsize": args.maxsize, "timeout": timeout,
                      "put_nowait_full": isinstance(full_nowait, queue.Full),
                      "put_timeout_full": isinstance(full_timeout, queue.Full), "put_timeout_waited": round(waited, 4),
                      "blocking_put_after_get": put_returned >= got_at.value > 0, "fifo": order,
                      "checkers": {"saw_items": saw.value, "got": got.value, "empty": empty.value},
                      "get_timeout_empty": isinstance(empty_timeout, queue.Empty), "get_timeout_waited": round(waited_empty, 4),
                      "get_nowait_empty": isinstance(empty_nowait, queue.Empty)}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
