#!/usr/bin/env python3
"""ticket: buyers race for the last ticket in a JSON file, with and without a Lock.

Every buyer is a process. It searches (reads the file and reports the count),
then buys: reads the count, waits for the "network", and writes count - 1 if
the count it read was positive. Without --lock all buyers read the same last
ticket before anyone writes, so it is sold several times. With --lock the
read-wait-write runs under one multiprocessing.Lock and exactly
min(buyers, tickets) buyers succeed.

Try:  python3 ticket-twin.py             (oversold)
      python3 ticket-twin.py --lock      (exact)
"""
import argparse
import json
import multiprocessing as mp
import os
import random
import time

START = time.monotonic()  # read by every child too: fork copies it


def say(text):
    # One print per line, flushed at once: lines of different processes never mix.
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def read_count(db):
    with open(db) as f:
        return json.load(f)["count"]


def write_count(db, count):
    # Write a temporary file, then rename it over the db: a reader never sees a
    # half-written file. This does NOT fix the race: the count it writes may
    # already be stale.
    tmp = f"{db}.{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump({"count": count}, f)
    os.replace(tmp, db)


def buy(db, delay):
    count = read_count(db)
    say(f"buying: read count = {count}, waiting {delay:.2f} s for the network")
    time.sleep(delay)
    if count <= 0:
        return None
    write_count(db, count - 1)
    return count - 1


def buyer(args, index, lock, sold):
    rng = random.Random(f"{args.seed}/{index}")  # each buyer its own waits, repeatable with --seed
    time.sleep(rng.uniform(0, args.search_max) * args.speed)
    say(f"searching: the db says {read_count(args.db)} ticket(s) left")
    delay = rng.uniform(args.buy_min, args.buy_max) * args.speed
    if lock is None:
        bought = buy(args.db, delay)
    else:
        with lock:  # read, wait and write become one step for the other buyers
            bought = buy(args.db, delay)
    if bought is not None:
        say(f"bought a ticket! wrote count = {bought}")
        # The referee's tally has its own lock: we count what buyers were told,
        # and that count must not race itself.
        with sold.get_lock():
            sold.value += 1
    else:
        say("sold out: no ticket left")


def main():
    parser = argparse.ArgumentParser(description="buyers race for the last ticket (mpdemo ticket)")
    parser.add_argument("--buyers", type=int, default=5, help="number of buyer processes")
    parser.add_argument("--tickets", type=int, default=1, help="tickets in the db at start")
    parser.add_argument("--db", default="db.json", help="the db file: {\"count\": N}")
    parser.add_argument("--lock", action="store_true", help="guard read-wait-write with a Lock")
    parser.add_argument("--search-max", type=float, default=1.0, help="search waits a random 0..S seconds")
    parser.add_argument("--buy-min", type=float, default=1.0, help="purchase waits at least S seconds")
    parser.add_argument("--buy-max", type=float, default=3.0, help="purchase waits at most S seconds")
    parser.add_argument("--seed", type=int, default=random.randrange(1_000_000), help="fix every random choice")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()

    write_count(args.db, args.tickets)
    say(f"{args.buyers} buyers, {args.tickets} ticket(s) in {args.db}, lock: {'yes' if args.lock else 'no'}, seed {args.seed}")
    lock = mp.Lock() if args.lock else None
    sold = mp.Value("i", 0)
    buyers = [mp.Process(target=buyer, args=(args, i, lock, sold), name=f"Buyer-{i}")
              for i in range(1, args.buyers + 1)]
    for p in buyers:
        p.start()
    for p in buyers:
        p.join()

    left = read_count(args.db)
    oversold = max(0, sold.value - args.tickets)
    if oversold:
        say(f"{sold.value} buyers were told they bought a ticket, but only {args.tickets} existed: oversold by {oversold}")
    else:
        say(f"{sold.value} ticket(s) sold, {left} left: every sale is real")
    print(json.dumps({"twin": "ticket", "buyers": args.buyers, "tickets": args.tickets, "lock": args.lock,
                      "sold": sold.value, "left": left, "oversold": oversold,
                      "exitcodes": [p.exitcode for p in buyers]}))


if __name__ == "__main__":
    mp.set_start_method("fork")  # as mpdemo does: children are copies made by fork()
    main()
