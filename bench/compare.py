#!/usr/bin/env python3
"""Runs mpbench and its peers case by case, alternating, several rounds, and
prints one table: each side's median rate and spread (max/min over the
rounds), mpbench's ratios to Python, to Boost and to the raw floor, and the
targets it missed (bench_targets.py).

Sides: python (bench/peers/python_baseline.py), mpbench, old (another
mpbench binary, --old-mpbench: a before/after comparison), boost
(bench/peers/boost_peer, when built) and floor (bench/peers/floor_peer). All
print the same JSON lines ({"case", "n", "seconds", "per_s"}); a side that
does not list a case is left out of its row. Within a round the sides run
one after another, and the order turns by one each round, so a passing load
favours none. Each row shows the 1-minute load average when it finished: the
machine is shared, and a figure means little without it. The JSON line of
every run goes to stderr with its side and round.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

from bench_targets import NOTES, misses

RATE_SIDES = ("python", "mpbench", "old", "boost", "floor")


def load():
    return os.getloadavg()[0]


def run(cmd, case):
    done = subprocess.run(cmd + [case], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"bench: {cmd[-1]} {case} failed ({done.returncode}): {done.stderr.strip()}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def listed(cmd):
    done = subprocess.run(cmd + ["--list"], capture_output=True, text=True)
    return done.stdout.split() if done.returncode == 0 else []


def fmt_rate(r):
    if r is None:
        return "-"
    if r >= 1e6:
        return f"{r / 1e6:.2f}M"
    if r >= 1e4:
        return f"{r / 1e3:.0f}k"
    return f"{r:.0f}"


def probe_text(lines):
    """A dead_holder cell: what every round saw, or each outcome's count."""
    def one(line):
        if not line["recovered"]:
            return f"no ({line['seconds']:.1f}s)"
        return "yes, " + ("named" if line["named"] else "told" if line["told"] else "not told")
    seen = [one(line) for line in lines]
    if len(set(seen)) == 1:
        return seen[0]
    return "; ".join(f"{seen.count(s)}x {s}" for s in sorted(set(seen)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--mpbench", required=True)
    ap.add_argument("--old-mpbench", help="another mpbench binary, shown as 'old'")
    ap.add_argument("--python-baseline", default=os.path.join(here, "peers", "python_baseline.py"))
    ap.add_argument("--boost", help="boost_peer binary (left out when missing)")
    ap.add_argument("--floor", help="floor_peer binary (left out when missing)")
    ap.add_argument("--rounds", type=int, default=7)  # the issue-15 spread is over 7 alternating runs
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()

    commands = {"python": [sys.executable, args.python_baseline], "mpbench": [args.mpbench]}
    for side, path in (("old", args.old_mpbench), ("boost", args.boost), ("floor", args.floor)):
        if path and os.access(path, os.X_OK):
            commands[side] = [path]
    sides = [s for s in RATE_SIDES if s in commands]
    has = {s: listed(commands[s]) for s in sides}
    peers_cases = {c for s in sides if s not in ("mpbench", "old") for c in has[s]}
    cases = args.cases or [c for c in has["mpbench"] if c in peers_cases]

    cols = sides
    ratio_cols = [s for s in ("python", "old", "boost", "floor") if s in sides]
    print(f"rounds: {args.rounds}; load at start: {load():.2f}; sides: {', '.join(sides)}")
    head = f"{'case':<18}" + "".join(f"{s + ' med/spread':>19}" for s in cols)
    head += "".join(f"{'mp/' + s:>10}" for s in ratio_cols) + f"{'load':>6}  missed"
    print(head)
    failed = 0
    for case in cases:
        lines = {s: [] for s in sides if case in has[s]}
        for r in range(args.rounds):
            order = sides[r % len(sides):] + sides[:r % len(sides)]
            for side in order:
                if side not in lines:
                    continue
                line = run(commands[side], case)
                if line is None:
                    failed += 1
                    continue
                print(json.dumps(dict(line, side=side, round=r + 1)), file=sys.stderr)
                lines[side].append(line)
        row = f"{case:<18}"
        if all("per_s" not in l for ls in lines.values() for l in ls):
            row += "".join(f"{probe_text(lines[s]) if lines.get(s) else '-':>19}" for s in cols)
            print(row + " " * (10 * len(ratio_cols)) + f"{load():>6.2f}")
            continue
        medians, spread = {}, {}
        for side, ls in lines.items():
            rates = [l["per_s"] for l in ls]
            if rates:
                medians[side] = statistics.median(rates)
                spread[side] = max(rates) / min(rates)
        for s in cols:
            cell = f"{fmt_rate(medians[s])} x{spread[s]:.2f}" if s in medians else "-"
            row += f"{cell:>19}"
        for s in ratio_cols:
            ok = "mpbench" in medians and s in medians
            row += f"{medians['mpbench'] / medians[s]:>9.2f}x" if ok else f"{'-':>10}"
        missed = misses(case, medians, spread)
        failed += len(missed)
        note = f"  ({NOTES[case]})" if case in NOTES else ""
        print(row + f"{load():>6.2f}  {' '.join(missed) or 'none'}{note}", flush=True)
    print(f"load at end: {load():.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
