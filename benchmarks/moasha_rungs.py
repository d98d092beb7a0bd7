"""Decision cost of a MOASHA rung (``NonDominatedPriority``) as it grows, on streams of
objective vectors whose fronts differ in number and size (issue 19's leftover item 3: under
50 us per result, flat to 100,000 entries).

Each stream adds N points, one by one, to one rung (promotion quantile 1/3) as MOASHA's
``on_trial_result`` does when a trial reaches it; every ``add`` is timed, and the figures at N
are the median, mean and 99th percentile over the adds made while the rung held between 0.9 N
and N entries, the mean over all the adds up to N (``mean_all_us``: refills of the kept fronts
amortized over the whole stream), and the number of fronts the rung keeps at N. The clock is
the deciding thread's CPU time (``time.thread_time_ns``), so the figures do not move with
other processes' load on a shared machine (``--clock wall`` for ``time.perf_counter_ns``).
``--repeat R`` runs each stream R times and keeps, for each add, its least time: what the
add costs without the interruptions (cache evictions, preemption) that a loaded machine adds
to single runs.

Streams (all objectives minimized), with two and with three objectives by default
(``--objectives``):

* ``independent``: uniform in the unit square or cube (about ``2 sqrt(N)`` fronts with two);
* ``correlated``: ``(a, a + 0.1 u, ...)``: many thin fronts;
* ``perfect``: ``(a, a, ...)``: perfectly correlated objectives, one point per front;
* ``conflicting``: anti-correlated, on the plane ``sum = 1`` (``(a, 1 - a)`` with two): every
  point on one front.

    python benchmarks/moasha_rungs.py                   # JSON, 2 and 3 objectives: ~2 minutes
    python benchmarks/moasha_rungs.py --streams perfect --sizes 1000 30000
    python benchmarks/moasha_rungs.py --objectives 3 --sizes 1000 10000
    python benchmarks/moasha_rungs.py --objectives 2 --repeat 3   # least of 3 runs per add
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

import numpy as np

from tunesmith.schedulers.moasha import NonDominatedPriority

STREAMS = ("independent", "correlated", "perfect", "conflicting")


def stream(kind: str, n: int, d: int, seed: int = 0) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    a = rng.random(n)
    if kind == "independent":
        columns = [a] + [rng.random(n) for _ in range(d - 1)]
    elif kind == "correlated":
        columns = [a] + [a + 0.1 * rng.random(n) for _ in range(d - 1)]
    elif kind == "perfect":
        columns = [a] * d
    else:  # conflicting: on the plane sum = 1 (two objectives: a and 1 - a)
        rest = rng.dirichlet(np.ones(d - 1), size=n) * (1 - a)[:, None]
        columns = [a, *rest.T]
    return np.column_stack(columns).tolist()


def measure(kind: str, sizes: list[int], d: int, clock, repeat: int = 1) -> dict:
    n = max(sizes)
    points = stream(kind, n, d)
    times: list[int] = []
    fronts, marks = {}, set(sizes)
    for _ in range(repeat):  # the same adds again: keep each add's least time
        rung = NonDominatedPriority().make_rung(1, (1, 3))
        run = []
        for i, point in enumerate(points, start=1):
            t0 = clock()
            rung.add(point)
            run.append(clock() - t0)
            if i in marks:
                fronts[i] = rung.fronts.top.num_fronts
        times = run if not times else [min(a, b) for a, b in zip(times, run, strict=True)]
    out = {}
    for size in sizes:
        window = sorted(times[int(0.9 * size) : size])
        out[str(size)] = {
            "median_us": round(statistics.median(window) / 1000, 2),
            "mean_us": round(statistics.fmean(window) / 1000, 2),
            "p99_us": round(window[int(0.99 * (len(window) - 1))] / 1000, 2),
            "mean_all_us": round(statistics.fmean(times[:size]) / 1000, 2),
            "kept_fronts": fronts[size],
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", nargs="+", choices=STREAMS, default=list(STREAMS))
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 10000, 100000])
    parser.add_argument("--objectives", nargs="+", type=int, default=[2, 3])
    parser.add_argument("--clock", choices=("thread", "wall"), default="thread")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run each stream this many times; per add, the least"
    )
    args = parser.parse_args()
    clock = time.thread_time_ns if args.clock == "thread" else time.perf_counter_ns
    out: dict = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "clock": args.clock,
        "repeat": args.repeat,
    }
    for d in args.objectives:
        out[f"{d}_objectives"] = {
            kind: measure(kind, args.sizes, d, clock, args.repeat) for kind in args.streams
        }
    json.dump(out, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
