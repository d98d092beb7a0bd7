"""MOASHA's decision cost before and after a change of its rungs' fronts, in one process, the
two alternated: the rungs of ``benchmarks/moasha_rungs.py`` (its streams, quantile 1/3) and the
whole scheduler as ``benchmarks/multiobjective_methods.py`` drives it (``MOASHA``,
``MOASHA-3``).

"Before" is ``src/tunesmith/multiobjective/`` (``incremental.py`` and its private modules) at
the git revision ``--baseline``, copied into a temporary package and put in place of
``QuantileFronts`` in ``tunesmith.schedulers.moasha``; "after" is the working tree. Every call
is timed with the deciding thread's CPU time; each stream or study is run ``--repeat`` times
per side, before and after alternating (before first in even runs, after first in odd ones),
and each call keeps its least time over the runs (the calls are the same each time: the
streams and the scheduler are seeded). The figures at N are the mean and median over the
adds made while a rung held 0.9 N to N entries (``mean_all``: over all the adds up to N), and
for the scheduler over the ``on_trial_result`` calls of trials 0.9 N to N.

    python benchmarks/moasha_before_after.py --baseline 0409234          # ~20 min, loaded
    python benchmarks/moasha_before_after.py --baseline HEAD~1 --rungs 2:conflicting \\
        --schedulers --sizes 1000 10000
"""

from __future__ import annotations

import argparse
import bisect
import importlib
import json
import pathlib
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import moasha_rungs
import multiobjective_methods as methods

import tunesmith.multiobjective.incremental as current
import tunesmith.schedulers.moasha as moasha
from tunesmith.trial import Decision, Trial, TrialStatus

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = "src/tunesmith/multiobjective"
clock = time.thread_time_ns


def baseline_module(revision: str, into: pathlib.Path):
    """``incremental`` at ``revision``, importing its private siblings from the same copy."""
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", revision, f"{PACKAGE}/"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    package = into / "moasha_baseline"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in names:
        module = pathlib.Path(name).name
        if module != "incremental.py" and not module.startswith("_"):
            continue
        if module == "__init__.py" or not module.endswith(".py"):
            continue
        text = subprocess.run(
            ["git", "show", f"{revision}:{name}"], cwd=ROOT, check=True, capture_output=True
        ).stdout.decode()
        text = re.sub(r"tunesmith\.multiobjective\.(_\w+)", r"moasha_baseline.\1", text)
        text = re.sub(
            r"from tunesmith\.multiobjective import (_\w+)", r"from moasha_baseline import \1", text
        )
        (package / module).write_text(text)
    sys.path.insert(0, str(into))
    return importlib.import_module("moasha_baseline.incremental")


def run_rung(points: list[list[float]]) -> list[int]:
    rung = moasha.NonDominatedPriority().make_rung(1, (1, 3))
    times = []
    for point in points:
        t0 = clock()
        rung.add(point)
        times.append(clock() - t0)
    return times


def run_scheduler(name: str, n: int) -> tuple[list[int], list[int]]:
    """``multiobjective_methods.measure``'s study: per ``on_trial_result``, its trial, its time."""
    make, epochs, _ = methods.SCHEDULERS[name]
    scheduler = make()
    three = "size" in scheduler.metrics
    at, ns = [], []
    for started in range(n):
        trial = Trial(started, scheduler.suggest(started).config, TrialStatus.RUNNING)
        scheduler.on_trial_add(trial)
        base = methods.objective(trial.config, methods.MIXED_SPACE) - 1.0
        base_cost = methods.cost(trial.config, methods.MIXED_SPACE) - 0.01
        extra = {"size": methods.size_objective(trial.config)} if three else {}
        for epoch in range(1, epochs + 1):
            result = {"epoch": epoch, "loss": base + epoch**-0.5, "cost": base_cost + 0.01 * epoch}
            result.update(extra)
            t0 = clock()
            decision = scheduler.on_trial_result(trial, result)
            ns.append(clock() - t0)
            at.append(started)
            if epoch == epochs:
                scheduler.on_trial_complete(trial, result)
            elif decision is Decision.STOP:
                break
    return at, ns


def least(runs: dict[str, list[int]], side: str, times: list[int]) -> None:
    old = runs.get(side)
    runs[side] = times if old is None else [min(a, b) for a, b in zip(old, times, strict=True)]


def stats(ns: list[int], lo: int, hi: int) -> dict[str, float]:
    window = ns[lo:hi]
    return {
        "mean": round(statistics.fmean(window) / 1e3, 2),
        "median": round(statistics.median(window) / 1e3, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="git revision of 'before'")
    parser.add_argument("--sizes", nargs="+", type=int, default=[1000, 10000, 100000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--rungs",
        nargs="*",
        default=[f"{d}:{kind}" for d in (2, 3) for kind in moasha_rungs.STREAMS],
        help="objectives:stream pairs (none: no rungs)",
    )
    parser.add_argument("--schedulers", nargs="*", default=["MOASHA", "MOASHA-3"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before = baseline_module(args.baseline, pathlib.Path(tmp))
        sides = {"before": before.QuantileFronts, "after": current.QuantileFronts}
        out: dict = {
            "python": platform.python_version(),
            "baseline": args.baseline,
            "clock": "thread",
            "repeat": args.repeat,
        }
        n = max(args.sizes)
        for spec in args.rungs:
            d, kind = spec.split(":")
            points = moasha_rungs.stream(kind, n, int(d))
            runs: dict[str, list[int]] = {}
            for r in range(args.repeat):
                for side in ("before", "after") if r % 2 == 0 else ("after", "before"):
                    moasha.QuantileFronts = sides[side]
                    least(runs, side, run_rung(points))
            out[f"rung, {d} objectives, {kind}"] = {
                size: {
                    side: {
                        **stats(times, int(0.9 * size), size),
                        "mean_all": round(statistics.fmean(times[:size]) / 1e3, 2),
                    }
                    for side, times in runs.items()
                }
                for size in args.sizes
            }
            print(spec, "done", file=sys.stderr, flush=True)
        for name in args.schedulers:
            runs, trials = {}, None
            for r in range(args.repeat):
                for side in ("before", "after") if r % 2 == 0 else ("after", "before"):
                    moasha.QuantileFronts = sides[side]
                    at, times = run_scheduler(name, n)
                    if trials is not None and at != trials:
                        raise RuntimeError(f"{name}: the calls differ between runs")
                    trials = at
                    least(runs, side, times)
            assert trials is not None
            row = {}
            for size in args.sizes:
                lo = bisect.bisect_left(trials, int(0.9 * size))
                hi = bisect.bisect_left(trials, size)
                row[size] = {side: stats(times, lo, hi) for side, times in runs.items()}
            out[f"scheduler {name}"] = row
            print(name, "done", file=sys.stderr, flush=True)
        moasha.QuantileFronts = current.QuantileFronts
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
