"""Decision overhead of schedulers and searchers, as the number of trials grows.

Drives each scheduler ask/tell-style (no tuner, no processes) on the 6-parameter mixed space of
``tunesmith.testing.spaces.MIXED_SPACE``: per trial one ``suggest()``, one ``on_trial_add()``,
``results_per_trial`` calls of ``on_trial_result()`` and one ``on_trial_complete()``. Every call is
timed with ``time.perf_counter_ns``; the figure at N trials is the median over the trials in
``[0.9 N, N)``, so a cost that grows with the study shows as growing medians.

    python benchmarks/overhead.py --json            # all figures as JSON
    python benchmarks/overhead.py --trials 100 1000  # fewer sizes
    python benchmarks/overhead.py --only tuner       # one measurement

It also measures the tuner's overhead per trial with the LocalBackend (``tuner``): the time from a
trivial trial's last line to the next trial's first line on the same worker.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tunesmith import RandomSearch
from tunesmith.testing.spaces import MIXED_SPACE, objective
from tunesmith.trial import Trial, TrialStatus

SCHEDULERS: dict[str, Callable[[], object]] = {
    "RandomSearch": lambda: RandomSearch(MIXED_SPACE, metric="loss", random_seed=0),
}


def measure_scheduler(make, sizes: list[int], results_per_trial: int = 1) -> dict:
    scheduler = make()
    n = max(sizes)
    suggest_ns, result_ns = [], []
    clock = time.perf_counter_ns
    for trial_id in range(n):
        t0 = clock()
        suggestion = scheduler.suggest(trial_id)
        suggest_ns.append(clock() - t0)
        trial = Trial(trial_id, suggestion.config, TrialStatus.RUNNING)
        scheduler.on_trial_add(trial)
        loss = objective(trial.config, MIXED_SPACE)
        elapsed = 0
        for epoch in range(1, results_per_trial + 1):
            result = {"epoch": epoch, "loss": loss + 1.0 / epoch}
            t0 = clock()
            scheduler.on_trial_result(trial, result)
            elapsed += clock() - t0
        result_ns.append(elapsed / results_per_trial)
        scheduler.on_trial_complete(trial, result)
    out = {}
    for size in sizes:
        lo = int(size * 0.9)
        out[str(size)] = {
            "suggest_us": round(statistics.median(suggest_ns[lo:size]) / 1000, 2),
            "on_trial_result_us": round(statistics.median(result_ns[lo:size]) / 1000, 2),
        }
    return out


def measure_tuner(n_trials: int = 200) -> dict:
    """Tuner overhead per trial with the LocalBackend and trivial trials: on one worker, the
    time from a trial's last line to the first line of the next trial."""
    from _trainables import trivial

    from tunesmith import LocalBackend, StoppingCriterion, Tuner

    with tempfile.TemporaryDirectory() as tmp:
        tuner = Tuner(
            LocalBackend(trivial),
            RandomSearch({"x": MIXED_SPACE["dropout"]}, metric="loss", random_seed=0),
            StoppingCriterion(max_num_trials_started=n_trials),
            n_workers=1,
            verbose=0,
            run_dir=tmp,
        )
        result = tuner.run()
    first = {r["trial_id"]: r["t_first"] for r in result.results if "t_first" in r}
    last = {r["trial_id"]: r["t_last"] for r in result.results if "t_last" in r}
    gaps = [
        (first[i + 1] - last[i]) * 1000 for i in range(n_trials - 1) if i in last and i + 1 in first
    ]
    return {
        "trials": n_trials,
        "median_ms": round(statistics.median(gaps), 3),
        "p90_ms": round(sorted(gaps)[int(0.9 * len(gaps))], 3),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--trials", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--only", nargs="+", help="names of the measurements to run")
    args = parser.parse_args(argv)
    figures: dict = {
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "schedulers": {},
    }
    for name, make in SCHEDULERS.items():
        if args.only and name not in args.only:
            continue
        figures["schedulers"][name] = measure_scheduler(make, sorted(args.trials))
    if not args.only or "tuner" in args.only:
        figures["tuner_local_backend_per_trial"] = measure_tuner()
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for name, by_size in figures["schedulers"].items():
            for size, fig in by_size.items():
                print(
                    f"{name:>16} @ {size:>6} trials: suggest {fig['suggest_us']:8.2f} us, "
                    f"on_trial_result {fig['on_trial_result_us']:8.2f} us"
                )
        if "tuner_local_backend_per_trial" in figures:
            print(
                "tuner overhead per trial (LocalBackend):", figures["tuner_local_backend_per_trial"]
            )
    return figures


if __name__ == "__main__":
    main()
