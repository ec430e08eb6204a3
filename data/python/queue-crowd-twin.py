#!/usr/bin/env python3
"""queue-crowd: 10 writers and 10 readers through one Queue(3): every note is
read exactly once.

One queue serves many producers and many consumers at once, with no lock of
your own. A small maxsize makes writers wait in put() until readers make room
(back-pressure). Each item goes to exactly one get(): never two, never none;
the shared tally shows every count at 1. Which reader gets which note depends
on the scheduler: run it twice and compare.

Try:  python3 queue-crowd-twin.py
      python3 queue-crowd-twin.py --messages 5 --readers 3
"""
import argparse
import json
import multiprocessing as mp
import os
import queue
import time

START = time.monotonic()


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def writer(q, index, messages, waited):
    for note in range(1, messages + 1):
        item = (index, note, os.getpid(), time.monotonic())
        try:
            q.put_nowait(item)
            say(f"put note {note} at once")
        except queue.Full:
            say(f"note {note}: the queue is full; waiting in put() for a reader to make room")
            began = time.monotonic()
            q.put(item)  # blocks until some reader's get frees a slot
            with waited.get_lock():
                waited.value += 1
            say(f"note {note} went in after waiting {time.monotonic() - began:.2f} s")


def reader(q, messages, tally):
    while True:
        item = q.get()
        if item is None:  # the end marker main puts once every writer is done
            return
        index, note, pid, written = item
        with tally.get_lock():
            tally[(index - 1) * messages + note - 1] += 1
        say(f"got note {note} of writer {index} (pid {pid}), written {time.monotonic() - written:.2f} s ago")


def main():
    parser = argparse.ArgumentParser(description="many writers and readers through one Queue (mpdemo queue-crowd)")
    parser.add_argument("--writers", type=int, default=10, help="writer processes")
    parser.add_argument("--readers", type=int, default=10, help="reader processes")
    parser.add_argument("--maxsize", type=int, default=3, help="the queue's maxsize")
    parser.add_argument("--messages", type=int, default=1, help="notes each writer puts")
    parser.add_argument("--readers-after", type=float, default=1.0, help="the readers start S seconds after the writers")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()

    total = args.writers * args.messages
    say(f"{args.writers} writer(s) and {args.readers} reader(s) share one Queue(maxsize={args.maxsize}); "
        f"{args.messages} note(s) each")
    q, tally, waited = mp.Queue(args.maxsize), mp.Array("i", total), mp.Value("i", 0)
    writers = [mp.Process(target=writer, args=(q, i, args.messages, waited), name=f"Writer-{i}")
               for i in range(1, args.writers + 1)]
    readers = [mp.Process(target=reader, args=(q, args.messages, tally), name=f"Reader-{i}")
               for i in range(1, args.readers + 1)]
    for p in writers:
        p.start()
    time.sleep(args.readers_after * args.speed)
    say(f"starting {args.readers} reader(s); the queue is full, the other writers wait in put()")
    for p in readers:
        p.start()
    for p in writers:
        p.join()
    for _ in readers:
        q.put(None)  # one end marker per reader, after every note (a queue is first in, first out)
    for p in readers:
        p.join()
    once = sum(1 for t in tally if t == 1)
    say(f"{once} of {total} note(s) were read exactly once; {waited.value} writer put(s) had to wait for room")
    print(json.dumps({"twin": "queue-crowd", "messages": total, "read_once": once,
                      "never": sum(1 for t in tally if t == 0), "more_than_once": sum(1 for t in tally if t > 1),
                      "writers_waited": waited.value,
                      "failed": sum(1 for p in writers + readers if p.exitcode != 0)}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
