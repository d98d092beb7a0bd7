"""Speed of simulated tuning: ASHA, 4 workers, an 81-epoch table, simulated until 1,000 trials.

The whole loop is measured: the tuner, ASHA, the searcher, the SimulatorBackend and the journal
the tuner writes to, in three set-ups:

* ``memory``: ``Tuner(storage="memory")``, the journal kept in a list (nothing written);
* ``sqlite-batched``: the default SQLite store; the simulator's results cannot be lost, so the
  tuner journals in batches of ``Tuner.journal_batch`` (10,000) events;
* ``sqlite-per-result``: the SQLite store with one transaction before every answer to a trial,
  as for real trials (``journal_batch = 1``).

The table is ``mlp-digits`` (1,024 configs x 3 seeds x 81 epochs); ASHA's random searcher draws
among its configs with repeats (``restrict_configurations``, ``allow_duplicates=True``) and each
trial reads one seed, so 1,000 trials are possible. Each figure is the median of ``--repeat`` runs.
The set-ups take turns (a run of each, then again), so a change of load falls on all alike.
``cpu_seconds`` is the process's CPU time during ``tuner.run()`` (the whole loop runs in it): on a
loaded machine it varies less than the real seconds, so ``results_per_cpu_second`` compares set-ups
measured at different moments more fairly.

    python benchmarks/simulator.py --json
    python benchmarks/simulator.py --trials 5000 --only memory
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tunesmith import ASHA, RandomSearcher, StoppingCriterion, Tuner
from tunesmith.backends.simulator import SimulatorBackend
from tunesmith.bench import load

SETUPS = ("memory", "sqlite-batched", "sqlite-per-result")


def run_once(table, setup: str, trials: int, n_workers: int, seed: int) -> dict:
    searcher = RandomSearcher(
        table.config_space,
        restrict_configurations=table.configurations(),
        allow_duplicates=True,
        random_seed=seed,
    )
    scheduler = ASHA(
        table.config_space,
        searcher=searcher,
        metric=table.objective,
        mode=table.mode,
        resource_attr=table.fidelity_name,
        max_t=table.max_fidelity,
        grace_period=1,
        reduction_factor=3,
    )
    tuner = Tuner(
        SimulatorBackend(table, seed=seed),
        scheduler,
        StoppingCriterion(max_num_trials_started=trials),
        n_workers=n_workers,
        verbose=0,
        storage="memory" if setup == "memory" else None,
        name=f"simulator-{setup}-{seed}-{time.monotonic_ns()}",
    )
    if setup == "sqlite-per-result":
        tuner.journal_batch = 1
    start, cpu = time.perf_counter(), time.process_time()
    result = tuner.run()
    seconds = time.perf_counter() - start
    return {
        "real_seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "trials": len(result.trials),
        "results": len(result.results),
        "simulated_seconds": result.wallclock_time,
    }


def measure(table, setups: list[str], trials: int, n_workers: int, repeat: int) -> dict:
    """The figures of each set-up; the set-ups' runs take turns (one run of each, ``repeat``
    times), so a change of the machine's load falls on all of them alike."""
    runs: dict[str, list[dict]] = {setup: [] for setup in setups}
    for _ in range(repeat):
        for setup in setups:
            runs[setup].append(run_once(table, setup, trials, n_workers, seed=0))
    return {setup: summary(setup_runs) for setup, setup_runs in runs.items()}


def summary(runs: list[dict]) -> dict:
    first = runs[0]
    assert all(r["results"] == first["results"] for r in runs), "runs differ: not reproducible"
    seconds = statistics.median(r["real_seconds"] for r in runs)
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    return {
        "real_seconds": round(seconds, 4),
        "cpu_seconds": round(cpu, 4),
        "trials": first["trials"],
        "results": first["results"],
        "trials_per_second": round(first["trials"] / seconds),
        "results_per_second": round(first["results"] / seconds),
        "results_per_cpu_second": round(first["results"] / cpu),
        "simulated_seconds": round(first["simulated_seconds"], 2),
        "simulated_per_real_second": round(first["simulated_seconds"] / seconds, 1),
        "all_real_seconds": [round(r["real_seconds"], 4) for r in runs],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--benchmark", default="mlp-digits")
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", choices=SETUPS, default=list(SETUPS))
    args = parser.parse_args()
    os.environ.setdefault("TUNESMITH_HOME", tempfile.mkdtemp(prefix="tunesmith-bench-"))
    table = load(args.benchmark)
    run_once(table, "memory", 50, args.workers, seed=0)  # warm-up (imports, caches)
    figures = measure(table, args.only, args.trials, args.workers, args.repeat)
    out = {
        "benchmark": args.benchmark,
        "scheduler": "ASHA (stopping, grace_period=1, reduction_factor=3, max_t=81)",
        "n_workers": args.workers,
        "trials": args.trials,
        "target_results_per_second": 20000,
        "setups": figures,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{args.benchmark}: ASHA, {args.workers} workers, {args.trials} trials")
    for setup, f in figures.items():
        print(
            f"  {setup:18s} {f['real_seconds']:7.3f} s  {f['trials']} trials, {f['results']} "
            f"results: {f['trials_per_second']:7d} trials/s, {f['results_per_second']:7d} "
            f"results/s ({f['results_per_cpu_second']} per CPU s; {f['simulated_seconds']} "
            "simulated s)"
        )


if __name__ == "__main__":
    main()
