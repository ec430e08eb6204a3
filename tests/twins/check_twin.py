#!/usr/bin/env python3
"""Checks one scenario's Python twin: takes the program from
`mpdemo explain NAME --python`, runs it with python3 at a small --speed (each
variant in its own directory, the variants side by side), and checks that the
figures it measured show the scenario's lesson.

usage: check_twin.py MPDEMO NAME     one scenario (a ctest per scenario)
       check_twin.py MPDEMO --every  every scenario of `mpdemo list` has a twin and a check here

Exit status 0 when every check held; 1 otherwise, with each failure on stderr.
"""
import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import unicodedata

RUN_TIMEOUT = 90  # seconds for one twin run: a hang fails, it never blocks the suite
MPDEMO = None  # the binary under test, set in main()


def expect(problems, held, what, got):
    if not held:
        problems.append(f"{what} (measured {got})")


# Each check reads the run's JSON line `r` and the list `problems` to append to.
def ticket_race(r, p):
    expect(p, r["sold"] > r["tickets"] and r["oversold"] == r["sold"] - r["tickets"],
           "without a lock more buyers are told they bought than there were tickets", r)
    expect(p, r["left"] == 0, "the db ends at 0, not below: each buyer wrote a stale count", r["left"])
    expect(p, r["exitcodes"] == [0] * r["buyers"], "every buyer exited cleanly", r["exitcodes"])


def ticket_lock(r, p):
    expect(p, r["sold"] == min(r["buyers"], r["tickets"]), "with the lock exactly min(buyers, tickets) sold", r["sold"])
    expect(p, r["left"] == r["tickets"] - r["sold"] and r["oversold"] == 0, "the db agrees with the sales", r)


def join_timing(r, p):
    longest, total = max(r["sleeps"]), sum(r["sleeps"])
    expect(p, 0.9 * longest <= r["start_all_then_join"] < 0.75 * total,
           f"start all, then join: about the longest sleep {longest}, well under the sum {total}", r["start_all_then_join"])
    expect(p, r["one_by_one"] >= 0.9 * total, f"start and join one by one: about the sum {total}", r["one_by_one"])
    expect(p, r["alive_after_timeout"] and r["timeout_waited"] >= 0.9 * r["timeout"],
           "join(timeout) returned after the timeout with the child still alive", r)
    expect(p, r["busy_exitcode"] == 0, "the busy child ended normally once told to stop", r["busy_exitcode"])


def semaphore(r, p):
    expect(p, r["peak"] == r["rooms"], "the most singers inside at once equals the rooms (never more, and reached)", r["peak"])
    expect(p, r["got_in"] == r["users"], "every singer got a room in the end", r["got_in"])
    expect(p, r["value_at_end"] == r["rooms"], "every room was given back", r["value_at_end"])


def manager_race(r, p):
    expect(p, r["lost"] > 0, "without a lock decrements were lost", r["lost"])
    expect(p, r["final"] == r["expected"] + r["lost"] and r["failed_workers"] == 0, "every worker ran; the count shows the loss", r)


def manager_lock(r, p):
    expect(p, r["lost"] == 0 and r["final"] == r["count"] - r["workers"], "with the lock no decrement was lost", r)
    expect(p, r["failed_workers"] == 0, "every worker exited cleanly", r["failed_workers"])


def flash_sale(r, p):
    expect(p, r["winners"] == min(r["buyers"], r["bands"]), "exactly min(buyers, bands) winners", r["winners"])
    expect(p, r["distinct_winners"] == r["winners"], "no buyer won twice", r["distinct_winners"])
    expect(p, r["ranking_matches_successes"], "the ranking holds exactly the buyers whose put_nowait succeeded", r)
    expect(p, r["full"] == r["buyers"] - r["winners"], "every other buyer got Full", r["full"])


def zombie_wait(r, p):
    expect(p, r["zombies_seen"] == r["count"], "each exited child was seen in state Z before it was reaped", r["zombies_seen"])
    expect(p, r["gone"] == r["count"], "each entry was gone from the process table after the reap", r["gone"])
    expect(p, r["exit_statuses"] == list(range(1, r["count"] + 1)), "the reap read the status each child chose", r["exit_statuses"])


def zombie_sigchld(r, p):
    expect(p, r["gone"] == r["count"], "the SIGCHLD loop reaped every child", r["gone"])
    expect(p, r["exit_statuses"] == list(range(1, r["count"] + 1)), "waitpid read the status each child chose", r["exit_statuses"])


def zombie_ignore(r, p):
    expect(p, r["gone"] == r["count"] and r["zombies_seen"] == 0, "with SIG_IGN the kernel reaped every child", r)
    expect(p, r["exit_statuses"] == [None] * r["count"], "with SIG_IGN the exit statuses are lost", r["exit_statuses"])


def orphan(r, p):
    expect(p, r["first_parent"] == r["dead_parent"], "the child first reported Parent as its parent", r)
    expect(p, r["new_parent"] != r["dead_parent"], "the child's parent changed away from the dead Parent", r["new_parent"])
    expect(p, r["new_parent"] == r["main"] and r["reaped_by_main"], "the orphan was handed to main, the subreaper, which reaped it", r)


def daemon(r, p):
    expect(p, r["steps_done"] < r["daemon_steps"] and not r["daemon_done"], "the daemon was cut off mid-work", r)
    expect(p, r["daemon_exitcode"] == -15, "the daemon ended by SIGTERM (exitcode -15)", r["daemon_exitcode"])
    expect(p, r["worker_done"] and r["worker_exitcode"] == 0, "the normal child ran to its end", r)
    expect(p, r["refused_child"], "the daemon was refused a child of its own", r["refused_child"])


def spawn(r, p):
    expect(p, r["ran_once"] == r["children"], "every child ran exactly once, with the pid main saw", r["ran_once"])
    expect(p, r["start_returned_while_working"] == r["children"], "every start() returned while its child still worked", r)


def pid(r, p):
    expect(p, r["reported"] == r["children"], "every child reported its pid and ppid", r["reported"])
    expect(p, r["ppid_is_main"] == r["children"], "each child's getppid() is main's pid", r["ppid_is_main"])
    expect(p, r["pid_is_p_pid"] == r["distinct_pids"] == r["children"], "each child's getpid() is the p.pid main saw, all distinct", r)
    expect(p, r["table_names_main"] == r["children"], "the process table names main as each child's parent", r["table_names_main"])


def isolation(r, p):
    expect(p, r["child_saw"] != r["before"], "the child saw its own change", r["child_saw"])
    expect(p, r["main_after"] == r["before"], "main's x and n are unchanged after the child changed them", r["main_after"])
    expect(p, r["same_address"], "the globals had the same address in child and main", r["same_address"])


def isolation_shared(r, p):
    isolation(r, p)
    expect(p, r["shared_after"] == r["child_saw"][0], "the shared Value's change is seen by main", r["shared_after"])


def lifecycle(r, p):
    expect(p, r["before_start"] == {"pid": None, "alive": False, "exitcode": None}, "before start(): no pid, not alive", r["before_start"])
    expect(p, r["while_running"]["pid"] and r["while_running"]["alive"] and r["while_running"]["exitcode"] is None,
           "after start(): a pid, alive, exitcode None", r["while_running"])
    expect(p, r["exitcodes"] == [0, r["exit_code_asked"], -15], "exitcodes: 0 after return, N after sys.exit(N), -15 after terminate()", r["exitcodes"])
    expect(p, r["alive_after_join"] == [False] * 3, "is_alive() is False after join()", r["alive_after_join"])
    expect(p, r["name_set_before_init"].startswith("MyProcess-") and r["name_set_after_init"] == r["subclass_name"],
           "a name set before super().__init__() became MyProcess-N; one set after it stayed", r)


def fork(r, p):
    for key in ("child_branch", "parent_branch", "pid_matches", "ppid_matches", "reaped_ok"):
        expect(p, r[key] == r["rounds"], f"{key} in every round", r[key])


def print_lock_none(r, p):
    expect(p, r["overlapping_pairs"] > 0, "without coordination tasks printed at the same time", r["overlapping_pairs"])
    expect(p, r["took"] < 0.9 * sum(r["jobs"]), "together they took less than the sum of the jobs", r)


def print_lock_serial(r, p):
    expect(p, r["overlapping_pairs"] == 0 and r["finished"] == r["tasks"], "the tasks printed one at a time", r)
    expect(p, r["took"] >= 0.9 * sum(r["jobs"]), "taking turns costs the sum of the jobs", r)


def print_lock_join(r, p):
    print_lock_serial(r, p)
    expect(p, r["start_order"] == list(range(1, r["tasks"] + 1)), "with join the order is the code's", r["start_order"])


def file_append(r, p):
    expect(p, r["found"] == r["writers"] and r["lost"] == 0 and r["torn"] == 0, "with O_APPEND every record is in the file, whole", r)


def file_append_in_turn(r, p):
    file_append(r, p)
    size = r["record_bytes"]
    expect(p, all(c % size == 0 and c < size * r["writers"] for c in r["cursors"]) and len(set(r["cursors"])) >= r["writers"] // 2,
           "without a pause the cursors step by one record, as in the tutorial (0, 7, 14 ...)", r["cursors"])


def file_append_paused(r, p):
    file_append(r, p)
    expect(p, r["stale_cursors"] > 0, "with a pause some cursor seen at open was out of date by the write", r["stale_cursors"])


def file_no_append(r, p):
    expect(p, r["lost"] > 0, "without O_APPEND records overwrite each other", r["lost"])


def value_array(r, p):
    expect(p, r["parent_sees_child_writes"], "the parent sees the double and every array element the child wrote", r)
    expect(p, r["with_lock"] == r["made"], "with get_lock() around read-and-write the counter is exact", r["with_lock"])
    expect(p, r["without_lock"] <= r["made"], "without the lock no increment is invented", r["without_lock"])


def rlock(r, p):
    expect(p, not r["second_acquire"] and r["second_acquire_waited"] >= 0.9 * r["timeout"],
           "the Lock's second acquire blocked until its timeout", r)
    expect(p, r["other_refused"] and r["other_got_it_after_last_release"],
           "another process was refused the RLock and got it only after the owner's last release", r)
    expect(p, r["taken_once"] == r["items"] and r["failed"] == 0, "every item was taken exactly once", r)


def event(r, p):
    expect(p, r["passed"] == r["cars"] + 1, "every car and the police car passed", r["passed"])
    expect(p, r["on_red"] == int(r["police_on_red"]), "no car passed on red (only the police car may)", r)
    expect(p, r["police_timed_out"] and r["police_on_red"], "the police car's wait(timeout) ran out and it drove on red", r)
    expect(p, r["stops_on_red"] > 0 and r["light_stopped"], "cars stopped on red; the light stopped after the last car", r)


def queue_lesson(r, p):
    expect(p, r["put_nowait_full"] and r["put_timeout_full"] and r["put_timeout_waited"] >= 0.9 * r["timeout"],
           "put_nowait raised Full at once, put(timeout) after the timeout", r)
    expect(p, r["blocking_put_after_get"], "the blocking put returned only after the consumer's get began", r)
    expect(p, r["fifo"] == sorted(r["fifo"]) and len(r["fifo"]) == r["maxsize"], "items came out in the order they went in", r["fifo"])
    expect(p, r["checkers"] == {"saw_items": 2, "got": 1, "empty": 1}, "both checkers saw an item, one got it, the other got Empty", r["checkers"])
    expect(p, r["get_timeout_empty"] and r["get_timeout_waited"] >= 0.9 * r["timeout"] and r["get_nowait_empty"],
           "get(timeout) raised Empty after the timeout, get_nowait at once", r)


def queue_crowd(r, p):
    expect(p, r["read_once"] == r["messages"] and r["never"] == 0 and r["more_than_once"] == 0,
           "every note was read by exactly one reader", r)
    expect(p, r["writers_waited"] > 0, "writers waited in put() for room (back-pressure)", r["writers_waited"])
    expect(p, r["failed"] == 0, "every writer and reader ended cleanly", r["failed"])


def pipe(r, p):
    expect(p, r["received"] == r["items"] and r["in_order"] and r["sum"] == sum(range(r["items"])),
           "the child received every item, in order", r)
    expect(p, r["eof_after_last"], "the child's recv() raised EOFError after the last item", r)
    expect(p, r["no_eof_while_own_copy"] and r["eof_after_closing_copy"],
           "no EOF while the child held its own copy of the sending end; EOF once it closed it", r)
    expect(p, r["recv_on_closed_raised"] and r["send_without_reader_raised"], "using closed ends raised", r)


def baozi(r, p):
    expect(p, r["eaten_once"] == r["buns"] and r["twice"] == 0 and r["uneaten"] == 0, "every bun was eaten exactly once", r)
    expect(p, r["failed"] == 0 and r["left_running"] == 0, "every cook and eater ended, none is left running", r)


def pool(r, p):
    expect(p, r["map_in_order"], "map returned every result, in input order", r["map_in_order"])
    expect(p, r["apply_peak"] == 1 and r["apply_took"] >= 0.9 * r["tasks"] * r["work"], "apply ran one task at a time", r)
    expect(p, 1 < r["async_peak"] <= r["workers"] and r["async_took"] < r["apply_took"],
           "apply_async ran tasks side by side, never more than the workers", r)
    expect(p, r["callback_pids"] == [r["main"]] and r["main"] not in r["callback_worker_pids"],
           "callbacks ran in the main process, the work in workers", r)
    expect(p, r["imap_order"] == sorted(r["imap_order"]) and r["unordered_order"] == sorted(r["unordered_order"], reverse=True),
           "imap yields in input order, imap_unordered in finishing order", r)
    expect(p, r["join_before_close_refused"] and r["apply_after_close_refused"], "join before close and apply after close were refused", r)


def echo_common(r, p):
    expect(p, r["replies_right"] == r["clients"] * r["messages"], "every line came back upper-cased", r["replies_right"])
    expect(p, r["clients_done"] == r["clients"], "every client finished its conversation", r["clients_done"])


def echo_process(r, p):
    echo_common(r, p)
    expect(p, r["server_pids"] == r["clients"], "each connection had a handler process of its own", r["server_pids"])


def echo_pool(r, p):
    echo_common(r, p)
    expect(p, r["most_at_once"] <= r["workers"] and r["server_pids"] <= r["workers"],
           "never more connections served at once than pool workers, and only the workers' pids", r)
    # Which clients wait depends on the order of their connections, not on their numbers.
    waited = sum(1 for w in r["first_reply_waits"] if w >= 0.5 * r["messages"] * r["think"])
    expect(p, waited == r["clients"] - r["workers"], "as many clients as exceed the pool's size waited for a free worker", r)


def crawler(r, p):
    expect(p, r["parsed"] == r["parsed_once"] == r["site_pages"], "every page of the site was parsed exactly once", r)
    expect(p, r["callback_pids"] == [r["main"]], "every callback and error_callback ran in the main process", r["callback_pids"])
    expect(p, 1 <= len(r["fetch_pids"]) <= r["workers"] and r["main"] not in r["fetch_pids"], "the fetches ran in pool workers", r)
    expect(p, len(r["broken"]) == 1 and "404" in r["broken"][0], "the broken link reached error_callback once, as a 404", r["broken"])


def threads_vs_processes(r, p):
    expect(p, r["thread_each_us"] < r["process_each_us"], "a thread is cheaper to create than a process", r)
    expect(p, r["crashy_exitcode"] == r["crash_exitcode"] and not r["healthy_thread_finished"],
           "one thread's crash took its whole process down", r)
    expected = [r["crash_exitcode"] if i == r["crasher"] else 0 for i in range(1, len(r["sibling_exitcodes"]) + 1)]
    expect(p, r["sibling_exitcodes"] == expected, "a crashing process left its siblings running", r["sibling_exitcodes"])
    # Wall-time speedups move with the machine's load; the cores the threads kept
    # busy at once (CPU seconds per wall second) stay near 1 under the GIL.
    expect(p, r["threads_cores_busy"] < 1.3, "CPU-bound threads never ran side by side (the GIL)", r["threads_cores_busy"])


def states(r, p):
    expect(p, r["seen"] == {"Compute": "R", "Sleep": "S", "ReadPipe": "S", "Stopped": "T", "Exited": "Z"},
           "each child was seen in its state: R, S, S, T, Z", r["seen"])
    expect(p, r["after_release"] == "Z" * r["children"] and r["gone_after_join"] == r["children"],
           "after the release every child was a zombie, and join() removed every entry", r)


def scheduler(r, p):
    """The twin's simulation must agree with mpdemo's on the same jobs, for every policy."""
    jobs = ",".join(f"{length}@{arrival}" for length, arrival in r["jobs"])
    extra = SCHEDULER_EXTRA.get(r["policy"], [])
    run = subprocess.run([MPDEMO, "scheduler", "-l", jobs, "-p", r["policy"], "-c", "--json", *extra],
                         capture_output=True, text=True, timeout=30)
    theirs = {}
    for line in run.stdout.splitlines():
        event = json.loads(line)
        if event.get("kind") == "scheduler.compare":
            theirs[event["policy"]] = {k: event[k] for k in ("chart", "response", "turnaround", "wait")}
    expect(p, theirs and theirs == r["compare"], "every policy gives mpdemo's timeline and averages", {"twin": r["compare"], "mpdemo": theirs})
    expect(p, r["compare"]["rr"]["response"] <= r["compare"]["fcfs"]["response"], "round robin responds no later than FCFS", r["compare"])


SCHEDULER_EXTRA = {"mlfq": ["--quantum", "2", "-B", "10"]}


# Per scenario: the runs (arguments of the twin) and the check of each run.
# Speeds are small but keep wide margins wherever a timing or a race decides.
CHECKS = {
    "ticket": [(["--speed", "0.1", "--buy-min", "2"], ticket_race), (["--speed", "0.1", "--lock"], ticket_lock)],
    "join-timing": [(["--speed", "0.2"], join_timing)],
    "semaphore": [(["--speed", "0.1", "--stay-min", "1"], semaphore)],
    "manager": [(["--speed", "0.1", "--workers", "30", "--delay", "0.5"], manager_race),
                (["--speed", "0.1", "--workers", "30", "--lock"], manager_lock)],
    "flash-sale": [(["--speed", "0.1"], flash_sale)],
    "zombie": [(["--speed", "0.05", "--hold", "1"], zombie_wait), (["--speed", "0.05", "--mode", "sigchld"], zombie_sigchld),
               (["--speed", "0.05", "--mode", "ignore"], zombie_ignore)],
    "orphan": [(["--speed", "0.05"], orphan)],
    "daemon": [(["--speed", "0.05"], daemon)],
    "spawn": [(["--speed", "0.05"], spawn)],
    "pid": [(["--speed", "0.05"], pid)],
    "isolation": [(["--speed", "0.05"], isolation), (["--speed", "0.05", "--shared"], isolation_shared)],
    "lifecycle": [(["--speed", "0.05"], lifecycle)],
    "fork": [(["--rounds", "20"], fork)],
    "print-lock": [(["--speed", "0.1", "--seed", "7"], print_lock_none), (["--speed", "0.1", "--seed", "7", "--lock"], print_lock_serial),
                   (["--speed", "0.1", "--seed", "7", "--join"], print_lock_join)],
    "file-append": [(["--speed", "0.1"], file_append_in_turn), (["--speed", "0.1", "--delay-max", "0.5"], file_append_paused),
                    (["--speed", "0.1", "--no-append"], file_no_append)],
    "value-array": [(["--increments", "20000"], value_array), (["--increments", "20000", "--numbers", "docs"], value_array)],
    "rlock": [(["--speed", "0.1"], rlock)],
    "event": [(["--speed", "0.05"], event)],
    "queue": [(["--speed", "0.1"], queue_lesson)],
    "queue-crowd": [(["--speed", "0.05"], queue_crowd)],
    "pipe": [(["--speed", "0.05"], pipe), (["--speed", "0.05", "--duplex"], pipe)],
    "baozi": [(["--speed", "0.05"], baozi), (["--speed", "0.05", "--end", "sentinel"], baozi),
              (["--speed", "0.05", "--via", "pipe", "--producers", "2", "--consumers", "3"], baozi),
              (["--speed", "0.05", "--via", "joinable", "--producers", "2", "--consumers", "2"], baozi)],
    "pool": [(["--speed", "0.1", "--map-tasks", "30"], pool)],
    "echo-server": [(["--speed", "0.05"], echo_process), (["--speed", "0.2", "--think", "2", "--mode", "pool"], echo_pool)],
    "crawler": [(["--speed", "0.1"], crawler)],
    "threads-vs-processes": [(["--speed", "0.1", "--count", "20"], threads_vs_processes),
                             (["--speed", "0.1", "--count", "20", "--crash", "abort", "--crasher", "1"], threads_vs_processes)],
    "states": [(["--speed", "0.05"], states)],
    "scheduler": [(["-l", "5,3,8", "-p", "rr", "-c"], scheduler), (["-l", "20,4@5,3@12", "-p", "mlfq", "--quantum", "2", "-B", "10", "-c"], scheduler)],
}


def explain(mpdemo, name, lang):
    run = subprocess.run([mpdemo, "explain", name, "--python", "--lang", lang], capture_output=True, text=True, timeout=30)
    if run.returncode != 0:
        raise SystemExit(f"mpdemo explain {name} --python --lang {lang}: exit {run.returncode}: {run.stderr.strip()}")
    return run.stdout


def columns(line):
    """Width on a terminal: a Chinese character takes two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def split_header(text):
    """(shebang, header comment lines, the program after them)."""
    lines = text.splitlines()
    header = []
    for line in lines[1:]:
        if not line.startswith("#"):
            break
        header.append(line)
    return lines[0] if lines else "", header, lines[1 + len(header):]


def header_problems(name, en, zh):
    """The header is a comment in the run's language; the program itself is the same in both."""
    problems = []
    (en_bang, en_head, en_rest), (zh_bang, zh_head, zh_rest) = split_header(en), split_header(zh)
    if not en_bang.startswith("#!") or not en_head or not en_rest:
        return ["the twin does not start with a shebang and a header comment"]
    if not any(name in line for line in en_head) or not re.search(r"[A-Za-z]{4}", en_head[0]):
        problems.append(f"the English header does not name the scenario: {en_head}")
    if not zh_head or not re.search(r"[\u4e00-\u9fff]", zh_head[0]):
        problems.append(f"the Chinese header is not in Chinese: {zh_head}")
    if max(columns(line) for line in en_head + zh_head) > 100:
        problems.append("a header line is wider than 100 columns")
    if (en_bang, en_rest) != (zh_bang, zh_rest):
        problems.append("the program differs between --lang en and --lang zh (only the header may)")
    return problems


def run_twin(result_name, program, args):
    """Runs the twin in a fresh directory (a twin may write files there) and in a
    session of its own, so that whatever it leaves running can be found and
    killed; returns (JSON line, output, problems)."""
    with tempfile.TemporaryDirectory(prefix="twin-") as where:
        path = os.path.join(where, f"{result_name}-twin.py")
        with open(path, "w") as f:
            f.write(program)
        twin = subprocess.Popen([sys.executable, path, *args], cwd=where, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        problems = []
        try:
            out, err = twin.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            out, err = "", ""
            problems.append(f"timed out after {RUN_TIMEOUT} s")
        if left_behind(twin.pid):
            problems.append("processes of the twin were left running (killed now)")
        if problems:
            return None, out + err, problems
    lines = out.splitlines()
    if twin.returncode != 0 or not lines:
        return None, out + err, [f"exit {twin.returncode}"]
    try:
        result = json.loads(lines[-1])
    except json.JSONDecodeError:
        return None, out, ["the last line is not JSON"]
    if len(lines) < 3:
        problems.append("fewer than two readable lines before the JSON line")
    return result, out + err, problems


def left_behind(session):
    """True when a process of the twin's session is still there; kills the session."""
    try:
        os.killpg(session, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def check_one(mpdemo, name):
    if name not in CHECKS:
        print(f"{name}: no check in check_twin.py", file=sys.stderr)
        return 1
    en, zh = explain(mpdemo, name, "en"), explain(mpdemo, name, "zh")
    failed = 0
    for problem in header_problems(name, en, zh):
        print(f"{name}: {problem}", file=sys.stderr)
        failed = 1
    with concurrent.futures.ThreadPoolExecutor(len(CHECKS[name])) as pool:
        runs = [(args, check, pool.submit(run_twin, name, en, args)) for args, check in CHECKS[name]]
        for args, check, future in runs:
            result, output, problems = future.result()
            if result is not None:
                if result.get("twin") != name:
                    problems.append(f"the JSON line is not this twin's: {result}")
                else:
                    try:
                        check(result, problems)
                    except (KeyError, TypeError) as e:
                        problems.append(f"the JSON line lacks a figure: {e!r}")
            command = f"python3 {name}-twin.py {' '.join(args)}"
            if problems:
                failed = 1
                print(f"FAILED {command}\n{output}", file=sys.stderr)
                for problem in problems:
                    print(f"  {problem}", file=sys.stderr)
            else:
                print(f"ok {command}: {json.dumps(result)}")
    return failed


def check_every(mpdemo):
    listed = subprocess.run([mpdemo, "list", "--lang", "en"], capture_output=True, text=True, timeout=30).stdout
    names = [m.group(1) for m in re.finditer(r"^  (\S+)\s", listed, re.M)]
    missing = []
    for name in names:
        has_twin = subprocess.run([mpdemo, "explain", name, "--python"], capture_output=True, timeout=30).returncode == 0
        if not has_twin or name not in CHECKS:
            missing.append(name)
            print(f"{name}: {'no check in check_twin.py' if has_twin else 'no Python twin'}", file=sys.stderr)
    print(f"{len(names)} scenarios listed, {len(names) - len(missing)} with a twin and a check")
    return 1 if missing or not names else 0


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    global MPDEMO
    mpdemo, what = sys.argv[1], sys.argv[2]
    MPDEMO = mpdemo
    return check_every(mpdemo) if what == "--every" else check_one(mpdemo, what)


if __name__ == "__main__":
    sys.exit(main())
