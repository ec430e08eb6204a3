#!/usr/bin/env python3
"""file-append: ten processes append to one file, each reporting its cursor.

Each writer opens the file, reads its cursor and writes one 7-byte record.
The writers start a little after each other, so by default each opens after
the one before has written: the cursors read 0, 7, 14 ... 63. The cursor is
only a snapshot, though: with a pause between open and write (--delay-max),
others write in between and the end moves. With append mode (O_APPEND)
the kernel ignores that stale cursor and puts every write at the current end,
in one step, so records never land on each other. Without it (--no-append,
which pauses up to 0.5 s unless --delay-max is given), "seek to the end, then
write" is a check-then-act race, and records are lost.
One record goes out in one os.write() call: a record written in pieces could
be split by another writer's piece.

Try:  python3 file-append-twin.py
      python3 file-append-twin.py --delay-max 0.5  (every cursor stale, every record whole)
      python3 file-append-twin.py --no-append      (records overwrite each other)
"""
import argparse
import json
import multiprocessing as mp
import os
import random
import tempfile
import time

START = time.monotonic()


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def record_of(index, size):
    if size < 32:  # as short as the tutorial's: the writer's number only, "W-0003"
        return f"W-{index:0{size - 3}d}\n".encode()
    text = f"Writer-{index} was here"
    return (text + "." * (size - len(text) - 1) + "\n").encode()


def writer(path, index, args, rng_seed, stale, cursors):
    delay = random.Random(rng_seed).uniform(0, args.delay_max) * args.speed
    flags = os.O_WRONLY | (0 if args.no_append else os.O_APPEND)
    fd = os.open(path, flags)
    cursor = os.lseek(fd, 0, os.SEEK_END)  # where the end is now
    cursors[index - 1] = cursor
    if delay > 0:  # nothing between open and write, as in the tutorial, unless asked for
        say(f"opened the file; my cursor is at the end: byte {cursor}")
        time.sleep(delay)
    moved = os.fstat(fd).st_size != cursor  # others wrote meanwhile: the cursor I saw is out of date
    # With O_APPEND this write goes to the real end whatever the cursor says;
    # without it, it goes to the stale cursor, over whatever is there now.
    os.write(fd, record_of(index, args.record_bytes))
    at = os.lseek(fd, 0, os.SEEK_CUR) - args.record_bytes
    os.close(fd)
    if moved:
        with stale.get_lock():
            stale.value += 1
    say(f"wrote {args.record_bytes} bytes: my record starts at byte {at} (the cursor said {cursor} at open)")


def main():
    parser = argparse.ArgumentParser(description="appending to one file from many processes (mpdemo file-append)")
    parser.add_argument("--writers", type=int, default=10, help="number of writer processes")
    parser.add_argument("--file", help="append to this file (default: a temporary file in the current directory)")
    parser.add_argument("--keep-file", action="store_true", help="do not remove the file this run created")
    parser.add_argument("--no-append", action="store_true", help="open without O_APPEND, seek to the end, then write")
    parser.add_argument("--delay-max", type=float, help="a writer waits a random 0..S seconds between open and write "
                        "(default 0, as in the tutorial; 0.5 with --no-append)")
    parser.add_argument("--record-bytes", type=int, default=7, help="length of each record, newline included")
    parser.add_argument("--seed", type=int, default=random.randrange(1_000_000), help="fix every random choice")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep by F")
    args = parser.parse_args()
    if args.delay_max is None:  # without a pause the writers seldom overlap, and --no-append would show nothing
        args.delay_max = 0.5 if args.no_append else 0.0
    if args.record_bytes < 32 and len(str(args.writers)) > args.record_bytes - 3:
        parser.error(f"--record-bytes {args.record_bytes} is too short for {args.writers} writers")

    if args.file:
        path, created = args.file, not os.path.exists(args.file)
        open(path, "ab").close()
    else:
        fd, path = tempfile.mkstemp(prefix="file-append-", suffix=".txt", dir=".")
        os.close(fd)
        created = True
    start_size = os.path.getsize(path)
    say(f"{args.writers} writers will each open {path} {'without' if args.no_append else 'in'} append mode; seed {args.seed}")
    stale = mp.Value("i", 0)
    cursors = mp.Array("q", args.writers)
    writers = [mp.Process(target=writer, args=(path, i, args, f"{args.seed}/{i}", stale, cursors), name=f"Writer-{i}")
               for i in range(1, args.writers + 1)]
    for p in writers:
        p.start()
    for p in writers:
        p.join()
    with open(path, "rb") as f:
        f.seek(start_size)
        lines = f.read().splitlines(keepends=True)
    expected = {record_of(i, args.record_bytes) for i in range(1, args.writers + 1)}
    found = sum(1 for i in range(1, args.writers + 1) if lines.count(record_of(i, args.record_bytes)) == 1)
    torn = sum(1 for line in lines if line not in expected)
    if created and not args.keep_file:
        os.remove(path)
    say(f"{found} of {args.writers} records are in the file, {torn} torn; {stale.value} writer(s) had a stale cursor; "
        f"cursors at open: {', '.join(str(c) for c in sorted(cursors))}")
    print(json.dumps({"twin": "file-append", "writers": args.writers, "append": not args.no_append, "found": found,
                      "record_bytes": args.record_bytes, "delay_max": args.delay_max, "cursors": sorted(cursors[:]),
                      "lost": args.writers - found, "torn": torn, "stale_cursors": stale.value,
                      "failed_writers": sum(1 for p in writers if p.exitcode != 0)}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
