"""The hypervolume indicator and hypervolume improvement, exact, all objectives minimized.

The hypervolume of a set of points is the volume of the region that some point of the set
dominates and that dominates the reference point: the union of the boxes ``[p, r]``. A point
that does not dominate the reference point (``p_i >= r_i`` for some ``i``) adds nothing.

Algorithms:

* d = 1: ``r - min(p)``.
* d = 2: sort by the first objective and sweep, O(n log n), vectorized.
* d = 3: the dimension sweep of Fonseca, Paquete and López-Ibáñez ("An improved
  dimension-sweep algorithm for the hypervolume indicator", CEC 2006; shown O(n log n) by
  Beume, Fonseca, López-Ibáñez, Paquete and Vahrenhold, "On the complexity of computing the
  hypervolume indicator", IEEE TEC 2009): points in increasing third objective; the 2-D front
  of the points swept so far is kept sorted, with its area updated at each insertion, and the
  volume grows by that area times the step in the third objective. Here the 2-D front is two
  Python lists searched by bisection (O(log n) per search); an insertion moves the lists' tails
  (a memory move, O(n) in the worst case but a few nanoseconds per element), which in practice
  stays below the O(n log n) sorting and Python's per-point cost.
* d >= 4: the WFG algorithm (While, Bradstreet and Barone, "A fast way of calculating exact
  hypervolumes", IEEE TEC 2012): the hypervolume is the sum of the points' exclusive
  contributions in turn, each computed from the "limit set" of the later points; with the
  points sorted by decreasing last objective, every limit set is flat in it, so it recurses on
  d - 1 objectives down to the 3-D sweep. Exponential in d in the worst case: fine for a few
  hundred points in 4 or 5 objectives, slow beyond.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

import numpy as np

from tunesmith.multiobjective._points import as_float_array, as_points, as_reference_point
from tunesmith.multiobjective.sorting import pareto_front_mask

__all__ = ["hypervolume", "hypervolume_improvement"]


def hypervolume(points: Any, reference_point: Any) -> float:
    """The exact hypervolume dominated by ``points`` (an ``(n, d)`` array, one row a point, all
    objectives minimized) and bounded by ``reference_point`` (``d`` values).

    Points that do not dominate the reference point contribute nothing; duplicates and
    dominated points change nothing. NaN or infinite values raise a ``ValueError`` naming
    the first one. For objectives to maximize, negate them (and their reference values)
    first: :func:`tunesmith.multiobjective.to_minimization`.

    >>> hypervolume([[1, 3], [2, 2], [3, 1]], reference_point=[4, 4])
    6.0
    """
    ref = as_reference_point(reference_point, None)
    pts = as_points(points, d=len(ref))
    return _hypervolume(_inside(pts, ref), ref)


def _inside(points: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """The points that dominate ``ref`` strictly in every objective (the others add no
    volume)."""
    inside = np.all(points < ref, axis=1)
    return points if inside.all() else points[inside]


def _hypervolume(points: np.ndarray, ref: np.ndarray) -> float:
    """Hypervolume of points that all lie strictly inside the box below ``ref``."""
    n, d = points.shape
    if n == 0:
        return 0.0
    if n == 1:
        return float(np.prod(ref - points[0]))
    if d == 1:
        return float(ref[0] - points[:, 0].min())
    if d == 2:
        return _hypervolume_2d(points, ref)
    if d == 3:
        return _hypervolume_3d(points, ref)
    return _hypervolume_wfg(points, ref)


def _hypervolume_2d(points: np.ndarray, ref: np.ndarray) -> float:
    x, y = _staircase_2d(points)
    widths = np.diff(np.r_[x, ref[0]])
    return float(np.dot(widths, ref[1] - y))


def _hypervolume_3d(points: np.ndarray, ref: np.ndarray) -> float:
    order = np.argsort(points[:, 2], kind="stable")
    rx, ry, rz = ref.tolist()
    xs: list[float] = []  # the 2-D front of the points swept so far: x increasing,
    ys: list[float] = []  # y decreasing
    area = 0.0  # dominated by that front inside [.., rx] x [.., ry]
    volume = 0.0
    z_before = 0.0
    for x, y, z in points[order].tolist():
        volume += area * (z - z_before)
        z_before = z
        k = bisect_right(xs, x)
        if k and ys[k - 1] <= y:
            continue  # dominated in (x, y) by a point swept before
        # the points it dominates form the run start:end (x_j >= x and y_j >= y); the area
        # it adds is, from x on, the gap between the front's step height and y
        start = bisect_left(xs, x)
        height = ys[start - 1] if start else ry
        left = x
        end = start
        while end < len(xs) and ys[end] >= y:
            area += (xs[end] - left) * (height - y)
            left, height = xs[end], ys[end]
            end += 1
        area += ((xs[end] if end < len(xs) else rx) - left) * (height - y)
        xs[start:end] = [x]
        ys[start:end] = [y]
    return volume + area * (rz - z_before)


def _hypervolume_wfg(points: np.ndarray, ref: np.ndarray) -> float:
    points = points[pareto_front_mask(points)]
    points = points[np.argsort(-points[:, -1], kind="stable")]
    total = 0.0
    for i, p in enumerate(points):
        total += _exclusive(p, points[i + 1 :], ref)
    return total


def _exclusive(p: np.ndarray, later: np.ndarray, ref: np.ndarray) -> float:
    """The volume ``p`` adds to ``later``, whose last objective is no more than ``p``'s:
    the limit set ``max(q, p)`` is flat at ``p``'s last objective, so its volume is the
    (d - 1)-dimensional one times ``ref_d - p_d``."""
    own = float(np.prod(ref - p))
    if not len(later):
        return own
    limited = np.maximum(later[:, :-1], p[:-1])
    return own - float(ref[-1] - p[-1]) * _hypervolume(limited, ref[:-1])


def hypervolume_improvement(point: Any, front: Any, reference_point: Any) -> float | np.ndarray:
    """How much the hypervolume of ``front`` grows when ``point`` is added to it:
    ``hypervolume(front + [point]) - hypervolume(front)``, never negative, 0 for a point the
    front dominates or that does not dominate the reference point.

    ``point`` is one point (``d`` values; a float comes back) or an ``(m, d)`` array of
    candidates, each added alone (an array of ``m`` improvements comes back, as an expected
    improvement by sampling needs). ``front`` is an ``(n, d)`` array, possibly empty. In 2-D
    the candidates are scored together in O((n + m) log n); otherwise each costs one
    hypervolume of the front limited to the box the candidate dominates.

    >>> hypervolume_improvement([1, 1], [[1, 3], [2, 2], [3, 1]], reference_point=[4, 4])
    3.0
    """
    ref = as_reference_point(reference_point, None)
    d = len(ref)
    candidates = as_float_array(point, "point")
    single = candidates.ndim == 1
    cand = as_points(candidates[None, :] if single else candidates, name="point", d=d)
    pts = _inside(as_points(front, name="front", d=d), ref)
    if d == 2:
        gains = _improvement_2d(cand, pts, ref)
    else:
        gains = np.array([_improvement(c, pts, ref) for c in cand])
    gains = np.maximum(gains, 0.0)  # rounding: a covered candidate adds nothing
    return float(gains[0]) if single else gains


def _improvement(c: np.ndarray, front: np.ndarray, ref: np.ndarray) -> float:
    if not np.all(c < ref):
        return 0.0
    own = float(np.prod(ref - c))
    if not len(front):
        return own
    limited = np.maximum(front, c)
    return own - _hypervolume(_inside(limited, ref), ref)


def _improvement_2d(cand: np.ndarray, front: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Vectorized 2-D improvement: the integral over ``t`` from the candidate's ``x`` of the gap
    between the front's step function ``f(t)`` (the least ``y`` of the front points at or left
    of ``t``, ``ref_y`` left of them all) and the candidate's ``y``, up to the first step at or
    below the candidate's ``y`` (or ``ref_x``)."""
    rx, ry = float(ref[0]), float(ref[1])
    x, y = _staircase_2d(front)  # x increasing, y decreasing
    edges = np.r_[x, rx]
    # antiderivative of f, 0 at the first step: prefix sums over the steps, ry * (t - x_0)
    # left of them
    below = np.r_[0.0, np.cumsum(np.diff(edges) * y)]
    origin = edges[0]

    def antiderivative(t: np.ndarray) -> np.ndarray:
        if not len(x):
            return ry * (t - origin)
        j = np.maximum(np.searchsorted(x, t, side="right") - 1, 0)
        return np.where(t >= origin, below[j] + y[j] * (t - x[j]), ry * (t - origin))

    cx, cy = cand[:, 0], cand[:, 1]
    # the first step with y_j <= cy: y reversed is increasing
    first_below = len(y) - np.searchsorted(y[::-1], cy, side="right")
    stop = edges[first_below]
    gains = antiderivative(stop) - antiderivative(cx) - cy * (stop - cx)
    return np.where((cx < stop) & (cy < ry), gains, 0.0)


def _staircase_2d(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The steps of a 2-D set's front: x non-decreasing, y decreasing (a duplicate or a
    point dominated by an earlier one in x order left out)."""
    # ties in x need no order: of two steps at the same x, the first has width 0
    order = np.argsort(np.ascontiguousarray(points[:, 0]))
    x, y = points[order, 0], points[order, 1]
    if not len(x):
        return x, y
    best = np.minimum.accumulate(y)
    step = np.r_[True, y[1:] < best[:-1]]
    return x[step], y[step]
