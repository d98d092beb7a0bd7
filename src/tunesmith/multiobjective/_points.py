"""Input checks shared by the indicators: points as a finite float ``(n, d)`` array."""

from __future__ import annotations

from typing import Any

import numpy as np


def as_float_array(value: Any, name: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must be an array of numbers, but got {type(value).__name__}: "
            f"{_short(value)}"
        ) from None
    return array


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_finite(array: np.ndarray, name: str) -> None:
    if np.isfinite(array).all():
        return
    bad = np.argwhere(~np.isfinite(array))[0]
    what = float(array[tuple(bad)])
    where = f"row {bad[0]}, column {bad[1]}" if array.ndim == 2 else f"entry {bad[0]}"
    count = int((~np.isfinite(array)).sum())
    raise ValueError(
        f"`{name}` must be finite (objective values, all minimized), but {where} is {what} "
        f"({count} non-finite value{'s' if count != 1 else ''} in all); drop or repair those "
        "points first"
    )


def as_points(points: Any, *, name: str = "points", d: int | None = None) -> np.ndarray:
    """``points`` as a finite float64 ``(n, d)`` array, or a ``ValueError``/``TypeError`` that
    names the problem. An empty sequence is ``n = 0`` points (of ``d`` objectives if given)."""
    array = as_float_array(points, name)
    if array.ndim == 1 and array.size == 0:
        array = array.reshape(0, d if d is not None else 0)
    if array.ndim != 2:
        raise ValueError(
            f"`{name}` must be an (n, d) array: one row a point, one column an objective, "
            f"but got an array of shape {array.shape}"
        )
    if array.shape[1] == 0 and array.shape[0] > 0:
        raise ValueError(
            f"`{name}` must have at least one objective (column), but got shape {array.shape}"
        )
    if d is not None and array.shape[0] > 0 and array.shape[1] != d:
        raise ValueError(
            f"`{name}` must have {d} objectives (columns) like the other arguments, but got "
            f"shape {array.shape}"
        )
    check_finite(array, name)
    return np.ascontiguousarray(array)


def as_reference_point(reference_point: Any, d: int | None) -> np.ndarray:
    """The reference point as a finite float64 ``(d,)`` array."""
    ref = as_float_array(reference_point, "reference_point")
    if ref.ndim != 1 or ref.size == 0 or (d is not None and d > 0 and ref.size != d):
        want = f"{d} values, one per objective" if d else "one value per objective"
        raise ValueError(
            f"`reference_point` must be a 1-d array of {want}, but got shape {ref.shape}"
        )
    check_finite(ref, "reference_point")
    return ref
