"""From results with ``metric=[...]``, ``mode=[...]`` to the minimization array the indicators
take: one column per metric, the ``"max"`` ones negated."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.multiobjective._points import as_float_array, check_finite
from tunesmith.trial import check_objective_lists, metric_value

__all__ = ["check_objectives", "objective_array", "objective_signs", "to_minimization"]

MODES = ("min", "max")


def check_objectives(metric: Any, mode: Any = "min") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(metrics, modes)`` as two tuples of equal length, from ``metric`` (a name or a list
    of distinct names) and ``mode`` (``"min"``, ``"max"``, or a list of them, one per metric; a
    single mode applies to every metric), or a ``ValueError`` naming the bad value.

    >>> check_objectives(["err", "latency"], "min")
    (('err', 'latency'), ('min', 'min'))
    """
    names, modes = check_objective_lists(metric, mode)
    return tuple(names), tuple(modes)


def objective_signs(modes: Sequence[str]) -> np.ndarray:
    """``+1`` for each ``"min"`` mode and ``-1`` for each ``"max"``: multiplied into values in
    the metrics' units (an array with one column per objective), every objective is minimized,
    and multiplied again, they are back in their units.

    >>> objective_signs(["max", "min"]).tolist()
    [-1.0, 1.0]
    """
    return np.array([1.0 if m == "min" else -1.0 for m in modes])


def to_minimization(values: Any, mode: Any) -> np.ndarray:
    """``values`` (an ``(n, d)`` array or one point of ``d`` values, in the metrics' own units)
    with the columns whose mode is ``"max"`` negated, so that every objective is minimized.
    Applying it twice gives the values back, so it also turns indicator results (a front, a
    reference point) back into the metrics' units.

    >>> to_minimization([[0.9, 12.0]], ["max", "min"]).tolist()
    [[-0.9, 12.0]]
    """
    array = as_float_array(values, "values")
    if array.ndim not in (1, 2) or array.shape[-1] == 0:
        raise ValueError(
            f"`values` must be one point (d values) or an (n, d) array, but got shape "
            f"{array.shape}"
        )
    check_finite(array, "values")
    d = array.shape[-1]
    modes = [mode] * d if isinstance(mode, str) else mode
    if not isinstance(modes, Sequence) or len(modes) != d:
        raise ValueError(
            f"`mode` must be 'min', 'max' or a list of them with one per objective (d={d}), "
            f"but got mode={mode!r}"
        )
    for j, one in enumerate(modes):
        if one not in MODES:
            raise ValueError(
                f"`mode` of objective {j} must be 'min' or 'max', but got {one!r} (mode={mode!r})"
            )
    return array * objective_signs(modes)


def objective_array(
    results: Sequence[Mapping[str, Any]], metric: Any, mode: Any = "min"
) -> np.ndarray:
    """The ``(n, d)`` minimization array of ``results`` (dicts as reported, one per point):
    column ``j`` is ``results[i][metric[j]]``, negated where ``mode[j] == "max"``.

    A missing, non-numeric, NaN or infinite value raises a ``ValueError`` naming the result's
    index and the metric.

    >>> objective_array([{"acc": 0.9, "ms": 12}], ["acc", "ms"], ["max", "min"]).tolist()
    [[-0.9, 12.0]]
    """
    metrics, modes = check_objectives(metric, mode)
    if isinstance(results, Mapping) or not isinstance(results, Sequence):
        raise TypeError(
            f"`results` must be a list of dicts of reported metrics, but got "
            f"{type(results).__name__}"
        )
    array = np.empty((len(results), len(metrics)))
    for i, result in enumerate(results):
        if not isinstance(result, Mapping):
            raise TypeError(
                f"`results` must be a list of dicts of reported metrics, but result {i} is "
                f"{type(result).__name__}: {result!r}"
            )
        reported = dict(result)
        for j, name in enumerate(metrics):
            try:
                array[i, j] = metric_value(reported, name)
            except ValueError as exc:
                raise ValueError(f"result {i}: {exc}") from None
    return array * objective_signs(modes)
