"""Transfer learning on a related task: RUSH vs ASHA, ASHA-CTS vs ASHA, BoundingBox vs random
search and ZeroShotTransfer vs random search, over seeds, on the generated tables.

Target task: ``gbm-breast_cancer-loss`` (gradient boosting on scikit-learn's breast_cancer,
val_loss over 81 trees). Earlier task: the same model family and the same 1,024 configs
(``tunesmith.bench.build`` samples them from the same space with the same seed) trained on
another scikit-learn dataset, wine (``gbm-wine``, built here on first use and cached: about 3
minutes on one core). Every method is restricted to the table's configs and runs in the
simulator with 4 workers until ``--budget`` simulated seconds have passed; the figure is the
best val_loss reached (the table's mean over seeds at 81 trees). Prints JSON: per method the
mean and a 95 % bootstrap interval of the final value, and per pair the mean paired difference
(transfer minus baseline, with its interval) and how many seeds the transfer method won.

    python benchmarks/transfer.py --seeds 20
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from tunesmith import bench
from tunesmith.backends.simulator import SimulatorBackend
from tunesmith.bench import build as build_module
from tunesmith.bench.catalogue import loss_variant
from tunesmith.bench.tabular import TabularBlackbox
from tunesmith.schedulers import ASHA, ASHACTS, RUSH, BoundingBox, RandomSearch, ZeroShotTransfer
from tunesmith.searchers import TransferLearningTaskEvaluations
from tunesmith.stopping import StoppingCriterion
from tunesmith.tuner import Tuner

#: where the earlier task's table is cached (ignored by git)
CACHE = Path(os.environ.get("TUNESMITH_HOME", "tunesmith-results")) / "bench-cache"


def _wine():
    from sklearn.datasets import load_wine

    x, y = load_wine(return_X_y=True)
    return build_module._split(x, y)


def earlier_table(n_seeds: int) -> TabularBlackbox:
    """gbm on wine, the same configs as gbm-breast_cancer (built once, then read from disk)."""
    path = CACHE / f"gbm-wine-{n_seeds}.npz"
    if not path.exists():
        base = build_module.BUILDERS["gbm-breast_cancer"]
        build_module.BUILDERS["gbm-wine"] = build_module.Builder(
            "gbm-wine",
            "gradient boosting on scikit-learn's wine, curves over 81 trees",
            base.space,
            "trees",
            _wine,
            base.train,
            3,
        )
        CACHE.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        build_module.build("gbm-wine", path, n_seeds=n_seeds)
        print(f"built {path} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return TabularBlackbox.load(path)


def bootstrap(values: np.ndarray, rng: np.random.Generator, n: int = 5000) -> list[float]:
    means = rng.choice(values, size=(n, len(values))).mean(axis=1)
    return [float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))]


def run_one(name: str, table: TabularBlackbox, evaluations, seed: int, budget: float) -> float:
    space = table.config_space
    configs = table.configurations()
    common = dict(metric=table.objective, mode=table.mode, random_seed=seed)
    mf = dict(resource_attr=table.fidelity_name, max_t=table.max_fidelity)
    tl = dict(transfer_learning_evaluations=evaluations)
    if name == "ASHA":
        from tunesmith.searchers import RandomSearcher

        searcher = RandomSearcher(space, random_seed=seed, restrict_configurations=configs)
        scheduler = ASHA(space, searcher=searcher, metric=table.objective, mode=table.mode, **mf)
    elif name == "RUSH":
        scheduler = RUSH(space, restrict_configurations=configs, **common, **mf, **tl)
    elif name == "ASHA-CTS":
        scheduler = ASHACTS(space, restrict_configurations=configs, **common, **mf, **tl)
    elif name == "RandomSearch":
        scheduler = RandomSearch(space, restrict_configurations=configs, **common)
    elif name == "ZeroShotTransfer":
        scheduler = ZeroShotTransfer(space, restrict_configurations=configs, **common, **tl)
    elif name == "BoundingBox":

        def inside(box, mode, metric):
            from tunesmith.space import config_errors

            kept = [c for c in configs if not config_errors(box, c)]
            return RandomSearch(
                box, metric=metric, mode=mode, random_seed=seed, restrict_configurations=kept
            )

        scheduler = BoundingBox(
            inside,
            space,
            metric=table.objective,
            mode=table.mode,
            num_hyperparameters_per_task=10,
            **tl,
        )
    else:
        raise ValueError(name)
    tuner = Tuner(
        SimulatorBackend(table, seed=seed),
        scheduler,
        StoppingCriterion(max_wallclock_time=budget),
        n_workers=4,
        storage="memory",
        verbose=0,
    )
    result = tuner.run()
    best = result.best_trial()
    return float(table.evaluate(best.config)[table.objective])  # mean over seeds at 81 trees


PAIRS = [
    ("RUSH", "ASHA"),
    ("ASHA-CTS", "ASHA"),
    ("BoundingBox", "RandomSearch"),
    ("ZeroShotTransfer", "RandomSearch"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--budget", type=float, default=4.0, help="simulated seconds")
    parser.add_argument("--earlier-seeds", type=int, default=1)
    args = parser.parse_args()
    target = loss_variant(bench.load("gbm-breast_cancer"), np.log(2), "gbm-breast_cancer-loss")
    earlier = loss_variant(earlier_table(args.earlier_seeds), np.log(3), "gbm-wine-loss")
    evaluations = {"wine": TransferLearningTaskEvaluations.from_blackbox(earlier)}
    methods = sorted({m for pair in PAIRS for m in pair})
    finals: dict[str, list[float]] = {m: [] for m in methods}
    t0 = time.perf_counter()
    for seed in range(args.seeds):
        for m in methods:
            finals[m].append(run_one(m, target, evaluations, seed, args.budget))
    rng = np.random.default_rng(0)
    out = {
        "target": "gbm-breast_cancer-loss",
        "earlier": "gbm-wine-loss (same configs, another dataset)",
        "seeds": args.seeds,
        "budget_simulated_s": args.budget,
        "n_workers": 4,
        "table_best": float(target.best()[1]),
        "methods": {},
        "pairs": {},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    for m in methods:
        v = np.array(finals[m])
        out["methods"][m] = {
            "mean": float(v.mean()),
            "ci95": bootstrap(v, rng),
            "finals": v.tolist(),
        }
    for a, b in PAIRS:
        d = np.array(finals[a]) - np.array(finals[b])
        out["pairs"][f"{a} vs {b}"] = {
            "mean_difference": float(d.mean()),
            "ci95": bootstrap(d, rng),
            "wins": int((d < 0).sum()),
            "ties": int((d == 0).sum()),
            "losses": int((d > 0).sum()),
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
