"""Time to build a grid over a continuous domain with many points: ``Domain.grid`` (which
de-duplicates the decoded values, keeping the first of each) and a ``GridSearch`` scheduler on it,
plus the first 1,000 suggestions. De-duplication used to be quadratic (40,000 values: 10 s).

    python benchmarks/grid.py                  # JSON: seconds per size
    python benchmarks/grid.py --sizes 1000 1000000
"""

from __future__ import annotations

import argparse
import json
import platform
import time

from tunesmith import GridSearch, loguniform, uniform


def measure(size: int) -> dict[str, float]:
    out: dict[str, float] = {"num_samples": size}
    for name, domain in (("uniform", uniform(0, 1)), ("loguniform", loguniform(1e-6, 1))):
        start = time.perf_counter()
        values = domain.grid(size)
        out[f"{name}_grid_s"] = round(time.perf_counter() - start, 4)
        out[f"{name}_distinct"] = len(values)
    start = time.perf_counter()
    scheduler = GridSearch({"x": uniform(0, 1)}, metric="loss", num_samples=size, random_seed=0)
    out["gridsearch_init_s"] = round(time.perf_counter() - start, 4)
    start = time.perf_counter()
    for trial_id in range(min(size, 1000)):
        scheduler.suggest(trial_id)
    out["gridsearch_1000_suggest_s"] = round(time.perf_counter() - start, 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    args = parser.parse_args()
    figures = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "grid": [measure(n) for n in args.sizes],
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
