#!/usr/bin/env python3
"""semaphore: a KTV with 4 rooms and 13 singers; never more than 4 inside.

A Lock lets one process in at a time, a Semaphore(n) lets n in: acquire() takes
one unit and waits while none is left, release() gives one back. How many
singers are inside is counted in shared memory, so the run reports the real
peak, not what the code intends.

Try:  python3 semaphore-twin.py
      python3 semaphore-twin.py --rooms 1      (a Semaphore(1) is a lock)
"""
import argparse
import json
import multiprocessing as mp
import os
import random
import time

START = time.monotonic()


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def singer(args, index, rooms, inside, peak, waited, entered):
    rng = random.Random(f"{args.seed}/{index}")
    stay = rng.uniform(args.stay_min, args.stay_max) * args.speed
    arrived = time.monotonic()
    if not rooms.acquire(block=False):  # try first, only to be able to say that we wait
        say("every room is taken: waiting at the door (acquire blocks)")
        with waited.get_lock():
            waited.value += 1
        rooms.acquire()
    # The occupancy counter is the referee: its own lock, separate from the semaphore.
    with inside.get_lock():
        inside.value += 1
        now = inside.value
        peak.value = max(peak.value, now)
        entered.value += 1
    say(f"got a room after waiting {time.monotonic() - arrived:.2f} s; {now} of {args.rooms} rooms in use; I sing {stay:.2f} s")
    time.sleep(stay)
    with inside.get_lock():
        inside.value -= 1
        now = inside.value
    rooms.release()  # a Semaphore has no owner: any process could call this, even one that never acquired
    say(f"left my room (release); {now} singer(s) still inside")


def main():
    parser = argparse.ArgumentParser(description="a Semaphore(rooms) shared by singers (mpdemo semaphore)")
    parser.add_argument("--rooms", type=int, default=4, help="rooms: the semaphore's initial value")
    parser.add_argument("--users", type=int, default=13, help="singer processes")
    parser.add_argument("--stay-min", type=float, default=0.0, help="a singer stays at least S seconds")
    parser.add_argument("--stay-max", type=float, default=3.0, help="a singer stays at most S seconds")
    parser.add_argument("--seed", type=int, default=random.randrange(1_000_000), help="fix every random choice")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()

    say(f"a KTV with {args.rooms} rooms (a Semaphore({args.rooms})); {args.users} singers arrive at once; seed {args.seed}")
    rooms = mp.Semaphore(args.rooms)
    inside, peak, waited, entered = (mp.Value("i", 0) for _ in range(4))
    singers = [mp.Process(target=singer, args=(args, i, rooms, inside, peak, waited, entered), name=f"User-{i}")
               for i in range(1, args.users + 1)]
    for p in singers:
        p.start()
    for p in singers:
        p.join()
    got_in = entered.value
    say(f"at most {peak.value} singers were inside at once ({args.rooms} rooms); "
        f"{got_in} of {args.users} got in, {waited.value} waited at the door first")
    print(json.dumps({"twin": "semaphore", "rooms": args.rooms, "users": args.users, "peak": peak.value,
                      "got_in": got_in, "waited": waited.value, "value_at_end": rooms.get_value()}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
