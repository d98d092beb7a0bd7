"""Training curves: a metric against the resource (epochs, steps) of every trial, one line each."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.ranking import DEFAULT_SCOPE, SCOPE_WORDS, check_scope, per_trial, ranked
from tunesmith.trial import check_metric_mode
from tunesmith.viz.figure import (
    OTHER_COLOR,
    STATUS_COLORS,
    as_number,
    check_records,
    columns_of,
    missing_column,
    new_axes,
)

__all__ = ["CurvesData", "TrialCurve", "plot_training_curves", "training_curves"]


@dataclass(frozen=True)
class TrialCurve:
    """One trial's curve: ``x`` (resource, or report number) and ``y`` (the metric), in report
    order, without the reports that lack either or carry a NaN or infinity."""

    trial_id: int
    status: str
    x: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class CurvesData:
    """The curves of a study's trials, by trial id. ``resource_attr`` is None when ``x`` is the
    report number (1, 2, ...). ``num_points`` counts the points before thinning.
    ``best_trial_id``: the best trial (see :mod:`tunesmith.ranking`; None when no ``mode`` was
    given or no trial has a finite value), drawn on top of the others."""

    metric: str
    resource_attr: str | None
    curves: list[TrialCurve]
    num_points: int
    best_trial_id: int | None = None
    scope: str = DEFAULT_SCOPE

    def statuses(self) -> dict[str, int]:
        """Number of curves per trial status."""
        out: dict[str, int] = {}
        for curve in self.curves:
            out[curve.status] = out.get(curve.status, 0) + 1
        return out


def _thin(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points: the lowest and the highest point of each of
    ``max_points // 2`` equal runs of reports, so spikes and the envelope survive; the first and
    last points always stay."""
    n = len(y)
    if n <= max_points:
        return x, y
    buckets = max(1, (max_points - 2) // 2)
    size = math.ceil(n / buckets)
    padded = np.full(buckets * size, np.nan)
    padded[:n] = y
    rows = padded.reshape(buckets, size)
    low = np.argmin(np.where(np.isnan(rows), np.inf, rows), axis=1)
    high = np.argmax(np.where(np.isnan(rows), -np.inf, rows), axis=1)
    start = np.arange(buckets) * size
    keep = np.unique(np.concatenate([[0, n - 1], start + low, start + high]))
    keep = keep[keep < n]
    return x[keep], y[keep]


def training_curves(
    records: list[dict[str, Any]],
    metric: str,
    resource_attr: str | None = None,
    *,
    mode: str | None = None,
    scope: str = DEFAULT_SCOPE,
    max_points_per_curve: int = 1000,
) -> CurvesData:
    """The curve of ``metric`` of each trial in ``records`` (``Store.records(study)``: one dict
    per report with ``trial_id``, ``status`` and the metrics), against ``resource_attr`` (e.g.
    ``"epoch"``) or, when None, against the report number. With ``mode`` (``"min"`` or
    ``"max"``), the best trial (ranked by its last report, or its best with ``scope="all"``)
    is marked.

    A curve longer than ``max_points_per_curve`` is thinned to the lowest and highest value of
    each run of reports, so a study of any size draws fast and its curves keep their shape.
    """
    records = check_records(records)
    if not isinstance(metric, str) or not metric:
        raise ValueError(f"`metric` must be a metric name, but got metric={metric!r}")
    if resource_attr is not None and (not isinstance(resource_attr, str) or not resource_attr):
        raise ValueError(
            f"`resource_attr` must be a name or None, but got resource_attr={resource_attr!r}"
        )
    if isinstance(max_points_per_curve, bool) or not isinstance(max_points_per_curve, int):
        raise TypeError(
            f"`max_points_per_curve` must be an int >= 4, but got {max_points_per_curve!r}"
        )
    if max_points_per_curve < 4:
        raise ValueError(
            f"`max_points_per_curve` must be an int >= 4, but got {max_points_per_curve}"
        )
    if mode is not None:
        check_metric_mode(metric, mode)
    check_scope(scope)
    if records and not any(metric in row for row in records):
        raise missing_column(metric, "metric", columns_of(records))
    if records and resource_attr is not None and not any(resource_attr in row for row in records):
        raise missing_column(resource_attr, "resource_attr", columns_of(records))

    points: dict[int, tuple[list[float], list[float]]] = {}
    statuses: dict[int, str] = {}
    counts: dict[int, int] = {}
    for row in records:
        trial_id = row["trial_id"]
        statuses[trial_id] = row.get("status") or "unknown"
        counts[trial_id] = counts.get(trial_id, 0) + 1
        y = as_number(row.get(metric))
        x = counts[trial_id] if resource_attr is None else as_number(row.get(resource_attr))
        xs, ys = points.setdefault(trial_id, ([], []))
        if x is not None and y is not None:
            xs.append(float(x))
            ys.append(y)
    curves = []
    total = 0
    for trial_id in sorted(points):
        xs, ys = points[trial_id]
        total += len(xs)
        x, y = _thin(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), max_points_per_curve)
        curves.append(TrialCurve(trial_id, statuses[trial_id], x, y))
    best = None
    if mode is not None:
        order = ranked(per_trial(((r["trial_id"], r) for r in records), metric, mode, scope))
        best = order[0] if order else None
    return CurvesData(metric, resource_attr, curves, total, best, scope)


def plot_training_curves(
    data: CurvesData,
    ax: Any = None,
    *,
    log_y: bool = False,
    alpha: float | None = None,
):
    """Draw :func:`training_curves` data, one color per trial status; returns the figure.

    ``ax``: matplotlib axes to draw on (default: a new figure). ``alpha`` (default: lower the
    more curves there are) keeps dense plots readable. Needs ``pip install "tunesmith[plot]"``.
    """
    if not isinstance(data, CurvesData):
        raise TypeError(
            "`data` must be the CurvesData of training_curves(records, metric, ...), but got "
            f"{type(data).__name__}"
        )
    figure, ax = new_axes(ax, (8.0, 5.0))
    from matplotlib.collections import LineCollection

    drawn = [c for c in data.curves if len(c.x)]
    if alpha is None:
        alpha = min(1.0, max(0.05, 25.0 / max(1, len(drawn))))
    by_status: dict[str, list[TrialCurve]] = {}
    for curve in drawn:
        by_status.setdefault(curve.status, []).append(curve)
    order = [s for s in STATUS_COLORS if s in by_status] + sorted(
        s for s in by_status if s not in STATUS_COLORS
    )
    for status in order:
        curves = by_status[status]
        color = STATUS_COLORS.get(status, OTHER_COLOR)
        label = f"{status} ({len(curves)})"
        lines = [np.column_stack([c.x, c.y]) for c in curves if len(c.x) > 1]
        if lines:
            ax.add_collection(
                LineCollection(lines, colors=color, linewidths=1.0, alpha=alpha, label=label)
            )
            label = None
        singles = [c for c in curves if len(c.x) == 1]
        if singles:
            ax.scatter(
                [c.x[0] for c in singles],
                [c.y[0] for c in singles],
                s=8,
                color=color,
                alpha=max(alpha, 0.3),
                label=label,
            )
    best = next((c for c in drawn if c.trial_id == data.best_trial_id), None)
    if best is not None:
        label = f"best: trial {best.trial_id} ({SCOPE_WORDS[data.scope]})"
        ax.plot(best.x, best.y, color="black", linewidth=2.0, marker=".", label=label, zorder=3)
    ax.autoscale_view()
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(data.resource_attr or "report number (of each trial)")
    ax.set_ylabel(data.metric)
    ax.set_title(f"{data.metric} of {len(drawn)} trials")
    ax.grid(True, alpha=0.3)
    if drawn:
        legend = ax.legend(title="status", loc="best")
        for handle in legend.legend_handles:
            if handle is not None:
                handle.set_alpha(1.0)
    else:
        ax.text(0.5, 0.5, "no results yet", transform=ax.transAxes, ha="center", va="center")
    return figure
