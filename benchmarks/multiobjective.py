"""Time of the multi-objective indicators (tunesmith.multiobjective) on large sets, against the
targets of issue 19: hypervolume of 100,000 2-D points under 0.1 s and of 10,000 3-D points
under 1 s, non-dominated sorting of 100,000 points under 1 s (2-D; 3-D reported too).

Each size runs on two kinds of points: uniform in the unit cube ("random": a small front,
many fronts) and mutually non-dominated ("front": on the simplex, the hardest case for the
hypervolume sweeps, whose 2-D front then holds every point). Median of ``--repeat`` runs.

    python benchmarks/multiobjective.py             # JSON: seconds, targets, within target
    python benchmarks/multiobjective.py --repeat 1
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from tunesmith.multiobjective import hypervolume, non_dominated_sort

#: name -> (what is timed, its target in seconds)
CASES: dict[str, tuple[str, float]] = {
    "hypervolume_2d_100k_random_s": ("hypervolume", 0.1),
    "hypervolume_2d_100k_front_s": ("hypervolume", 0.1),
    "hypervolume_3d_10k_random_s": ("hypervolume", 1.0),
    "hypervolume_3d_10k_front_s": ("hypervolume", 1.0),
    "non_dominated_sort_2d_100k_random_s": ("sort", 1.0),
    "non_dominated_sort_2d_100k_front_s": ("sort", 1.0),
    "non_dominated_sort_3d_100k_random_s": ("sort", 1.0),
    "non_dominated_sort_3d_100k_front_s": ("sort", 1.0),
}


def points(name: str) -> np.ndarray:
    d = 2 if "_2d_" in name else 3
    n = 100_000 if "_100k_" in name else 10_000
    values = np.random.default_rng(0).random((n, d))
    if name.endswith("_front_s"):
        values /= values.sum(axis=1, keepdims=True)
    return values


def _median_s(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    seconds: dict[str, float] = {}
    for name, (what, _) in CASES.items():
        data = points(name)
        ref = np.full(data.shape[1], 1.1)
        if what == "hypervolume":
            run = partial(hypervolume, data, ref)
        else:
            run = partial(non_dominated_sort, data)
        seconds[name] = _median_s(run, args.repeat)
    figures = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "repeat": args.repeat,
        "seconds": seconds,
        "targets": {name: target for name, (_, target) in CASES.items()},
        "within_target": {name: seconds[name] < CASES[name][1] for name in CASES},
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
