"""The two-objective rung of MOASHA's NonDominatedPriority as it was before the rung kept
every front exactly (commit 1177c7f): exact fronts up to the promotion cut, the rest an
overflow sorted again from time to time; one or three and more objectives sorted again at
each decision. Kept, unchanged, as the oracle the new rung's decisions are compared with
(tests/schedulers/test_moasha.py)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


class PointsRung:
    """A rung that keeps its points in arrival order (its state) and re-adds them on load."""

    def __init__(self, level: int, quantile: tuple[float, float]):
        self.level = level
        self.num, self.den = quantile
        self.points: list[tuple[float, ...]] = []

    def __len__(self) -> int:
        return len(self.points)

    def add(self, point: Sequence[float]) -> int:
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        return {"points": [list(p) for p in self.points]}

    def load(self, state: Mapping[str, Any]) -> None:
        self.__init__(self.level, (self.num, self.den), *self._args())  # type: ignore[misc]
        for point in state["points"]:
            self.add([float(v) for v in point])

    def _args(self) -> tuple:
        return ()


class OracleFrontRung(PointsRung):
    """Non-dominated fronts of the rung's points; ``add`` returns the number of points on
    fronts before the newcomer's, exactly when that number is below ``q * n``, else a number
    at least ``q * n`` (the decision is STOP either way).

    Two objectives: the first fronts, up to the one that takes their count to ``q * n`` (and a
    few more as ``q * n`` lags behind), are kept exactly, each as a staircase (``xs``
    increasing, ``ys`` decreasing, duplicates side by side). A newcomer joins the first of them
    holding no point that dominates it (binary search over the fronts, a bisection in each);
    the points it dominates there move one front down, pushing the points they dominate
    further (a front's points are never dominated by a later front's). A newcomer dominated by
    the last exact front, and points pushed out of it, go to the *overflow*: the points on
    later fronts, kept as the fronts they formed when last sorted plus the points added since.
    When the exact fronts hold fewer than ``q * n`` points, the overflow's first front is the
    non-dominated subset of its first stored front and the points added since, and becomes the
    next exact front. Cost: a bisection per exact front visited, so it grows with the number
    of fronts (about ``2 sqrt(n)`` for independent objectives) rather than with ``n``.

    One or three and more objectives: all points are sorted again at each decision."""

    def __init__(self, level: int, quantile: tuple[float, float]):
        super().__init__(level, quantile)
        self.fronts: list[tuple[list[float], list[float]]] = []
        self.sizes: list[int] = []  # the exact fronts' sizes
        self.exact = 0  # points on the exact fronts
        self.stored: list[list[tuple[float, float]]] = []  # overflow fronts, last first
        self.stored_count = 0
        self.added: list[tuple[float, float]] = []  # overflow points since

    def add(self, point: Sequence[float]) -> int:
        self.points.append(tuple(point))
        if len(point) != 2:
            from tunesmith.multiobjective import non_dominated_sort

            ranks = non_dominated_sort(np.asarray(self.points))
            return int((ranks < ranks[-1]).sum())
        n = len(self.points)
        while self.exact * self.den < n * self.num and (self.stored or self.added):
            self._extract()
        x, y = point
        fronts = self.fronts
        lo, hi = 0, len(fronts)
        while lo < hi:  # the first front without a point dominating (x, y)
            mid = (lo + hi) // 2
            xs, ys = fronts[mid]
            j = bisect_right(xs, x) - 1
            if j >= 0 and ys[j] <= y and (xs[j] != x or ys[j] != y):
                lo = mid + 1
            else:
                hi = mid
        if lo == len(fronts) and (
            self.stored or self.added or self.exact * self.den >= n * self.num
        ):
            self.added.append((x, y))  # on a later front: at least `exact` points before it
            return self.exact
        sizes = self.sizes
        before = sum(sizes[:lo])
        self.exact += 1
        carry = [(x, y)]
        k = lo
        last = len(fronts) - 1
        while carry:
            if k > last:
                if k == lo:  # the newcomer starts a front
                    fronts.append(([x], [y]))
                    sizes.append(1)
                else:  # pushed out of the exact fronts
                    self.added.extend(carry)
                    self.exact -= len(carry)
                break
            xs, ys = fronts[k]
            size = len(xs)
            moved: list[tuple[float, float]] = []
            for cx, cy in carry:
                start = bisect_left(xs, cx)
                while start < len(xs) and xs[start] == cx and ys[start] == cy:
                    start += 1  # its duplicates stay
                end = start
                while end < len(xs) and ys[end] >= cy:
                    end += 1
                if end > start:
                    moved.extend(zip(xs[start:end], ys[start:end], strict=True))
                xs[start:end] = [cx]
                ys[start:end] = [cy]
            sizes[k] = len(xs)
            if len(moved) == size and k < last:
                # the whole front moved down: it dominates every point of the next front, and
                # so on, so the exact fronts below shift by one and the last one moves on
                fronts.insert(k + 1, ([p[0] for p in moved], [p[1] for p in moved]))
                sizes.insert(k + 1, size)
                xs, ys = fronts.pop()
                sizes.pop()
                carry = list(zip(xs, ys, strict=True))
                k = last + 1
                continue
            carry = moved
            k += 1
        return before

    def _extract(self) -> None:
        """Move the overflow's first front to the exact fronts (sorting the overflow again when
        the points added since the last sort are many)."""
        from tunesmith.multiobjective import non_dominated_sort, pareto_front_mask

        if len(self.added) > max(256, self.stored_count // 4):
            points = [p for front in self.stored for p in front] + self.added
            array = np.array(points, dtype=float)
            ranks = non_dominated_sort(array)
            order = np.argsort(-ranks, kind="stable")
            bounds = np.flatnonzero(np.diff(ranks[order])) + 1
            self.stored = [[points[i] for i in part] for part in np.split(order, bounds)]
            self.stored_count = len(points)
            self.added = []
        candidates = self.added
        if self.stored:
            first = self.stored.pop()
            self.stored_count -= len(first)
            candidates = first + candidates
        mask = pareto_front_mask(np.array(candidates, dtype=float)).tolist()
        front = sorted(p for p, on in zip(candidates, mask, strict=True) if on)
        self.added = [p for p, on in zip(candidates, mask, strict=True) if not on]
        self.fronts.append(([p[0] for p in front], [p[1] for p in front]))
        self.sizes.append(len(front))
        self.exact += len(front)
