"""Time to compute and draw the plots of large studies (PNG, matplotlib's Agg): training curves
of 100,000 results (1,000 trials x 100 reports), best-so-far of 100,000 results, parallel
coordinates of 10,000 trials. Median of ``--repeat`` runs each; the target is the ceiling the
test suite used to assert (15 s), which a loaded CI machine made a flaky test.

    python benchmarks/viz.py            # JSON: seconds per plot, and the targets
    python benchmarks/viz.py --repeat 1
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from tunesmith import choice, loguniform, randint
from tunesmith.viz import (
    best_so_far,
    parallel_coordinates,
    plot_best_so_far,
    plot_parallel_coordinates,
    plot_training_curves,
    training_curves,
)
from tunesmith.viz.best import TIME_KEY

TARGET_S = 15.0


def curves() -> None:
    records = [
        {"trial_id": t, "status": "completed", "epoch": e, "loss": 1.0 / e + t * 1e-3}
        for t in range(1000)
        for e in range(1, 101)
    ]
    data = training_curves(records, "loss", "epoch")
    assert data.num_points == 100_000
    plot_training_curves(data).savefig(io.BytesIO(), format="png")


def best() -> None:
    values = np.random.default_rng(0).random(100_000).tolist()
    records = [{"trial_id": i % 500, TIME_KEY: float(i), "loss": v} for i, v in enumerate(values)]
    data = best_so_far(records, "loss")
    assert data.best[-1] == min(values)
    plot_best_so_far(data).savefig(io.BytesIO(), format="png")


def parallel() -> None:
    space = {"lr": loguniform(1e-4, 1.0), "act": choice(["relu"]), "n": randint(0, 10)}
    rng = np.random.default_rng(0)
    trials = [
        {
            "trial_id": i,
            "status": "completed",
            "config": {
                "lr": float(10 ** rng.uniform(-4, 0)),
                "act": "relu",
                "n": int(rng.integers(11)),
            },
            "last_result": {"loss": float(rng.random())},
        }
        for i in range(10_000)
    ]
    data = parallel_coordinates(trials, "loss", config_space=space)
    assert data.values.shape[0] == 10_000
    plot_parallel_coordinates(data).savefig(io.BytesIO(), format="png")


def _median_s(fn: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "curves_100k_results_s": _median_s(curves, args.repeat),
        "best_so_far_100k_results_s": _median_s(best, args.repeat),
        "parallel_10k_trials_s": _median_s(parallel, args.repeat),
        "targets": {
            "curves_100k_results_s": TARGET_S,
            "best_so_far_100k_results_s": TARGET_S,
            "parallel_10k_trials_s": TARGET_S,
        },
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
