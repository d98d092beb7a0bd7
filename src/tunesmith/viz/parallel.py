"""Parallel coordinates: one line per trial through its hyperparameters, colored by its metric."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunesmith.domains import Categorical, FiniteRange, Float, Integer, Ordinal
from tunesmith.space import hyperparameters
from tunesmith.viz.figure import MISSING_COLOR, as_number, check_mode, check_records, new_axes

__all__ = ["ParallelAxis", "ParallelData", "parallel_coordinates", "plot_parallel_coordinates"]

_NUM_TICKS = 5
_MAX_LABELS = 12


@dataclass(frozen=True)
class ParallelAxis:
    """One vertical axis. ``scale``: ``"linear"``, ``"log"`` or ``"categorical"``; ``ticks`` are
    positions in ``[0, 1]`` and ``labels`` the values there."""

    name: str
    scale: str
    ticks: tuple[float, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class ParallelData:
    """One row per trial (by trial id): ``values[i, j]`` is trial ``trial_ids[i]`` on
    ``axes[j]``, scaled to ``[0, 1]`` (NaN where the trial has no value); the last axis is the
    metric. ``color`` is each trial's last reported value of ``metric`` (NaN if none)."""

    metric: str
    mode: str
    axes: list[ParallelAxis]
    trial_ids: np.ndarray
    values: np.ndarray
    color: np.ndarray


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _label(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    text = str(value)
    return text if len(text) <= 16 else text[:15] + "…"


def _categorical(name: str, values: list[Any], categories: list[Any]) -> tuple[ParallelAxis, list]:
    """Positions of ``values`` among ``categories`` (values not among them are added)."""
    index = {_key(c): i for i, c in enumerate(categories)}
    categories = list(categories)
    for v in values:
        if v is not None and _key(v) not in index:
            index[_key(v)] = len(categories)
            categories.append(v)
    n = len(categories)
    scale = max(1, n - 1)
    positions = [
        math.nan if v is None else (index[_key(v)] / scale if n > 1 else 0.5) for v in values
    ]
    step = max(1, math.ceil(n / _MAX_LABELS))
    shown = range(0, n, step)
    ticks = tuple(i / scale if n > 1 else 0.5 for i in shown)
    axis = ParallelAxis(name, "categorical", ticks, tuple(_label(categories[i]) for i in shown))
    return axis, positions


def _numeric(
    name: str,
    numbers: list[float | None],
    *,
    log: bool = False,
    bounds: tuple[float, float] | None = None,
    integer: bool = False,
) -> tuple[ParallelAxis, list]:
    """Positions of ``numbers`` between the bounds (widened to the data), on a log scale if
    ``log`` (non-positive numbers have none)."""
    seen = [v for v in numbers if v is not None and (v > 0 or not log)]
    lows = [*seen, *(bounds[:1] if bounds else [])]
    highs = [*seen, *(bounds[1:] if bounds else [])]
    if not lows:
        return ParallelAxis(name, "log" if log else "linear", (), ()), [math.nan] * len(numbers)
    lo, hi = min(lows), max(highs)
    f = math.log if log else float
    a, b = f(lo), f(hi)
    width = b - a

    def position(v: float | None) -> float:
        if v is None or (log and v <= 0):
            return math.nan
        return (f(v) - a) / width if width > 0 else 0.5

    if width > 0:
        ticks = tuple(i / (_NUM_TICKS - 1) for i in range(_NUM_TICKS))
        at = [a + t * width for t in ticks]
        tick_values = [math.exp(v) if log else v for v in at]
    else:
        ticks, tick_values = (0.5,), [lo]
    labels = tuple(f"{round(v)}" if integer else f"{v:.3g}" for v in tick_values)
    axis = ParallelAxis(name, "log" if log else "linear", ticks, labels)
    return axis, [position(v) for v in numbers]


def _axis_for(name: str, values: list[Any], domain: Any) -> tuple[ParallelAxis, list]:
    numbers = [as_number(v) for v in values]
    if isinstance(domain, Float | Integer | FiniteRange):
        return _numeric(
            name,
            numbers,
            log=domain.log,
            bounds=(domain.lower, domain.upper),
            integer=isinstance(domain, Integer)
            or (isinstance(domain, FiniteRange) and domain.cast_int),
        )
    if isinstance(domain, Ordinal):
        return _categorical(name, values, list(domain.values))
    if isinstance(domain, Categorical):
        return _categorical(name, values, list(domain.categories))
    present = [v for v in values if v is not None]
    if present and all(as_number(v) is not None for v in present):
        integer = all(isinstance(v, int) for v in present)
        return _numeric(name, numbers, integer=integer)
    return _categorical(name, values, [])


def parallel_coordinates(
    trials: list[dict[str, Any]],
    metric: str,
    mode: str = "min",
    *,
    config_space: dict[str, Any] | None = None,
) -> ParallelData:
    """Each trial of ``trials`` (``Store.trials(study)``: dicts with ``trial_id``, ``config``
    and ``last_result``) as a line through its hyperparameters and its last value of ``metric``.

    ``config_space`` (e.g. ``space_from_json(study.config_space_json)``) gives the axes: one per
    hyperparameter, its bounds, log scale for log domains, categories in their order. Without
    it, every config key whose value varies is an axis: numbers on a linear scale, anything else
    as categories in order of appearance."""
    trials = check_records(trials, "trials")
    check_mode(mode)
    if not isinstance(metric, str) or not metric:
        raise ValueError(f"`metric` must be a metric name, but got metric={metric!r}")
    trials = sorted(trials, key=lambda t: t["trial_id"])
    configs = [t.get("config") or {} for t in trials]
    if config_space is not None:
        domains: dict[str, Any] = dict(hyperparameters(config_space))
    else:
        names: dict[str, None] = {}
        for config in configs:
            names.update(dict.fromkeys(config))
        domains = {}
        for name in names:
            distinct = {_key(c.get(name)) for c in configs}
            if len(distinct) > 1:
                domains[name] = None
    axes, columns = [], []
    for name, domain in domains.items():
        axis, positions = _axis_for(name, [c.get(name) for c in configs], domain)
        axes.append(axis)
        columns.append(positions)
    color = np.array(
        [
            math.nan if (v := as_number((t.get("last_result") or {}).get(metric))) is None else v
            for t in trials
        ],
        dtype=float,
    )
    axis, positions = _numeric(metric, [None if math.isnan(c) else float(c) for c in color])
    axes.append(axis)
    columns.append(positions)
    values = np.array(columns, dtype=float).T.reshape(len(trials), len(axes))
    trial_ids = np.array([t["trial_id"] for t in trials], dtype=int)
    return ParallelData(metric, mode, axes, trial_ids, values, color)


def plot_parallel_coordinates(data: ParallelData, ax: Any = None, *, cmap: str = "viridis"):
    """Draw :func:`parallel_coordinates` data: trials without the metric in grey, the others
    colored by it, the best drawn last (on top); returns the figure. Needs
    ``pip install "tunesmith[plot]"``."""
    if not isinstance(data, ParallelData):
        raise TypeError(
            "`data` must be the ParallelData of parallel_coordinates(trials, metric, ...), but "
            f"got {type(data).__name__}"
        )
    k = len(data.axes)
    figure, ax = new_axes(ax, (max(6.0, 1.6 * k + 2.0), 5.0))
    from matplotlib import cm, colormaps, colors
    from matplotlib.collections import LineCollection

    finite = ~np.isnan(data.color)
    score = np.where(finite, data.color if data.mode == "min" else -data.color, np.inf)
    order = np.argsort(-score, kind="stable")  # missing first, then worst to best
    xs = np.broadcast_to(np.arange(k, dtype=float), data.values.shape)
    segments = np.stack([xs, data.values], axis=-1)[order]
    norm = None
    if finite.any():
        low, high = float(data.color[finite].min()), float(data.color[finite].max())
        norm = colors.Normalize(low, high if high > low else low + 1.0)
        rgba = colormaps[cmap](norm(np.nan_to_num(data.color)))
        rgba[~finite] = colors.to_rgba(MISSING_COLOR)
    else:
        rgba = np.tile(colors.to_rgba(MISSING_COLOR), (len(data.color), 1))
    n = len(data.trial_ids)
    lines = LineCollection(
        list(segments),
        colors=rgba[order],
        linewidths=1.0,
        alpha=min(1.0, max(0.1, 50 / max(1, n))),
    )
    ax.add_collection(lines)
    for j, axis in enumerate(data.axes):
        ax.axvline(j, color="black", linewidth=0.8)
        for tick, label in zip(axis.ticks, axis.labels, strict=True):
            ax.text(j + 0.03, tick, label, fontsize=7, va="center", ha="left")
    ax.set_xlim(-0.3, k - 0.7 if k > 1 else 0.7)
    ax.set_ylim(-0.04, 1.04)
    ax.set_xticks(range(k), [a.name + (" (log)" if a.scale == "log" else "") for a in data.axes])
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    if norm is not None:
        mappable = cm.ScalarMappable(norm=norm, cmap=cmap)
        figure.colorbar(mappable, ax=ax, label=f"{data.metric} ({data.mode}), last reported")
    ax.set_title(f"{n} trials")
    return figure
