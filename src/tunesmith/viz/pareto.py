"""Several objectives: the Pareto front of a study's trials, and its hypervolume over time.

:func:`pareto_points` turns ``Store.records(study)`` into points, one per trial (its last report
carrying every objective, ``scope="last"``) or one per report (``scope="all"``), and marks those on
the Pareto front; :func:`plot_pareto_front` draws them: a 2-D scatter with the front as a
staircase for two objectives, a 3-D scatter for three, the 2-D projections of every pair for
more. :func:`hypervolume_over_time` gives the hypervolume of the results seen so far against
time (``timed_results(store.read_events(study))``) or the number of results;
:func:`plot_hypervolume` draws it.

Values stay in the metrics' own units in the data and on the axes; the front and the
hypervolume are computed with every ``"max"`` objective negated (see
:mod:`tunesmith.multiobjective`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.multiobjective import (
    check_objectives,
    hypervolume,
    objective_signs,
    pareto_front_mask,
)
from tunesmith.ranking import DEFAULT_SCOPE, SCOPE_WORDS, check_scope
from tunesmith.viz.best import TIME_KEY
from tunesmith.viz.figure import as_number, check_records, columns_of, missing_column, new_axes

__all__ = [
    "HypervolumeData",
    "ParetoData",
    "default_reference_point",
    "hypervolume_over_time",
    "pareto_points",
    "plot_hypervolume",
    "plot_pareto_front",
]

#: above this many dominated points, the scatter is drawn as an image (rasterized) in SVG/PDF
_RASTERIZE_ABOVE = 5000
#: the hypervolume curve is computed at most at this many numbers of results (and at the last)
_MAX_STEPS = 400


@dataclass(frozen=True)
class ParetoData:
    """Points of a study with several objectives: ``values[i]`` (in the metrics' units, one
    column per metric) is the report of trial ``trial_ids[i]``; ``on_front[i]`` says whether the
    point is on the Pareto front. ``scope``: ``"last"`` (a trial's last report carrying every
    objective) or ``"all"`` (every such report)."""

    metrics: tuple[str, ...]
    modes: tuple[str, ...]
    values: np.ndarray
    trial_ids: np.ndarray
    on_front: np.ndarray
    scope: str = DEFAULT_SCOPE

    def front(self) -> tuple[np.ndarray, np.ndarray]:
        """``(values, trial_ids)`` of the front, sorted by the first objective (best first)."""
        values, ids = self.values[self.on_front], self.trial_ids[self.on_front]
        if not len(values):
            return values, ids
        sign = 1.0 if self.modes[0] == "min" else -1.0
        order = np.lexsort((ids, sign * values[:, 0]))
        return values[order], ids[order]

    def minimized(self) -> np.ndarray:
        """``values`` with the ``"max"`` columns negated: every objective minimized."""
        return self.values * objective_signs(self.modes)


def _objectives(metric: Any, mode: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    metrics, modes = check_objectives(metric, mode)
    if len(metrics) < 2:
        raise ValueError(
            f"a Pareto front needs at least two metrics, but got metric={metric!r}; for one "
            "metric use best_so_far or training_curves"
        )
    return metrics, modes


def _point(row: dict[str, Any], metrics: tuple[str, ...]) -> list[float] | None:
    point = []
    for name in metrics:
        value = as_number(row.get(name))
        if value is None:
            return None
        point.append(value)
    return point


def pareto_points(
    records: list[dict[str, Any]], metric: Any, mode: Any = "min", *, scope: str = DEFAULT_SCOPE
) -> ParetoData:
    """The points of ``records`` (``Store.records(study)``: one dict per report with
    ``trial_id`` and the reported metrics) for ``metric`` (a list of at least two names) and
    ``mode`` (one mode, or one per metric), and which of them are on the Pareto front. Reports
    lacking an objective, or with a NaN or infinite one, are left out."""
    records = check_records(records)
    metrics, modes = _objectives(metric, mode)
    check_scope(scope)
    for name in metrics:
        if records and not any(name in row for row in records):
            raise missing_column(name, "metric", columns_of(records))
    ids: list[int] = []
    values: list[list[float]] = []
    if scope == "last":
        last: dict[int, list[float]] = {}
        for row in records:
            if all(name in row for name in metrics):
                point = _point(row, metrics)
                if point is None:
                    last.pop(row["trial_id"], None)  # its last report is not a point
                else:
                    last[row["trial_id"]] = point
        for trial_id in sorted(last):
            ids.append(trial_id)
            values.append(last[trial_id])
    else:
        for row in records:
            point = _point(row, metrics)
            if point is not None:
                ids.append(row["trial_id"])
                values.append(point)
    array = np.asarray(values, dtype=float).reshape(len(values), len(metrics))
    if len(array):
        mask = pareto_front_mask(array * objective_signs(modes))
    else:
        mask = np.zeros(0, dtype=bool)
    return ParetoData(metrics, modes, array, np.asarray(ids, dtype=int), mask, scope)


def _check_data(data: Any, cls: type, made_by: str) -> None:
    if not isinstance(data, cls):
        raise TypeError(
            f"`data` must be the {cls.__name__} of {made_by}, but got {type(data).__name__}"
        )


def _axis_label(name: str, mode: str) -> str:
    return f"{name} ({mode})"


def _staircase(front: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 2-D front (sorted by the first objective, best first) as the corners of the region
    it dominates: a step line through the front points."""
    xs, ys = [front[0, 0]], [front[0, 1]]
    for x, y in front[1:]:
        xs += [x, x]
        ys += [ys[-1], y]
    return np.asarray(xs), np.asarray(ys)


def plot_pareto_front(data: ParetoData, ax: Any = None, *, annotate: int = 12):
    """Draw :func:`pareto_points` data; returns the figure. Two objectives: the dominated
    points in grey, the front in color with the staircase of what it dominates, and the trial
    ids of up to ``annotate`` front points. Three: a 3-D scatter. More: a grid of the 2-D
    projections of every pair of objectives (``ax`` must then be None). Needs
    ``pip install "tunesmith[plot]"``."""
    _check_data(data, ParetoData, "pareto_points(records, metrics, ...)")
    d = len(data.metrics)
    words = SCOPE_WORDS[data.scope]
    title = f"Pareto front: {int(data.on_front.sum())} of {len(data.values)} points ({words})"
    figure: Any
    if d == 2:
        figure, ax = new_axes(ax, (7.0, 5.5))
        _scatter_2d(ax, data, 0, 1, annotate=annotate, staircase=True)
        ax.set_title(title, fontsize=10)
    elif d == 3 and ax is None:
        from matplotlib.figure import Figure

        figure = Figure(figsize=(7.5, 6.5), layout="constrained")
        ax = figure.add_subplot(projection="3d")
        dominated = ~data.on_front
        ax.scatter(*data.values[dominated].T, s=4, color="#b0b0b0", alpha=0.4, label="dominated")
        ax.scatter(*data.values[data.on_front].T, s=16, color="#1f77b4", label="Pareto front")
        ax.set_xlabel(_axis_label(data.metrics[0], data.modes[0]))
        ax.set_ylabel(_axis_label(data.metrics[1], data.modes[1]))
        ax.set_zlabel(_axis_label(data.metrics[2], data.modes[2]))
        if len(data.values):
            ax.legend(loc="best")
        ax.set_title(title, fontsize=10)
    else:
        if ax is not None:
            raise ValueError(
                f"with {d} objectives the plot is a grid of panels; pass ax=None (got an axes)"
            )
        from matplotlib.figure import Figure

        pairs = list(itertools.combinations(range(d), 2))
        cols = min(3, len(pairs))
        rows = math.ceil(len(pairs) / cols)
        figure = Figure(figsize=(4.2 * cols, 3.6 * rows), layout="constrained")
        for k, (i, j) in enumerate(pairs):
            _scatter_2d(figure.add_subplot(rows, cols, k + 1), data, i, j, annotate=0)
        figure.suptitle(title, fontsize=10)
    return figure


def _scatter_2d(
    ax: Any, data: ParetoData, i: int, j: int, *, annotate: int, staircase: bool = False
) -> None:
    dominated = data.values[~data.on_front]
    if len(dominated):
        ax.scatter(
            dominated[:, i],
            dominated[:, j],
            s=10 if len(dominated) < 1000 else 4,
            color="#8c8c8c",
            alpha=min(0.8, max(0.1, 500.0 / len(dominated))),
            linewidths=0,
            label="dominated",
            rasterized=len(dominated) > _RASTERIZE_ABOVE,
        )
    front, ids = data.front()
    if len(front):
        ax.scatter(front[:, i], front[:, j], s=18, color="#1f77b4", zorder=3, label="Pareto front")
        if staircase:
            xs, ys = _staircase(front[:, [i, j]])
            ax.plot(xs, ys, color="#1f77b4", linewidth=1, alpha=0.7, zorder=2)
        for (x, y), trial_id in list(zip(front[:, [i, j]], ids, strict=True))[:annotate]:
            ax.annotate(
                str(trial_id), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7
            )
        ax.legend(loc="best")
    elif not len(dominated):
        ax.text(0.5, 0.5, "no results yet", transform=ax.transAxes, ha="center", va="center")
    ax.set_xlabel(_axis_label(data.metrics[i], data.modes[i]))
    ax.set_ylabel(_axis_label(data.metrics[j], data.modes[j]))
    ax.grid(True, alpha=0.3)


# -- hypervolume over time ---------------------------------------------------------------------


@dataclass(frozen=True)
class HypervolumeData:
    """The hypervolume of the results seen so far: ``hypervolume[k]`` covers the results up to
    ``x[k]`` (seconds since the study began, ``x_kind="time"``, or the number of results,
    ``"results"``), measured against ``reference_point`` (in the metrics' units; each objective's
    worst acceptable value)."""

    metrics: tuple[str, ...]
    modes: tuple[str, ...]
    x_kind: str
    x: np.ndarray
    hypervolume: np.ndarray
    reference_point: np.ndarray
    num_results: int


def default_reference_point(values: Any, modes: Any) -> np.ndarray:
    """A reference point for ``values`` (an ``(n, d)`` array in the metrics' units): each
    objective's worst value, moved 10 % of its range further (by 1 where every value is the
    same), in the metrics' units."""
    signs = objective_signs(modes)
    minimized = np.asarray(values, dtype=float) * signs
    worst, best = minimized.max(axis=0), minimized.min(axis=0)
    span = np.where(worst > best, worst - best, 1.0)
    return (worst + 0.1 * span) * signs


def hypervolume_over_time(
    records: list[dict[str, Any]],
    metric: Any,
    mode: Any = "min",
    *,
    reference_point: Any = None,
    x: str = "time",
    time_attr: str = TIME_KEY,
) -> HypervolumeData:
    """The hypervolume dominated by the results so far, after each result: ``records`` in
    order, with their time under ``time_attr`` for ``x="time"`` (as
    :func:`~tunesmith.viz.timed_results` gives them) or any order of reports for
    ``x="results"``. ``reference_point`` (in the metrics' units) defaults to
    :func:`default_reference_point` of every result; results beyond it add nothing. Results
    lacking an objective or with a NaN or infinite one are left out. For many results the curve
    is computed at about 400 evenly spaced numbers of results and at the last one."""
    records = check_records(records)
    metrics, modes = _objectives(metric, mode)
    if x not in ("time", "results"):
        raise ValueError(f"`x` must be 'time' or 'results', but got x={x!r}")
    rows: list[tuple[float, list[float]]] = []
    for k, row in enumerate(records):
        point = _point(row, metrics)
        if point is None:
            continue
        if x == "time":
            when = as_number(row.get(time_attr))
            if when is None:
                raise ValueError(
                    f"x='time' needs each record's time under {time_attr!r}, but record {k} has "
                    "none; pass tunesmith.viz.timed_results(store.read_events(study)) as "
                    "records, or use x='results'"
                )
            rows.append((when, point))
        else:
            rows.append((float(len(rows) + 1), point))
    rows.sort(key=lambda r: r[0])
    values = np.asarray([p for _, p in rows], dtype=float).reshape(len(rows), len(metrics))
    signs = objective_signs(modes)
    if reference_point is None:
        ref = default_reference_point(values, modes) if len(values) else np.zeros(len(metrics))
    else:
        ref = np.asarray(reference_point, dtype=float)
        if ref.shape != (len(metrics),) or not np.all(np.isfinite(ref)):
            raise ValueError(
                f"`reference_point` must be {len(metrics)} finite numbers, one per metric "
                f"{list(metrics)}, but got {reference_point!r}"
            )
    n = len(values)
    ends = np.unique(np.linspace(0, n, min(n, _MAX_STEPS) + 1).astype(int)[1:]) if n else []
    minimized, ref_min = values * signs, ref * signs
    front = np.empty((0, len(metrics)))
    out_x, out_hv, start = [], [], 0
    for end in ends:
        chunk = minimized[start:end]
        chunk = chunk[np.all(chunk < ref_min, axis=1)]  # beyond the reference: adds nothing
        if len(chunk):
            both = np.vstack([front, chunk])
            front = both[pareto_front_mask(both)]
        out_x.append(rows[end - 1][0])
        out_hv.append(hypervolume(front, ref_min) if len(front) else 0.0)
        start = end
    return HypervolumeData(
        metrics, modes, x, np.asarray(out_x, dtype=float), np.asarray(out_hv), ref, n
    )


def plot_hypervolume(data: HypervolumeData, ax: Any = None):
    """Draw :func:`hypervolume_over_time` data as a step line; returns the figure. Needs
    ``pip install "tunesmith[plot]"``."""
    _check_data(data, HypervolumeData, "hypervolume_over_time(records, metrics, ...)")
    figure, ax = new_axes(ax, (8.0, 5.0))
    if len(data.x):
        ax.step(data.x, data.hypervolume, where="post", color="#1f77b4", linewidth=2)
        ax.set_title(f"hypervolume so far: {data.hypervolume[-1]:.6g}")
    else:
        ax.text(0.5, 0.5, "no results yet", transform=ax.transAxes, ha="center", va="center")
    ax.set_xlabel("seconds since the study began" if data.x_kind == "time" else "results")
    ref = ", ".join(
        f"{m} {v:.4g}" for m, v in zip(data.metrics, data.reference_point.tolist(), strict=True)
    )
    ax.set_ylabel(f"hypervolume (reference point: {ref})")
    ax.grid(True, alpha=0.3)
    return figure
