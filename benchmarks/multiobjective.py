"""Time of the multi-objective indicators (tunesmith.multiobjective) on large sets, against the
targets of issue 19: hypervolume of 100,000 2-D points under 0.1 s and of 10,000 3-D points
under 1 s, non-dominated sorting of 100,000 points under 1 s (2-D; 3-D reported too), and a
Pareto plot of 100,000 results under 5 s (``tunesmith plot --kind pareto``: records as
``Store.records`` gives them, to points, front and a PNG; needs ``tunesmith[plot]``, and the
hypervolume-over-time plot of as many results is timed beside it).

Each size runs on two kinds of points: uniform in the unit cube ("random": a small front,
many fronts) and mutually non-dominated ("front": on the simplex, the hardest case for the
hypervolume sweeps, whose 2-D front then holds every point). Median of ``--repeat`` runs.

    python benchmarks/multiobjective.py             # JSON: seconds, targets, within target
    python benchmarks/multiobjective.py --repeat 1
"""

from __future__ import annotations

import argparse
import importlib.util
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
    "pareto_plot_2d_100k_random_s": ("pareto plot", 5.0),
    "hypervolume_plot_2d_100k_random_s": ("hypervolume plot", 5.0),
}


def points(name: str) -> np.ndarray:
    d = 2 if "_2d_" in name else 3
    n = 100_000 if "_100k_" in name else 10_000
    values = np.random.default_rng(0).random((n, d))
    if name.endswith("_front_s"):
        values /= values.sum(axis=1, keepdims=True)
    return values


def records(values: np.ndarray) -> list[dict]:
    """One report per trial, as ``Store.records(study)`` gives them."""
    return [
        {"trial_id": i, "err": float(a), "latency": float(b), "ts_study_time": float(i)}
        for i, (a, b) in enumerate(values.tolist())
    ]


def plot(what: str, rows: list[dict]) -> None:
    """What ``tunesmith plot --kind pareto`` (or ``hypervolume``) does once it has the rows."""
    import io

    from tunesmith import viz

    if what == "pareto plot":
        figure = viz.plot_pareto_front(viz.pareto_points(rows, ["err", "latency"], "min"))
    else:
        figure = viz.plot_hypervolume(viz.hypervolume_over_time(rows, ["err", "latency"], "min"))
    figure.savefig(io.BytesIO(), format="png", dpi=120)


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
    skipped: dict[str, str] = {}
    for name, (what, _) in CASES.items():
        data = points(name)
        ref = np.full(data.shape[1], 1.1)
        if what == "hypervolume":
            run = partial(hypervolume, data, ref)
        elif what == "sort":
            run = partial(non_dominated_sort, data)
        elif importlib.util.find_spec("matplotlib") is None:
            skipped[name] = 'needs matplotlib: pip install "tunesmith[plot]"'
            continue
        else:
            run = partial(plot, what, records(data))
        seconds[name] = _median_s(run, args.repeat)
    figures = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "repeat": args.repeat,
        "seconds": seconds,
        "targets": {name: target for name, (_, target) in CASES.items()},
        "within_target": {name: seconds[name] < CASES[name][1] for name in seconds},
        "skipped": skipped,
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
