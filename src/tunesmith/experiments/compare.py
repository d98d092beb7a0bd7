"""Compare methods across seeds and benchmarks: best-so-far against simulated time, normalized
regret, interquartile mean (IQM) with bootstrap confidence bands, average ranks, and one-sided
Mann-Whitney tests of the seeds' anytime values against a reference method.

A benchmark with several objectives is compared by the *hypervolume regret* of the results so
far: ``1 - HV / HV*``, where ``HV`` is the hypervolume of the run's results (scored by their
seed-averaged values, every objective minimized) and ``HV*`` that of the table's own Pareto
front over all its configs and fidelities, both against a reference point just beyond the
nadir of that front (:func:`hypervolume_reference`). It is 1 before any result (or while no
result improves on the nadir) and 0 when the run has found the table's front; the rest (IQM,
bands, ranks, tests) is as for one objective.

Everything here computes plain data from the experiments' store; :mod:`.plot` draws it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.stats import rankdata

__all__ = [
    "Comparison",
    "Curve",
    "HypervolumeReference",
    "anytime_tests",
    "compare",
    "hypervolume_reference",
    "iqm",
    "parse_study_name",
    "rank_table",
]


def parse_study_name(name: str) -> tuple[str, str, int] | None:
    """``(benchmark, method, seed)`` of ``bench.<benchmark>.<method>.<seed>``, else None."""
    parts = name.split(".")
    if len(parts) < 4 or parts[0] != "bench" or not parts[-1].isdigit():
        return None
    return ".".join(parts[1:-2]), parts[-2], int(parts[-1])


def iqm(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """Interquartile mean: the mean of the middle half of the values along ``axis``."""
    values = np.sort(values, axis=axis)
    n = values.shape[axis]
    lo, hi = int(math.floor(n * 0.25)), int(math.ceil(n * 0.75))
    hi = max(hi, lo + 1)
    return np.take(values, np.arange(lo, hi), axis=axis).mean(axis=axis)


def _bootstrap_iqms(values: np.ndarray, rng: np.random.Generator, n_boot: int) -> np.ndarray:
    """The IQM curve over seeds (rows of ``values``) of ``n_boot`` resamples of the seeds:
    shape ``(n_boot, T)``."""
    n = values.shape[0]
    return iqm(values[rng.integers(0, n, size=(n_boot, n))], axis=1)


def bootstrap_band(
    values: np.ndarray, rng: np.random.Generator, n_boot: int = 1000, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap band of the IQM over seeds (rows of ``values``)."""
    stats = _bootstrap_iqms(values, rng, n_boot)
    alpha = (1 - level) / 2
    return np.quantile(stats, alpha, axis=0), np.quantile(stats, 1 - alpha, axis=0)


def anytime_band(
    per_seed: np.ndarray, rng: np.random.Generator, n_boot: int = 1000, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval, over seeds (rows of ``per_seed``), of the mean over time
    of the IQM curve: how far a method's *anytime* value could move with other seeds."""
    stats = _bootstrap_iqms(per_seed, rng, n_boot).mean(axis=1)  # (n_boot,)
    alpha = (1 - level) / 2
    return float(np.quantile(stats, alpha)), float(np.quantile(stats, 1 - alpha))


@dataclass
class Curve:
    """One method on one benchmark: IQM over seeds of the normalized regret (or of the best
    value when no reference values are known) at each time of ``times``."""

    method: str
    seeds: list[int]
    times: np.ndarray
    per_seed: np.ndarray  # (seeds, times)
    center: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def anytime(self) -> np.ndarray:
        """Each seed's anytime value: the mean of its curve over the whole budget."""
        return self.per_seed.mean(axis=1)

    def index_at(self, time: float) -> int:
        """The column of the curve that holds its value at ``time`` (the last one at or
        before it; the first before the first)."""
        i = min(int(np.searchsorted(self.times, time, side="right")) - 1, len(self.times) - 1)
        return max(i, 0)


@dataclass
class Comparison:
    benchmarks: list[str]
    methods: list[str]
    budgets: dict[str, float] = field(default_factory=dict)  # simulated seconds, per benchmark
    normalized: dict[str, bool] = field(default_factory=dict)  # per benchmark
    #: per benchmark: several objectives, compared by the hypervolume regret
    several_objectives: dict[str, bool] = field(default_factory=dict)
    curves: dict[str, dict[str, Curve]] = field(default_factory=dict)  # benchmark -> method

    def value_at(self, benchmark: str, method: str, time: float) -> float:
        curve = self.curves[benchmark][method]
        return float(curve.center[curve.index_at(time)])


def _best_so_far(
    events: list[Any], metric: str, mode: str, blackbox: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Times at which the best result so far improved, and its value then. With ``blackbox``,
    each result is scored by its config's seed-averaged value at the fidelity it reported
    (:func:`noise_free_metrics`), not by the noisy value of the seed its trial ran with."""
    times, best = [], []
    sign = 1.0 if mode == "min" else -1.0
    current = math.inf
    for when, reported, scored in _scored_results(events, blackbox):
        value = scored.get(metric, reported.get(metric))
        if not isinstance(value, int | float) or not math.isfinite(value):
            continue
        if sign * value < current:
            current = sign * value
            times.append(when)
            best.append(current)
    return np.asarray(times), sign * np.asarray(best)


def _scored_results(
    events: list[Any], blackbox: Any = None
) -> Iterator[tuple[float, dict[str, Any], dict[str, Any]]]:
    """``(time, reported metrics, scored metrics)`` of each result of a journal, in order; the
    scored ones are the reported ones, or with ``blackbox`` those of :func:`noise_free_metrics`
    (the trial's config is its ``trial_created`` payload)."""
    configs: dict[int, dict[str, Any]] = {}
    for event in events:
        kind = event.kind.value
        if kind == "trial_created":  # its payload is the config
            configs[event.trial_id] = event.payload
        elif kind == "result":
            scored = event.payload
            if blackbox is not None and event.trial_id in configs:
                scored = noise_free_metrics(blackbox, configs[event.trial_id], event.payload)
            yield float(event.time or 0.0), event.payload, scored


def reference_values(benchmark: str) -> tuple[float, float] | None:
    """``(best, worst)`` seed-averaged objective values of a tabulated benchmark over all its
    configs and fidelities, or None for a benchmark without a table. With several objectives:
    ``(0.0, 1.0)``, the range of the hypervolume regret, which is normalized already."""
    from tunesmith import bench
    from tunesmith.bench.tabular import TabularBlackbox

    blackbox = bench.load(benchmark)
    if not isinstance(blackbox, TabularBlackbox):
        return None
    if not isinstance(blackbox.objective, str):
        return 0.0, 1.0
    m = list(blackbox.metrics).index(blackbox.objective)
    values = blackbox.values[:, :, :, m].mean(axis=1)
    values = values[np.isfinite(values)]
    if blackbox.mode == "min":
        return float(values.min()), float(values.max())
    return float(values.max()), float(values.min())


@dataclass(frozen=True)
class HypervolumeReference:
    """What the hypervolume regret of a benchmark with several objectives is measured against:
    the reference point and the hypervolume ``best`` of the table's Pareto front, every
    objective minimized (``signs``: -1 where the objective's mode is ``"max"``)."""

    metrics: list[str]
    signs: np.ndarray
    point: np.ndarray
    best: float


#: how far beyond the nadir of a table's front its reference point lies, in units of the front's
#: range along each objective
REFERENCE_MARGIN = 0.1


def hypervolume_reference(benchmark: str) -> HypervolumeReference:
    """The :class:`HypervolumeReference` of a tabulated benchmark with several objectives: the
    table's Pareto front over its configs and fidelities (seed-averaged values), the reference
    point just beyond the front's nadir (its worst value along each objective, plus
    :data:`REFERENCE_MARGIN` of the front's range), and the front's hypervolume against it.
    A reference point at the table's worst values instead would make the volume almost all
    the box that any result dominates, and the regret blind to the front's shape."""
    from tunesmith import bench
    from tunesmith.bench.tabular import TabularBlackbox
    from tunesmith.multiobjective import hypervolume, objective_signs, pareto_front_mask

    blackbox = bench.load(benchmark)
    if not isinstance(blackbox, TabularBlackbox) or isinstance(blackbox.objective, str):
        raise ValueError(
            f"benchmark {benchmark!r} is not a table with several objectives; the hypervolume "
            "regret needs the table's own Pareto front"
        )
    columns = [list(blackbox.metrics).index(m) for m in blackbox.objectives]
    signs = objective_signs(blackbox.mode)
    points = blackbox.values[:, :, :, columns].mean(axis=1).reshape(-1, len(columns)) * signs
    points = points[np.all(np.isfinite(points), axis=1)]
    front = points[pareto_front_mask(points)]
    ideal, nadir = front.min(axis=0), front.max(axis=0)
    point = nadir + REFERENCE_MARGIN * np.where(nadir > ideal, nadir - ideal, 1.0)
    best = hypervolume(front, point)
    return HypervolumeReference(list(blackbox.objectives), signs, point, float(best))


def _hypervolume_regret_so_far(
    events: list[Any], reference: HypervolumeReference, blackbox: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Times at which the hypervolume of the results so far grew, and the hypervolume regret
    (``1 - HV / reference.best``) then; results are scored as in :func:`_best_so_far`."""
    from tunesmith.multiobjective import hypervolume, pareto_front_mask

    times, regrets = [], []
    front = np.empty((0, len(reference.metrics)))
    for when, _, scored in _scored_results(events, blackbox):
        values = [scored.get(m) for m in reference.metrics]
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            continue
        point = np.asarray(values, dtype=float) * reference.signs
        if not np.all(point < reference.point):
            continue  # on or beyond the reference point: adds no volume
        if len(front) and np.any(np.all(front <= point, axis=1)):
            continue  # dominated (or equalled) by a result before it
        both = np.vstack([front, point])
        front = both[pareto_front_mask(both)]
        regret = 1.0 - hypervolume(front, reference.point) / max(reference.best, 1e-300)
        times.append(when)
        regrets.append(max(regret, 0.0))
    return np.asarray(times), np.asarray(regrets)


def noise_free_metrics(blackbox: Any, config: dict[str, Any], result: dict[str, Any]):
    """Every metric of ``config`` averaged over the blackbox's seeds, at the fidelity of
    ``result``; ``result`` itself when the blackbox cannot answer."""
    fidelity = result.get(blackbox.fidelity_name) if blackbox.fidelity_name else None
    try:
        return blackbox.evaluate(config, fidelity, None)
    except (KeyError, ValueError):
        return result


def _scoring_blackbox(benchmark: str, metric: str | list[str]) -> Any:
    """The blackbox whose seed-averaged values score the results of ``benchmark`` (as the
    experiments ran it), or None when it is not in the catalogue or optimizes another metric."""
    from tunesmith import bench
    from tunesmith.experiments.runner import load_benchmark

    if benchmark not in bench.names():
        return None
    blackbox = load_benchmark(benchmark)
    return blackbox if blackbox.objective == metric else None


def compare(
    storage: str,
    *,
    benchmarks: list[str] | None = None,
    methods: list[str] | None = None,
    num_times: int = 100,
    seed: int = 0,
) -> Comparison:
    """Read every experiment study of ``storage`` (filtered by benchmark and method names) and
    compute the per-benchmark curves."""
    from tunesmith.store import Store

    runs: dict[tuple[str, str], list[tuple[int, np.ndarray, np.ndarray]]] = defaultdict(list)
    modes: dict[str, str] = {}
    blackboxes: dict[str, Any] = {}
    references: dict[str, HypervolumeReference] = {}
    budgets: dict[str, float] = defaultdict(float)
    with Store(storage) as store:
        for study in store.list_studies():
            parsed = parse_study_name(study.name)
            if parsed is None:
                continue
            benchmark, method, run_seed = parsed
            if (benchmarks and benchmark not in benchmarks) or (methods and method not in methods):
                continue
            events = store.read_events(study)
            several = len(study.metrics) > 1
            if benchmark not in blackboxes:
                blackboxes[benchmark] = _scoring_blackbox(
                    benchmark, study.metrics if several else study.metrics[0]
                )
            if several:
                if benchmark not in references:
                    references[benchmark] = hypervolume_reference(benchmark)
                times, best = _hypervolume_regret_so_far(
                    events, references[benchmark], blackboxes[benchmark]
                )
            else:
                times, best = _best_so_far(
                    events, study.metrics[0], study.modes[0], blackboxes[benchmark]
                )
            last = max((e.time or 0.0 for e in events), default=0.0)
            budgets[benchmark] = max(budgets[benchmark], last)
            modes[benchmark] = "min" if several else study.modes[0]
            runs[(benchmark, method)].append((run_seed, times, best))
    if not runs:
        raise ValueError(
            f"no experiment studies in {storage}"
            + (f" for benchmarks {benchmarks}" if benchmarks else "")
            + (f" and methods {methods}" if methods else "")
            + "; run `tunesmith bench run` first"
        )
    found_benchmarks = sorted({b for b, _ in runs})
    found_methods = sorted({m for _, m in runs})
    out = Comparison(found_benchmarks, found_methods, dict(budgets))
    rng = np.random.default_rng(seed)
    for benchmark in found_benchmarks:
        grid = np.linspace(0.0, budgets[benchmark], num_times)
        reference = reference_values(benchmark)
        out.normalized[benchmark] = reference is not None
        out.several_objectives[benchmark] = benchmark in references
        out.curves[benchmark] = {}
        for method in found_methods:
            seeds_runs = sorted(runs.get((benchmark, method), []), key=lambda r: r[0])
            if not seeds_runs:
                continue
            rows = []
            for _, times, best in seeds_runs:
                row = np.full(len(grid), np.nan)
                if len(best):
                    idx = np.searchsorted(times, grid, side="right") - 1
                    row = np.where(idx >= 0, best[np.clip(idx, 0, None)], np.nan)
                if reference is not None:  # before any result: the worst, regret 1
                    opt, worst = reference
                    sign = 1.0 if modes[benchmark] == "min" else -1.0
                    # results are scored by seed-averaged values, which cannot beat the
                    # reference; the clip guards against a scoring blackbox that cannot answer
                    row = np.maximum(sign * (row - opt), 0.0) / max(abs(worst - opt), 1e-12)
                    row = np.where(np.isnan(row), 1.0, row)
                elif len(best):
                    row = np.where(np.isnan(row), best[0], row)
                rows.append(row)
            per_seed = np.vstack(rows)
            lower, upper = bootstrap_band(per_seed, rng)
            out.curves[benchmark][method] = Curve(
                method, [r[0] for r in seeds_runs], grid, per_seed, iqm(per_seed), lower, upper
            )
    return out


def _average_ranks(values: dict[str, dict[str, float]]) -> dict[str, float]:
    """Each method's rank (1 = lowest value) averaged over the benchmarks of ``values``
    (benchmark -> method -> value). Ties share the average of their positions (scipy's
    rankdata), so the order of the names breaks no tie."""
    ranks: dict[str, list[float]] = defaultdict(list)
    for vals in values.values():
        order = list(vals)
        for method, rank in zip(order, rankdata([vals[m] for m in order]), strict=True):
            ranks[method].append(float(rank))
    return {m: round(float(np.mean(r)), 3) for m, r in sorted(ranks.items())}


def anytime_tests(comparison: Comparison, versus: str) -> dict[str, dict[str, float]]:
    """For each benchmark and each method other than ``versus``: the p-value of the one-sided
    Mann-Whitney U test (``scipy.stats.mannwhitneyu``, ``alternative="less"``) that the
    method's anytime values over seeds (:meth:`Curve.anytime`) tend to be lower (better) than
    those of ``versus``. A small p says the method is ahead by more than the seeds' spread
    explains; a p near 1 says it is behind. Benchmarks without ``versus`` are left out; a
    ValueError names the methods there are when no benchmark has it."""
    from scipy.stats import mannwhitneyu

    tests: dict[str, dict[str, float]] = {}
    for benchmark, curves in comparison.curves.items():
        if versus not in curves:
            continue
        reference = curves[versus].anytime()
        tests[benchmark] = {
            method: float(mannwhitneyu(curve.anytime(), reference, alternative="less").pvalue)
            for method, curve in curves.items()
            if method != versus
        }
    if not tests:
        raise ValueError(
            f"no benchmark has results of the method {versus!r} to test against; the methods "
            f"are {comparison.methods}"
        )
    return tests


def _per_seed(curve: Curve, fractions: list[float], budget: float) -> dict[str, Any]:
    """A curve's seeds, each seed's anytime value and its value at each fraction of
    ``budget``, read as :meth:`Comparison.value_at` reads the IQM curve."""
    at = {
        str(fraction): [float(v) for v in curve.per_seed[:, curve.index_at(fraction * budget)]]
        for fraction in fractions
    }
    return {
        "seeds": list(curve.seeds),
        "anytime": [float(v) for v in curve.anytime()],
        "at": at,
    }


def rank_table(
    comparison: Comparison, fractions: list[float], *, versus: str | None = None
) -> dict[str, Any]:
    """At each budget fraction: the IQM value per (benchmark, method) and each method's average
    rank over benchmarks (1 = best; lower normalized regret, or better best value). Under
    ``"anytime"``: the same for the mean of each curve over the whole budget (its area divided
    by the budget), which sums up how a method does at every time, not at one, with its 95 %
    bootstrap interval over seeds (``"interval"``): methods whose intervals overlap much are
    not told apart by these seeds. ``"seeds"`` counts each method's seeds per benchmark;
    ``"per_seed"`` (benchmark -> method) gives the values the IQMs and tests are made of: the
    ``"seeds"`` run, each one's ``"anytime"`` value and its value ``"at"`` each fraction, so
    that a result can be checked, or pooled with another run's, without the store. With
    ``versus`` (a method), ``"anytime"`` also holds ``"versus"`` and ``"p_lower"``: the
    one-sided Mann-Whitney p-values of :func:`anytime_tests`."""
    table: dict[str, Any] = {"fractions": fractions, "values": {}, "average_rank": {}}
    for fraction in fractions:
        values: dict[str, dict[str, float]] = {}
        for benchmark, curves in comparison.curves.items():
            t = fraction * comparison.budgets[benchmark]
            values[benchmark] = {m: comparison.value_at(benchmark, m, t) for m in curves}
        table["values"][str(fraction)] = values
        table["average_rank"][str(fraction)] = _average_ranks(values)
    anytime = {
        benchmark: {m: float(np.mean(c.center)) for m, c in curves.items()}
        for benchmark, curves in comparison.curves.items()
    }
    rng = np.random.default_rng(0)
    interval = {
        benchmark: {m: list(anytime_band(c.per_seed, rng)) for m, c in curves.items()}
        for benchmark, curves in comparison.curves.items()
    }
    table["anytime"] = {
        "values": anytime,
        "average_rank": _average_ranks(anytime),
        "interval": interval,
        "seeds": {
            benchmark: {m: len(c.seeds) for m, c in curves.items()}
            for benchmark, curves in comparison.curves.items()
        },
        "per_seed": {
            benchmark: {
                m: _per_seed(c, fractions, comparison.budgets[benchmark]) for m, c in curves.items()
            }
            for benchmark, curves in comparison.curves.items()
        },
    }
    if versus is not None:
        table["anytime"]["versus"] = versus
        table["anytime"]["p_lower"] = anytime_tests(comparison, versus)
    return table
