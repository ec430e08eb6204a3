#!/usr/bin/env python3
"""event: a traffic light. Cars wait on red and go on green; a police car waits
with a timeout and drives through on red when it runs out.

An Event is a flag many processes can wait for: set() raises it and wakes
every waiter at once, clear() lowers it, wait() blocks while it is lowered, and
wait(timeout) gives up after the timeout and returns False. wait() returning
True means the light WAS green at some moment: a car looks again before it
drives. The light waits on a second Event ("all passed") with its interval as
timeout, so it switches while cars come and stops when the last one is through.

Try:  python3 event-twin.py
      python3 event-twin.py --interval 2 --cars 20
"""
import argparse
import json
import multiprocessing as mp
import os
import random
import time

START = time.monotonic()


def say(text):
    name = mp.current_process().name
    print(f"+{time.monotonic() - START:.3f} {os.getpid():>7} {name:<12} {text}", flush=True)


def light(green, state, interval, all_passed, switches):
    say(f"the light is RED (the Event starts clear); it switches every {interval:.2f} s")
    while not all_passed.wait(interval):  # the interval is the timeout: switch, unless everyone is through
        with state.get_lock():  # the light's state and the Event change together
            state.value = not state.value
            if state.value:
                say("light turns GREEN (set): every waiting car wakes up")
                green.set()
            else:
                say("light turns RED (clear)")
                green.clear()
        switches.value += 1
    say(f"every car has passed: the light stops after {switches.value} switch(es)")


def passed(state, tally, all_passed, expected):
    """Records the light's state at the moment of passing; the last vehicle tells the light."""
    with tally.get_lock():
        tally[0] += 1
        tally[1] += not state.value  # passed on red
        if tally[0] == expected:
            all_passed.set()


def car(green, state, arrive, tally, stops, all_passed, expected):
    time.sleep(arrive)
    stopped = 0
    while True:
        with state.get_lock():
            if state.value:
                passed(state, tally, all_passed, expected)
                break
        stopped += 1
        say("red light: I stop and wait (wait() blocks until the Event is set)")
        green.wait()  # woken by set(); the light may be red again by now: loop and look
    with stops.get_lock():
        stops.value += stopped
    say("green as I arrive: I drive straight through" if not stopped else f"green: I drive through (stopped {stopped} time(s) on red)")


def police(green, state, arrive, timeout, tally, all_passed, expected, timed_out, police_on_red):
    time.sleep(arrive)
    if not green.is_set():
        say(f"police car: red light; I wait at most {timeout:.2f} s (wait(timeout))")
        timed_out.value = not green.wait(timeout)
    with state.get_lock():
        on_red = not state.value
        police_on_red.value = on_red
        passed(state, tally, all_passed, expected)
    say("police car: driving through on red" if on_red else "police car: driving through on green")


def main():
    parser = argparse.ArgumentParser(description="a traffic light made of an Event (mpdemo event)")
    parser.add_argument("--cars", type=int, default=10, help="car processes (plus one police car)")
    parser.add_argument("--interval", type=float, default=5.0, help="the light switches every S seconds")
    parser.add_argument("--arrive-max", type=float, default=12.0, help="cars arrive at a random 0..S seconds")
    parser.add_argument("--police-arrive", type=float, default=1.0, help="the police car arrives after S seconds")
    parser.add_argument("--police-timeout", type=float, default=0.1, help="the police car waits at most S seconds for green")
    parser.add_argument("--seed", type=int, default=random.randrange(1_000_000), help="fix every random choice")
    parser.add_argument("--speed", type=float, default=1.0, help="multiply every sleep and timeout by F")
    args = parser.parse_args()
    s, rng = args.speed, random.Random(args.seed)

    say(f"{args.cars} cars and a police car approach a light that switches every {args.interval * s:.2f} s; seed {args.seed}")
    green, all_passed = mp.Event(), mp.Event()
    state = mp.Value("b", False)  # the light as the light process sees it: True is green
    tally = mp.Array("i", 2)  # vehicles passed, of which on red
    stops, switches = mp.Value("i", 0), mp.Value("i", 0)
    timed_out, police_on_red = mp.Value("b", False), mp.Value("b", False)
    expected = args.cars + 1
    ps = [mp.Process(target=light, args=(green, state, args.interval * s, all_passed, switches), name="Light")]
    ps += [mp.Process(target=car, args=(green, state, rng.uniform(0, args.arrive_max) * s, tally, stops, all_passed, expected),
                      name=f"Car-{i}") for i in range(1, args.cars + 1)]
    ps.append(mp.Process(target=police, args=(green, state, args.police_arrive * s, args.police_timeout * s, tally,
                                              all_passed, expected, timed_out, police_on_red), name="Police"))
    for p in ps:
        p.start()
    for p in ps:
        p.join()
    print(json.dumps({"twin": "event", "cars": args.cars, "passed": tally[0], "on_red": tally[1],
                      "stops_on_red": stops.value, "police_timed_out": bool(timed_out.value), "police_on_red": bool(police_on_red.value),
                      "light_stopped": ps[0].exitcode == 0, "switches": switches.value}))


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
