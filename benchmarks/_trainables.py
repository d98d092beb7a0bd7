"""Trial functions used by the benchmarks (module level, so worker processes import them)."""

import os
import time

import tunesmith


def sleepy(config):
    """``reports`` reports with ``work`` seconds of (sleeping) work before each."""
    busy = 0.0
    for step in range(1, config["reports"] + 1):
        t0 = time.perf_counter()
        time.sleep(config["work"])
        busy += time.perf_counter() - t0
        tunesmith.report(step=step, loss=config["x"], busy=busy)


def trivial(config):
    """Reports its first line's wall time and returns its last one's."""
    tunesmith.report(t_first=time.time(), pid=os.getpid(), loss=config["x"])
    return {"t_last": time.time(), "pid": os.getpid(), "loss": config["x"]}


def round_trips(config):
    """``reports`` reports in a row; each carries how long the previous ``report()`` call took
    (sent, stored by the tuner, answered: one round trip), in seconds."""
    previous = -1.0
    for step in range(1, config["reports"] + 1):
        t0 = time.perf_counter()
        tunesmith.report(step=step, loss=config["x"], round_trip=previous)
        previous = time.perf_counter() - t0
