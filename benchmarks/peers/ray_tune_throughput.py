"""Ray Tune with its defaults on the tasks of benchmarks/ray_backend.py, for a side-by-side
figure (run with the Ray Tune venv of setup_ray_tune.sh; imports nothing of tunesmith).

- throughput: ``--trials`` trivial trials (one report of ``loss = x``), random search of
  ``x ~ uniform(0, 1)`` (Ray Tune's default searcher), on a Ray instance of 2 CPUs (one CPU
  per trial, Ray Tune's default: 2 trials at a time), trials per second of ``Tuner.fit()``;
- utilization: 20 trials of 5 reports after 0.2 s of (sleeping) work each, busy time /
  (wall time x 2).

Only ``storage_path`` (a temporary folder) and ``verbose=0`` differ from the defaults.

    /tmp/raytune-venv/bin/python benchmarks/peers/ray_tune_throughput.py --json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import ray
from ray import tune


def trivial(config):
    tune.report({"loss": config["x"]})


def sleepy(config):
    busy = 0.0
    for step in range(1, 6):
        t0 = time.perf_counter()
        time.sleep(0.2)
        busy += time.perf_counter() - t0
        tune.report({"step": step, "loss": config["x"], "busy": busy})


def fit(trainable, n_trials):
    with tempfile.TemporaryDirectory() as tmp:
        tuner = tune.Tuner(
            trainable,
            param_space={"x": tune.uniform(0, 1)},
            tune_config=tune.TuneConfig(num_samples=n_trials, metric="loss", mode="min"),
            run_config=tune.RunConfig(storage_path=tmp, verbose=0),
        )
        t0 = time.perf_counter()
        results = tuner.fit()
        wall = time.perf_counter() - t0
    return results, wall


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    figures = {"ray_version": ray.__version__, "ray_init_s": round(time.perf_counter() - t0, 2)}
    try:
        results, wall = fit(trivial, args.trials)
        figures["throughput"] = {
            "trials": len(results),
            "errors": results.num_errors,
            "wall_s": round(wall, 3),
            "trials_per_s": round(len(results) / wall, 2),
        }
        results, wall = fit(sleepy, 20)
        busy = sum(r.metrics["busy"] for r in results)
        figures["utilization"] = round(busy / (wall * 2), 4)
    finally:
        ray.shutdown()
    print(json.dumps(figures, indent=2) if args.json else figures)


if __name__ == "__main__":
    main()
