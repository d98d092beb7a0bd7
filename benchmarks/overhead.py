"""Decision overhead of schedulers and searchers, as the number of trials grows.

Drives each scheduler ask/tell-style (no tuner, no processes) on the 6-parameter mixed space of
``tunesmith.testing.spaces.MIXED_SPACE`` with one simulated worker, honouring the scheduler's
decisions: a free worker calls ``suggest()`` (``on_trial_add()`` for a new trial); the trial
reports ``epoch`` = 1, 2, ... (after a resume: from the epoch after the one it paused at) to
``on_trial_result()`` until the scheduler says STOP or PAUSE, or the trial reaches its last epoch
(whose result also goes to ``on_trial_complete()``, as the tuner does). Every ``suggest()`` and
``on_trial_result()`` call is timed with ``time.perf_counter_ns``; the figure at N trials is the
median (and 90th percentile) over the calls made while the study had between 0.9 N and N trials,
so a cost that grows with the study shows as growing figures.

    python benchmarks/overhead.py --json            # all figures as JSON
    python benchmarks/overhead.py --trials 100 1000  # other sizes (for every scheduler)
    python benchmarks/overhead.py --only tuner       # one measurement
    python benchmarks/overhead.py --only ASHA-stopping ASHA-promotion

Schedulers: ``RandomSearch`` (one result per trial; 100 to 10,000 trials), ``ASHA-stopping`` and
``ASHA-promotion`` (``max_t`` 9 epochs from the space's ``epochs``, rungs 1 and 3; 1,000 to
100,000 trials), ``RUSH-stopping`` and ``ASHA-CTS`` (the same rungs, with two earlier tasks of
200 configs; 100 and 1,000 trials; target: under 50 us per ``on_trial_result`` decision).

``PBT`` (``measure_pbt``): a population of 100 or 1,000 trials (``--trials``) reporting round
robin, ranked at every report (``perturbation_interval=1``, the worst case), 5 epochs each;
figures over all calls, i.e. with 100 or 1,000 observations in the ranking (target: under 50 us
per decision).

``MOBSTER``, ``HyperTune``, ``DyHPO`` (``measure_multi_fidelity_gp``): sizes are the searcher's
observations (100 and 1,000), not trials.

Several objectives (``measure_multi_objective``): ``MOTPE`` (model on every suggestion) on
``loss`` and ``cost``, timed by ``benchmarks/multiobjective_methods.py``'s driver; 200 and 1,000
observations.

``EHVI`` (``measure_ehvi``): the GP searcher of expected hypervolume improvement on ``loss`` and
``cost`` (the same driver), 100 and 200 observations (target: under 250 ms at 200).

It also measures the tuner's overhead per trial with the LocalBackend (``tuner``): the time from a
trivial trial's last line to the next trial's first line on the same worker.
"""

from __future__ import annotations

import argparse
import bisect
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
from tunesmith.schedulers import ASHA
from tunesmith.testing.spaces import MIXED_SPACE, objective
from tunesmith.trial import Decision, Trial, TrialStatus

SMALL, LARGE = [100, 1000, 10000], [1000, 10000, 100000]

#: name -> (make the scheduler, epochs per full trial, default study sizes)
SCHEDULERS: dict[str, tuple[Callable[[], object], int, list[int]]] = {
    "RandomSearch": (lambda: RandomSearch(MIXED_SPACE, metric="loss", random_seed=0), 1, SMALL),
    "ASHA-stopping": (lambda: ASHA(MIXED_SPACE, metric="loss", random_seed=0), 9, LARGE),
    "ASHA-promotion": (
        lambda: ASHA(MIXED_SPACE, metric="loss", type="promotion", random_seed=0),
        9,
        LARGE,
    ),
    # transfer learning: two earlier tasks of 200 configs each (see _transfer)
    "RUSH-stopping": (lambda: _transfer("RUSH"), 9, [100, 1000]),
    "ASHA-CTS": (lambda: _transfer("ASHACTS"), 9, [100, 1000]),
}


def _transfer(name: str) -> object:
    """RUSH or ASHA-CTS on MIXED_SPACE, with two earlier tasks of 200 configs each (the
    contract suites' objective, shifted by 0.1 per task)."""
    import numpy as np

    from tunesmith import schedulers
    from tunesmith.searchers import TransferLearningTaskEvaluations
    from tunesmith.space import sample_config

    rng = np.random.default_rng(0)
    configs = [sample_config(MIXED_SPACE, rng) for _ in range(200)]
    tasks = {
        f"task{t}": TransferLearningTaskEvaluations(
            MIXED_SPACE,
            configs,
            ["loss"],
            np.array(
                [[[[objective(c, MIXED_SPACE, s) + 0.1 * t] for s in (1, 3, 9)]] for c in configs]
            ),
        )
        for t in range(2)
    }
    cls = getattr(schedulers, name)
    return cls(MIXED_SPACE, metric="loss", transfer_learning_evaluations=tasks, random_seed=0)


def measure_scheduler(make, sizes: list[int], epochs: int = 1, size_of=None) -> dict:
    """Median ``suggest`` and ``on_trial_result`` times (us) at each study size.

    ``size_of(scheduler, trials started)``: the study's size (default: the trials started;
    :func:`measure_multi_fidelity_gp` counts the searcher's observations)."""
    scheduler = make()
    n = max(sizes)
    clock = time.perf_counter_ns
    suggest_at, suggest_ns, result_at, result_ns = [], [], [], []
    paused: dict[int, tuple[Trial, float, int]] = {}  # trial_id -> (trial, base loss, epoch done)
    started = 0
    size_of = size_of or (lambda _, started: started)
    while size_of(scheduler, started) < n:
        at = size_of(scheduler, started)
        t0 = clock()
        suggestion = scheduler.suggest(started)
        elapsed = clock() - t0
        if suggestion is None:
            break
        suggest_at.append(at)
        suggest_ns.append(elapsed)
        if suggestion.is_resume:
            trial, base, done = paused.pop(suggestion.resume_trial_id)
        else:
            trial = Trial(started, suggestion.config, TrialStatus.RUNNING)
            scheduler.on_trial_add(trial)
            base, done = objective(trial.config, MIXED_SPACE) - 1.0, 0
            started += 1
        for epoch in range(done + 1, epochs + 1):
            result = {"epoch": epoch, "loss": base + epoch**-0.5}
            t0 = clock()
            decision = scheduler.on_trial_result(trial, result)
            result_ns.append(clock() - t0)
            result_at.append(size_of(scheduler, started))
            if epoch == epochs:
                scheduler.on_trial_complete(trial, result)
            elif decision is Decision.PAUSE:
                paused[trial.trial_id] = (trial, base, epoch)
                break
            elif decision is Decision.STOP:
                break
    out = {}
    for size in sizes:
        lo = int(size * 0.9)
        out[str(size)] = {
            "suggest_us": _quantile_us(suggest_at, suggest_ns, lo, size, 0.5),
            "on_trial_result_us": _quantile_us(result_at, result_ns, lo, size, 0.5),
            "suggest_p90_us": _quantile_us(suggest_at, suggest_ns, lo, size, 0.9),
            "on_trial_result_p90_us": _quantile_us(result_at, result_ns, lo, size, 0.9),
        }
    return out


def _quantile_us(at: list[int], ns: list[int], lo: int, hi: int, q: float) -> float:
    """Quantile ``q`` (0.5: the median) of the calls made while the study had ``lo`` to ``hi``
    trials, in microseconds."""
    start, stop = bisect.bisect_left(at, lo), bisect.bisect_left(at, hi + 1)
    window = ns[start:stop]
    value = statistics.median(window) if q == 0.5 else sorted(window)[int(q * len(window))]
    return round(value / 1000, 2)


def measure_pbt(sizes: list[int], epochs: int = 5) -> dict:
    """``PopulationBasedTraining`` with a population of each size, round robin, ranked at every
    report: median and 90th percentile ``suggest`` and ``on_trial_result`` times (us)."""
    from tunesmith import PopulationBasedTraining

    clock = time.perf_counter_ns
    out = {}
    for size in sizes:
        scheduler = PopulationBasedTraining(
            MIXED_SPACE,
            metric="loss",
            population_size=size,
            perturbation_interval=1,
            random_seed=0,
        )
        suggest_ns, result_ns = [], []
        trials: dict[int, list] = {}  # trial id -> [trial, base loss, epochs done]
        order: list[int] = []
        while True:  # the population starts
            t0 = clock()
            suggestion = scheduler.suggest(len(trials))
            suggest_ns.append(clock() - t0)
            if suggestion is None:
                break
            trial = Trial(len(trials), suggestion.config, TrialStatus.RUNNING)
            scheduler.on_trial_add(trial)
            trials[trial.trial_id] = [trial, objective(trial.config, MIXED_SPACE) - 1.0, 0]
            order.append(trial.trial_id)
        for _ in range(epochs):
            for tid in order:
                trial, base, done = trials[tid]
                epoch = done + 1
                result = {"epoch": epoch, "loss": base + epoch**-0.5}
                t0 = clock()
                decision = scheduler.on_trial_result(trial, result)
                result_ns.append(clock() - t0)
                trials[tid][2] = epoch
                if decision is Decision.PAUSE:  # exploit at once, as a free worker would
                    t0 = clock()
                    suggestion = scheduler.suggest(len(trials))
                    suggest_ns.append(clock() - t0)
                    donor = trials[suggestion.checkpoint_from]
                    trial.config = suggestion.config
                    trials[tid][1:] = donor[1:]
        everything = list(range(len(result_ns)))
        out[str(size)] = {
            "suggest_us": _quantile_us(list(range(len(suggest_ns))), suggest_ns, 0, 10**9, 0.5),
            "on_trial_result_us": _quantile_us(everything, result_ns, 0, 10**9, 0.5),
            "suggest_p90_us": _quantile_us(list(range(len(suggest_ns))), suggest_ns, 0, 10**9, 0.9),
            "on_trial_result_p90_us": _quantile_us(everything, result_ns, 0, 10**9, 0.9),
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
            storage=f"sqlite:///{tmp}/tunesmith.db",
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


# -- model-based searchers without GPs (TPE / KDE) -----------------------------------------------


def _tpe(**options) -> object:
    from tunesmith.schedulers import TPE

    return TPE(MIXED_SPACE, metric="loss", random_seed=0, **options)


#: name -> make the scheduler (one result per trial; studies of 100 and 1,000 observations)
MODEL_BASED: dict[str, Callable[[], object]] = {
    "TPE-model": lambda: _tpe(random_fraction=0.0),  # the KDE fitted on every suggestion
    "TPE": _tpe,  # the defaults: the model on every suggestion after 10 random ones
    # BOHB's KDE defaults (TPE's before docs/tpe.md): one suggestion in three is random
    "TPE-bohb-defaults": lambda: _tpe(num_min_data_points=None, random_fraction=1 / 3),
}


def measure_model_based(only: list[str] | None, trials: list[int] | None) -> dict:
    """TPE's ``suggest`` time with N observations (FIFO: the config of trial N is suggested after
    N results), measured as :func:`measure_scheduler` does. Target: under 3 ms at 1,000
    observations (Optuna's TPE: about 15 ms per trial there)."""
    out = {}
    for name, make in MODEL_BASED.items():
        if only and name not in only:
            continue
        out[name] = measure_scheduler(make, sorted(trials or [100, 1000]), 1)
    return out


# -- Gaussian-process Bayesian optimization ------------------------------------------------------


def _bayesopt(**options) -> object:
    from tunesmith.schedulers import BayesianOptimization

    return BayesianOptimization(MIXED_SPACE, metric="loss", random_seed=0, **options)


#: name -> make the GP scheduler (one result per trial)
GP_BASED: dict[str, Callable[[], object]] = {
    "BayesianOptimization": _bayesopt,  # the defaults
    # the default before docs/bayesopt.md's "Against Optuna's TPE": standardized raw targets
    "BayesianOptimization-standardize": lambda: _bayesopt(target_transform="standardize"),
}


def measure_gp(only: list[str] | None, trials: list[int] | None) -> dict:
    """``BayesianOptimization`` (GP searcher, default options) ``suggest`` time with N
    observations (FIFO: the config of trial N is suggested after N results), measured as
    :func:`measure_scheduler` does; the p90 shows the hyperparameter refits. Target: median
    under 50 ms at 100 and under 250 ms at 1,000 observations (Syne Tune: 0.36 s and 7.6 s).
    ``BayesianOptimization-standardize``: the former default target transform, for a
    before/after comparison in one run."""
    out = {}
    for name, make in GP_BASED.items():
        if only and name not in only:
            continue
        out[name] = measure_scheduler(make, sorted(trials or [100, 300, 1000]))
    return out


# -- multi-fidelity GP schedulers (Hyper-Tune, DyHPO), by the searcher's observations -----------


def _multi_fidelity_gp(name: str) -> object:
    from tunesmith.schedulers import MOBSTER, DyHPO, HyperTune

    cls = {"MOBSTER": MOBSTER, "HyperTune": HyperTune, "DyHPO": DyHPO}[name]
    return cls(MIXED_SPACE, metric="loss", random_seed=0)


def measure_multi_fidelity_gp(only: list[str] | None, trials: list[int] | None) -> dict:
    """``MOBSTER``, ``HyperTune`` and ``DyHPO`` (default options, ``max_t`` 9 from the space's
    ``epochs``): ``suggest`` and ``on_trial_result`` times with N observations in the searcher
    (results at rung levels: a trial gives one per rung it reaches), measured as
    :func:`measure_scheduler` does. DyHPO's ``suggest`` is a model decision for resumes too.
    Target: median under 50 ms at 100 and under 250 ms at 1,000 observations (the GP
    searcher's)."""
    out = {}
    for name in ("MOBSTER", "HyperTune", "DyHPO"):
        if only and name not in only:
            continue
        out[name] = measure_scheduler(
            lambda name=name: _multi_fidelity_gp(name),
            sorted(trials or [100, 1000]),
            9,
            size_of=lambda scheduler, _: scheduler.searcher.num_observations,
        )
    return out


# -- surrogate searchers without GPs (BORE, CQR) -------------------------------------------------


def _surrogate(name: str) -> object:
    from tunesmith.schedulers import surrogate

    return getattr(surrogate, name)(MIXED_SPACE, metric="loss", random_seed=0)


def measure_surrogate(only: list[str] | None, trials: list[int] | None) -> dict:
    """``BORE`` and ``CQR`` (default options) ``suggest`` time with N observations (FIFO), as
    :func:`measure_gp`; the p90 shows the model refits. Target: median under 50 ms at 100 and
    under 250 ms at 1,000 observations, as the GP searcher."""
    out = {}
    for name in ("BORE", "CQR"):
        if not only or name in only:
            out[name] = measure_scheduler(
                lambda n=name: _surrogate(n), sorted(trials or [100, 1000])
            )
    return out


# -- several objectives ----------------------------------------------------------------------------


def _motpe() -> object:
    from tunesmith.schedulers import MOTPE

    return MOTPE(MIXED_SPACE, metric=["loss", "cost"], random_fraction=0.0, random_seed=0)


#: name -> make the scheduler (one result per trial, with ``loss`` and ``cost``)
MULTI_OBJECTIVE: dict[str, Callable[[], object]] = {"MOTPE": _motpe}


def measure_multi_objective(only: list[str] | None, trials: list[int] | None) -> dict:
    """``suggest`` time of the multi-objective searchers with N observations (FIFO), with the
    driver of ``benchmarks/multiobjective_methods.py`` (results carry ``loss`` and ``cost``).
    Target: MOTPE under 10 ms at 1,000 observations."""
    from multiobjective_methods import measure

    out = {}
    for name, make in MULTI_OBJECTIVE.items():
        if not only or name in only:
            out[name] = measure(make, sorted(trials or [200, 1000]), 1)
    return out


# -- expected hypervolume improvement (one GP per objective) ---------------------------------------


def _ehvi() -> object:
    from tunesmith.schedulers import EHVI

    return EHVI(MIXED_SPACE, metric=["loss", "cost"], random_seed=0)


def measure_ehvi(only: list[str] | None, trials: list[int] | None) -> dict:
    """``EHVI`` (default options) ``suggest`` time with N observations (FIFO; results carry
    ``loss`` and ``cost``, the driver of ``benchmarks/multiobjective_methods.py``); the p90
    shows the refits of the two GPs. Target: median under 250 ms at 200 observations."""
    if only and "EHVI" not in only:
        return {}
    from multiobjective_methods import measure

    return {"EHVI": measure(_ehvi, sorted(trials or [100, 200]), 1)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument("--trials", type=int, nargs="+", help="study sizes (default per scheduler)")
    parser.add_argument("--only", nargs="+", help="names of the measurements to run")
    args = parser.parse_args(argv)
    figures: dict = {
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "schedulers": {},
    }
    for name, (make, epochs, sizes) in SCHEDULERS.items():
        if args.only and name not in args.only:
            continue
        figures["schedulers"][name] = measure_scheduler(make, sorted(args.trials or sizes), epochs)
    if not args.only or "PBT" in args.only:
        figures["schedulers"]["PBT"] = measure_pbt(sorted(args.trials or [100, 1000]))
    figures["schedulers"].update(measure_model_based(args.only, args.trials))
    figures["schedulers"].update(measure_gp(args.only, args.trials))
    figures["schedulers"].update(measure_surrogate(args.only, args.trials))
    figures["schedulers"].update(measure_multi_fidelity_gp(args.only, args.trials))
    figures["schedulers"].update(measure_multi_objective(args.only, args.trials))
    figures["schedulers"].update(measure_ehvi(args.only, args.trials))
    if not args.only or "tuner" in args.only:
        figures["tuner_local_backend_per_trial"] = measure_tuner()
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for name, by_size in figures["schedulers"].items():
            for size, fig in by_size.items():
                print(
                    f"{name:>16} @ {size:>6} trials: suggest {fig['suggest_us']:8.2f} us "
                    f"(p90 {fig['suggest_p90_us']:8.2f}), on_trial_result "
                    f"{fig['on_trial_result_us']:8.2f} us "
                    f"(p90 {fig['on_trial_result_p90_us']:8.2f})"
                )
        if "tuner_local_backend_per_trial" in figures:
            print(
                "tuner overhead per trial (LocalBackend):", figures["tuner_local_backend_per_trial"]
            )
    return figures


if __name__ == "__main__":
    main()
