"""What scripts/bench holds mpbench to (issues 8 and 15), and how a row of its
table is judged. Each target is (other side, the least ratio of medians
mpbench/other); a spread target bounds max/min of mpbench's own runs."""

# case -> [(side, least ratio of medians)]
RATIO_TARGETS = {
    "queue_throughput": [("python", 25), ("boost", 3)],
    "pipe_throughput": [("python", 8), ("floor", 0.7)],
    "spawn_join": [("python", 6)],
    "lock_counter": [("python", 20), ("boost", 1)],
    "lock_handoff": [("boost", 1)],
    "pool_map": [("python", 5)],
    "pool_apply_async": [("python", 20)],
    "ticket_race": [("python", 4)],
}

# case -> the largest max/min of mpbench's rates over the rounds (issue 15:
# "a spread under 1.5x over 7 alternating runs on a quiet machine").
SPREAD_TARGETS = {
    "queue_throughput": 1.5,
}

# What a row's note says when its sides do not do the same work.
NOTES = {
    "ticket_race": "mp fsyncs each sale (power-loss safe), python does not",
    "lock_counter": "boost and floor keep the counter in the mutex's cache line; mp::Value has its own mapping, as in Python",
    "lock_handoff": "the lock alone: every side keeps the counter in the mutex's cache line and times from a gate once its 4 processes exist",
    "queue_throughput": "each put and get takes a robust mutex, as Boost's do; see README, Benchmarks",
}


def misses(case, medians, spread):
    """The targets a row missed, as short texts; medians: side -> rate."""
    missed = []
    mp = medians.get("mpbench")
    for side, least in RATIO_TARGETS.get(case, []):
        other = medians.get(side)
        if mp and other and mp / other < least:
            missed.append(f"<{least:g}x {side}")
    limit = SPREAD_TARGETS.get(case)
    if limit and spread.get("mpbench") and spread["mpbench"] >= limit:
        missed.append(f"spread>={limit:g}")
    return missed
