"""Decision cost of the multi-objective methods (issue 19, item 3), and a first quality figure.

Cost: each scheduler is driven ask/tell-style as in ``benchmarks/overhead.py`` (one simulated
worker, no tuner) on ``MIXED_SPACE`` with two conflicting objectives, ``loss`` and ``cost``
(``tunesmith.testing.spaces.objective`` and ``cost``, learning curves over 9 epochs);
``MOASHA-3`` adds a third, ``size`` (the distance of the encoded config from 0.55, constant over
epochs). Every ``suggest()`` and ``on_trial_result()`` call is timed with the calling thread's
CPU time (``--clock wall``: ``time.perf_counter_ns``); the figures at N trials are over the
calls made while the study had between 0.9 N and N trials: median, 90th percentile, mean, and
for MOASHA the mean of the calls that recorded a value at a rung (the decisions that rank).

    python benchmarks/multiobjective_methods.py                       # cost, JSON
    python benchmarks/multiobjective_methods.py --only MOASHA MOASHA-3 --trials 1000 10000 100000
    python benchmarks/multiobjective_methods.py --quality --seeds 20  # hypervolume vs random
    python benchmarks/multiobjective_methods.py --tabular mlp-digits-cost gbm-breast_cancer-cost
    python benchmarks/multiobjective_methods.py --tabular mlp-digits-cost --methods MOTPE

Tables (``--tabular``): the two-objective tables of ``tunesmith.bench`` (``val_error`` and
``train_cost``), every method restricted to the table's configs, 4 workers on the simulator
for a simulated time of ``--budget-full`` (40) median full trainings; each result is scored by
the table's seed-averaged values at its fidelity, and the figure is the hypervolume regret
(1 - HV / HV of the table's own front, reference point just beyond the front's nadir, as
``tunesmith bench`` measures it) at a quarter, half and all of the budget, mean and 95%
bootstrap interval over the seeds.

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

from tunesmith import RandomSearch, TunerCallback, uniform
from tunesmith.schedulers import (
    EHVI,
    MOASHA,
    MOREA,
    MOTPE,
    NSGA2,
    LinearScalarizationPriority,
    LinearScalarizedScheduler,
    MOLinearScalarizationBayesOpt,
    MORandomScalarizationBayesOpt,
)
from tunesmith.testing.spaces import MIXED_SPACE, cost, objective
from tunesmith.trial import Decision, Trial, TrialStatus

MORSBO = MORandomScalarizationBayesOpt
METRIC = ["loss", "cost"]
METRIC3 = ["loss", "cost", "size"]
SMALL, LARGE = [100, 1000, 10000], [1000, 10000, 100000]

#: name -> (make the scheduler, epochs per full trial, default study sizes)
SCHEDULERS: dict[str, tuple[Callable[[], object], int, list[int]]] = {
    "MOASHA": (lambda: MOASHA(MIXED_SPACE, metric=METRIC, random_seed=0), 9, LARGE),
    "MOASHA-3": (lambda: MOASHA(MIXED_SPACE, metric=METRIC3, random_seed=0), 9, LARGE),
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
    "MOTPE": (lambda: MOTPE(MIXED_SPACE, metric=METRIC, random_seed=0), 1, [200, 1000]),
}


def size_objective(config: dict) -> float:
    """A third objective for MOASHA-3: the encoded config's distance from 0.55."""
    total = 0.0
    for name, domain in MIXED_SPACE.items():
        if hasattr(domain, "encode"):
            total += sum(abs(v - 0.55) for v in domain.encode(config[name]))
    return total


def measure(
    make: Callable[[], object], sizes: list[int], epochs: int, clock=time.thread_time_ns
) -> dict:
    scheduler = make()
    n = max(sizes)
    three = "size" in getattr(scheduler, "metrics", ())
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
        extra = {"size": size_objective(trial.config)} if three else {}
        for epoch in range(1, epochs + 1):
            result = {"epoch": epoch, "loss": base + epoch**-0.5, "cost": base_cost + 0.01 * epoch}
            result.update(extra)
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
    "MOTPE": lambda s: MOTPE(ZDT_SPACE, metric=["f1", "f2"], random_seed=s),
    "EHVI": lambda s: EHVI(ZDT_SPACE, metric=["f1", "f2"], random_seed=s),
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


def bootstrap(values: list[float], rng: np.random.Generator, digits: int = 3) -> list[float]:
    means = rng.choice(values, size=(2000, len(values))).mean(axis=1)
    low, high = np.quantile(means, 0.025), np.quantile(means, 0.975)
    return [round(float(low), digits), round(float(high), digits)]


# -- tabulated benchmarks with two objectives --------------------------------------------------
def tabular_methods(blackbox: object, seed: int) -> dict[str, Callable[[], object]]:
    """The methods compared on a table, each restricted to the table's configs; on a table
    without a fidelity (``fcnet-*-size``, ``nas201-*-latency``), the multi-fidelity ones
    (MOASHA, LinearScalarized-ASHA) are left out."""
    from tunesmith.searchers import RandomSearcher

    space = blackbox.config_space
    configs = blackbox.configurations()
    metric, mode = list(blackbox.objectives), list(blackbox.mode)
    fidelity = blackbox.fidelity_name is not None
    resource = (
        {"resource_attr": blackbox.fidelity_name, "max_t": int(blackbox.fidelities[-1])}
        if fidelity
        else {}
    )

    def restricted_random() -> RandomSearcher:
        return RandomSearcher(space, restrict_configurations=configs, random_seed=seed)

    common = {"metric": metric, "mode": mode, "restrict_configurations": configs}
    # the scalarizations' weights: 1 / the median of each objective over (up to) 200 of the
    # table's configs at full fidelity, the scale a user would divide by (equal weights would
    # let the objective with the larger unit decide alone)
    evaluated = [blackbox.evaluate(c) for c in configs[:200]]
    weights = [1.0 / (float(np.median([abs(e[m]) for e in evaluated])) or 1.0) for m in metric]
    methods = {
        "RandomSearch": lambda: RandomSearch(space, random_seed=seed, **common),
        "MOASHA": lambda: MOASHA(
            space, metric=metric, mode=mode, searcher=restricted_random(), **resource
        ),
        "NSGA2": lambda: NSGA2(space, random_seed=seed, **common),
        "MOREA": lambda: MOREA(
            space, population_size=20, sample_size=5, random_seed=seed, **common
        ),
        # other populations / samples: Syne Tune's 100 / 10, and MOREA's default, 30 / 10
        "MOREA-100/10": lambda: MOREA(
            space, population_size=100, sample_size=10, random_seed=seed, **common
        ),
        "MOREA-30/10": lambda: MOREA(
            space, population_size=30, sample_size=10, random_seed=seed, **common
        ),
        "MORandomScalarizationBayesOpt": lambda: MORandomScalarizationBayesOpt(
            space, random_seed=seed, **common
        ),
        "MOTPE": lambda: MOTPE(space, random_seed=seed, **common),
        "EHVI": lambda: EHVI(space, random_seed=seed, **common),
        # the GPs on other transforms of the objectives (see docs/multiobjective.md)
        **{
            f"{name}:{kind}": lambda cls=cls, kind=kind: cls(
                space, random_seed=seed, target_transform=kind, **common
            )
            for name, cls in (("EHVI", EHVI), ("MORandomScalarizationBayesOpt", MORSBO))
            for kind in ("standardize", "yeo-johnson")
        },
        "LinearScalarized-ASHA": lambda: LinearScalarizedScheduler(
            space,
            metric=metric,
            mode=mode,
            scalarization_weights=weights,
            base_scheduler="ASHA",
            searcher=restricted_random(),
            **resource,
        ),
        "MOLinearScalarizationBayesOpt": lambda: MOLinearScalarizationBayesOpt(
            space, scalarization_weights=weights, random_seed=seed, **common
        ),
    }
    if not fidelity:
        del methods["MOASHA"], methods["LinearScalarized-ASHA"]
    return methods


def noise_free_metrics(blackbox: object, config: dict, result: dict) -> dict:
    from tunesmith.experiments.compare import noise_free_metrics as scored

    return scored(blackbox, config, result)


class _Clock(TunerCallback):
    """A tuner callback recording each result's objectives and the simulated time it came at."""

    def __init__(self, blackbox: object, metrics: list[str]):
        self.blackbox, self.metrics, self.tuner = blackbox, metrics, None
        self.points: list[list[float]] = []
        self.times: list[float] = []

    def on_trial_result(self, trial, result, decision) -> None:
        # scored without the seed's noise (the table's values averaged over its seeds, at the
        # result's fidelity), as `tunesmith bench` scores runs
        scored = noise_free_metrics(self.blackbox, trial.config, result)
        if all(m in scored for m in self.metrics):
            self.points.append([float(scored[m]) for m in self.metrics])
            self.times.append(float(self.tuner.elapsed))


def run_tabular(
    name: str, seeds: int, budget_full: float, n_workers: int, methods: list[str] | None = None
) -> dict:
    """Hypervolume regret (``1 - HV / HV of the table's front``, reference point just beyond
    the front's nadir: tunesmith.experiments.compare.hypervolume_reference) of every result
    reported, at a quarter, half and all of a simulated-time budget of ``budget_full`` times
    the median full training time per worker. ``methods``: those to run (default: all)."""
    from tunesmith import StoppingCriterion, Tuner, bench
    from tunesmith.backends.simulator import SimulatorBackend
    from tunesmith.experiments.compare import hypervolume_reference
    from tunesmith.multiobjective import hypervolume

    blackbox = bench.load(name)
    reference = hypervolume_reference(name)
    full = [blackbox.evaluate(c)[blackbox.time_attr] for c in blackbox.configurations()[:200]]
    budget = budget_full * float(np.median(full))
    checkpoints = [budget / 4, budget / 2, budget]
    out: dict = {"budget_seconds": round(budget, 3), "n_workers": n_workers, "methods": {}}
    rng = np.random.default_rng(0)
    available = tabular_methods(blackbox, 0)
    left_out = [m for m in methods or () if m not in available]
    if left_out:
        print(f"{name}: {left_out} cannot run on this table (no fidelity)", file=sys.stderr)
    for method in available:
        if methods and method not in methods:
            continue
        regrets = []
        for seed in range(seeds):
            scheduler = tabular_methods(blackbox, seed)[method]()
            clock = _Clock(blackbox, reference.metrics)
            tuner = Tuner(
                SimulatorBackend(blackbox, seed=seed),
                scheduler,
                StoppingCriterion(max_wallclock_time=budget),
                n_workers=n_workers,
                storage="memory",
                verbose=0,
                callbacks=[clock],
            )
            clock.tuner = tuner
            tuner.run()
            points = np.array(clock.points, dtype=float).reshape(-1, len(reference.metrics))
            points = points * reference.signs
            times = np.array(clock.times)
            row = []
            for t in checkpoints:
                seen = points[times <= t]
                seen = seen[np.all(seen < reference.point, axis=1)]
                volume = hypervolume(seen, reference.point) if len(seen) else 0.0
                row.append(1.0 - volume / reference.best)
            regrets.append(row)
        values = np.array(regrets)
        out["methods"][method] = {
            f"regret_at_{share}": {
                "mean": round(float(values[:, k].mean()), 4),
                "interval_95": bootstrap(values[:, k].tolist(), rng, digits=4),
            }
            for k, share in enumerate(("quarter", "half", "end"))
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(SCHEDULERS))
    parser.add_argument("--trials", nargs="+", type=int)
    parser.add_argument("--clock", choices=("thread", "wall"), default="thread")
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budget", type=int, default=900, help="epochs per run (--quality)")
    parser.add_argument("--tabular", nargs="+", help="two-objective tables to compare on")
    parser.add_argument(
        "--methods", nargs="+", help="--tabular, --quality: the methods to run (default: all)"
    )
    parser.add_argument(
        "--budget-full",
        type=float,
        default=40.0,
        help="--tabular: simulated time, in median full trainings per worker",
    )
    args = parser.parse_args()
    out: dict = {"python": platform.python_version(), "machine": platform.machine()}
    if args.tabular:
        for name in args.tabular:
            out[name] = run_tabular(
                name, args.seeds, args.budget_full, n_workers=4, methods=args.methods
            )
    elif args.quality:
        rng = np.random.default_rng(0)
        table = {}
        for name, make in QUALITY.items():
            if args.methods and name not in args.methods:
                continue
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
            clock = time.thread_time_ns if args.clock == "thread" else time.perf_counter_ns
            out[name] = measure(make, args.trials or sizes, epochs, clock)
    json.dump(out, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
