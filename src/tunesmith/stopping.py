"""When a tuning run ends: :class:`StoppingCriterion`, :class:`PlateauStopper`, or any callable
taking a :class:`TuningStatus` and returning True to stop."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

__all__ = ["PlateauStopper", "StoppingCriterion", "TuningStatus"]


@dataclass
class TuningStatus:
    """Counts the tuner keeps, passed to stopping criteria after every event."""

    wallclock_time: float = 0.0
    num_trials_started: int = 0
    num_trials_completed: int = 0
    num_trials_stopped: int = 0
    num_trials_failed: int = 0
    num_trials_paused: int = 0
    num_evaluations: int = 0
    cost: float = 0.0
    #: the latest result (None before the first)
    last_result: dict[str, Any] | None = None
    #: smallest and largest value seen per metric
    metric_min: dict[str, float] = field(default_factory=dict)
    metric_max: dict[str, float] = field(default_factory=dict)

    @property
    def num_trials_finished(self) -> int:
        """Completed, stopped or failed."""
        return self.num_trials_completed + self.num_trials_stopped + self.num_trials_failed

    @property
    def num_trials_running(self) -> int:
        return self.num_trials_started - self.num_trials_finished - self.num_trials_paused

    def add_result(self, result: Mapping[str, Any]) -> None:
        self.num_evaluations += 1
        self.last_result = dict(result)
        for name, value in result.items():
            if isinstance(value, Real) and not isinstance(value, bool):
                v = float(value)
                if v < self.metric_min.get(name, math.inf):
                    self.metric_min[name] = v
                if v > self.metric_max.get(name, -math.inf):
                    self.metric_max[name] = v


def _check_limit(name: str, value: Any, *, integer: bool, allow_inf: bool = True) -> None:
    """A positive int/number or None; NaN is refused (no comparison with it is ever true, so
    the limit would never be reached). ``inf`` is accepted where it means "no limit"."""
    if value is None:
        return
    ok = isinstance(value, int) if integer else isinstance(value, Real)
    if (
        isinstance(value, bool)
        or not ok
        or math.isnan(value)
        or value <= 0
        or (math.isinf(value) and not allow_inf)
    ):
        kind = "a positive int" if integer else "a positive number"
        if not integer:
            kind += " or None (inf: no limit)" if allow_inf else " (finite)"
        else:
            kind += " or None"
        raise ValueError(f"`{name}` must be {kind}, but got {name}={value!r}")


def _check_thresholds(name: str, value: Any) -> dict[str, float] | None:
    """``{metric: finite number}``: a NaN threshold is never reached and an infinite one is
    reached by every result (or by none), so both are refused."""
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, Real) and not isinstance(v, bool)
        for k, v in value.items()
    ):
        raise ValueError(
            f"`{name}` must be a dict of {{metric name: number}}, e.g. {{'loss': 0.1}}, "
            f"but got {name}={value!r}"
        )
    for k, v in value.items():
        if not math.isfinite(v):
            raise ValueError(
                f"`{name}` thresholds must be finite numbers, but got {name}[{k!r}]={v!r}"
            )
    return {k: float(v) for k, v in value.items()}


class StoppingCriterion:
    """Ends the run as soon as any of the given limits is reached.

    ``max_wallclock_time`` (seconds), ``max_num_trials_started`` (the tuner then starts no new
    trial and lets running ones finish), ``max_num_trials_completed``
    (stopped or failed trials not counted), ``max_num_trials_finished`` (completed, stopped or
    failed), ``max_num_evaluations`` (reported results), ``max_cost`` (sum over trials of the last
    reported ``cost_attr``), ``min_metric_value``/``max_metric_value`` (``{metric: threshold}``:
    stop once any result is at or below / at or above a threshold).

    Limits must be positive (``inf`` means no limit, like None); NaN is refused everywhere, and
    thresholds must be finite.
    """

    def __init__(
        self,
        max_wallclock_time: float | None = None,
        max_num_trials_started: int | None = None,
        max_num_trials_completed: int | None = None,
        max_num_trials_finished: int | None = None,
        max_num_evaluations: int | None = None,
        max_cost: float | None = None,
        min_metric_value: Mapping[str, float] | None = None,
        max_metric_value: Mapping[str, float] | None = None,
        *,
        cost_attr: str = "cost",
    ):
        _check_limit("max_wallclock_time", max_wallclock_time, integer=False)
        for name, value in (
            ("max_num_trials_started", max_num_trials_started),
            ("max_num_trials_completed", max_num_trials_completed),
            ("max_num_trials_finished", max_num_trials_finished),
            ("max_num_evaluations", max_num_evaluations),
        ):
            _check_limit(name, value, integer=True)
        _check_limit("max_cost", max_cost, integer=False)
        self.max_wallclock_time = max_wallclock_time
        self.max_num_trials_started = max_num_trials_started
        self.max_num_trials_completed = max_num_trials_completed
        self.max_num_trials_finished = max_num_trials_finished
        self.max_num_evaluations = max_num_evaluations
        self.max_cost = max_cost
        self.min_metric_value = _check_thresholds("min_metric_value", min_metric_value)
        self.max_metric_value = _check_thresholds("max_metric_value", max_metric_value)
        self.cost_attr = cost_attr

    def reason(self, status: TuningStatus, *, include_started: bool = True) -> str | None:
        """Why the run should stop now, or None to go on. The tuner checks
        ``max_num_trials_started`` by itself (``include_started=False``): reaching it starts no
        new trial but lets the running ones finish."""
        limits = (
            ("max_wallclock_time", self.max_wallclock_time, status.wallclock_time),
            (
                "max_num_trials_started",
                self.max_num_trials_started if include_started else None,
                status.num_trials_started,
            ),
            (
                "max_num_trials_completed",
                self.max_num_trials_completed,
                status.num_trials_completed,
            ),
            ("max_num_trials_finished", self.max_num_trials_finished, status.num_trials_finished),
            ("max_num_evaluations", self.max_num_evaluations, status.num_evaluations),
            ("max_cost", self.max_cost, status.cost),
        )
        for name, limit, value in limits:
            if limit is not None and value >= limit:
                return f"{name}={limit} reached"
        for metric, threshold in (self.min_metric_value or {}).items():
            if status.metric_min.get(metric, math.inf) <= threshold:
                return f"min_metric_value: {metric} <= {threshold} reached"
        for metric, threshold in (self.max_metric_value or {}).items():
            if status.metric_max.get(metric, -math.inf) >= threshold:
                return f"max_metric_value: {metric} >= {threshold} reached"
        return None

    def __call__(self, status: TuningStatus) -> bool:
        return self.reason(status) is not None

    def __repr__(self) -> str:
        args = ", ".join(
            f"{k}={v!r}" for k, v in vars(self).items() if v is not None and k != "cost_attr"
        )
        return f"StoppingCriterion({args})"


class PlateauStopper:
    """Stops once the best ``num_trials`` values of ``metric`` seen so far have a standard
    deviation below ``std`` for more than ``patience`` consecutive results."""

    def __init__(
        self,
        metric: str,
        std: float = 0.001,
        num_trials: int = 10,
        mode: str = "min",
        patience: int = 0,
    ):
        if not isinstance(metric, str) or not metric:
            raise ValueError(f"`metric` must be a non-empty string, but got metric={metric!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"`mode` must be 'min' or 'max', but got mode={mode!r}")
        _check_limit("std", std, integer=False, allow_inf=False)
        _check_limit("num_trials", num_trials, integer=True)
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"`patience` must be an int >= 0, but got patience={patience!r}")
        self.metric, self.std, self.num_trials = metric, float(std), num_trials
        self.mode, self.patience = mode, patience
        self._top: list[float] = []  # best values, as scores to minimize
        self._seen = 0
        self._streak = 0

    def __call__(self, status: TuningStatus) -> bool:
        if status.num_evaluations == self._seen or status.last_result is None:
            return self._streak > self.patience
        self._seen = status.num_evaluations
        value = status.last_result.get(self.metric)
        if value is None:
            return False
        score = float(value) if self.mode == "min" else -float(value)
        self._top.append(score)
        self._top.sort()
        del self._top[self.num_trials :]
        if len(self._top) == self.num_trials and _std(self._top) < self.std:
            self._streak += 1
        else:
            self._streak = 0
        return self._streak > self.patience


def _std(values: list[float]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
