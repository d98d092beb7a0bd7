"""Run every (method, benchmark, seed) combination on the simulator, in parallel processes."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tunesmith.backends._procs import _die_with_parent
from tunesmith.experiments.methods import (
    check_method,
    check_restrictable,
    check_several_objectives,
    method_label,
)

logger = logging.getLogger("tunesmith")

__all__ = [
    "Experiment",
    "ExperimentsInterrupted",
    "default_storage",
    "run_experiment",
    "run_experiments",
    "study_name",
]


def default_storage() -> str:
    """``$TUNESMITH_HOME/bench.db``: experiments keep their studies apart from real ones."""
    from tunesmith.store.engine import default_url, home_directory

    return default_url(home_directory()).replace("tunesmith.db", "bench.db")


#: an experiment's seed plus this seeds its scheduler. The generated tables were sampled with
#: seed 0, and a random searcher seeded 0 draws the same configs: it would walk the table in
#: order, exactly and without repeats, an edge the other seeds do not have.
SCHEDULER_SEED_OFFSET = 1000


def study_name(benchmark: str, method: str, seed: int) -> str:
    return f"bench.{benchmark}.{method}.{seed}"


def load_benchmark(name: str, restrict: bool = False):
    """The blackbox ``name``; a table that lacks configs of its space answers through its
    nearest-neighbour surrogate, so every method can propose any config, unless the methods
    are restricted to its configs (``restrict``)."""
    from tunesmith import bench

    incomplete = bench.describe(name).get("complete") is False
    return bench.load(name, surrogate=incomplete and not restrict)


def default_budget(blackbox, factor: float = 20.0) -> float:
    """``factor`` times the median simulated time of one full training (at the largest
    fidelity) of up to 64 configs: budgets that suit each benchmark's time scale."""
    import numpy as np

    from tunesmith.space import sample_config

    configs = blackbox.configurations()
    if configs is None:
        rng = np.random.default_rng(0)
        configs = [sample_config(blackbox.config_space, rng) for _ in range(64)]
    step = 0 if blackbox.fidelities is None else len(blackbox.fidelities) - 1
    times = [blackbox.elapsed_time(blackbox.evaluate(c), step) for c in configs[:64]]
    return factor * float(np.median(times))


@dataclass(frozen=True)
class Experiment:
    method: str
    benchmark: str
    seed: int
    budget: float | None  # simulated seconds; None: default_budget()
    n_workers: int
    max_trials: int | None = None
    restrict: bool = False  # methods suggest only the configs of the benchmark's table

    @property
    def name(self) -> str:
        return study_name(self.benchmark, method_label(self.method, self.restrict), self.seed)


def _finished_counts(experiment: Experiment, storage: str, budget: float) -> tuple[int, int] | None:
    """``(trials, results)`` of the experiment's study if an earlier run already finished what
    is asked now, else None. Finished: its last run, with as many workers, ended without an
    exception, an interrupt or too many failures, and either the scheduler had no config left,
    or the study's simulated time (over all its runs) reached ``budget``, or it started
    ``max_trials`` trials. Re-running such a study would only replay its journal (for a GP
    searcher, every suggestion again)."""
    from tunesmith.store import Store

    with Store(storage) as store:
        study = store.find_study(experiment.name)
        if study is None:
            return None
        events = store.read_events(study)
    runs = [e for e in events if e.kind in ("run_started", "run_ended")]
    if len(runs) < 2 or runs[-1].kind != "run_ended" or runs[-2].kind != "run_started":
        return None  # never ran, or killed mid-run
    started, ended = runs[-2].payload or {}, runs[-1].payload or {}
    if not ended.get("clean") or started.get("n_workers") != experiment.n_workers:
        return None
    from tunesmith.tuner import EXHAUSTED

    reason = ended.get("stop_reason")
    trials = sum(1 for e in events if e.kind == "trial_created")
    results = sum(1 for e in events if e.kind == "result")
    if reason is None or reason == EXHAUSTED:  # None: written before the reason had a name
        return trials, results  # the scheduler had no config left
    if reason.startswith(("interrupted", "max_failures")):
        return None
    if float(ended.get("elapsed", 0.0)) >= budget * (1 - 1e-12):
        return trials, results
    if experiment.max_trials is not None and trials >= experiment.max_trials:
        return trials, results
    return None


def run_experiment(experiment: Experiment, storage: str) -> dict[str, Any]:
    """Run (or resume, or extend) one experiment; returns its figures (``skipped``: an earlier
    run had finished it, and it was not run again)."""
    from tunesmith.backends.simulator import SimulatorBackend
    from tunesmith.experiments.methods import make_method
    from tunesmith.stopping import StoppingCriterion
    from tunesmith.tuner import Tuner

    blackbox = load_benchmark(experiment.benchmark, experiment.restrict)
    budget = experiment.budget or default_budget(blackbox)
    t0 = time.perf_counter()
    done = _finished_counts(experiment, storage, budget)
    if done is not None:
        return {
            **asdict(experiment),
            "budget": budget,
            "study": experiment.name,
            "trials": done[0],
            "results": done[1],
            "real_seconds": round(time.perf_counter() - t0, 3),
            "skipped": True,
        }
    scheduler = make_method(
        experiment.method,
        blackbox,
        experiment.seed + SCHEDULER_SEED_OFFSET,
        restrict=experiment.restrict,
    )
    tuner = Tuner(
        SimulatorBackend(blackbox, seed=experiment.seed),
        scheduler,
        StoppingCriterion(max_wallclock_time=budget, max_num_trials_started=experiment.max_trials),
        n_workers=experiment.n_workers,
        verbose=0,
        name=experiment.name,
        storage=storage,
        run_dir=Path(storage.removeprefix("sqlite:///")).parent / "bench" / experiment.name
        if storage.startswith("sqlite:///")
        else None,
        max_failures=1.0,
    )
    result = tuner.run()
    if (result.stop_reason or "").startswith("interrupted"):
        raise ExperimentsInterrupted(
            f"{result.stop_reason}: experiment {experiment.name} stopped; run the same command "
            "again to resume it and run the rest"
        )
    return {
        **asdict(experiment),
        "budget": budget,
        "study": experiment.name,
        "trials": len(result.trials),
        "results": len(result.results),
        "real_seconds": round(time.perf_counter() - t0, 3),
        "skipped": False,
    }


class ExperimentsInterrupted(RuntimeError):
    """Ctrl-C or SIGTERM stopped an experiment: the runs stop there, not only the one study."""


#: in a pool's worker process: a Ctrl-C or SIGTERM came (during a run or between runs)
_interrupted: str | None = None


def _note_interrupt(signum: int, _frame: Any) -> None:
    global _interrupted
    _interrupted = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"


def _init_pool_worker(parent: int) -> None:
    """A pool worker: it dies with ``parent``, and an interrupt between two runs is noted
    (the tuner handles those during a run) so that it starts no further experiment."""
    _die_with_parent(parent)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _note_interrupt)


def _run(args: tuple[Experiment, str]) -> dict[str, Any]:
    global _interrupted
    if _interrupted:
        raise ExperimentsInterrupted(
            f"interrupted ({_interrupted}) before experiment {args[0].name} began"
        )
    try:
        return run_experiment(*args)
    except ExperimentsInterrupted:
        _interrupted = _interrupted or "interrupted"
        raise


def run_experiments(
    methods: list[str],
    benchmarks: list[str],
    seeds: list[int],
    *,
    budget: float | None,
    n_workers: int,
    storage: str | None = None,
    processes: int | None = None,
    max_trials: int | None = None,
    restrict: bool = False,
) -> list[dict[str, Any]]:
    """Every combination, ``processes`` at a time (default: the number of CPUs). With
    ``restrict`` the methods suggest only the configs of each benchmark's table, which then
    answers without its nearest-neighbour surrogate; their labels get ``+restricted``."""
    from tunesmith import bench

    if not methods or not benchmarks or not seeds:
        raise ValueError("give at least one method, one benchmark and one seed")
    for method in methods:
        check_method(method)
        if restrict:
            check_restrictable(method)
    known = set(bench.names())
    for benchmark in benchmarks:
        if benchmark not in known:
            raise ValueError(f"unknown benchmark {benchmark!r}; valid names are {sorted(known)}")
        if not isinstance(bench.describe(benchmark).get("objective", ""), str):
            check_several_objectives(methods, benchmark)
        if restrict and bench.describe(benchmark).get("configurations") is None:
            tables = [n for n in sorted(known) if bench.describe(n).get("configurations")]
            raise ValueError(
                f"benchmark {benchmark!r} has no table of configurations to restrict the "
                f"methods to (`restrict`, `--restrict`); the benchmarks with one are {tables}"
            )
    if budget is not None and not budget > 0:
        raise ValueError(
            f"`budget` must be a positive number of simulated seconds or None (a default per "
            f"benchmark), but got budget={budget!r}"
        )
    storage = storage or default_storage()
    from tunesmith.store import Store

    Store(storage).close()  # create the schema once, before the processes race to
    jobs = [
        (Experiment(m, b, s, budget and float(budget), n_workers, max_trials, restrict), storage)
        for b in benchmarks
        for m in methods
        for s in seeds
    ]
    processes = processes or multiprocessing.cpu_count()
    if processes == 1 or len(jobs) == 1:
        return [_run(job) for job in jobs]
    # workers die with this process (SIGKILL from the kernel), so that killing `bench run` does
    # not leave them running the queued experiments; their studies resume on the next run. A
    # Ctrl-C reaches them too (the terminal signals the process group): their running studies
    # stop cleanly, and the experiments already queued to them refuse to start
    pool = ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_pool_worker,
        initargs=(os.getpid(),),
    )
    try:
        return list(pool.map(_run, jobs))
    finally:  # an interrupt or an error: the queued experiments do not start
        pool.shutdown(wait=True, cancel_futures=True)
