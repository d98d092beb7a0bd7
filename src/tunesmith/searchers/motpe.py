"""Multi-objective TPE (MOTPE; Ozaki, Tanigaki, Watanabe, Onishi, 2020: "Multiobjective
Tree-Structured Parzen Estimator for Computationally Expensive Optimization Problems", GECCO;
Ozaki, Tanigaki, Watanabe, Nomura, Onishi, 2022: "Multiobjective Tree-Structured Parzen
Estimator", JAIR 73).

TPE (:class:`~tunesmith.searchers.KDESearcher`: the same Parzen estimators, candidates and
density-ratio score) whose split of the observations into *good* and *bad* compares objective
vectors instead of one value:

1. the good set holds ``max(num_min_data_points, floor(gamma * n))`` of the ``n`` observations
   at the model's resource level (at most ``n - 1``), as in ``KDESearcher``;
2. it takes whole non-dominated fronts (:func:`~tunesmith.multiobjective.non_dominated_sort`),
   the Pareto front first, while they fit;
3. the places left go to points of the next front, chosen by greedy hypervolume subset
   selection (:func:`hypervolume_subset`): each next point is the one of that front that adds
   the most hypervolume to the points of the front chosen before it (ties: the earlier
   observation), with the reference point a tenth of the range beyond the level's worst value
   of each objective (1 where the range is 0).

Why hypervolume contributions and not crowding distance to break the tie: the hypervolume is
the measure the search is judged by, and the greedy choice scores each point against those
already chosen, so of two points close to each other the second adds little and loses;
crowding distance is computed once for the whole front, so such a pair in a sparse stretch
gets two large distances and both are taken, and it normalizes each objective by the front's
range, which the hypervolume does not need. The front being split is small (a part of the
``gamma * n`` places), so the greedy selection costs little next to the densities.

Everything else is the TPE searcher's: ``num_init_random`` observations at a level before the
model is used there (random configs until then, after ``points_to_evaluate``), pending
evaluations join the bad set, a share ``random_fraction`` of random suggestions, resource
levels (inside a multi-fidelity scheduler), ``restrict_configurations``, and the state.
``"max"`` objectives are negated before the split.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.searchers._parzen import _Rows
from tunesmith.searchers.kde import KDESearcher, _check_int
from tunesmith.trial import as_list, metric_value

__all__ = ["MOTPESearcher", "good_observations", "hypervolume_subset"]


def hypervolume_subset(points: Any, k: int, reference_point: Any) -> list[int]:
    """``k`` of the ``points`` (an ``(n, d)`` array of points of one non-dominated front, every
    objective minimized, each point strictly below ``reference_point``), chosen greedily for
    their hypervolume: each next one adds the most hypervolume to those chosen before it, ties
    to the lowest index. The indices come back in the order chosen.

    Two objectives: a point of a front adds the rectangle between it and its chosen
    neighbours (the nearest chosen point on each side, or the reference point), so a choice
    updates the gains of the points between those neighbours only; O(n) per choice. Otherwise
    lazy evaluation (Minoux's accelerated greedy): what a point adds never grows as points are
    chosen (the hypervolume is submodular), so a point's last computed gain bounds its gain
    now, and only the point on top of a heap of those bounds is computed again.

    >>> hypervolume_subset([[0.0, 4.0], [1.0, 2.0], [1.1, 1.9], [4.0, 0.0]], 2, [5.0, 5.0])
    [2, 3]

    (of the two close points in the middle, only one is taken.)
    """
    pts = np.asarray(points, dtype=float)
    ref = np.asarray(reference_point, dtype=float)
    k = min(k, len(pts))
    if pts.shape[1] == 2:
        return _subset_2d(pts, k, ref)
    from tunesmith.multiobjective import hypervolume_improvement

    chosen: list[int] = []
    # (minus the bound of the gain, index, the number chosen when the bound was computed)
    heap = [(-float(v), i, 0) for i, v in enumerate(np.prod(ref - pts, axis=1).tolist())]
    heapq.heapify(heap)
    while len(chosen) < k:
        _, i, fresh_at = heapq.heappop(heap)
        if fresh_at == len(chosen):
            chosen.append(i)
            continue
        gain = float(hypervolume_improvement(pts[i], pts[chosen], ref))
        heapq.heappush(heap, (-gain, i, len(chosen)))
    return chosen


def _subset_2d(pts: np.ndarray, k: int, ref: np.ndarray) -> list[int]:
    """:func:`hypervolume_subset` of a 2-D front: sorted by the first objective (the second
    then falls; duplicates side by side), a point adds ``(x_right - x) * (y_left - y)``, its
    chosen neighbours' values (the reference point's where it has none)."""
    order = np.lexsort((np.arange(len(pts)), pts[:, 0]))
    x, y = pts[order, 0], pts[order, 1]
    gains = (ref[0] - x) * (ref[1] - y)  # by position in ``order``; -inf once chosen
    chosen: list[int] = []  # positions, in the order chosen
    taken: list[int] = []  # positions, sorted
    for _ in range(k):
        p = int(gains.argmax())
        if np.count_nonzero(gains == gains[p]) > 1:  # ties: the lowest index
            best = np.flatnonzero(gains == gains[p])
            p = int(best[np.argmin(order[best])])
        chosen.append(p)
        at = bisect_left(taken, p)
        left = taken[at - 1] if at else -1
        right = taken[at] if at < len(taken) else len(pts)
        taken.insert(at, p)
        gains[p] = -np.inf
        y_left = y[left] if left >= 0 else ref[1]
        x_right = x[right] if right < len(pts) else ref[0]
        # between the left neighbour and p: p is their new right neighbour; between p and the
        # right neighbour: p is their new left neighbour
        gains[left + 1 : p] = (x[p] - x[left + 1 : p]) * (y_left - y[left + 1 : p])
        gains[p + 1 : right] = (x_right - x[p + 1 : right]) * (y[p] - y[p + 1 : right])
    return order[chosen].tolist()


def good_observations(points: Any, n_good: int) -> np.ndarray:
    """The positions of the ``n_good`` good observations among ``points`` (an ``(n, d)`` array,
    every objective minimized), best first: whole non-dominated fronts while they fit, then the
    rest of the places from the next front by :func:`hypervolume_subset`, the reference point
    a tenth of the range beyond the worst value of each objective (1 where the range is 0).

    >>> good_observations([[1, 5], [2, 2], [5, 1], [3, 3], [2.5, 4], [4, 2.5], [6, 6]], 4)
    array([0, 1, 2, 3])
    """
    from tunesmith.multiobjective import non_dominated_sort

    pts = np.asarray(points, dtype=float)
    fronts = non_dominated_sort(pts)
    order = np.argsort(fronts, kind="stable")
    if n_good >= len(pts):
        return order
    last = fronts[order[n_good - 1]]  # the front the cut falls in
    whole = order[fronts[order] < last]
    if n_good == len(whole) or fronts[order[n_good]] != last:
        return order[:n_good]
    tied = order[fronts[order] == last]
    span = pts.max(axis=0) - pts.min(axis=0)
    reference = pts.max(axis=0) + np.where(span > 0, span / 10, 1.0)
    picks = hypervolume_subset(pts[tied], n_good - len(whole), reference)
    return np.concatenate([whole, tied[picks]])


class MOTPESearcher(KDESearcher):
    """Multi-objective TPE (see the module docstring); ``metric=[...]``, ``mode=[...]``.

    * ``num_init_random``: observations a resource level needs before the model is used there
      (configs are random until then; default ``2 * num_min_data_points``, the TPE searcher's
      rule; at least 2).
    * ``gamma``, ``num_min_data_points``, ``num_candidates``, ``bandwidth_factor``,
      ``min_bandwidth``, ``random_fraction``, ``multivariate``, ``prior_weight``,
      ``consider_pending``, ``restrict_configurations``: as for
      :class:`~tunesmith.searchers.KDESearcher`; the good set is chosen by
      :func:`good_observations`.

    >>> from tunesmith import uniform
    >>> space = {"x": uniform(0, 1)}
    >>> searcher = MOTPESearcher(space, metric=["f", "g"], num_init_random=4, random_seed=0)
    >>> for _ in range(6):
    ...     config = searcher.suggest()
    ...     searcher.observe(config, {"f": config["x"], "g": (1 - config["x"]) ** 2})
    >>> searcher.num_observations()
    6
    """

    multi_objective = True

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | list[str] | None = None,
        mode: str | list[str] = "min",
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        random_seed: int | None = None,
        allow_duplicates: bool = False,
        num_init_random: int | None = None,
        gamma: float = 0.15,
        num_min_data_points: int | None = None,
        num_candidates: int = 64,
        bandwidth_factor: float = 3.0,
        min_bandwidth: float = 1e-3,
        random_fraction: float = 1 / 3,
        multivariate: bool = True,
        prior_weight: float = 1.0,
        consider_pending: bool = True,
        max_retries: int = 100,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        super().__init__(
            config_space,
            metric=metric,  # type: ignore[arg-type]
            mode=mode,  # type: ignore[arg-type]
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            gamma=gamma,
            num_min_data_points=num_min_data_points,
            num_candidates=num_candidates,
            bandwidth_factor=bandwidth_factor,
            min_bandwidth=min_bandwidth,
            random_fraction=random_fraction,
            multivariate=multivariate,
            prior_weight=prior_weight,
            consider_pending=consider_pending,
            max_retries=max_retries,
            restrict_configurations=restrict_configurations,
        )
        if num_init_random is None:
            num_init_random = 2 * self.num_min_data_points
        self.num_init_random = _check_int("num_init_random", num_init_random, 2)
        # the last split: (the objective values it was made of, good, bad)
        self._last_split: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def _score(self, metrics: Mapping[str, Any]) -> list[float]:  # type: ignore[override]
        """The objective values, each to be minimized (``"max"`` ones negated)."""
        if self.metric is None:
            raise ValueError(
                "the searcher has no metric: pass `metric=` or use it inside a scheduler"
            )
        reported = dict(metrics)
        return [
            metric_value(reported, name) * (1.0 if mode == "min" else -1.0)
            for name, mode in zip(as_list(self.metric), as_list(self.mode), strict=True)
        ]

    def _new_rows(self) -> _Rows:
        assert self.metric is not None
        objectives = len(as_list(self.metric))
        return _Rows(self._layout.num_real, self._layout.num_index, (objectives,))

    def _fit_size(self) -> int:
        return self.num_init_random

    def _split(self, rows: _Rows) -> tuple[np.ndarray, np.ndarray]:
        """Good (by :func:`good_observations`) and bad observations; the last split is reused
        while the values it was made of are unchanged (suggestions between two results)."""
        y = rows.y[: rows.n]
        cached = self._last_split
        if cached is not None and np.array_equal(cached[0], y):
            return cached[1], cached[2]
        good = good_observations(y, self._num_good(rows.n))
        bad = np.ones(rows.n, dtype=bool)
        bad[good] = False
        self._last_split = (y.copy(), good, np.flatnonzero(bad))
        return good, self._last_split[2]

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(metric={self.metric!r}, mode={self.mode!r}, "
            f"gamma={self.gamma}, num_init_random={self.num_init_random})"
        )
