#!/usr/bin/env python3
"""Fault injection against the built mpdemo, bounded in runs and in time.

Repeats the faults of issue 12, at random (the seed makes a campaign
repeatable, up to the OS scheduler):

  kill-child   a scenario runs; at a random moment one of its child processes
               (a buyer, a pool worker, a server...) is SIGKILLed. Clean: mpdemo
               exits 0 or 1 by itself, its last stdout line is the summary.
  kill-main    a scenario runs; at a random moment mpdemo itself is SIGKILLed.
               Clean: every process of the run ends by itself within a grace
               period (the orphan lesson's child lingers for a moment).
  hostile-db   ticket with a hostile file at --db (with and without --keep),
               on the JSON store or on SQLite (--store sqlite).
               Clean: exit 2 naming the file, the file untouched, no buyer.
  bad-number   a scenario with a non-finite, huge or empty number option.
               Clean: exit 2 naming the option, at once.

ticket runs on either store, chosen at random (--store sqlite in half the
runs), so a buyer is also killed inside an SQLite transaction.

After every run, whatever the fault: no process of the run may be left
running (found by the binary they run and their working directory, a fresh
directory per run) and no file may be left in that directory but those the
run was given (and ticket's database: db.json, or tickets.sqlite with the
-wal and -shm files SQLite keeps beside it). One exception, by design: a
process killed while it makes a new db file leaves it under a temporary name
(".db.json.tmp.<pid>.<pid>-<n>": a buyer killed in the microseconds between
naming its new db.json and renaming it into place, core/src/ticket_db.cpp;
".tickets.sqlite.new.<pid>" and its journals: mpdemo killed while it makes a
new SQLite database, core/src/ticket_sqlite.cpp), never under the db's own
name; the next run removes it. Such a file counts as clean only if a
following ticket run on the same store does remove it.

  scripts/chaos [--runs N] [--seconds S] [--seed N] [--only KIND,...] [--scenarios NAME,...]
Prints one line per failed run and, at the end, the figures; exit 1 if any
run was not clean.
"""
import argparse
import json
import os
import random
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_LIMIT = 60.0     # a run that takes longer than this has hung
GRACE = 5.0          # after mpdemo ends, how long its processes may take to end
SPEED = "0.05"

# Scenarios skipped for kill-child/kill-main: none. Every one is fair game.
HOSTILE_DBS = [
    ("text", lambda p: write(p, "notes\n")),
    ("empty", lambda p: write(p, "")),
    ("fifo", lambda p: os.mkfifo(p)),
    ("symlink", lambda p: (write(p + ".real", '{"count": 3}\n'), os.symlink(os.path.basename(p) + ".real", p))),
    ("directory", lambda p: os.mkdir(p)),
    ("chardev", lambda p: os.mknod(p, stat.S_IFCHR | 0o644, os.makedev(1, 3))),
    ("deep", lambda p: write(p, '{"count": ' + "[" * 100000 + "]" * 100000 + "}")),
    ("huge-string", lambda p: write(p, '{"count": "' + "x" * 900000 + '"}')),
    ("2^63", lambda p: write(p, '{"count": 9223372036854775808}')),
    ("2^64-1", lambda p: write(p, '{"count": 18446744073709551615}')),
    ("400-digits", lambda p: write(p, '{"count": ' + "9" * 400 + "}")),
    ("1e400", lambda p: write(p, "1e400")),
    ("negative", lambda p: write(p, '{"count": -1}')),
    ("float", lambda p: write(p, '{"count": 1.5}')),
    ("string", lambda p: write(p, '{"count": "3"}')),
    ("array", lambda p: write(p, "[1, 2]")),
    ("no-count", lambda p: write(p, '{"tickets": 3}')),
    ("truncated", lambda p: write(p, '{"count": 1')),
    ("binary", lambda p: write(p, "\x00\xff\xfe{")),
]
# For SQLite: files that are not a ticket database (a JSON ticket db among
# them); each must be refused, untouched.
HOSTILE_SQLITE_DBS = [case for case in HOSTILE_DBS if case[0] in
                      ("text", "fifo", "symlink", "directory", "chardev", "binary", "deep")] + [
    ("json-ticket-db", lambda p: write(p, '{"count": 3}\n')),
    ("sqlite-header-only", lambda p: write(p, "SQLite format 3\x00" + "\x00" * 84)),
]
# What ticket's database may leave in its directory.
TICKET_DB_FILES = {"db.json", "tickets.sqlite", "tickets.sqlite-wal", "tickets.sqlite-shm"}
BAD_NUMBERS = ["nan", "inf", "-inf", "1e308", "-1e308", "99999999999999999999", "-1", "", "1x", "0x10"]


def write(path, text):
    with open(path, "w", encoding="latin-1") as f:
        f.write(text)


def snapshot(path):
    """What is at path, to tell whether a run touched it."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    content = None
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            content = f.read()
    elif stat.S_ISLNK(st.st_mode):
        content = os.readlink(path)
    return (stat.S_IFMT(st.st_mode), st.st_ino, content)


def processes_of(binary, cwd):
    """Pids of running (not zombie) processes of `binary` whose cwd is `cwd`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/cwd") != cwd:
                continue
            if os.readlink(f"/proc/{entry}/exe") != binary:
                continue
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state not in ("Z", "X"):
                found.append(int(entry))
        except OSError:
            continue
    return found


def wait_gone(binary, cwd, grace):
    deadline = time.monotonic() + grace
    while True:
        left = processes_of(binary, cwd)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def scenario_names(binary):
    out = subprocess.run([binary, "list"], capture_output=True, text=True, env=env(), check=True).stdout
    names = []
    for line in out.splitlines():
        m = re.match(r"  ([a-z][a-z0-9-]+)\s{2,}", line)  # "  ticket   many buyers ..."
        if m:
            names.append(m.group(1))
    return names


def number_options(binary, scenario):
    """The options of `scenario` that take a number (from --help)."""
    out = subprocess.run([binary, scenario, "--help"], capture_output=True, text=True, env=env()).stdout
    options = []
    for line in out.splitlines():
        m = re.match(r"\s+(?:-\w,)?(--[a-z][a-z0-9-]*)\s+(FLOAT|INT|UINT)(?::\[(-?[0-9.e+]+) - )?", line)
        if m and m.group(1) != "--seed":
            # The lowest value the option takes, when --help shows its range:
            # "-1" is no bad number for an option that takes negatives.
            lowest = float(m.group(3)) if m.group(3) else 0.0
            options.append((m.group(1), lowest))
    return options


def env():
    e = dict(os.environ)
    e["NO_COLOR"] = "1"
    e["LANG"] = "C"
    return e


class Run:
    """One mpdemo run in its own directory, stdout read line by line."""

    def __init__(self, binary, args, cwd):
        self.proc = subprocess.Popen([binary] + args, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env())
        self.lines = []
        self.err = b""
        self._buf = b""

    def read_until(self, deadline, want=None):
        """Reads stdout until EOF, the deadline, or `want(line)` is true."""
        out, err = self.proc.stdout.fileno(), self.proc.stderr.fileno()
        open_fds = [out, err]
        while open_fds:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select(open_fds, [], [], left)
            for fd in ready:
                data = os.read(fd, 65536)
                if not data:
                    open_fds.remove(fd)
                    continue
                if fd == err:
                    self.err += data
                    continue
                self._buf += data
                while b"\n" in self._buf:
                    line, self._buf = self._buf.split(b"\n", 1)
                    self.lines.append(line.decode("utf-8", "replace"))
                    if want and want(self.lines[-1]):
                        return True
        return want is None

    def events(self):
        out = []
        for line in self.lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def finish(self, limit):
        """Waits for the end; returns the exit status, or None if it hung (then kills it)."""
        deadline = time.monotonic() + limit
        self.read_until(deadline)
        try:
            return self.proc.wait(max(0.0, deadline - time.monotonic()) + 0.1)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


STALE_TEMPORARY = re.compile(r"^\.db\.json\.tmp\.\d+\.\d+-\d+$|^\.tickets\.sqlite\.new\.\d+(-wal|-shm|-journal)?$")


def removed_by_next_run(binary, cwd, files):
    """Whether a ticket run in `cwd` removes the stale db temporaries `files`."""
    sqlite = ["--store", "sqlite"] if any(".sqlite" in f for f in files) else []
    Run(binary, ["ticket", "--lock", "--json", "--speed", "0"] + sqlite, cwd).finish(20)
    return not any(f in os.listdir(cwd) for f in files)


def store_args(rng, scenario):
    """ticket on SQLite in half of its runs (with --lock in half of those, so
    that a holder is killed inside its transaction too)."""
    if scenario != "ticket" or rng.random() < 0.5:
        return []
    return ["--store", "sqlite"] + (["--lock"] if rng.random() < 0.5 else [])


def kill_child(binary, rng, scenario, cwd):
    """SIGKILL one child of a running scenario at a random event."""
    run = Run(binary, [scenario, "--json", "--speed", SPEED, "--seed", str(rng.randrange(1000000))]
              + store_args(rng, scenario), cwd)
    main = run.proc.pid
    target_event = rng.randrange(2, 40)
    deadline = time.monotonic() + RUN_LIMIT
    killed = None
    while killed is None and run.read_until(deadline, lambda line: len(run.lines) >= target_event):
        pids = [e.get("pid") for e in run.events() if isinstance(e.get("pid"), int) and e.get("pid") != main]
        pids = [p for p in dict.fromkeys(pids) if alive(p)]
        chosen = rng.choice(pids) if pids else None
        try:
            if chosen is not None:
                os.kill(chosen, signal.SIGKILL)
                killed = chosen
        except ProcessLookupError:
            pass  # it ended (and was reaped) after alive() saw it: pick again at a later line
        if killed is None:
            target_event = len(run.lines) + 1
    code = run.finish(RUN_LIMIT)
    problems = []
    if killed is None:
        return None, []  # the run ended before any child could be killed: no fault injected
    if code is None:
        problems.append("hung")
    elif code not in (0, 1):
        problems.append(f"exit {code}")
    events = run.events()
    if code is not None and (not events or events[-1].get("kind") != "summary"):
        problems.append("last line is not the summary: " + (run.lines[-1][:120] if run.lines else "(none)"))
    return f"killed pid {killed} after {target_event} lines", problems


def kill_main(binary, rng, scenario, cwd):
    run = Run(binary, [scenario, "--json", "--speed", SPEED, "--seed", str(rng.randrange(1000000))]
              + store_args(rng, scenario), cwd)
    target_event = rng.randrange(1, 30)
    deadline = time.monotonic() + RUN_LIMIT
    reached = run.read_until(deadline, lambda line: len(run.lines) >= target_event)
    if run.proc.poll() is not None or not reached:
        run.finish(RUN_LIMIT)
        return None, []  # ended before the moment chosen: no fault injected
    time.sleep(rng.uniform(0, 0.05))
    run.proc.kill()
    run.finish(RUN_LIMIT)
    return f"killed mpdemo after {target_event} lines", []


def hostile_db(binary, rng, case, keep, cwd, sqlite=False):
    name, make = case
    db = "tickets.sqlite" if sqlite else "db.json"
    path = os.path.join(cwd, db)
    try:
        make(path)
    except PermissionError:
        return None, []
    before = snapshot(path)
    args = ["ticket", "--lock", "--json", "--speed", "0"] + (["--keep"] if keep else []) \
        + (["--store", "sqlite"] if sqlite else [])
    run = Run(binary, args, cwd)
    code = run.finish(20)
    problems = []
    if code is None:
        problems.append("hung")
    elif code != 2:
        problems.append(f"exit {code}, expected 2")
    err = run.err.decode("utf-8", "replace")
    if db not in err:
        problems.append(f"error does not name {db}: " + err[:120])
    if len(err) > 600:
        problems.append(f"error is {len(err)} bytes long")
    if snapshot(path) != before:
        problems.append(f"{db} was changed")
    if any(e.get("kind") == "ticket.search" for e in run.events()):
        problems.append("a buyer started")
    return f"{'sqlite ' if sqlite else ''}db {name}{' --keep' if keep else ''}", problems


def bad_number(binary, rng, scenario, option, value, cwd):
    run = Run(binary, [scenario, option, value, "--speed", "0"] if option != "--speed"
              else [scenario, "--speed", value], cwd)
    code = run.finish(20)
    problems = []
    if code is None:
        problems.append("hung")
    elif code != 2:
        problems.append(f"exit {code}, expected 2")
    if option not in run.err.decode("utf-8", "replace"):
        problems.append("error does not name " + option)
    return f"{option} {value!r}", problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=300, help="at most this many runs (default 300)")
    ap.add_argument("--seconds", type=float, default=480, help="stop starting runs after this long (default 480)")
    ap.add_argument("--seed", type=int, default=None, help="seed of the campaign (default: from the clock)")
    ap.add_argument("--only", default="", help="comma-separated kinds: kill-child,kill-main,hostile-db,bad-number")
    ap.add_argument("--scenarios", default="", help="comma-separated scenarios for the kills (default: every one)")
    ap.add_argument("--mpdemo", default=os.path.join(TOP, "build/apps/mpdemo/mpdemo"))
    a = ap.parse_args()
    binary = os.path.realpath(a.mpdemo)
    seed = a.seed if a.seed is not None else int(time.time()) % 1000000
    rng = random.Random(seed)
    kinds = [k for k in (a.only.split(",") if a.only else ["kill-child", "kill-main", "hostile-db", "bad-number"])]
    scenarios = scenario_names(binary)
    if a.scenarios:
        unknown = [s for s in a.scenarios.split(",") if s not in scenarios]
        if unknown:
            print(f"chaos: no scenario named {', '.join(unknown)}", file=sys.stderr)
            return 2
        scenarios = a.scenarios.split(",")
    options = {s: number_options(binary, s) + [("--speed", 0.0)] for s in scenarios}
    print(f"chaos: seed {seed}, {len(scenarios)} scenarios, kinds {','.join(kinds)}, "
          f"at most {a.runs} runs / {a.seconds:.0f} s (rerun: scripts/chaos --seed {seed})", flush=True)

    figures = {k: {"runs": 0, "faults": 0, "clean": 0} for k in kinds}
    left_running = left_on_disk = temporaries_removed_later = 0
    failures = []
    started = time.monotonic()
    runs = 0
    while runs < a.runs and time.monotonic() - started < a.seconds:
        kind = kinds[runs % len(kinds)]
        runs += 1
        cwd = os.path.realpath(tempfile.mkdtemp(prefix="mpdemo-chaos-"))
        given = set()
        try:
            scenario = rng.choice(scenarios)
            if kind == "kill-child":
                what, problems = kill_child(binary, rng, scenario, cwd)
            elif kind == "kill-main":
                what, problems = kill_main(binary, rng, scenario, cwd)
            elif kind == "hostile-db":
                scenario = "ticket"
                sqlite = rng.random() < 0.5
                case = rng.choice(HOSTILE_SQLITE_DBS if sqlite else HOSTILE_DBS)
                what, problems = hostile_db(binary, rng, case, rng.random() < 0.5, cwd, sqlite)
                db = "tickets.sqlite" if sqlite else "db.json"
                given = {db, db + ".real"}
            else:
                option, lowest = rng.choice(options[scenario])
                bad = [v for v in BAD_NUMBERS if not (v == "-1" and lowest <= -1)]
                what, problems = bad_number(binary, rng, scenario, option, rng.choice(bad), cwd)
            left = wait_gone(binary, cwd, GRACE)
            files = sorted(set(os.listdir(cwd)) - given - TICKET_DB_FILES)
            stale = [f for f in files if STALE_TEMPORARY.match(f)]
            if stale and kind in ("kill-child", "kill-main") and removed_by_next_run(binary, cwd, stale):
                files = [f for f in files if f not in stale]
                temporaries_removed_later += len(stale)
            f = figures[kind]
            f["runs"] += 1
            if what is not None:
                f["faults"] += 1
            if left:
                problems.append(f"left running: {left}")
                left_running += len(left)
                for pid in left:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            if files:
                problems.append(f"left on disk: {files}")
                left_on_disk += len(files)
            if what is not None and not problems:
                f["clean"] += 1
            if what is not None and problems:
                line = f"FAIL {kind} {scenario}: {what}: {'; '.join(problems)}"
                failures.append(line)
                print(line, flush=True)
        finally:
            shutil.rmtree(cwd, ignore_errors=True)

    elapsed = time.monotonic() - started
    total_faults = sum(f["faults"] for f in figures.values())
    total_clean = sum(f["clean"] for f in figures.values())
    print(f"chaos: {runs} runs in {elapsed:.0f} s, seed {seed}")
    for k, f in figures.items():
        print(f"  {k:11s} runs {f['runs']:4d}  faults injected {f['faults']:4d}  ended cleanly {f['clean']:4d}")
    print(f"  total       runs {runs:4d}  faults injected {total_faults:4d}  ended cleanly {total_clean:4d}")
    print(f"  processes left running: {left_running}   files left on disk: {left_on_disk}"
          f"   db temporaries of a killed writer, removed by the next run: {temporaries_removed_later}")
    print(json.dumps({"kind": "chaos.report", "seed": seed, "runs": runs, "seconds": round(elapsed, 1),
                      "faults": total_faults, "clean": total_clean, "left_running": left_running,
                      "left_on_disk": left_on_disk, "temporaries_removed_later": temporaries_removed_later,
                      "by_kind": figures,
                      "ok": total_clean == total_faults and left_running == 0 and left_on_disk == 0}))
    return 0 if not failures and left_running == 0 and left_on_disk == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
