"""Automatic termination on the quality benchmark: how many evaluations a stopper saves, and
how much of the run's regret improvement it gives up (issue 20, item 5).

Each run is a Tuner on the SimulatorBackend (one worker, so trial n is the n-th evaluation; the
table seed is drawn per trial, as in a real noisy run) with a budget of ``--evaluations`` trials.
The stopper watches the run and records the first trial count at which it says stop, but the
run goes on to the budget: the searchers do not depend on the stopper, so the stopped run is
exactly the first trials of the full one (tests/test_termination.py checks that a stopped run
ends there). Regret after n trials: the seed-averaged table value (at the largest fidelity) of
the config with the best observed value among the first n, minus the table's best.

Per dataset, method and stopper (over the seeds):
* ``saved``: 1 - mean(trials at the stop) / budget (runs that never stop count the budget);
* ``lost``: (mean regret at the stop - mean final regret) / |mean regret after the first
  trial - mean final regret|, the share of the full run's regret improvement given up
  (negative: the stopped runs ended with less regret than the full ones; the incumbent is
  picked by its noisy observed value, so a run's regret can rise);
* ``lost_interval``: its 95 % bootstrap interval over the runs;
* ``lost_per_run``: the median of that share per run; ``never_stopped``: runs that ran to the
  budget;
* ``fixed_stops``, per dataset and method: the same ``saved`` and ``lost`` for a stop of every
  run at trial 10, 20, ..., and ``below_noise``, the fraction of runs whose regret is then
  below the noise (where a stopper that keeps its promise may stop): what no stopper can beat
  on average without knowing the run's future.

    python benchmarks/termination.py --seeds 20 --methods RandomSearch > termination-rs.json
    python benchmarks/termination.py --seeds 20 --methods BayesianOptimization \
        --stoppers ImprovementStopper --runs bo-runs.json > termination-bo.json

``--replay bo-runs.json --calibration`` checks the regret bound against the regret it bounds
(:func:`calibration`).

A stopper decides on the completed trials alone, so ``--replay bo-runs.json`` finds where other
stoppers (or settings: ``RegretBoundStopper:standardize`` is one with that
``target_transform``) would have stopped the same runs, without running them again.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

DATASETS = ["mlp-digits", "gbm-breast_cancer", "fcnet-naval", "fcnet-protein"]
METHODS = ["BayesianOptimization", "RandomSearch"]
STOPPERS = ["RegretBoundStopper", "ImprovementStopper"]


def table_noise(dataset: str) -> float:
    """The objective's noise near the optimum: the standard deviation over the table's seeds,
    averaged over its best 5 % of configs (of up to 3,000 drawn with seed 0). It stands for
    what a user knows of their objective (the spread of a cross-validation estimate, as in
    Makarova et al.): the stoppers get it as ``threshold`` with ``--noise table``."""
    import numpy as np

    from tunesmith import bench

    table = bench.load(dataset)
    configs = table.configurations()
    rng = np.random.default_rng(0)
    rows = rng.choice(len(configs), size=min(len(configs), 3000), replace=False)
    values = np.array(
        [
            [table.evaluate(configs[i], seed=s)[table.objective] for s in range(table.num_seeds)]
            for i in rows
        ]
    )
    mean = values.mean(axis=1) * (1.0 if table.mode == "min" else -1.0)
    best = np.argsort(mean)[: max(10, len(mean) // 20)]
    return float(values[best].std(axis=1, ddof=1).mean())


def _stopper(name: str, blackbox, threshold: float | None):
    """``name``: a stopper's class name, for ``RegretBoundStopper`` optionally followed by
    ``:`` and its ``target_transform`` (``RegretBoundStopper:standardize``), its ``beta``
    (``RegretBoundStopper:beta=3``; ``beta=paper`` or ``beta=schedule``: the paper's growing
    schedule, ``beta="schedule"``), its ``incumbent`` (``RegretBoundStopper:incumbent=model``)
    or its ``top_fraction`` (``RegretBoundStopper:top_fraction=1.0``)."""
    from tunesmith import ImprovementStopper, RegretBoundStopper

    cls_name, _, option = name.partition(":")
    cls = {"RegretBoundStopper": RegretBoundStopper, "ImprovementStopper": ImprovementStopper}[
        cls_name
    ]
    extra: dict = {}
    if option.startswith("beta="):
        value = option.removeprefix("beta=")
        extra["beta"] = "schedule" if value in ("paper", "schedule") else float(value)
    elif option.startswith("incumbent="):
        extra["incumbent"] = option.removeprefix("incumbent=")
    elif option.startswith("top_fraction="):
        extra["top_fraction"] = float(option.removeprefix("top_fraction="))
    elif option:
        extra["target_transform"] = option
    return cls(
        blackbox.config_space,
        metric=blackbox.objective,
        mode=blackbox.mode,
        threshold=threshold,
        **extra,
    )


class _Watch:
    """Asks each stopper after every event, records when it first says stop, never stops."""

    def __init__(self, stoppers):
        self.stoppers = stoppers
        self.stopped_at: dict[str, int | None] = {name: None for name in stoppers}
        self.seconds = dict.fromkeys(stoppers, 0.0)

    def __call__(self, status) -> bool:
        for name, stopper in self.stoppers.items():
            if self.stopped_at[name] is None:
                t0 = time.perf_counter()
                if stopper(status):
                    self.stopped_at[name] = status.num_trials_completed
                self.seconds[name] += time.perf_counter() - t0
        return False


def one_run(args: tuple[str, str, int, int, list[str], float | None]) -> dict:
    method, dataset, seed, evaluations, stoppers, threshold = args
    from tunesmith import bench
    from tunesmith.backends.simulator import SimulatorBackend
    from tunesmith.experiments import make_method
    from tunesmith.experiments.runner import SCHEDULER_SEED_OFFSET, load_benchmark
    from tunesmith.stopping import StoppingCriterion
    from tunesmith.tuner import Tuner

    blackbox = load_benchmark(dataset)
    _, optimum = bench.load(dataset).best()  # the table's (a surrogate answers off it)
    sign = 1.0 if blackbox.mode == "min" else -1.0
    watch = _Watch({name: _stopper(name, blackbox, threshold) for name in stoppers})
    limit = StoppingCriterion(max_num_trials_completed=evaluations)
    t0 = time.perf_counter()
    result = Tuner(
        SimulatorBackend(blackbox, seed=seed),
        make_method(method, blackbox, seed + SCHEDULER_SEED_OFFSET),
        lambda status: limit(status) or watch(status),
        n_workers=1,
        verbose=0,
        storage="memory",
        callbacks=list(watch.stoppers.values()),
        name=f"termination.{dataset}.{method}.{seed}",
    ).run()
    seconds = time.perf_counter() - t0
    trials = [result.trials[i] for i in sorted(result.trials)]
    scored = [t for t in trials if t.last_result and blackbox.objective in t.last_result]
    regret, best, incumbent = [], None, None
    for trial in scored:  # regret after each trial
        value = sign * trial.last_result[blackbox.objective]
        if best is None or value < best:
            best = value
            mean = blackbox.evaluate(trial.config)[blackbox.objective]
            incumbent = max(sign * (mean - optimum), 0.0)
        regret.append(incumbent)
    return {
        "method": method,
        "dataset": dataset,
        "seed": seed,
        "trials": len(scored),
        "regret": regret,
        "configs": [t.config for t in scored],
        "values": [t.last_result[blackbox.objective] for t in scored],
        "stopped_at": watch.stopped_at,
        "stopper_seconds": {k: round(v, 2) for k, v in watch.seconds.items()},
        "seconds": round(seconds, 2),
    }


def replay(args: tuple[dict, list[str], float | None]) -> dict:
    """Where ``stoppers`` would have stopped ``run`` (one of ``one_run``'s results): each is
    asked after every completed trial but the last, as in the live run (where the budget ends
    the run at the last), and decides on the completed trials alone, so the answer is the
    live one."""
    run, stoppers, threshold = args
    from tunesmith.experiments.runner import load_benchmark

    blackbox = load_benchmark(run["dataset"])
    sign = 1.0 if blackbox.mode == "min" else -1.0
    trials = [
        (dict(config), sign * float(value), None)
        for config, value in zip(run["configs"], run["values"], strict=True)
    ]
    run = dict(
        run, stopped_at=dict(run["stopped_at"]), stopper_seconds=dict(run["stopper_seconds"])
    )
    for name in stoppers:
        stopper = _stopper(name, blackbox, threshold)
        t0 = time.perf_counter()
        run["stopped_at"][name] = next(
            (
                n
                for n in range(stopper.min_trials, len(trials))
                # the decision the criterion takes after n completed trials
                if stopper._decide(trials[:n])
            ),
            None,
        )
        run["stopper_seconds"][name] = round(time.perf_counter() - t0, 2)
    return run


def _groups(runs: list[dict]) -> dict:
    """The runs by (dataset, method)."""
    groups: dict = {}
    for run in runs:
        groups.setdefault((run["dataset"], run["method"]), []).append(run)
    return groups


def _stop_of(name: str):
    """A run's trial count at the stop ``name`` said (the budget where it never said stop)."""
    return lambda run: run["stopped_at"][name] or len(run["regret"])


def _lost(group: list[dict], stop) -> float:
    """The share of the runs' mean regret improvement (from the first trial to the last) that
    stopping each run after ``stop(run)`` trials gives up."""
    first = statistics.mean(r["regret"][0] for r in group)
    final = statistics.mean(r["regret"][-1] for r in group)
    at_regret = statistics.mean(r["regret"][stop(r) - 1] for r in group)
    gain = first - final
    return (at_regret - final) / abs(gain) if gain else 0.0


def _interval(group: list[dict], stop, draws: int = 2000) -> list[float]:
    """95 % bootstrap interval of :func:`_lost` over the runs (resampled with replacement)."""
    rng = random.Random(0)
    shares = sorted(_lost([rng.choice(group) for _ in group], stop) for _ in range(draws))
    return [shares[int(0.025 * draws)], shares[int(0.975 * draws) - 1]]


def fixed_stops(group: list[dict], noise: float | None, every: int = 10) -> dict:
    """What stopping every run of ``group`` at one fixed trial count would give, for every
    ``every``-th count below the budget: the share saved and lost (as for a stopper, with its
    interval), and the fraction of runs whose regret is then below ``noise`` (where a stopper
    that keeps its promise may stop)."""
    budget = min(len(r["regret"]) for r in group)
    out = {}
    for n in range(every, budget, every):
        row = {
            "saved": round(1.0 - n / budget, 3),
            "lost": round(_lost(group, lambda run, n=n: n), 3),
            "lost_interval": [round(x, 3) for x in _interval(group, lambda run, n=n: n)],
        }
        if noise is not None:
            below = statistics.mean(r["regret"][n - 1] < noise for r in group)
            row["below_noise"] = round(below, 2)
        out[n] = row
    return out


def summarize(
    runs: list[dict], evaluations: int, stoppers: list[str], noise: dict | None = None
) -> dict:
    out: dict = {}
    for (dataset, method), group in _groups(runs).items():
        first = statistics.mean(r["regret"][0] for r in group)
        final = statistics.mean(r["regret"][-1] for r in group)
        out.setdefault(dataset, {}).setdefault(method, {})["fixed_stops"] = fixed_stops(
            group, (noise or {}).get(dataset)
        )
        for name in stoppers:
            stop = _stop_of(name)
            at = [stop(r) for r in group]
            at_regret = [r["regret"][n - 1] for r, n in zip(group, at, strict=True)]
            # divided by the size of the full run's change: a run whose regret rose (its
            # incumbent, picked by a noisy value, is worse than an earlier one) and that
            # stopped before the rise has a negative share (the stop did better)
            per_run = [
                (r["regret"][n - 1] - r["regret"][-1]) / abs(r["regret"][0] - r["regret"][-1])
                for r, n in zip(group, at, strict=True)
                if r["regret"][0] != r["regret"][-1]
            ]
            out.setdefault(dataset, {}).setdefault(method, {})[name] = {
                "saved": round(1.0 - statistics.mean(at) / evaluations, 3),
                "lost": round(_lost(group, stop), 3),
                "lost_interval": [round(x, 3) for x in _interval(group, stop)],
                "lost_per_run": round(statistics.median(per_run), 3) if per_run else 0.0,
                "never_stopped": sum(r["stopped_at"][name] is None for r in group),
                "mean_stop": round(statistics.mean(at), 1),
                "regret_first_stop_final": [
                    round(first, 5),
                    round(statistics.mean(at_regret), 5),
                    round(final, 5),
                ],
                "stopper_seconds_per_run": round(
                    statistics.mean(r["stopper_seconds"][name] for r in group), 2
                ),
            }
    return out


def calibration(
    runs: list[dict], noise: dict, at: tuple[int, ...] = (20, 30, 40, 60), limit: int = 30
) -> dict:
    """Whether the default ``RegretBoundStopper``'s bound holds the regret it bounds: for the
    first ``limit`` runs of each dataset and method, after each count of ``at`` trials, the
    bound, the regret of the observed best (what the bound is on) and its observed value (the
    metric, as the searcher saw it), means over the runs, and the fraction of the runs whose
    regret is above the bound."""
    from tunesmith import bench
    from tunesmith.experiments.runner import load_benchmark

    out: dict = {}
    for (dataset, method), group in _groups(runs).items():
        blackbox = load_benchmark(dataset)
        sign = 1.0 if blackbox.mode == "min" else -1.0
        stopper = _stopper("RegretBoundStopper", blackbox, noise.get(dataset))
        rows: dict = {n: {"bound": [], "regret": [], "observed": []} for n in at}
        for run in sorted(group, key=lambda r: r["seed"])[:limit]:
            values = [sign * float(v) for v in run["values"]]
            for n in at:
                if n > len(values):
                    continue
                rows[n]["bound"].append(stopper.regret_bound(run["configs"][:n], values[:n])[0])
                rows[n]["regret"].append(run["regret"][n - 1])
                rows[n]["observed"].append(sign * min(values[:n]))
        figures = {
            n: {
                "bound": round(statistics.mean(row["bound"]), 5),
                "regret": round(statistics.mean(row["regret"]), 5),
                "observed_best": round(statistics.mean(row["observed"]), 5),
                "regret_above_bound": round(
                    statistics.mean(
                        r > b for r, b in zip(row["regret"], row["bound"], strict=True)
                    ),
                    2,
                ),
            }
            for n, row in rows.items()
            if row["bound"]
        }
        figures["table_best"] = bench.load(dataset).best()[1]
        figures["runs"] = min(limit, len(group))
        out.setdefault(dataset, {})[method] = figures
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--evaluations", type=int, default=100)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--stoppers", default=",".join(STOPPERS))
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument(
        "--noise",
        choices=["table", "estimated"],
        default="table",
        help="the stoppers' noise level: the table's seed spread near its optimum (threshold), "
        "or their own estimates (the GP's noise; nearby configs)",
    )
    parser.add_argument("--runs", help="also write every run's figures to this JSON file")
    parser.add_argument(
        "--replay",
        help="instead of running, read the runs of an earlier --runs file (the seeds, methods "
        "and datasets selected) and find where --stoppers would have stopped them",
    )
    parser.add_argument(
        "--calibration",
        action="store_true",
        help="with --replay: instead of stops, check the default RegretBoundStopper's bound "
        "against the regret it bounds on the first 30 runs (see calibration())",
    )
    args = parser.parse_args(argv)
    if args.calibration and not args.replay:
        parser.error("--calibration reads the runs of --replay RUNS.json")
    stoppers = args.stoppers.split(",")
    datasets = args.datasets.split(",")
    methods = args.methods.split(",")
    noise = {d: table_noise(d) if args.noise == "table" else None for d in datasets}
    if args.replay:
        with open(args.replay) as f:
            earlier = [
                r
                for r in json.load(f)
                if r["dataset"] in datasets and r["method"] in methods and r["seed"] < args.seeds
            ]
        if args.calibration:
            figures = {"noise": noise, "calibration": calibration(earlier, noise)}
            print(json.dumps(figures, indent=2))
            return figures
        work, jobs = replay, [(r, stoppers, noise[r["dataset"]]) for r in earlier]
    else:
        work = one_run
        jobs = [
            (m, d, s, args.evaluations, stoppers, noise[d])
            for d in datasets
            for m in methods
            for s in range(args.seeds)
        ]
    t0 = time.perf_counter()
    if args.processes == 1:
        runs = [work(job) for job in jobs]
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(args.processes, mp_context=ctx) as pool:
            runs = list(pool.map(work, jobs))
    if args.runs:
        with open(args.runs, "w") as f:
            json.dump(runs, f)
    figures = {
        "seeds": args.seeds,
        "evaluations": args.evaluations,
        "noise": noise,
        "results": summarize(runs, args.evaluations, stoppers, noise),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
