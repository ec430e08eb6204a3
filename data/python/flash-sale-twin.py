#!/usr/bin/env python3
"""flash-sale: 100 buyers put_nowait their pid into a Queue(10): ten winners, ranked.

A bounded queue is also a counter of free places that processes can take
without a lock of their own: the check for room and the insertion are one step
inside the queue, so there is never an eleventh winner (unlike ticket without
--lock). Every later put_nowait raises queue.Full at once instead of waiting.
First in, first out: the order of the queue is the ranking.

Try:  python3 flash-sale-twin.py
      python3 flash-sale-twin.py --buyers 5     (fewer buyers than bands: everyone wins)
"""
import argparse
import json
import multiprocessing as mp
import os
import queue
import random
import time

START = time.monotonic()
WON, FULL = 1, 2  # a buyer's outcome in the shared array


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def buyer(args, index, stock, outcome, verbose):
    time.sleep(random.Random(f"{args.seed}/{index}").uniform(0, args.arrival_max) * args.speed)
    try:
        stock.put_nowait(os.getpid())
        outcome[index - 1] = WON
        say("put_nowait(my pid) went in: I got a band")
    except queue.Full:
        outcome[index - 1] = FULL
        if verbose:
            say("put_nowait(my pid) raised Full: sold out")


def main():
    parser = argparse.ArgumentParser(description="a Queue(maxsize) decides the winners (mpdemo flash-sale)")
    parser.add_argument("--buyers", type=int, default=100, help="buyer processes")
    parser.add_argument("--bands", type=int, default=10, help="bands on sale: the queue's maxsize")
    parser.add_argument("--arrival-max", type=float, default=1.0, help="each buyer arrives after a random 0..S seconds")
    parser.add_argument("--seed", type=int, default=random.randrange(1_000_000), help="fix every random choice")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    parser.add_argument("-v", "--verbose", action="store_true", help="also a line from every buyer turned away")
    args = parser.parse_args()

    say(f"{args.bands} bands on sale, {args.buyers} buyers; the stock is a Queue(maxsize={args.bands}); seed {args.seed}")
    stock = mp.Queue(args.bands)
    outcome = mp.Array("b", args.buyers)  # 0 until the buyer knows: WON or FULL
    buyers = [mp.Process(target=buyer, args=(args, i, stock, outcome, args.verbose), name=f"Buyer-{i}")
              for i in range(1, args.buyers + 1)]
    for p in buyers:
        p.start()
    # Joining before emptying the queue is safe here: at most --bands small
    # items sit in the pipe, far below its buffer, so no buyer's feeder thread
    # is stuck flushing at exit. A child flushes its feeder thread before it
    # ends, so after the joins every pid put is already in the pipe.
    for p in buyers:
        p.join()
    name_of = {p.pid: p.name for p in buyers}
    ranking = []
    while True:
        try:
            ranking.append(stock.get_nowait())
        except queue.Empty:
            break
    for rank, pid in enumerate(ranking, 1):
        say(f"rank {rank}: pid {pid} ({name_of.get(pid, '?')})")
    won = [p.pid for i, p in enumerate(buyers) if outcome[i] == WON]
    full = sum(1 for v in outcome if v == FULL)
    say(f"{len(ranking)} winner(s) for {args.bands} band(s); {full} of {args.buyers} buyers got Full")
    print(json.dumps({"twin": "flash-sale", "buyers": args.buyers, "bands": args.bands, "winners": len(ranking),
                      "distinct_winners": len(set(ranking)), "ranking_matches_successes": sorted(ranking) == sorted(won),
                      "full": full}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
