#!/usr/bin/env python3
"""baozi: cooks and eaters of buns through a queue, a pipe or a JoinableQueue.

The producer/consumer model puts a buffer (the basin) between the processes
that make things and those that use them. The hard part is the end: an eater
blocked in get() does not know that the cooks are done. The ways out:
  timeout   get(timeout=T) raises Empty and the eater leaves (too early if a cook is slower
            than T); the tutorial's way, and the default with a queue
  sentinel  once every cook is done, main puts one None per eater
  join      a JoinableQueue: eaters call task_done() and never leave (daemons);
            each cook's join() returns once every bun put so far is eaten
  eof       with a Pipe: recv() raises EOFError once every copy of the sending end is closed

Try:  python3 baozi-twin.py
      python3 baozi-twin.py --end sentinel
      python3 baozi-twin.py --via joinable --producers 2 --consumers 2
      python3 baozi-twin.py --via pipe --producers 2 --consumers 3
"""
import argparse
import json
import multiprocessing as mp
import os
import queue
import random
import time

START = time.monotonic()


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


class Basin:
    """What cooks and eaters share, whichever kind it is: put(bun), take() -> bun or None at the end."""

    def __init__(self, via, end, get_timeout):
        self.via, self.end, self.get_timeout = via, end, get_timeout
        if via == "pipe":
            self.receiving, self.sending = mp.Pipe(duplex=False)
            self.read_lock = mp.Lock()  # several eaters read one end: one whole recv() at a time
        else:
            self.q = mp.JoinableQueue() if via == "joinable" else mp.Queue()

    def put(self, bun):
        if self.via == "pipe":
            self.sending.send(bun)
        else:
            self.q.put(bun)

    def take(self):
        if self.via == "pipe":
            with self.read_lock:
                try:
                    return self.receiving.recv()
                except EOFError:
                    return None
        if self.end == "timeout":
            try:
                return self.q.get(timeout=self.get_timeout)
            except queue.Empty:
                return None
        return self.q.get()  # sentinel: None is the end marker; join: never ends


def cook(basin, index, items, make_max, seed):
    if basin.via == "pipe":
        basin.receiving.close()  # a cook never reads
    rng = random.Random(seed)
    for n in range(1, items + 1):
        time.sleep(rng.uniform(0, make_max))
        basin.put((index, n))
        say(f"made bun {n} and put it in the basin")
    if basin.via == "joinable":
        basin.q.join()  # returns once every bun put so far has been marked task_done()
        say(f"made all {items} bun(s), and every bun in the basin has been eaten; leaving")
    else:
        say(f"made all {items} bun(s); leaving")


def eater(basin, items, eat_max, seed, tally):
    if basin.via == "pipe":
        basin.sending.close()  # an eater never sends; its copy would keep the pipe from ever reaching EOF
    rng = random.Random(seed)
    while True:
        bun = basin.take()
        if bun is None:
            reason = {"pipe": "recv() raised EOFError", "timeout": "get(timeout) raised Empty"}.get(basin.end, "got the sentinel")
            say(f"{reason}: no more buns, leaving")
            return
        time.sleep(rng.uniform(0, eat_max))
        cook_index, n = bun
        with tally.get_lock():
            tally[(cook_index - 1) * items + n - 1] += 1
        say(f"ate bun {n} of Cook-{cook_index}")
        if basin.via == "joinable":
            basin.q.task_done()


def main():
    parser = argparse.ArgumentParser(description="producers and consumers of buns (mpdemo baozi)")
    parser.add_argument("--via", choices=["queue", "pipe", "joinable"], default="queue", help="the basin")
    parser.add_argument("--end", choices=["auto", "sentinel", "timeout", "eof", "join"], default="auto", help="how eaters stop")
    parser.add_argument("--producers", type=int, default=1, help="cook processes")
    parser.add_argument("--consumers", type=int, default=1, help="eater processes")
    parser.add_argument("--items", type=int, default=5, help="buns per cook")
    parser.add_argument("--make-max", type=float, default=1.0, help="a cook needs a random 0..S seconds per bun")
    parser.add_argument("--eat-max", type=float, default=1.0, help="an eater needs a random 0..S seconds per bun")
    parser.add_argument("--get-timeout", type=float, default=5.0, help="--end timeout: an eater leaves after S seconds without a bun")
    parser.add_argument("--seed", type=int, default=random.randrange(1_000_000), help="fix every random choice")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep and timeout by F")
    args = parser.parse_args()
    end = args.end if args.end != "auto" else {"queue": "timeout", "pipe": "eof", "joinable": "join"}[args.via]
    fits = {"queue": ("sentinel", "timeout"), "pipe": ("eof",), "joinable": ("join",)}[args.via]
    if end not in fits:
        parser.error(f"--end {end} does not work with --via {args.via} (use {' or '.join(fits)})")
    s = args.speed

    say(f"{args.producers} cook(s) make {args.items} bun(s) each, {args.consumers} eater(s) eat them; "
        f"the basin is a {args.via}, the meal ends by {end}; seed {args.seed}")
    basin = Basin(args.via, end, args.get_timeout * s)
    tally = mp.Array("i", args.producers * args.items)
    cooks = [mp.Process(target=cook, args=(basin, i, args.items, args.make_max * s, f"{args.seed}/cook/{i}"), name=f"Cook-{i}")
             for i in range(1, args.producers + 1)]
    eaters = [mp.Process(target=eater, args=(basin, args.items, args.eat_max * s, f"{args.seed}/eater/{i}", tally),
                         name=f"Eater-{i}", daemon=(end == "join"))  # join: eaters never leave; they end with main
              for i in range(1, args.consumers + 1)]
    for p in cooks + eaters:
        p.start()
    if args.via == "pipe":
        basin.sending.close()  # main's copy too: EOF comes once the cooks' copies are closed as well
        basin.receiving.close()
    for p in cooks:
        p.join()
    if end == "sentinel":
        for _ in eaters:
            basin.put(None)  # after every bun: the queue is first in, first out
        say(f"every cook has finished; put {len(eaters)} sentinel(s) (None), one per eater")
    if end != "join":
        for p in eaters:
            p.join()
    once = sum(1 for t in tally if t == 1)
    say(f"{once} of {len(tally)} bun(s) eaten exactly once")
    print(json.dumps({"twin": "baozi", "via": args.via, "end": end, "buns": len(tally), "eaten_once": once,
                      "twice": sum(1 for t in tally if t > 1), "uneaten": sum(1 for t in tally if t == 0),
                      "failed": sum(1 for p in cooks + eaters if p.exitcode not in (0, None)),
                      "left_running": sum(1 for p in cooks + eaters if p.is_alive() and not p.daemon)}))
    # With --end join the daemon eaters are still waiting in get(): multiprocessing
    # terminates them when main's code ends, as the lesson says.


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
