"""Pareto dominance: the front, non-dominated sorting, crowding distance and the epsilon-net
order, on points of an ``(n, d)`` array whose objectives are all minimized.

A point *dominates* another when it is no worse in every objective and better in at least one;
identical points do not dominate each other, so duplicates share their front.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any, Literal

import numpy as np

from tunesmith.multiobjective._points import as_points

__all__ = [
    "crowding_distance",
    "epsilon_net_order",
    "non_dominated_ranking",
    "non_dominated_sort",
    "pareto_front_mask",
]

#: ways to order the points of one front in :func:`non_dominated_ranking`
WITHIN_FRONT = ("epsilon-net", "crowding")

_BLOCK = 256  # rows compared at once by the general-d sort (memory: _BLOCK**2 * d bools)


def _lex_unique(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``points`` in lexicographic order (first column first) and, for
    each row of ``points``, the index of its distinct row. A point's dominators are distinct
    from it and lexicographically smaller, so they come before it in this order."""
    n = len(points)
    order = np.lexsort(points.T[::-1])
    ordered = points[order]
    new = np.ones(n, dtype=bool)
    new[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


def _staircase_insert(ys: list[float], zs: list[float], y: float, z: float) -> None:
    """Insert a point no staircase point dominates; drop the points it dominates (a run that
    starts at its place: ``y_j >= y`` and ``z_j >= z``)."""
    start = bisect_left(ys, y)
    end = start
    while end < len(ys) and zs[end] >= z:
        end += 1
    ys[start:end] = [y]
    zs[start:end] = [z]


def _ranks_1d(unique: np.ndarray) -> np.ndarray:
    return np.arange(len(unique))  # distinct values in increasing order


def _ranks_2d(unique: np.ndarray) -> np.ndarray:
    """Front ranks of distinct points in lexicographic order, O(n log n): each front keeps the
    least second objective of its points so far (these tails increase from front to front), and
    a point joins the first front whose tail is above its own value."""
    tails: list[float] = []
    ranks: list[int] = []
    for y in unique[:, 1].tolist():
        k = bisect_right(tails, y)
        if k == len(tails):
            tails.append(y)
        else:
            tails[k] = y
        ranks.append(k)
    return np.array(ranks, dtype=np.intp)


def _ranks_3d(unique: np.ndarray, *, max_fronts: int | None = None) -> np.ndarray:
    """Front ranks of distinct points in lexicographic order, O(n log^2 n): a sweep in the first
    objective, where each front keeps the 2-D staircase of its points in the other two, and a
    point's front is found by binary search (a point dominated by front k is dominated by
    every front before it). With ``max_fronts = K``, only the first K fronts are kept: the
    points beyond them get rank K, after one test against front K - 1 (most of them, when K
    is small: 63,000 points of a MOASHA rung's pool, K = 16, in a fifth of the full sort's
    time)."""
    staircases_y: list[list[float]] = []  # per front: y increasing,
    staircases_z: list[list[float]] = []  # z decreasing
    ranks: list[int] = []
    cap = len(unique) if max_fronts is None else max_fronts
    for y, z in unique[:, 1:].tolist():
        # the first front that holds no point weakly dominating (y, z) (of its points with
        # y_j <= y, the last has the least z)
        lo, hi = 0, len(staircases_y)
        if hi == cap:  # every kept front exists: most points lie beyond the last
            j = bisect_right(staircases_y[-1], y)
            if j and staircases_z[-1][j - 1] <= z:
                ranks.append(cap)
                continue
            hi -= 1
        while lo < hi:
            mid = (lo + hi) // 2
            ys = staircases_y[mid]
            j = bisect_right(ys, y)
            if j and staircases_z[mid][j - 1] <= z:
                lo = mid + 1
            else:
                hi = mid
        ranks.append(lo)
        if lo == len(staircases_y):
            staircases_y.append([y])
            staircases_z.append([z])
        else:
            _staircase_insert(staircases_y[lo], staircases_z[lo], y, z)
    return np.array(ranks, dtype=np.intp)


def _ranks_general(unique: np.ndarray) -> np.ndarray:
    """Front ranks of distinct points in lexicographic order, for any d, O(n^2 d) vectorized:
    a point's rank is one more than the largest rank of the points dominating it, and those
    come before it, so blocks are ranked in order against all earlier blocks."""
    n = len(unique)
    ranks = np.zeros(n, dtype=np.intp)
    for start in range(0, n, _BLOCK):
        block = unique[start : start + _BLOCK]
        rank = np.zeros(len(block), dtype=np.intp)
        for before in range(0, start, _BLOCK):
            earlier = unique[before : before + _BLOCK]
            dominated = np.all(earlier[None, :, :] <= block[:, None, :], axis=2)
            above = np.where(dominated, ranks[before : before + _BLOCK] + 1, 0)
            np.maximum(rank, above.max(axis=1), out=rank)
        inside = np.all(block[None, :, :] <= block[:, None, :], axis=2)
        for i in range(1, len(block)):
            dominators = np.flatnonzero(inside[i, :i])
            if dominators.size:
                rank[i] = max(rank[i], rank[dominators].max() + 1)
        ranks[start : start + len(block)] = rank
    return ranks


def non_dominated_sort(points: Any) -> np.ndarray:
    """The front rank of each point: 0 for the Pareto front, 1 for the front of the rest, and
    so on (Deb et al.'s non-dominated sorting of NSGA-II, 2002).

    Algorithms (duplicates are merged first, and share their rank):

    * d = 2: O(n log n) (the bound Jensen, "Reducing the run-time complexity of
      multiobjective EAs", 2003, gives for two objectives): one pass in lexicographic order
      that keeps each front's least second objective, a point joining the first front whose
      least value is above its own (binary search).
    * d = 3: O(n log^2 n) comparisons, a sweep in the first objective; each front keeps the
      staircase of its points in the other two objectives (sorted Python lists), and a
      point's front is found by binary search over the fronts (the binary-search efficient
      non-dominated sort of Zhang et al., IEEE TEC 2015, with a logarithmic dominance test per
      front).
    * d >= 4: O(n^2 d) comparisons, vectorized in blocks (each point's rank is one more than
      the largest rank among the points dominating it).

    >>> non_dominated_sort([[1, 4], [2, 2], [3, 3], [4, 1], [1, 4]]).tolist()
    [0, 0, 1, 0, 0]
    """
    pts = as_points(points)
    n, d = pts.shape
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    unique, inverse = _lex_unique(pts)
    if d == 1:
        ranks = _ranks_1d(unique)
    elif d == 2:
        ranks = _ranks_2d(unique)
    elif d == 3:
        ranks = _ranks_3d(unique)
    else:
        ranks = _ranks_general(unique)
    return ranks[inverse]


def pareto_front_mask(points: Any) -> np.ndarray:
    """A boolean mask of the points on the Pareto front (dominated by no other point).

    d = 2 is a vectorized O(n log n) pass (lexicographic sort, prefix minimum); d = 3 is the
    sweep of :func:`non_dominated_sort` with a single staircase, O(n log n); d >= 4 compares the
    remaining candidates with one front point at a time, O(n * front size * d).

    >>> pareto_front_mask([[1, 4], [2, 2], [3, 3], [4, 1]]).tolist()
    [True, True, False, True]
    """
    pts = as_points(points)
    n, d = pts.shape
    if n == 0:
        return np.zeros(0, dtype=bool)
    unique, inverse = _lex_unique(pts)
    if d == 1:
        on_front = np.zeros(len(unique), dtype=bool)
        on_front[0] = True
    elif d == 2:
        # lexicographic order: a point is dominated by an earlier point of smaller x with
        # y <= its y, or by the first point of its own x (smaller y)
        x, y = unique[:, 0], unique[:, 1]
        group_start = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])
        starts = np.repeat(group_start, np.diff(np.r_[group_start, len(x)]))
        prefix_min = np.minimum.accumulate(y)
        before = np.where(starts > 0, prefix_min[np.maximum(starts - 1, 0)], np.inf)
        on_front = (before > y) & (y[starts] >= y)
    elif d == 3:
        on_front = _ranks_3d(unique, max_fronts=1) == 0
    else:
        on_front = _front_general(unique)
    return on_front[inverse]


def _front_general(unique: np.ndarray) -> np.ndarray:
    """Front mask of distinct points: take the remaining candidate with the least sum (it is on
    the front), drop every candidate it dominates, repeat."""
    on_front = np.zeros(len(unique), dtype=bool)
    candidates = np.argsort(unique.sum(axis=1), kind="stable")
    while candidates.size:
        best = unique[candidates[0]]
        on_front[candidates[0]] = True
        rest = candidates[1:]
        candidates = rest[~np.all(best <= unique[rest], axis=1)]
    return on_front


def crowding_distance(points: Any, ranks: Any = None) -> np.ndarray:
    """NSGA-II's crowding distance of each point within its front (Deb et al., 2002).

    For each objective, a front's points are sorted by it (ties by index); the first and last
    get infinity, the others add ``(next - previous) / (max - min)`` of that objective over the
    front (0 when max == min). A front of one or two points is all infinite. Larger is
    lonelier: NSGA-II keeps, within a front, the points of larger crowding distance.

    ``ranks``: each point's front (as :func:`non_dominated_sort` returns them, the default);
    pass ``np.zeros(n, int)`` to treat all points as one front.

    >>> crowding_distance([[0, 4], [1, 2], [3, 1], [4, 0]]).tolist()
    [inf, 1.5, 1.25, inf]
    """
    pts = as_points(points)
    n, d = pts.shape
    if ranks is None:
        ranks = non_dominated_sort(pts)
    else:
        ranks = np.asarray(ranks)
        if ranks.shape != (n,) or (n and not np.issubdtype(ranks.dtype, np.integer)):
            raise ValueError(
                f"`ranks` must give an int front rank for each of the {n} points, but got "
                f"an array of shape {ranks.shape} and dtype {ranks.dtype}"
            )
    distance = np.zeros(n)
    if n == 0:
        return distance
    for m in range(d):
        order = np.lexsort((pts[:, m], ranks))  # by front, then value; stable
        front, value = ranks[order], pts[order, m]
        first = np.r_[True, front[1:] != front[:-1]]
        last = np.r_[front[1:] != front[:-1], True]
        group = np.cumsum(first) - 1
        span = (value[last] - value[first])[group]
        interior = ~(first | last) & (span > 0)
        gain = np.zeros(n)
        gain[interior] = (value[2:] - value[:-2])[interior[1:-1]] / span[interior]
        gain[first | last] = np.inf
        distance[order] += gain
    return distance


def _check_start(start: Any, d: int) -> int | None:
    if start is None:
        return None
    if isinstance(start, bool) or not isinstance(start, int | np.integer) or not 0 <= start < d:
        raise ValueError(
            f"`start` must be the index of an objective (0 to {d - 1}) whose best point starts "
            f"the net, or None for a random first point, but got start={start!r}"
        )
    return int(start)


def epsilon_net_order(points: Any, *, start: int | None = 0, rng: Any = None) -> np.ndarray:
    """The indices of the points in the order of a greedy epsilon-net (farthest-point
    traversal: Clarkson, "Nearest-neighbor searching and metric space dimensions", 2006; the
    order Syne Tune's MOASHA uses within a front, after Salinas et al., 2021).

    The first point has the least value of objective ``start`` (the first such point), or is
    drawn at random from ``rng`` (a ``numpy.random.Generator`` or a seed) when ``start`` is
    None. Each next point is the one farthest, in Euclidean distance between the raw objective
    values, from all points chosen so far (ties: the lowest index). Any prefix of the order is
    therefore well spread. O(n^2 d) time, O(n d) memory.

    >>> epsilon_net_order([[0, 3], [1, 2], [2, 1], [3, 0]]).tolist()
    [0, 3, 1, 2]
    """
    pts = as_points(points)
    n, d = pts.shape
    first_objective = _check_start(start, d)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    if first_objective is None:
        first = int(np.random.default_rng(rng).integers(n))
    else:
        first = int(np.argmin(pts[:, first_objective]))
    order = np.empty(n, dtype=np.intp)
    order[0] = first
    nearest = np.sum((pts - pts[first]) ** 2, axis=1)  # squared distance to the chosen
    nearest[first] = -1.0
    for k in range(1, n):
        chosen = int(np.argmax(nearest))
        order[k] = chosen
        np.minimum(nearest, np.sum((pts - pts[chosen]) ** 2, axis=1), out=nearest)
        nearest[chosen] = -1.0
    return order


def non_dominated_ranking(
    points: Any,
    *,
    within_front: Literal["epsilon-net", "crowding"] = "epsilon-net",
    start: int | None = 0,
    rng: Any = None,
) -> np.ndarray:
    """Each point's position (0 = best) in a total order: by front (:func:`non_dominated_sort`),
    and within a front by ``within_front``:

    * ``"epsilon-net"``: :func:`epsilon_net_order` of the front (with ``start`` and ``rng``),
      the priority of Syne Tune's MOASHA and MO-REA (``NonDominatedPriority``). Syne Tune
      indexes each front with the *ranks* its ``compute_epsilon_net`` returns as if they were
      the order, which gives the inverse permutation of the net; here the net's order is used;
    * ``"crowding"``: decreasing :func:`crowding_distance` (ties by index), NSGA-II's crowded
      comparison.

    The positions are a permutation of ``0..n-1``; ``np.argsort(positions)`` lists the points
    best first, and a point is in the best fraction ``q`` when ``position < q * n``.

    >>> non_dominated_ranking([[2, 2], [0, 3], [3, 3], [3, 0]]).tolist()
    [2, 0, 3, 1]
    """
    if within_front not in WITHIN_FRONT:
        raise ValueError(
            f"`within_front` must be one of {', '.join(map(repr, WITHIN_FRONT))}, but got "
            f"within_front={within_front!r}"
        )
    pts = as_points(points)
    n, d = pts.shape
    _check_start(start, d)
    ranks = non_dominated_sort(pts)
    if within_front == "crowding":
        best_first = np.lexsort((-crowding_distance(pts, ranks), ranks))
    else:
        rng = np.random.default_rng(rng) if start is None else None
        by_front = np.argsort(ranks, kind="stable")
        bounds = np.flatnonzero(np.diff(ranks[by_front])) + 1
        parts = [
            members[epsilon_net_order(pts[members], start=start, rng=rng)]
            for members in np.split(by_front, bounds)
            if members.size
        ]
        best_first = np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
    positions = np.empty(n, dtype=np.intp)
    positions[best_first] = np.arange(n)
    return positions
