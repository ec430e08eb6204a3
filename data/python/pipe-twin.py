#!/usr/bin/env python3
"""pipe: a parent sends 100 items through a Pipe; the child reads until EOF.

Pipe() gives two connected ends, and fork gives the child a copy of both. A
reader learns that the stream is over (recv() raises EOFError) only when every
copy of the sending end, in every process, is closed. So each process closes
the ends it does not use. Part 2 shows a child that forgets to close its own
copy: no EOF comes. Part 3: using a closed end raises.

Try:  python3 pipe-twin.py
      python3 pipe-twin.py --duplex      (a socketpair: both ends can send)
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


def make_pipe(duplex):
    """Returns (the parent's end, the child's end)."""
    if duplex:
        return mp.Pipe(duplex=True)
    receiving, sending = mp.Pipe(duplex=False)  # Pipe(False) returns (receiving end, sending end)
    return sending, receiving


def reader(parent_end, child_end, show, result):
    parent_end.close()  # while any copy of the sending end is open, no EOF can come
    say("closed my copy of the sending end")
    count, total, in_order = 0, 0, True
    while True:
        try:
            item = child_end.recv()
        except EOFError:
            break
        in_order = in_order and item == count
        count, total = count + 1, total + item
        if count <= show:
            say(f"recv() -> {item}")
    result[:] = [count, total, in_order, 1]
    say(f"recv() raised EOFError after {count} item(s) (sum {total}): the stream is over")


def forgetful(parent_end, child_end, sent, wait, result):
    # This child does NOT close its copy of the parent's end: it keeps the pipe open itself.
    sent.wait()
    for _ in range(3):
        child_end.recv()
    began = time.monotonic()
    ready = child_end.poll(wait)  # True would mean data or EOF; False: neither came
    result[0] = not ready
    say(f"the parent has closed its end, yet poll() waited {time.monotonic() - began:.2f} s and neither data nor EOF came")
    parent_end.close()
    say("closed my own copy of the sending end now")
    try:
        child_end.recv()
    except EOFError:
        result[1] = True
        say("recv() raised EOFError at once: the last copy of the sending end is closed")


def main():
    parser = argparse.ArgumentParser(description="a Pipe, its ends and EOF (mpdemo pipe)")
    parser.add_argument("--items", type=int, default=100, help="items the parent sends")
    parser.add_argument("--show", type=int, default=10, help="the child reports the first N items one by one")
    parser.add_argument("--wait", type=float, default=1.0, help="seconds part 2 waits for an EOF that cannot come")
    parser.add_argument("--duplex", action="store_true", help="use Pipe(duplex=True) (a socketpair) instead of a one-way pipe")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep and timeout by F")
    args = parser.parse_args()

    say(f"Pipe(duplex={args.duplex}); the parent will send {args.items} item(s); the child reads until EOF")
    parent_end, child_end = make_pipe(args.duplex)
    part1 = mp.Array("q", 4)  # received, sum, in order, saw EOF
    p = mp.Process(target=reader, args=(parent_end, child_end, args.show, part1), name="Reader")
    p.start()
    child_end.close()  # the parent never reads: if the child dies, send() now fails instead of filling the pipe
    for item in range(args.items):
        parent_end.send(item)
    say(f"sent {args.items} item(s)")
    parent_end.close()
    say("closed my sending end: it was the last copy, so the child sees EOF")
    p.join()

    say("part 2: the child will NOT close its copy of the sending end")
    parent_end, child_end = make_pipe(args.duplex)
    part2, sent = mp.Array("b", 2), mp.Event()
    p2 = mp.Process(target=forgetful, args=(parent_end, child_end, sent, args.wait * args.speed, part2), name="Forgetful")
    p2.start()
    for item in range(3):
        parent_end.send(item)
    parent_end.close()
    child_end.close()
    sent.set()
    say("sent 3 item(s) and closed my sending end; told the child so")
    p2.join()

    say("part 3: a new pipe; the parent closes its receiving end, then uses the closed ends")
    parent_end, child_end = make_pipe(args.duplex)
    child_end.close()
    try:
        child_end.recv()
        recv_raised = False
    except OSError as e:
        recv_raised = True
        say(f"recv() on the end I closed raised: {e}")
    try:
        parent_end.send("anyone?")
        send_raised = False
    except BrokenPipeError as e:
        send_raised = True
        say(f"send() with no receiving end left anywhere raised: {type(e).__name__}")
    parent_end.close()
    received, total, in_order, eof = part1[:]
    print(json.dumps({"twin": "pipe", "items": args.items, "received": received, "sum": total, "in_order": bool(in_order),
                      "eof_after_last": bool(eof), "no_eof_while_own_copy": bool(part2[0]),
                      "eof_after_closing_copy": bool(part2[1]), "recv_on_closed_raised": recv_raised,
                      "send_without_reader_raised": send_raised, "duplex": args.duplex}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
