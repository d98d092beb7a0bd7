"""Worker utilization of the LocalBackend: busy time / (wall time x workers).

2 workers run 20 trials, each reporting 5 times after 0.2 s of work. Busy time
is the work measured inside the trials; wall time runs from the tuner's start (after the worker
pool is up) to its end.

    python benchmarks/utilization.py --json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _trainables import sleepy

from tunesmith import LocalBackend, RandomSearch, StoppingCriterion, Tuner, uniform
from tunesmith.callbacks import TunerCallback


class Clock(TunerCallback):
    def on_tuning_start(self, tuner):
        self.start = time.perf_counter()

    def on_tuning_end(self, tuner, result):
        self.end = time.perf_counter()


def measure(n_workers=2, n_trials=20, reports=5, work=0.2, backend=LocalBackend) -> dict:
    """``backend``: makes the backend from the trial function (benchmarks/ray_backend.py
    passes RayBackend's)."""
    space = {"x": uniform(0, 1), "reports": reports, "work": work}
    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        tuner = Tuner(
            backend(sleepy),
            RandomSearch(space, metric="loss", random_seed=0),
            StoppingCriterion(max_num_trials_started=n_trials),
            n_workers=n_workers,
            callbacks=[clock],
            verbose=0,
            storage=f"sqlite:///{tmp}/tunesmith.db",
            run_dir=tmp,
        )
        result = tuner.run()
    wall = clock.end - clock.start
    last = {}
    for row in result.results:
        last[row["trial_id"]] = row["busy"]
    busy = sum(last.values())
    return {
        "workers": n_workers,
        "trials": len(result.trials),
        "reports_per_trial": reports,
        "work_per_report_s": work,
        "busy_s": round(busy, 3),
        "wall_s": round(wall, 3),
        "utilization": round(busy / (wall * n_workers), 4),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = measure()
    print(json.dumps(figures, indent=2) if args.json else figures)
