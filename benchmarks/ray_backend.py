"""RayBackend against LocalBackend, side by side, with 2 workers on this machine.

- throughput: ``--trials`` trivial trials (one report and a return, benchmarks/_trainables.py
  ``trivial``), trials per second of ``Tuner.run()`` after the workers are up, SQLite store;
- report round trip: one trial reporting ``--reports`` times; each ``report()`` call is timed
  inside the trial (sent, stored by the tuner, answered), median and 90th percentile;
- utilization: benchmarks/utilization.py's set-up (20 trials of 5 reports after 0.2 s of work
  each): busy time / (wall time x workers).

Each measurement runs ``--repeat`` times, LocalBackend and RayBackend alternated (so both see
the same load on a shared machine); the figures are the medians.

Ray is started once here (``ray.init`` on this machine, its time reported) and every RayBackend
joins it, so the figures are the backend's, not Ray's start-up. Goals (issue 21): RayBackend
within 3x of LocalBackend's throughput, utilization >= 0.9.

    python benchmarks/ray_backend.py --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _trainables import round_trips, trivial
from utilization import Clock
from utilization import measure as utilization

from tunesmith import LocalBackend, RandomSearch, RayBackend, StoppingCriterion, Tuner, uniform


def _run(backend, space, n_trials, n_workers=2):
    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        result = Tuner(
            backend,
            RandomSearch(space, metric="loss", random_seed=0),
            StoppingCriterion(max_num_trials_started=n_trials),
            n_workers=n_workers,
            callbacks=[clock],
            verbose=0,
            storage=f"sqlite:///{tmp}/tunesmith.db",
            run_dir=tmp,
        ).run()
    return result, clock.end - clock.start


def throughput(make, n_trials):
    result, wall = _run(make(trivial), {"x": uniform(0, 1)}, n_trials)
    return {
        "trials": len(result.trials),
        "wall_s": round(wall, 3),
        "trials_per_s": round(len(result.trials) / wall, 1),
    }


def round_trip(make, n_reports):
    result, _ = _run(make(round_trips), {"x": uniform(0, 1), "reports": n_reports}, 1, n_workers=1)
    times = sorted(r["round_trip"] for r in result.results if r["round_trip"] >= 0)
    return {
        "reports": len(times),
        "median_ms": round(1000 * statistics.median(times), 3),
        "p90_ms": round(1000 * times[int(0.9 * (len(times) - 1))], 3),
    }


def _median(values):
    return round(statistics.median(values), 4)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    import ray

    t0 = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray_init = time.perf_counter() - t0
    backends = {
        "local": lambda fn: LocalBackend(fn),
        "ray": lambda fn: RayBackend(fn, resources_per_trial={"cpus": 1}),
    }
    figures = {"ray_version": ray.__version__, "ray_init_s": round(ray_init, 2)}
    runs = {name: [] for name in backends}
    try:
        for _ in range(args.repeat):  # alternated, so both see the same load
            for name, make in backends.items():
                runs[name].append(
                    {
                        "trials_per_s": throughput(make, args.trials)["trials_per_s"],
                        "round_trip": round_trip(make, args.reports),
                        "utilization": utilization(backend=make)["utilization"],
                    }
                )
    finally:
        ray.shutdown()
    for name, measured in runs.items():
        figures[name] = {
            "trials_per_s": _median([m["trials_per_s"] for m in measured]),
            "round_trip_median_ms": _median([m["round_trip"]["median_ms"] for m in measured]),
            "round_trip_p90_ms": _median([m["round_trip"]["p90_ms"] for m in measured]),
            "utilization": _median([m["utilization"] for m in measured]),
            "runs": measured,
        }
    local, ray_ = figures["local"], figures["ray"]
    figures["local_over_ray_throughput"] = round(local["trials_per_s"] / ray_["trials_per_s"], 2)
    figures["ray_over_local_round_trip"] = round(
        ray_["round_trip_median_ms"] / local["round_trip_median_ms"], 2
    )
    print(json.dumps(figures, indent=2) if args.json else figures)


if __name__ == "__main__":
    main()
