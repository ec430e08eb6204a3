#!/usr/bin/env python3
"""scheduler: FCFS, SJF, RR and MLFQ simulated tick by tick, one CPU.

This lesson has no multiprocessing in it: the operating system schedules
Python's processes. Like mpdemo scheduler it is a simulator in the manner of
the OSTEP homework tools: it prints its parameters and asks; -c shows the
answers. The rules are mpdemo's (scenarios/scheduler_sim.hpp):
  - jobs arriving at tick t join the (top) ready queue at the start of tick t, in the order given;
  - FCFS runs the first arrived job to completion; SJF (non-preemptive) the
    shortest ready job (ties: earlier arrival, then lower id);
  - RR gives each job `quantum` ticks, then puts it at the end of the queue,
    behind the jobs that arrived meanwhile;
  - MLFQ: a higher level always runs first; round robin within a level; a new
    job starts at the top; a job that used up its level's quantum moves one
    level down; every `boost` ticks every job goes back to the top; a job
    preempted by a higher level goes to the end of its own queue.
Three measures: response (arrival to first run), turnaround (arrival to
completion), wait (turnaround minus the time it ran).

Try:  python3 scheduler-twin.py -l 5,3,8 -p rr -c
      python3 scheduler-twin.py -p mlfq -l 20,4@5,3@12 -B 10 -c
"""
import argparse
import json
import random
from collections import deque

POLICIES = ["fcfs", "sjf", "rr", "mlfq"]


def simulate(jobs, policy, quantum, quanta, boost):
    """jobs: [(length, arrival)]. Returns the timeline: the job that ran in each tick, -1 when idle."""
    levels = len(quanta) if policy == "mlfq" else 1
    remaining = [length for length, _ in jobs]
    level, used = [0] * len(jobs), [0] * len(jobs)
    queues = [deque() for _ in range(levels)]

    def slice_of(job):
        return quantum if policy == "rr" else quanta[level[job]] if policy == "mlfq" else 0  # 0: never taken away

    def highest_waiting():
        return next((l for l in range(levels) if queues[l]), levels)

    timeline, current, t = [], -1, 0
    while sum(1 for r in remaining if r == 0) < len(jobs):
        for job, (_, arrival) in enumerate(jobs):
            if arrival == t:
                queues[0].append(job)
        if policy == "mlfq" and boost > 0 and t > 0 and t % boost == 0:
            for l in range(1, levels):
                queues[0].extend(queues[l])
                queues[l].clear()
            level, used = [0] * len(jobs), [0] * len(jobs)
        if current >= 0:
            if slice_of(current) > 0 and used[current] >= slice_of(current):  # its slice is used up
                used[current] = 0
                if policy == "mlfq":
                    level[current] = min(level[current] + 1, levels - 1)
                queues[level[current]].append(current)
                current = -1
            elif policy == "mlfq" and highest_waiting() < level[current]:  # a higher level is ready
                queues[level[current]].append(current)
                current = -1
        if current < 0:
            if policy == "sjf" and queues[0]:
                current = min(queues[0], key=lambda j: (jobs[j][0], jobs[j][1], j))
                queues[0].remove(current)
            elif highest_waiting() < levels:
                current = queues[highest_waiting()].popleft()
        timeline.append(current)
        if current >= 0:
            remaining[current] -= 1
            used[current] += 1
            if remaining[current] == 0:
                used[current] = 0
                current = -1
        t += 1
    return timeline


def measures(jobs, timeline):
    """Per job (response, turnaround, wait), read off the timeline alone."""
    out = []
    for job, (length, arrival) in enumerate(jobs):
        ticks = [t for t, j in enumerate(timeline) if j == job]
        turnaround = ticks[-1] + 1 - arrival
        out.append({"response": ticks[0] - arrival, "turnaround": turnaround, "wait": turnaround - length})
    return out


def averages(per_job):
    return {k: round(sum(m[k] for m in per_job) / len(per_job), 2) for k in ("response", "turnaround", "wait")}


def chart(timeline):
    """One character per tick, as mpdemo draws it: the job's id (0-9, a-z, A-Z), '.' when idle."""
    names = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join("." if j < 0 else names[j % len(names)] for j in timeline)


def parse_jobs(text):
    jobs = []
    for item in text.split(","):
        length, _, arrival = item.partition("@")
        jobs.append((int(length), int(arrival or 0)))
    return jobs


def main():
    parser = argparse.ArgumentParser(description="CPU scheduling simulated (mpdemo scheduler)")
    parser.add_argument("-p", "--policy", choices=POLICIES, default="fcfs", help="scheduling policy")
    parser.add_argument("-j", "--jobs", type=int, default=3, help="number of jobs to generate from the seed")
    parser.add_argument("-m", "--max-length", type=int, default=10, help="generated job lengths are 1..M ticks")
    parser.add_argument("-l", "--jobs-list", help="the jobs instead: lengths in ticks, each optionally @arrival tick, e.g. 5,3,8 or 20,4@5,3@12")
    parser.add_argument("--quantum", type=int, default=1, help="round-robin time slice in ticks (MLFQ: the top level's)")
    parser.add_argument("--levels", type=int, default=3, help="MLFQ: number of queues")
    parser.add_argument("--quanta", help="MLFQ: time slice per level, top first, e.g. 1,2,4 (default: quantum doubled per level)")
    parser.add_argument("-B", "--boost", type=int, default=0, help="MLFQ: every B ticks every job goes back to the top queue (0: never)")
    parser.add_argument("-c", "--compute", action="store_true", help="show the answers")
    parser.add_argument("--seed", type=int, default=random.randrange(1_000_000), help="fix the generated jobs")
    parser.add_argument("--speed", type=float, default=1.0, help="accepted like every twin's; a simulation does not sleep")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    jobs = parse_jobs(args.jobs_list) if args.jobs_list else [(rng.randint(1, args.max_length), 0) for _ in range(args.jobs)]
    quanta = [int(q) for q in args.quanta.split(",")] if args.quanta else [args.quantum * 2 ** l for l in range(args.levels)]
    print(f"policy {args.policy}, quantum {args.quantum}" + (f", quanta {quanta}, boost {args.boost}" if args.policy == "mlfq" else "")
          + ("" if args.jobs_list else f", seed {args.seed}"))
    for job, (length, arrival) in enumerate(jobs):
        print(f"  job {job}: length {length}, arrives at tick {arrival}")
    timeline = simulate(jobs, args.policy, args.quantum, quanta, args.boost)
    per_job = measures(jobs, timeline)
    if not args.compute:
        print("Compute the response, turnaround and wait time of each job, and their averages.")
        print("Then run again with -c to see the answers.")
        print(json.dumps({"twin": "scheduler", "policy": args.policy, "jobs": jobs, "compute": False}))
        return
    print(f"timeline: {chart(timeline)}")
    for job, m in enumerate(per_job):
        print(f"  job {job}: response {m['response']}, turnaround {m['turnaround']}, wait {m['wait']}")
    print(f"  average: {averages(per_job)}")
    compare = {}
    for policy in POLICIES:  # the same jobs under every policy, as mpdemo compares them
        other = simulate(jobs, policy, args.quantum, quanta, args.boost)
        compare[policy] = {"chart": chart(other), **averages(measures(jobs, other))}
        print(f"  {policy:<5} {compare[policy]}")
    print(json.dumps({"twin": "scheduler", "policy": args.policy, "jobs": jobs, "compute": True, "chart": chart(timeline),
                      "per_job": per_job, "average": averages(per_job), "compare": compare}))


if __name__ == "__main__":
    main()
