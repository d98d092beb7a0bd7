"""One large non-dominated front of two objectives, kept for
:class:`~tunesmith.multiobjective.incremental.NonDominatedFronts`: a staircase (first objective
``x`` increasing, second objective negated, ``ny``, increasing too) in *parts* of at most
:data:`CHUNK` points, two ``array("d")`` each, with each part's first ``x`` and ``ny``.

A front of up to :data:`CHUNK` points is kept as one pair of arrays (``(xs, nys)``), where a
step of the update moves the memory after the run it replaces; a front that grows past
:data:`CHUNK` becomes a :class:`ChunkedStairs`, where a step moves the memory of the parts the
run touches only, so that inserting into one front of most of the points (objectives in
conflict) does not cost the size of that front. A position in the staircase is a pair
``(part, index)``, with ``index < len(part)`` except at the very end.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from itertools import pairwise

#: points per part of a large front (a front that grows past it is split into parts)
CHUNK = 4096


class ChunkedStairs:
    """The points of one large two-objective front in parts (see the module docstring)."""

    __slots__ = ("fnys", "fxs", "nys", "size", "xs")

    def __init__(self, xs: array, nys: array):
        self.xs: list[array] = []
        self.nys: list[array] = []
        self.fxs: list[float] = []  # each part's first x
        self.fnys: list[float] = []  # each part's first ny
        self.size = len(xs)
        self._set(0, 0, xs, nys)

    def __len__(self) -> int:
        return self.size

    def flat(self) -> tuple[array, array]:
        """All the points, as one ``(xs, nys)`` pair."""
        xs, nys = array("d"), array("d")
        for part_xs, part_nys in zip(self.xs, self.nys, strict=True):
            xs.extend(part_xs)
            nys.extend(part_nys)
        return xs, nys

    def dominates(self, x: float, ny: float) -> bool:
        """Whether a point of the front dominates ``(x, ny)``: the last point with an ``x``
        no greater than ``x`` has the greatest ``ny`` of them."""
        k = bisect_right(self.fxs, x) - 1
        if k < 0:
            return False
        xs, nys = self.xs[k], self.nys[k]
        j = bisect_right(xs, x) - 1
        return nys[j] >= ny and (xs[j] != x or nys[j] != ny)

    def splice(
        self, a: float, c: float, new_xs: array, new_nys: array, newcomer: bool
    ) -> tuple[array, array] | None:
        """Put the points ``new_xs, new_nys`` in place of the run they dominate, from the first
        point with ``x >= a`` to the last with ``ny <= c``; return that run, or None when it
        is empty (the points are inserted there). ``newcomer``: one point, ``(a, c)`` itself,
        which joins its equals rather than moving them."""
        parts_xs, parts_nys = self.xs, self.nys
        last = len(parts_xs) - 1
        k = bisect_left(self.fxs, a) - 1  # the start: parts after k start at a or later
        if k < 0:
            k = 0
        xs = parts_xs[k]
        j = bisect_left(xs, a)
        if j == len(xs) and k < last:
            k, j = k + 1, 0
            xs = parts_xs[k]
        if newcomer and j < len(xs) and xs[j] == a and parts_nys[k][j] == c:
            k, j = self._right(self.fxs, parts_xs, a)  # its equals stay, and it joins them
            xs = parts_xs[k]
        k2 = bisect_right(self.fnys, c) - 1  # the end: parts after k2 start above c
        if k2 < 0:
            k2 = 0
        j2 = bisect_right(parts_nys[k2], c)
        if j2 == len(parts_nys[k2]) and k2 < last:
            k2, j2 = k2 + 1, 0
        if k2 > k or (k2 == k and j2 > j):
            return self._replace((k, j), (k2, j2), new_xs, new_nys)
        nys = parts_nys[k]  # nothing moves: the points go in at the start (most often)
        xs[j:j] = new_xs
        nys[j:j] = new_nys
        self.size += len(new_xs)
        if len(xs) > CHUNK:
            self._set(k, k + 1, xs, nys)
        elif not j:
            self.fxs[k] = xs[0]
            self.fnys[k] = nys[0]
        return None

    # -- positions -------------------------------------------------------------------------
    @staticmethod
    def _right(firsts: list[float], parts: list[array], v: float) -> tuple[int, int]:
        """The position after the last point whose value in ``parts`` is at most ``v``."""
        k = max(bisect_right(firsts, v) - 1, 0)
        values = parts[k]
        j = bisect_right(values, v)
        if j == len(values) and k + 1 < len(parts):
            return k + 1, 0
        return k, j

    # -- changes ---------------------------------------------------------------------------
    def _replace(
        self,
        start: tuple[int, int],
        end: tuple[int, int],
        new_xs: array,
        new_nys: array,
    ) -> tuple[array, array]:
        """Replace the points from ``start`` to ``end`` by ``new_xs, new_nys``; return them."""
        (k, j), (k2, j2) = start, end
        if j2 == 0 and k2 > k:  # the run ends where part k2 starts
            k2 -= 1
            j2 = len(self.xs[k2])
        if k == k2:
            xs, nys = self.xs[k], self.nys[k]
        else:  # the run spans parts k to k2: they are merged, then split again
            xs, nys = array("d"), array("d")
            for m in range(k, k2):
                j2 += len(self.xs[m])
                xs.extend(self.xs[m])
                nys.extend(self.nys[m])
            xs.extend(self.xs[k2])
            nys.extend(self.nys[k2])
        old_xs, old_nys = xs[j:j2], nys[j:j2]
        xs[j:j2] = new_xs
        nys[j:j2] = new_nys
        self.size += len(new_xs) - len(old_xs)
        if k == k2 and 0 < len(xs) <= CHUNK:
            self.fxs[k] = xs[0]
            self.fnys[k] = nys[0]
        else:
            self._set(k, k2 + 1, xs, nys)
        return old_xs, old_nys

    def _set(self, k: int, k2: int, xs: array, nys: array) -> None:
        """Replace parts ``k`` to ``k2 - 1`` by the points ``xs, nys``, in parts of about
        half :data:`CHUNK` (none if there are no points)."""
        n = len(xs)
        count = -(-n // max(CHUNK // 2, 1)) if n > CHUNK else min(n, 1)
        bounds = [n * m // count for m in range(count + 1)] if count else [0]
        parts_xs = [xs[lo:hi] for lo, hi in pairwise(bounds)]
        parts_nys = [nys[lo:hi] for lo, hi in pairwise(bounds)]
        self.xs[k:k2] = parts_xs
        self.nys[k:k2] = parts_nys
        self.fxs[k:k2] = [part[0] for part in parts_xs]
        self.fnys[k:k2] = [part[0] for part in parts_nys]
