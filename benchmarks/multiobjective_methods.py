"""Decision cost of the multi-objective methods (issue 19, item 3), and a first quality figure.

Cost: each scheduler is driven ask/tell-style as in ``benchmarks/overhead.py`` (one simulated
worker, no tuner) on ``MIXED_SPACE`` with two conflicting objectives, ``loss`` and ``cost``
(``tunesmith.testing.spaces.objective`` and ``cost``, learning curves over 9 epochs). Every
``suggest()`` and ``on_trial_result()`` call is timed; the figures at N trials are over the calls
made while the study had between 0.9 N and N trials: median, 90th percentile, mean, and for
MOASHA the mean of the calls that recorded a value at a rung (the decisions that rank).

    python benchmarks/multiobjective_methods.py                       # cost, JSON
    python benchmarks/multiobjective_methods.py --only MOASHA --trials 1000 10000 100000
    python benchmarks/multiobjective_methods.py --quality --seeds 20  # hypervolume vs random

Quality (``--quality``): the *analytic* two-objective function ZDT1 (Zitzler, Deb, Thiele,
2000) on 6 continuous inputs, a full evaluation at 9 epochs, the first objective exact and the
second approached as ``g * h`` plus ``1/epoch`` of noise-free slack; every method gets the
same budget of epochs (``--budget``), one worker, and the figure is the hypervolume (reference
point ``(1.1, 11)``) of the points observed at the full 9 epochs, mean and 95% bootstrap
interval over the seeds. This is not one of the tabulated benchmarks (they expose no second
objective yet): a first figure, labelled as such.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import platform
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

from tunesmith import RandomSearch, uniform
from tunesmith.schedulers import (
    MOASHA,
    MOREA,
    NSGA2,
    LinearScalarizationPriority,
    LinearScalarizedScheduler,
    MORandomScalarizationBayesOpt,
)
from tunesmith.testing.spaces import MIXED_SPACE, cost, objective
from tunesmith.trial import Decision, Trial, TrialStatus

METRIC = ["loss", "cost"]
SMALL, LARGE = [100, 1000, 10000], [1000, 10000, 100000]

#: name -> (make the scheduler, epochs per full trial, default study sizes)
SCHEDULERS: dict[str, tuple[Callable[[], object], int, list[int]]] = {
    "MOASHA": (lambda: MOASHA(MIXED_SPACE, metric=METRIC, random_seed=0), 9, LARGE),
    "MOASHA-linear": (
        lambda: MOASHA(
            MIXED_SPACE,
            metric=METRIC,
            multiobjective_priority=LinearScalarizationPriority(),
            random_seed=0,
        ),
        9,
        LARGE,
    ),
    "NSGA2": (lambda: NSGA2(MIXED_SPACE, metric=METRIC, random_seed=0), 1, SMALL),
    "MOREA": (lambda: MOREA(MIXED_SPACE, metric=METRIC, random_seed=0), 1, SMALL),
}


def measure(make: Callable[[], object], sizes: list[int], epochs: int) -> dict:
    scheduler = make()
    n = max(sizes)
    clock = time.perf_counter_ns
    suggest_at, suggest_ns, result_at, result_ns, rung_at, rung_ns = [], [], [], [], [], []
    levels = set(getattr(scheduler, "rung_levels", []))
    for started in range(n):
        t0 = clock()
        suggestion = scheduler.suggest(started)
        suggest_ns.append(clock() - t0)
        suggest_at.append(started)
        if suggestion is None:
            break
        trial = Trial(started, suggestion.config, TrialStatus.RUNNING)
        scheduler.on_trial_add(trial)
        base = objective(trial.config, MIXED_SPACE) - 1.0
        base_cost = cost(trial.config, MIXED_SPACE) - 0.01
        for epoch in range(1, epochs + 1):
            result = {"epoch": epoch, "loss": base + epoch**-0.5, "cost": base_cost + 0.01 * epoch}
            t0 = clock()
            decision = scheduler.on_trial_result(trial, result)
            elapsed = clock() - t0
            result_ns.append(elapsed)
            result_at.append(started)
            if epoch in levels:
                rung_ns.append(elapsed)
                rung_at.append(started)
            if epoch == epochs:
                scheduler.on_trial_complete(trial, result)
            elif decision is Decision.STOP:
                break
    out = {}
    for size in sizes:
        lo = int(size * 0.9)
        row = {
            "suggest_us": _stat(suggest_at, suggest_ns, lo, size, "median"),
            "suggest_p90_us": _stat(suggest_at, suggest_ns, lo, size, "p90"),
            "on_trial_result_us": _stat(result_at, result_ns, lo, size, "median"),
            "on_trial_result_p90_us": _stat(result_at, result_ns, lo, size, "p90"),
            "on_trial_result_mean_us": _stat(result_at, result_ns, lo, size, "mean"),
        }
        if levels:
            row["rung_decision_mean_us"] = _stat(rung_at, rung_ns, lo, size, "mean")
        out[str(size)] = row
    return out


def _stat(at: list[int], ns: list[int], lo: int, hi: int, how: str) -> float | None:
    start, stop = bisect.bisect_left(at, lo), bisect.bisect_left(at, hi + 1)
    window = ns[start:stop]
    if not window:
        return None
    if how == "median":
        value = statistics.median(window)
    elif how == "mean":
        value = statistics.fmean(window)
    else:
        value = sorted(window)[int(0.9 * len(window))]
    return round(value / 1000, 2)


# -- quality --------------------------------------------------------------------------------------
ZDT_SPACE = {f"x{i}": uniform(0, 1) for i in range(6)}
ZDT_EPOCHS = 9
REFERENCE = np.array([1.1, 11.0])


def zdt1(config: dict, epoch: int) -> tuple[float, float]:
    x = np.array([config[f"x{i}"] for i in range(6)])
    f1 = float(x[0])
    g = 1.0 + 9.0 * float(x[1:].mean())
    f2 = g * (1.0 - math.sqrt(f1 / g))
    return f1, f2 + 1.0 / epoch - 1.0 / ZDT_EPOCHS


QUALITY: dict[str, Callable[[int], object]] = {
    "RandomSearch": lambda s: RandomSearch(ZDT_SPACE, metric=["f1", "f2"], random_seed=s),
    "MOASHA": lambda s: MOASHA(ZDT_SPACE, metric=["f1", "f2"], max_t=ZDT_EPOCHS, random_seed=s),
    "NSGA2": lambda s: NSGA2(ZDT_SPACE, metric=["f1", "f2"], random_seed=s),
    "MOREA": lambda s: MOREA(
        ZDT_SPACE, metric=["f1", "f2"], population_size=20, sample_size=5, random_seed=s
    ),
    "MORandomScalarizationBayesOpt": lambda s: MORandomScalarizationBayesOpt(
        ZDT_SPACE, metric=["f1", "f2"], random_seed=s
    ),
    "LinearScalarized-ASHA": lambda s: LinearScalarizedScheduler(
        ZDT_SPACE, metric=["f1", "f2"], base_scheduler="ASHA", max_t=ZDT_EPOCHS, random_seed=s
    ),
}


def run_quality(make: Callable[[int], object], seed: int, budget: int) -> float:
    """Hypervolume of the full-fidelity points after ``budget`` epochs on one worker."""
    from tunesmith.multiobjective import hypervolume

    scheduler = make(seed)
    spent, trial_id, points = 0, 0, []
    while spent < budget:
        suggestion = scheduler.suggest(trial_id)
        if suggestion is None:
            break
        trial = Trial(trial_id, suggestion.config, TrialStatus.RUNNING)
        scheduler.on_trial_add(trial)
        trial_id += 1
        for epoch in range(1, ZDT_EPOCHS + 1):
            f1, f2 = zdt1(trial.config, epoch)
            result = {"epoch": epoch, "f1": f1, "f2": f2}
            spent += 1
            decision = scheduler.on_trial_result(trial, result)
            if epoch == ZDT_EPOCHS:
                scheduler.on_trial_complete(trial, result)
                points.append((f1, f2))
            if decision is Decision.STOP or spent >= budget:
                break
    return hypervolume(np.array(points).reshape(-1, 2), REFERENCE)


def bootstrap(values: list[float], rng: np.random.Generator) -> list[float]:
    means = rng.choice(values, size=(2000, len(values))).mean(axis=1)
    return [round(float(np.quantile(means, 0.025)), 3), round(float(np.quantile(means, 0.975)), 3)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(SCHEDULERS))
    parser.add_argument("--trials", nargs="+", type=int)
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budget", type=int, default=900, help="epochs per run (--quality)")
    args = parser.parse_args()
    out: dict = {"python": platform.python_version(), "machine": platform.machine()}
    if args.quality:
        rng = np.random.default_rng(0)
        table = {}
        for name, make in QUALITY.items():
            values = [run_quality(make, seed, args.budget) for seed in range(args.seeds)]
            table[name] = {
                "hypervolume_mean": round(statistics.fmean(values), 3),
                "interval_95": bootstrap(values, rng),
                "seeds": args.seeds,
            }
        out["quality_zdt1"] = {"budget_epochs": args.budget, "reference": REFERENCE.tolist()}
        out["quality_zdt1"]["methods"] = table
    else:
        for name in args.only or SCHEDULERS:
            make, epochs, sizes = SCHEDULERS[name]
            out[name] = measure(make, args.trials or sizes, epochs)
    json.dump(out, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
