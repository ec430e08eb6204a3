#!/usr/bin/env python3
"""ctest "bench: ..." checks that mpbench and its peers run and print the
JSON lines scripts/bench reads: every side lists its cases, the quick cases
print {"case", "n", "seconds", "per_s"} with a positive rate, and the
dead_holder probe of mpbench and of the raw floor recovers the lock (mpbench
also names the dead holder). No rate is judged: speed belongs to
scripts/bench, never to a test.

    smoke_test.py SIDE COMMAND...     (SIDE: mpbench, floor, boost, python)
"""
import json
import subprocess
import sys

# Cases quick enough for a test (well under a second each), per side, and
# what dead_holder must say there.
QUICK = {
    "mpbench": ["queue_throughput", "pipe_throughput", "lock_counter", "lock_handoff"],
    "floor": ["queue_throughput", "pipe_throughput", "lock_counter", "lock_handoff"],
    "boost": ["queue_throughput", "lock_counter", "lock_handoff"],
    "python": ["lock_counter"],
}
DEAD_HOLDER = {
    "mpbench": {"recovered": True, "told": True, "named": True},
    "floor": {"recovered": True, "told": True, "named": False},
}


def lines(cmd):
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: exit {done.returncode}: {done.stderr.strip()}")
    return done.stdout.strip().splitlines()


def main(side, cmd):
    listed = lines(cmd + ["--list"])
    for case in QUICK[side] + (["dead_holder"] if side in DEAD_HOLDER else []):
        if case not in listed:
            sys.exit(f"{side}: --list lacks {case}: {listed}")
    for case, text in zip(QUICK[side], lines(cmd + QUICK[side])):
        line = json.loads(text)
        if list(line) != ["case", "n", "seconds", "per_s"] or line["case"] != case or line["per_s"] <= 0:
            sys.exit(f"{side} {case}: unexpected line {text}")
    if side in DEAD_HOLDER:
        line = json.loads(lines(cmd + ["dead_holder"])[-1])
        got = {k: line[k] for k in DEAD_HOLDER[side]}
        if got != DEAD_HOLDER[side]:
            sys.exit(f"{side} dead_holder: {got}, expected {DEAD_HOLDER[side]}")
    unknown = subprocess.run(cmd + ["no_such_case"], capture_output=True, text=True, timeout=60)
    if unknown.returncode != 2:
        sys.exit(f"{side}: an unknown case gave exit {unknown.returncode}, not 2")
    print(f"{side}: ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
