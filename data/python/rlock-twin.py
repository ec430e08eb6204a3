#!/usr/bin/env python3
"""rlock: a Lock acquired twice by one process waits for itself; an RLock may
be re-entered by its owner; a Condition lets consumers sleep until a producer
notifies them.

Part 1: the second acquire of a plain Lock has a timeout, so it returns False
instead of hanging forever. Part 2: an RLock remembers its owner and a depth;
another process gets it only after the owner's last release. Part 3: wait()
frees the Condition's lock while asleep; a woken consumer checks the shelf
again under the lock before it takes an item.

Try:  python3 rlock-twin.py
      python3 rlock-twin.py --consumers 5 --batches 4
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


def twice(lock, timeout, result):
    lock.acquire()
    say("acquired the Lock")
    say(f"acquiring the same Lock again, with a timeout of {timeout:.2f} s (without one I would wait forever)")
    began = time.monotonic()
    got = lock.acquire(timeout=timeout)  # a Lock has no owner: I wait for a release that only I could do
    result[0], result[1] = float(got), time.monotonic() - began
    say(f"the second acquire returned {got} after {result[1]:.2f} s")


def owner(rlock, depth, hold, holding, times):
    for level in range(1, depth + 1):
        rlock.acquire()  # the owner may take it again: the depth goes up
        say(f"acquired the RLock: depth {level}")
    holding.set()
    time.sleep(hold)
    for level in range(depth - 1, -1, -1):
        if level == 0:
            times[0] = time.monotonic()  # just before the last release
        rlock.release()
        say(f"releasing once: the depth goes down to {level}")


def other(rlock, holding, refused, times):
    holding.wait()
    refused.value = not rlock.acquire(block=False)
    say(f"acquire(block=False) {'refused: the RLock is held by another process' if refused.value else 'succeeded'}")
    rlock.acquire()
    times[1] = time.monotonic()
    say("got the RLock, only after the owner's last release")
    rlock.release()


def consumer(cond, shelf, eat, taken):
    while True:
        with cond:
            # Check, wait, check again: a wake-up only means "look again".
            while shelf["stock"].value == 0 and not shelf["closed"].value:
                say("the shelf is empty: waiting (wait() frees the lock while I sleep)")
                cond.wait()
            if shelf["stock"].value == 0:
                say("the shelf is closed and empty: going home")
                return
            shelf["stock"].value -= 1
            shelf["next"].value += 1
            item = shelf["next"].value
        taken[item - 1] += 1  # one slot per item: each must be taken exactly once
        say(f"woke up and took item {item}")
        time.sleep(eat)


def producer(cond, shelf, batches, pause):
    made = 0
    for batch in range(1, batches + 1):
        time.sleep(pause)
        with cond:
            shelf["stock"].value += batch
            made += batch
            cond.notify(batch)  # wake up to `batch` waiters, one per new item
        say(f"put {batch} item(s) on the shelf ({made} made so far) and called notify({batch})")
    with cond:
        shelf["closed"].value = True
        cond.notify_all()
    say("no more items: closed the shelf and called notify_all()")


def main():
    parser = argparse.ArgumentParser(description="Lock, RLock and Condition (mpdemo rlock)")
    parser.add_argument("--timeout", type=float, default=1.0, help="the second Lock.acquire gives up after S seconds")
    parser.add_argument("--depth", type=int, default=3, help="times the owner acquires the RLock")
    parser.add_argument("--hold", type=float, default=0.5, help="the owner holds the RLock S seconds while another process waits")
    parser.add_argument("--consumers", type=int, default=3, help="consumer processes waiting on the Condition")
    parser.add_argument("--batches", type=int, default=3, help="the producer adds batches of 1, 2, ..., N items")
    parser.add_argument("--pause", type=float, default=0.5, help="the producer waits S seconds before each batch")
    parser.add_argument("--eat", type=float, default=0.2, help="a consumer spends S seconds on each item")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep and timeout by F")
    args = parser.parse_args()
    s = args.speed

    say("part 1: one process acquires a plain Lock, then acquires it again")
    result = mp.Array("d", 2)
    p = mp.Process(target=twice, args=(mp.Lock(), args.timeout * s, result), name="Twice")
    p.start()
    p.join()

    say(f"part 2: one process acquires an RLock {args.depth} times; another process wants it too")
    rlock, holding, refused, times = mp.RLock(), mp.Event(), mp.Value("b", False), mp.Array("d", 2)
    ps = [mp.Process(target=owner, args=(rlock, args.depth, args.hold * s, holding, times), name="Owner"),
          mp.Process(target=other, args=(rlock, holding, refused, times), name="Other")]
    for p in ps:
        p.start()
    for p in ps:
        p.join()

    items = args.batches * (args.batches + 1) // 2
    say(f"part 3: {args.consumers} consumers wait on a Condition; a producer adds {items} items in {args.batches} batches")
    cond = mp.Condition()
    shelf = {"stock": mp.Value("i", 0, lock=False), "next": mp.Value("i", 0, lock=False),  # guarded by cond
             "closed": mp.Value("b", False, lock=False)}
    taken = mp.Array("i", items)
    ps = [mp.Process(target=consumer, args=(cond, shelf, args.eat * s, taken), name=f"Consumer-{i}")
          for i in range(1, args.consumers + 1)]
    ps.append(mp.Process(target=producer, args=(cond, shelf, args.batches, args.pause * s), name="Producer"))
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print(json.dumps({"twin": "rlock", "second_acquire": bool(result[0]), "second_acquire_waited": round(result[1], 4),
                      "timeout": args.timeout * s, "depth": args.depth, "other_refused": bool(refused.value),
                      "other_got_it_after_last_release": times[1] >= times[0] > 0,
                      "items": items, "taken_once": sum(1 for t in taken if t == 1),
                      "failed": sum(1 for p in ps if p.exitcode != 0)}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
