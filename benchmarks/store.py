"""Throughput and load time of the durable store (``tunesmith.store``).

* ``results_per_s``: results made durable per second, each ``append`` one committed transaction
  (``commit_every=1``: one result per transaction, as the tuner writes an event before acting on
  it), and with 10 or 100 results per transaction for comparison. Each result also updates its
  trial's row (last result, count, best value) in the same transaction.
* the single-commit figure again with ``owned``: appends under a study lease, fenced by the
  owner row as the tuner's are (followed by one more plain run, to compare within one run).
* ``records_100k_s``: seconds to load a study of 100,000 results (1,000 trials x 100 reports)
  with ``records()``, the flat trial x report table; median of 3 loads. Also ``read_events()``
  of its journal and ``trials()``.

SQLite always (a file in a temporary folder, ``synchronous=NORMAL``, and ``FULL`` for the
single-commit figure); PostgreSQL too when ``TUNESMITH_TEST_POSTGRES_URL`` is set (in a schema
created for the run and dropped after).

    python benchmarks/store.py --json
    python benchmarks/store.py --results 2000   # fewer single-commit appends
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
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from tunesmith.store import Event, Store
from tunesmith.store.engine import parse_url

POSTGRES_VARIABLE = "TUNESMITH_TEST_POSTGRES_URL"
SPACE_JSON = '{"lr": {"type": "loguniform", "lower": 1e-05, "upper": 0.1}}'


def _study(store: Store, name: str):
    return store.create_study(
        name, config_space_json=SPACE_JSON, scheduler_spec={}, metric="loss", mode="min", seed=0
    )


def measure_appends(store: Store, n_results: int, commit_every: int, owned: bool = False) -> dict:
    """``n_results`` results over 100 trials, ``commit_every`` per transaction; ``owned``: as
    the tuner appends, under its lease on the study (each append fenced by the owner row)."""
    study = _study(store, f"append-{commit_every}-{uuid.uuid4().hex[:8]}")
    lease = store.acquire_study(study) if owned else None
    n_trials = 100
    store.append(
        study,
        [
            Event("trial_created", trial_id=i, payload={"lr": 1e-3 * (i + 1)})
            for i in range(n_trials)
        ],
    )
    events = [
        Event(
            "result",
            trial_id=i % n_trials,
            payload={"epoch": i // n_trials + 1, "loss": 1.0 / (i + 1), "accuracy": 0.5},
            time=float(i),
        )
        for i in range(n_results)
    ]
    t0 = time.perf_counter()
    for start in range(0, n_results, commit_every):
        store.append(study, events[start : start + commit_every], owner=lease)
    elapsed = time.perf_counter() - t0
    if lease is not None:
        lease.release()
    return {
        "owned": owned,
        "commit_every": commit_every,
        "results": n_results,
        "seconds": round(elapsed, 3),
        "results_per_s": round(n_results / elapsed),
    }


def _timed(fn: Callable[[], object], repeat: int = 3) -> float:
    fn()  # warm the caches
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times), 3)


def measure_load(store: Store, n_trials: int = 1000, reports: int = 100) -> dict:
    study = _study(store, f"load-{uuid.uuid4().hex[:8]}")
    t0 = time.perf_counter()
    for trial in range(n_trials):
        config = {"lr": 1e-4 * (trial + 1), "layers": trial % 4 + 1, "act": "relu"}
        batch = [Event("trial_created", trial_id=trial, payload=config)]
        batch += [
            Event("result", trial_id=trial, payload={"epoch": e, "loss": 1 / (e + 1), "acc": 0.5})
            for e in range(1, reports + 1)
        ]
        store.append(study, batch)
    fill = time.perf_counter() - t0
    assert len(store.records(study)) == n_trials * reports
    return {
        "results": n_trials * reports,
        "fill_s": round(fill, 3),
        "records_s": _timed(lambda: store.records(study)),
        "read_events_s": _timed(lambda: store.read_events(study)),
        "trials_s": _timed(lambda: store.trials(study)),
        "best_s": _timed(lambda: store.best(study, 10)),
    }


def measure(url: str, n_results: int, *, full: bool) -> dict:
    store = Store(url)
    out = {
        "appends": [measure_appends(store, n_results, every) for every in (1, 10, 100)]
        # the tuner's case, measured again right after the plain one (a ratio on a noisy machine)
        + [measure_appends(store, n_results, 1, owned=True), measure_appends(store, n_results, 1)],
        "load": measure_load(store),
    }
    store.close()
    if full:
        with Store(url, synchronous="full") as store:
            out["appends_synchronous_full"] = measure_appends(store, n_results // 2, 1)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--results", type=int, default=5000, help="results per append figure")
    args = parser.parse_args(argv)
    figures: dict = {
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "sqlalchemy": sa.__version__,
            "cpus": os.cpu_count(),
        },
        "targets": {"single_commit_results_per_s": 2000, "records_100k_s": 1.0},
    }
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = measure(f"sqlite:///{Path(tmp) / 'bench.db'}", args.results, full=True)
    base = os.environ.get(POSTGRES_VARIABLE)
    if base:
        figures["postgresql"] = _measure_postgres(base, args.results)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for backend in ("sqlite", "postgresql"):
            if backend not in figures:
                continue
            fig = figures[backend]
            for row in fig["appends"]:
                print(
                    f"{backend:>10}: {row['results_per_s']:>7} results/s durable, "
                    f"{row['commit_every']:>3} per commit"
                )
            if "appends_synchronous_full" in fig:
                row = fig["appends_synchronous_full"]
                print(f"{backend:>10}: {row['results_per_s']:>7} results/s, 1 per commit, FULL")
            load = fig["load"]
            print(
                f"{backend:>10}: records() of {load['results']:,} results in "
                f"{load['records_s']:.3f} s; read_events() {load['read_events_s']:.3f} s"
            )
    return figures


def _measure_postgres(base: str, n_results: int) -> dict:
    schema = f"tunesmith_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(parse_url(base))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        url = parse_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        return measure(url.render_as_string(hide_password=False), n_results, full=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


if __name__ == "__main__":
    main()
