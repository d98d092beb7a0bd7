"""Best value so far: how a study's best result improved over wallclock time or over trials."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.viz.figure import (
    as_number,
    check_mode,
    check_records,
    columns_of,
    missing_column,
    new_axes,
)

__all__ = ["TIME_KEY", "BestData", "best_so_far", "plot_best_so_far", "timed_results"]

#: key of a result's time (seconds since the study's first event) in :func:`timed_results`
TIME_KEY = "ts_study_time"
_X_KINDS = ("time", "trials")


def timed_results(events: Iterable[Any]) -> list[dict[str, Any]]:
    """One dict per ``result`` event of a journal (``Store.read_events(study)``), in order:
    ``trial_id``, the reported metrics, and under :data:`TIME_KEY` the seconds from the
    journal's first event to the result. Times are the tuner's clock: the wall clock, or the
    simulated time of a simulated run."""
    out = []
    start = None
    for event in events:
        if start is None:
            start = event.time
        if getattr(event.kind, "value", event.kind) == "result":
            row = {"trial_id": event.trial_id}
            row.update(event.payload)
            row[TIME_KEY] = event.time - start
            out.append(row)
    return out


@dataclass(frozen=True)
class BestData:
    """Observations of ``metric`` and the best value so far after each.

    ``x_kind`` ``"time"``: one observation per result, ``x`` in seconds since the study began.
    ``x_kind`` ``"trials"``: one observation per trial (its best result), by trial id, ``x``
    = 1, 2, ... the number of trials so far. ``best[i]`` is the best of ``values[: i + 1]``.
    """

    metric: str
    mode: str
    x_kind: str
    x: np.ndarray
    values: np.ndarray
    best: np.ndarray
    trial_ids: np.ndarray

    def improvements(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x, best)`` at each observation that improved on the best so far."""
        if not len(self.best):
            return self.x, self.best
        keep = np.ones(len(self.best), dtype=bool)
        keep[1:] = self.best[1:] != self.best[:-1]
        return self.x[keep], self.best[keep]


def best_so_far(
    records: list[dict[str, Any]],
    metric: str,
    mode: str = "min",
    *,
    x: str = "time",
    time_attr: str = TIME_KEY,
) -> BestData:
    """The best value of ``metric`` so far, against time (``x="time"``; each record needs its
    time under ``time_attr``, as :func:`timed_results` gives) or against the number of trials
    (``x="trials"``; ``Store.records(study)`` will do). NaN, infinite and missing values are
    left out."""
    records = check_records(records)
    check_mode(mode)
    if x not in _X_KINDS:
        raise ValueError(f"`x` must be one of {list(_X_KINDS)}, but got x={x!r}")
    if records and not any(metric in row for row in records):
        raise missing_column(metric, "metric", columns_of(records))
    sign = 1.0 if mode == "min" else -1.0
    if x == "time":
        if records and not any(time_attr in row for row in records):
            raise ValueError(
                f"x='time' needs each record's time under {time_attr!r}, but the records have "
                f"none; pass tunesmith.viz.timed_results(store.read_events(study)) as records, "
                "or use x='trials'"
            )
        rows = []
        for row in records:
            value, when = as_number(row.get(metric)), as_number(row.get(time_attr))
            if value is not None and when is not None:
                rows.append((when, value, row["trial_id"]))
        rows.sort(key=lambda r: r[0])  # stable: results of one instant keep their order
        xs = np.array([r[0] for r in rows], dtype=float)
        values = np.array([r[1] for r in rows], dtype=float)
        trial_ids = np.array([r[2] for r in rows], dtype=int)
    else:
        per_trial: dict[int, float] = {}
        for row in records:
            value = as_number(row.get(metric))
            if value is None:
                continue
            old = per_trial.get(row["trial_id"])
            if old is None or sign * value < sign * old:
                per_trial[row["trial_id"]] = value
        trial_ids = np.array(sorted(per_trial), dtype=int)
        values = np.array([per_trial[t] for t in trial_ids.tolist()], dtype=float)
        xs = np.arange(1, len(values) + 1, dtype=float)
    if len(values):
        best = sign * np.minimum.accumulate(sign * values)
    else:
        best = np.empty(0)
    return BestData(metric, mode, x, xs, values, best, trial_ids)


def plot_best_so_far(data: BestData, ax: Any = None, *, log_y: bool = False):
    """Draw :func:`best_so_far` data: each observation as a dot, the best so far as a step line;
    returns the figure. Needs ``pip install "tunesmith[plot]"``."""
    if not isinstance(data, BestData):
        raise TypeError(
            "`data` must be the BestData of best_so_far(records, metric, ...), but got "
            f"{type(data).__name__}"
        )
    figure, ax = new_axes(ax, (8.0, 5.0))
    if len(data.values):
        alpha = min(0.8, max(0.05, 200.0 / len(data.values)))
        ax.plot(
            data.x,
            data.values,
            linestyle="none",
            marker=".",
            markersize=3,
            color="#8c8c8c",
            alpha=alpha,
            label="results" if data.x_kind == "time" else "trials (their best result)",
        )
        steps_x, steps_y = data.improvements()
        steps_x = np.append(steps_x, data.x[-1])
        steps_y = np.append(steps_y, data.best[-1])
        ax.step(steps_x, steps_y, where="post", color="#1f77b4", linewidth=2, label="best so far")
        legend = ax.legend(loc="best")
        for handle in legend.legend_handles:
            handle.set_alpha(1.0)
    else:
        ax.text(0.5, 0.5, "no results yet", transform=ax.transAxes, ha="center", va="center")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("seconds since the study began" if data.x_kind == "time" else "trials")
    ax.set_ylabel(f"{data.metric} ({data.mode})")
    best = f": {data.best[-1]:.6g}" if len(data.best) else ""
    ax.set_title(f"best {data.metric} so far{best}")
    ax.grid(True, alpha=0.3)
    return figure
