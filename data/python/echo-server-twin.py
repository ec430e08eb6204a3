#!/usr/bin/env python3
"""echo-server: an upper-casing TCP echo server on 127.0.0.1: a process per
connection, or a Pool of workers.

With --mode process the main process only accepts; each connection goes to a
new process. The handler closes its copy of the listening socket, and the
parent closes its copy of the connection (otherwise the connection would stay
open after the handler closes it, and the parent would leak one fd per
client). With --mode pool a fixed Pool serves the connections: with 4 workers
and 6 clients, clients 5 and 6 are connected (the kernel keeps them in the
listen backlog) but get no answer until a worker is free. Main accepts and
hands the socket to a worker as a task argument: multiprocessing pickles it by
sending the file descriptor over a Unix socket behind the scenes.

Try:  python3 echo-server-twin.py
      python3 echo-server-twin.py --mode pool
"""
import argparse
import json
import multiprocessing as mp
import os
import socket
import time

START = time.monotonic()
serving = peak = None  # shared counters: connections being served now, and the most at once


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<14} {text}", flush=True)


def share(counters):
    global serving, peak
    serving, peak = counters


def talk(conn):
    """Serves one connection until the client hangs up; returns (lines served, server pid)."""
    with serving.get_lock():
        serving.value += 1
        peak.value = max(peak.value, serving.value)
        now = serving.value
    peer = "%s:%d" % conn.getpeername()
    say(f"serving {peer}: {now} connection(s) being served at this moment")
    lines = 0
    with conn, conn.makefile("rb") as reader:
        for line in reader:  # ends when the client closes its side
            conn.sendall(line.upper())
            lines += 1
    with serving.get_lock():
        serving.value -= 1
    say(f"{peer} hung up after {lines} line(s); closed the connection")
    return lines, os.getpid()


def handler(conn, listener):
    listener.close()  # a handler never accepts: its copy of the listening socket would only hold the port
    talk(conn)


def client(index, port, messages, think, stagger, results):
    time.sleep((index - 1) * stagger)
    right, first_wait = 0, None
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s, s.makefile("rb") as replies:
        say(f"client {index} connected")
        for n in range(1, messages + 1):
            text = f"hello from client {index}, line {n}\n"
            sent = time.monotonic()
            s.sendall(text.encode())
            reply = replies.readline().decode()
            waited = time.monotonic() - sent
            first_wait = waited if first_wait is None else first_wait
            right += reply == text.upper()
            say(f"client {index} got {reply.strip()!r} {waited:.2f} s after sending")
            time.sleep(think)
    results[2 * (index - 1)] = right
    results[2 * (index - 1) + 1] = first_wait
    say(f"client {index} done: closed the connection")


def main():
    parser = argparse.ArgumentParser(description="a TCP echo server, per process or pooled (mpdemo echo-server)")
    parser.add_argument("--mode", choices=["process", "pool"], default="process", help="process: a process per connection; pool: a Pool of --workers")
    parser.add_argument("--clients", type=int, default=6, help="client processes")
    parser.add_argument("--workers", type=int, default=4, help="pool size (--mode pool)")
    parser.add_argument("--messages", type=int, default=3, help="lines each client sends")
    parser.add_argument("--think", type=float, default=0.5, help="a client pauses S seconds after each reply")
    parser.add_argument("--stagger", type=float, default=0.1, help="client i connects (i-1)*S seconds after the first")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()

    counters = (mp.Value("i", 0), mp.Value("i", 0))
    share(counters)
    listener = socket.create_server(("127.0.0.1", 0), backlog=args.clients)  # port 0: the kernel picks a free one
    port = listener.getsockname()[1]
    say(f"mode {args.mode}: listening on 127.0.0.1:{port}")
    results = mp.Array("d", 2 * args.clients)  # per client: replies right, seconds its first reply took
    clients = [mp.Process(target=client, args=(i, port, args.messages, args.think * args.speed,
                                               args.stagger * args.speed, results), name=f"Client-{i}")
               for i in range(1, args.clients + 1)]
    pool = mp.Pool(args.workers, initializer=share, initargs=(counters,)) if args.mode == "pool" else None
    for c in clients:
        c.start()
    handlers, served = [], []
    for i in range(1, args.clients + 1):
        conn, peer = listener.accept()
        if pool is None:
            h = mp.Process(target=handler, args=(conn, listener), name=f"Handler-{i}")
            h.start()
            handlers.append(h)
            conn.close()  # main's copy: from now on only the handler keeps the connection open
            say(f"accepted {peer[0]}:{peer[1]}; handler process {h.pid} serves it; closed my copy")
        else:
            # The pool pickles the socket later, in its task thread, so main keeps
            # its copy until the task's result is back (closed below).
            served.append((pool.apply_async(talk, (conn,)), conn))
            say(f"accepted {peer[0]}:{peer[1]}; queued it for the pool")
    listener.close()
    for c in clients:
        c.join()
    if pool is None:
        for h in handlers:
            h.join()
        server_pids = {h.pid for h in handlers}
    else:
        server_pids = {r.get(timeout=60)[1] for r, _ in served}
        for _, conn in served:
            conn.close()
        pool.close()
        pool.join()
    rights = [int(results[2 * i]) for i in range(args.clients)]
    first_waits = [results[2 * i + 1] for i in range(args.clients)]
    say(f"{sum(rights)} replies right; at most {peak.value} connection(s) served at once by {len(server_pids)} server pid(s)")
    print(json.dumps({"twin": "echo-server", "mode": args.mode, "clients": args.clients, "workers": args.workers,
                      "messages": args.messages, "replies_right": sum(rights),
                      "clients_done": sum(1 for c in clients if c.exitcode == 0), "most_at_once": peak.value,
                      "server_pids": len(server_pids), "first_reply_waits": [round(w, 4) for w in first_waits],
                      "think": args.think * args.speed}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
