"""Syne Tune's simulator on tunesmith's tabular benchmark: the peer figure for
``benchmarks/simulator.py``.

Run with the peers venv (``benchmarks/peers/setup_syne_tune.sh``), NOT with tunesmith's venv;
this script does not import tunesmith and only *calls* Syne Tune's public API::

    /tmp/peers-venv/bin/python benchmarks/peers/syne_tune_simulator.py --json

What it does, mirroring tunesmith's ``memory`` set-up as closely as Syne Tune allows:

* reads ``src/tunesmith/bench/data/<benchmark>.npz`` directly with numpy (the layout of
  ``TabularBlackbox.save``: ``values`` of shape (configs, seeds, fidelities, metrics) and a JSON
  ``meta`` string with the hyperparameter names, the configs, the metrics, the fidelities and
  the cumulative time metric);
* builds ``syne_tune.blackbox_repository.blackbox_tabular.BlackboxTabular`` from it (hyperparameters
  as a DataFrame, the values as ``objectives_evaluations``, fidelity ``epoch`` 1..81);
* simulates with ``UserBlackboxBackend(blackbox, elapsed_time_attr=<time metric>)`` and
  ``SimulatorCallback``, each trial reading one seed drawn at random;
* ASHA from ``syne_tune.optimizer.baselines`` (grace_period=1, reduction_factor=3, max_t=81),
  4 workers, ``StoppingCriterion(max_num_trials_started=N)``.

The table's configs are a random sample of a continuous space, so a searcher must be restricted
to them. Syne Tune 0.16's random searcher has no ``restrict_configurations``; instead the
searcher is handed, as ``points_to_evaluate``, a seeded random draw (with repeats) of table rows,
one per trial: the same distribution as tunesmith's ``RandomSearcher(restrict_configurations=...,
allow_duplicates=True)``. Replaying a list costs Syne Tune less than sampling would, so this
favours it slightly.

Syne Tune writes its results under ``$SYNETUNE_FOLDER`` (set here to a temporary folder).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "src" / "tunesmith" / "bench" / "data"


def read_table(path: Path) -> tuple[np.ndarray, dict]:
    """``values`` and ``meta`` of a tunesmith table file, read with numpy alone."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        values = np.asarray(data["values"], dtype=float)
    if meta.get("format") != 1:
        raise SystemExit(f"{path}: table format {meta.get('format')!r}, this script reads 1")
    return values, meta


def syne_tune_domain(spec: dict, values: list):
    """The Syne Tune domain of one hyperparameter of tunesmith's JSON config space; an unknown
    type becomes a ``choice`` of the values in the table."""
    from syne_tune.config_space import (
        choice,
        lograndint,
        loguniform,
        ordinal,
        randint,
        uniform,
    )

    kind = spec.get("type") if isinstance(spec, dict) else None
    if kind == "uniform":
        return uniform(spec["lower"], spec["upper"])
    if kind == "loguniform":
        return loguniform(spec["lower"], spec["upper"])
    if kind == "randint":
        return randint(spec["lower"], spec["upper"])
    if kind == "lograndint":
        return lograndint(spec["lower"], spec["upper"])
    if kind == "ordinal":
        return ordinal(list(spec["categories"]))
    if kind == "choice":
        return choice(list(spec["categories"]))
    return choice(sorted(set(values), key=str))


def build_blackbox(values: np.ndarray, meta: dict):
    from syne_tune.blackbox_repository.blackbox_tabular import BlackboxTabular
    from syne_tune.config_space import randint

    names = meta["names"]
    hps = pd.DataFrame(meta["configs"], columns=names)
    config_space = {
        name: syne_tune_domain(meta["config_space"].get(name), hps[name].tolist()) for name in names
    }
    fidelities = np.asarray(meta["fidelities"])
    fidelity_space = {meta["fidelity_name"]: randint(int(fidelities.min()), int(fidelities.max()))}
    blackbox = BlackboxTabular(
        hyperparameters=hps,
        configuration_space=config_space,
        fidelity_space=fidelity_space,
        objectives_evaluations=values,
        fidelity_values=fidelities,
        objectives_names=list(meta["metrics"]),
    )
    return blackbox, hps


def run_once(
    values, meta, trials: int, n_workers: int, seed: int, tuner_sleep_time: float | None
) -> dict:
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback
    from syne_tune.blackbox_repository.simulated_tabular_backend import UserBlackboxBackend
    from syne_tune.optimizer.baselines import ASHA
    from syne_tune.tuner_callback import TunerCallback

    class CountResults(TunerCallback):
        def __init__(self):
            self.results = 0

        def on_trial_result(self, trial, status, result, decision):
            self.results += 1

    np.random.seed(seed)  # the backend draws each trial's seed with np.random
    blackbox, hps = build_blackbox(values, meta)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(hps), size=trials + 2 * n_workers + 1)
    records = hps.to_dict("records")
    points = [dict(records[r]) for r in rows]
    scheduler = ASHA(
        blackbox.configuration_space,
        metric=meta["objective"],
        do_minimize=meta["metrics"][meta["objective"]] == "min",
        time_attr=meta["fidelity_name"],
        max_t=int(max(meta["fidelities"])),
        grace_period=1,
        reduction_factor=3,
        random_seed=seed,
        points_to_evaluate=points,
    )
    extra = {} if tuner_sleep_time is None else {"tuner_sleep_time": tuner_sleep_time}
    backend = UserBlackboxBackend(blackbox=blackbox, elapsed_time_attr=meta["time_attr"], **extra)
    counter = CountResults()
    tuner = Tuner(
        trial_backend=backend,
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=trials),
        n_workers=n_workers,
        sleep_time=0,
        callbacks=[SimulatorCallback(), counter],
        save_tuner=False,
        print_update_interval=1e9,
        results_update_interval=1e9,
        tuner_name=f"peers-syne-tune-{seed}",
    )
    start, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(sys.stderr):  # the tuner prints a summary; keep stdout JSON
        tuner.run()
    seconds = time.perf_counter() - start
    return {
        "real_seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "trials": tuner.tuning_status.num_trials_started,
        "results": counter.results,
        "simulated_seconds": float(backend.time_keeper.time()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--benchmark", default="mlp-digits")
    parser.add_argument("--table", type=Path, help="a table .npz (default: the benchmark's)")
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--tuner-sleep-time",
        type=float,
        help="simulated seconds the backend adds per tuner loop (default: Syne Tune's, 5.0)",
    )
    args = parser.parse_args()
    os.environ.setdefault("SYNETUNE_FOLDER", tempfile.mkdtemp(prefix="peers-syne-tune-"))
    logging.disable(logging.WARNING)  # Syne Tune logs every trial at INFO
    import syne_tune

    values, meta = read_table(args.table or DATA / f"{args.benchmark}.npz")
    runs = [
        run_once(values, meta, args.trials, args.workers, 0, args.tuner_sleep_time)
        for _ in range(args.repeat)
    ]
    first = runs[0]
    seconds = statistics.median(r["real_seconds"] for r in runs)
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    out = {
        "library": f"syne-tune {syne_tune.__version__}",
        "benchmark": args.benchmark if args.table is None else str(args.table),
        "scheduler": "syne_tune.optimizer.baselines.ASHA (grace_period=1, reduction_factor=3, "
        f"max_t={int(max(meta['fidelities']))})",
        "backend": "UserBlackboxBackend(BlackboxTabular) + SimulatorCallback",
        "n_workers": args.workers,
        "tuner_sleep_time": args.tuner_sleep_time,
        "max_num_trials_started": args.trials,
        "real_seconds": round(seconds, 3),
        "trials": first["trials"],
        "results": first["results"],
        "trials_per_second": round(first["trials"] / seconds, 1),
        "results_per_second": round(first["results"] / seconds, 1),
        "cpu_seconds": round(cpu, 3),
        "results_per_cpu_second": round(first["results"] / cpu, 1),
        "simulated_seconds": round(first["simulated_seconds"], 2),
        "all_real_seconds": [round(r["real_seconds"], 3) for r in runs],
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(
        f"{out['library']} {out['benchmark']}: ASHA, {args.workers} workers: {seconds:.2f} s, "
        f"{out['trials']} trials, {out['results']} results: {out['results_per_second']} "
        f"results/s"
    )


if __name__ == "__main__":
    main()
