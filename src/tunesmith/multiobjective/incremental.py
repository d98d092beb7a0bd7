"""Non-dominated fronts kept up to date as points arrive one by one, instead of sorted again
at each arrival (MOASHA's rungs, :mod:`tunesmith.schedulers.moasha`).

* :class:`NonDominatedFronts`: every front of a growing set, exactly; :meth:`~NonDominatedFronts.
  add` returns how many points lie on fronts before the newcomer's.
* :class:`QuantileFronts`: only the first fronts, those holding a fraction ``q`` of the points
  (plus a margin), exactly; the rest waits, unsorted, in a *pool*. It answers the one question a
  rung asks (does the newcomer lie among the best ``q`` by front?) at a cost that does not grow
  with the points far below the cut.

Points are sequences of ``num_objectives`` floats, every objective minimized.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import Any

import numpy as np

from tunesmith.multiobjective import _stairs
from tunesmith.multiobjective._chunked import ChunkedFront
from tunesmith.multiobjective._stairs import ChunkedStairs
from tunesmith.multiobjective.sorting import _lex_unique, _ranks_3d, non_dominated_sort

__all__ = ["NonDominatedFronts", "QuantileFronts"]

#: fronts per block of :class:`NonDominatedFronts` (a block that grows past it is split)
_FRONTS_PER_BLOCK = 512
_ROWS = 256  # points compared at once with a front (three and more objectives)
_ENS_FROM = 1000  # points from which a refill sorts 4+ objectives by insertion
_PREFIX_BLOCK = 16  # front points per block of a three-objective weak-dominance test
#: what NonDominatedFronts._add returns for a newcomer it leaves out
_NEWCOMER = object()


def _check_num_objectives(num_objectives: Any) -> int:
    if (
        isinstance(num_objectives, bool)
        or not isinstance(num_objectives, int | np.integer)
        or num_objectives < 1
    ):
        raise ValueError(
            "`num_objectives` must be an int >= 1, the length of every point, but got "
            f"num_objectives={num_objectives!r}"
        )
    return int(num_objectives)


class NonDominatedFronts:
    """The non-dominated fronts of a growing set of points (all objectives minimized), updated
    in place as each point arrives: :meth:`add` returns how many points lie on fronts before
    the newcomer's, the count :func:`~tunesmith.multiobjective.non_dominated_sort` of all the
    points so far would give, without sorting them again.

    The update is the non-domination level update of Li, Deb, Zhang and Zhang ("Efficient
    non-domination level update method for steady-state evolutionary multiobjective
    optimization", 2017) for one insertion:

    1. The newcomer's front is the first that holds no point dominating it (a point dominated
       by front ``k`` is dominated by every front before it): a binary search over the fronts.
    2. The points of that front the newcomer dominates move one front down, where they push
       the points *they* dominate, and so on, until nothing moves. When a whole front moves,
       every later front moves with it (each of their points is dominated by a point of the
       front above), so the moved front is inserted as a new front and the update ends.

    Two objectives (one is the same with a constant second objective): each front is a
    staircase, first objective increasing and second decreasing, in two ``array("d")`` (moving a
    run copies contiguous memory rather than touching one float object per point; lists, faster
    in a small test, were slower on 100,000 entries); a dominance test is one bisection, and the
    points a moved run dominates in the next front are again a run, found by two bisections (as
    in Buzdalov, Yakupov and Stankevich's incremental sorting for two objectives, GECCO 2015,
    there with balanced trees). A front past :data:`~tunesmith.multiobjective._stairs.CHUNK`
    (4,096) points is kept in parts of at most that many
    (:class:`~tunesmith.multiobjective._stairs.ChunkedStairs`), so that a step moves the memory
    of the parts it touches, not of the whole front. Three and more objectives: each front is a
    :class:`~tunesmith.multiobjective._chunked.ChunkedFront`, C-ordered ``(d, m)`` arrays, one
    row per objective, so a test compares whole rows with the point's values (a few numpy calls
    per front), in compact chunks of at most 2,048 points with their bounds, so that a test on a
    large front looks only into the chunks near the point; only the points the newcomer weakly
    dominates are compared with the points carried to a front (everything that moves is
    dominated by the newcomer).

    Fronts are kept in blocks of at most 512, with their point counts, so that inserting a
    front and counting the points before one cost O(blocks + block length), not O(fronts).
    An insertion costs O(log fronts) dominance tests plus one step per front whose points
    move; a step also moves the memory of the part or chunk it changes (O(chunk size)).

    >>> fronts = NonDominatedFronts(2)
    >>> [fronts.add(p) for p in [[2, 2], [3, 3], [1, 1], [0, 4]]]
    [0, 1, 0, 0]
    >>> [f.tolist() for f in fronts.fronts()]
    [[[0.0, 4.0], [1.0, 1.0]], [[2.0, 2.0]], [[3.0, 3.0]]]
    """

    def __init__(self, num_objectives: int):
        self.num_objectives = _check_num_objectives(num_objectives)
        self._stairs = self.num_objectives <= 2
        self._part_limit = _stairs.CHUNK  # entries from which a staircase is kept in parts
        self._blocks: list[list[Any]] = []  # the fronts, best first, in blocks
        self._sizes: list[list[int]] = []  # each front's number of points, per block
        self._totals: list[int] = []  # each block's number of points
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def num_fronts(self) -> int:
        return sum(len(block) for block in self._blocks)

    def fronts(self) -> list[np.ndarray]:
        """Each front's points as an ``(m, num_objectives)`` array, best front first (two
        objectives: by increasing first objective)."""
        return [self._array(self._points(front)) for block in self._blocks for front in block]

    def add(self, point: Any) -> int:
        """Record ``point`` (``num_objectives`` numbers); return how many of the points
        recorded before it lie on fronts before the one it joins."""
        return self._add(point, extend=True)[0]

    # -- the update ----------------------------------------------------------------------------
    def _add(self, point: Any, *, extend: bool) -> tuple[int, Any]:
        """:meth:`add`; with ``extend=False``, points that would start a front after the last
        one are left out and returned as a second value (else None): ``_NEWCOMER`` for the
        newcomer, points pushed out of the last front in the form :meth:`_columns` reads."""
        d = self.num_objectives
        if len(point) != d:
            raise ValueError(
                f"`point` must have {d} objective values, but got {len(point)}: {list(point)!r}"
            )
        if self._stairs:
            return self._add_to_stairs(float(point[0]), -float(point[1]) if d == 2 else 0.0, extend)
        return self._add_to_arrays(np.asarray(point, dtype=float).reshape(d, 1), extend)

    def _add_to_stairs(self, x: float, ny: float, extend: bool) -> tuple[int, Any]:
        """:meth:`_add` for fronts kept as staircases: ``xs`` increasing, ``nys`` (the second
        objective negated) increasing too, equal points side by side; a front is a pair of
        arrays ``(xs, nys)`` or, past :data:`~tunesmith.multiobjective._stairs.CHUNK` points,
        a :class:`~tunesmith.multiobjective._stairs.ChunkedStairs` (its branches below)."""
        blocks, sizes, totals = self._blocks, self._sizes, self._totals
        lo, hi = 0, len(blocks)
        if blocks and not extend:  # most points left out are dominated by the last front
            front = blocks[-1][-1]
            if front.__class__ is tuple:
                xs, nys = front
                j = bisect_right(xs, x) - 1
                if j >= 0 and nys[j] >= ny and (xs[j] != x or nys[j] != ny):
                    return self._count, _NEWCOMER
            elif front.dominates(x, ny):  # a large front, in parts
                return self._count, _NEWCOMER
            hi -= 1  # the last front does not dominate it: the answer is in the last block
        while lo < hi:  # the first block whose last front holds no point dominating (x, y)
            mid = (lo + hi) // 2
            front = blocks[mid][-1]
            if front.__class__ is tuple:
                xs, nys = front
                j = bisect_right(xs, x) - 1
                dominated = j >= 0 and nys[j] >= ny and (xs[j] != x or nys[j] != ny)
            else:  # a large front, in parts
                dominated = front.dominates(x, ny)
            if dominated:
                lo = mid + 1
            else:
                hi = mid
        if lo == len(blocks):  # every front dominates it: it starts a front after the last
            before = self._count
            if blocks and not extend:
                return before, _NEWCOMER
            self._count += 1
            points = (array("d", (x,)), array("d", (ny,)))
            self._insert(len(blocks) - 1, len(blocks[-1]) - 1 if blocks else -1, points)
            return before, None
        b, block = lo, blocks[lo]
        i, hi = 0, len(block) - 1
        while i < hi:  # the first such front in that block
            mid = (i + hi) // 2
            front = block[mid]
            if front.__class__ is tuple:
                xs, nys = front
                j = bisect_right(xs, x) - 1
                dominated = j >= 0 and nys[j] >= ny and (xs[j] != x or nys[j] != ny)
            else:  # a large front, in parts
                dominated = front.dominates(x, ny)
            if dominated:
                i = mid + 1
            else:
                hi = mid
        bsizes = sizes[b]
        before = sum(totals[:b]) + sum(bsizes[:i])
        self._count += 1
        front = block[i]
        if front.__class__ is not tuple:  # a large front, in parts
            size = front.size
            run = front.splice(x, ny, array("d", (x,)), array("d", (ny,)), True)
            if run is None:
                bsizes[i] += 1
                totals[b] += 1
                return before, None
            cxs, cnys = run
            num = len(cxs)
            whole = num == size
            a, c = cxs[0], cnys[-1]
        else:
            xs, nys = front
            start = bisect_left(xs, x)
            if start < len(xs) and xs[start] == x and nys[start] == ny:
                start = bisect_right(xs, x)  # its equals stay, and it joins them
            end = bisect_right(nys, ny)  # the points no lower than it
            if end <= start:
                xs.insert(start, x)
                nys.insert(start, ny)
                bsizes[i] += 1
                totals[b] += 1
                if len(xs) > self._part_limit:
                    block[i] = ChunkedStairs(xs, nys)
                return before, None
            # the cascade: the run [start, end) of front i moves to front i + 1, where it
            # takes the place of the run it dominates (from its first x to its lowest y), and
            # so on. Only two numbers of a run decide where it lands, its first x and its last
            # y, read before the run is copied; block b's total is settled when the cascade
            # leaves it.
            num = end - start
            whole = num == len(xs)
            cxs, cnys = xs[start:end], nys[start:end]
            a, c = xs[start], nys[end - 1]
            xs[start] = x
            nys[start] = ny
            if num > 1:
                del xs[start + 1 : end], nys[start + 1 : end]
        bsizes[i] += 1 - num
        entered = 1  # points that came into block b
        last = len(block) - 1
        while True:  # `cxs, cnys`: the `num` points that move from front i of block b
            if whole:  # the whole front moved: it becomes the next front
                totals[b] += entered - num
                self._insert(b, i, (cxs, cnys))
                return before, None
            if i < last:  # the next front, in the same block
                i += 1
            else:
                totals[b] += entered - num
                entered = num
                at, left = self._next_front(b, i, num, (cxs, cnys), extend)
                if at is None:
                    return before, left
                b, i = at
                block, bsizes = blocks[b], sizes[b]
                last = len(block) - 1
            front = block[i]
            if front.__class__ is not tuple:  # a large front, in parts
                size = front.size
                run = front.splice(a, c, cxs, cnys, False)
                if run is None:
                    bsizes[i] += num
                    totals[b] += entered
                    return before, None
                run_xs, run_nys = run
                moved = len(run_xs)
                whole = moved == size
                a, c = run_xs[0], run_nys[-1]
                bsizes[i] += num - moved
                cxs, cnys, num = run_xs, run_nys, moved
                continue
            xs, nys = front
            start, end = bisect_left(xs, a), bisect_right(nys, c)
            if end <= start:
                xs[start:start] = cxs
                nys[start:start] = cnys
                bsizes[i] += num
                totals[b] += entered
                if len(xs) > self._part_limit:
                    block[i] = ChunkedStairs(xs, nys)
                return before, None
            moved = end - start
            whole = moved == len(xs)
            a, c = xs[start], nys[end - 1]
            run_xs, run_nys = xs[start:end], nys[start:end]
            xs[start:end] = cxs
            nys[start:end] = cnys
            bsizes[i] += num - moved
            if num > moved and len(xs) > self._part_limit:
                block[i] = ChunkedStairs(xs, nys)
            cxs, cnys, num = run_xs, run_nys, moved

    def _add_to_arrays(self, new: np.ndarray, extend: bool) -> tuple[int, Any]:
        """:meth:`_add` for fronts kept as ``(d, m)`` arrays, one row per objective (three
        and more objectives); ``new`` is the newcomer ``p`` as a ``(d, 1)`` array.

        Every point that moves is dominated by ``p``, so at each front only the points that
        ``p`` weakly dominates are compared with the points carried there."""
        blocks, sizes, totals = self._blocks, self._sizes, self._totals
        p, values = new, new[:, 0].tolist()
        lo, hi = 0, len(blocks)
        if blocks and not extend:  # most points left out: the last front dominates them
            if blocks[-1][-1].dominates(p, values):
                return self._count, _NEWCOMER
            hi -= 1  # else the answer is in the last block at the latest
        while lo < hi:
            mid = (lo + hi) // 2
            if blocks[mid][-1].dominates(p, values):
                lo = mid + 1
            else:
                hi = mid
        if lo == len(blocks):
            before = self._count
            if blocks and not extend:
                return before, _NEWCOMER
            self._count += 1
            self._insert(len(blocks) - 1, len(blocks[-1]) - 1 if blocks else -1, new)
            return before, None
        b, block = lo, blocks[lo]
        i, hi = 0, len(block) - 1
        while i < hi:
            mid = (i + hi) // 2
            if block[mid].dominates(p, values):
                i = mid + 1
            else:
                hi = mid
        before = sum(totals[:b]) + sum(sizes[b][:i])
        self._count += 1
        carried, num = new, 1
        while True:
            front = blocks[b][i]
            size = front.size
            below = front.pop_below(p, None if carried is new else carried, values)
            front.add(carried)
            if below is None:
                sizes[b][i] += num
                totals[b] += num
                return before, None
            moved = below.shape[1]
            sizes[b][i] += num - moved
            totals[b] += num - moved
            carried, num = below, moved
            if moved == size:  # the whole front moved: it becomes the next front
                self._insert(b, i, carried)
                return before, None
            at, left = self._next_front(b, i, num, carried, extend)
            if at is None:
                return before, left
            b, i = at

    def _next_front(
        self, b: int, i: int, num: int, carried: Any, extend: bool
    ) -> tuple[tuple[int, int] | None, Any]:
        """Where the ``num`` points ``carried`` out of front ``i`` of block ``b`` go next:
        ``((b, i), None)``, the next front; past the last front, ``(None, None)`` once they
        became a last front of their own (``extend``), else ``(None, carried)``, dropped."""
        blocks = self._blocks
        i += 1
        if i < len(blocks[b]):
            return (b, i), None
        if b + 1 < len(blocks):
            return (b + 1, 0), None
        if not extend:  # pushed out of the last front
            self._count -= num
            return None, carried
        self._insert(b, len(blocks[b]) - 1, carried)
        return None, None

    def _insert(self, b: int, i: int, points: Any) -> None:
        """Insert a front of ``points`` after front ``i`` of block ``b`` (``b = -1``: as the
        first front of a first block)."""
        if self._stairs:
            size = len(points[0])
            front = ChunkedStairs(*points) if size > self._part_limit else points
        else:
            size = points.shape[1]
            front = ChunkedFront(points)
        if b < 0:
            self._blocks.append([front])
            self._sizes.append([size])
            self._totals.append(size)
            return
        block, sizes = self._blocks[b], self._sizes[b]
        block.insert(i + 1, front)
        sizes.insert(i + 1, size)
        self._totals[b] += size
        if len(block) > _FRONTS_PER_BLOCK:
            half = len(block) // 2
            self._blocks.insert(b + 1, block[half:])
            self._sizes.insert(b + 1, sizes[half:])
            del block[half:], sizes[half:]
            moved = sum(self._sizes[b + 1])
            self._totals[b] -= moved
            self._totals.insert(b + 1, moved)

    # -- the last front (for QuantileFronts) ---------------------------------------------------
    def _last_size(self) -> int:
        return self._sizes[-1][-1] if self._blocks else 0

    def _pop_last(self) -> list[list[float]]:
        """Remove the last front; return its points as one list per objective."""
        front = self._blocks[-1].pop()
        size = self._sizes[-1].pop()
        self._totals[-1] -= size
        self._count -= size
        if not self._blocks[-1]:
            del self._blocks[-1], self._sizes[-1], self._totals[-1]
        return self._columns(self._points(front))

    def _append(self, rows: np.ndarray) -> None:
        """Add the points of ``rows`` (an ``(m, d)`` array, ``m >= 1``), which the caller
        knows to form the front after the last one."""
        if self._stairs and len(rows) <= 64:  # in Python: cheaper than numpy calls
            pairs = sorted(rows.tolist())
            xs = array("d", [p[0] for p in pairs])
            nys = array(
                "d", [-p[1] for p in pairs] if self.num_objectives == 2 else bytes(8 * len(pairs))
            )
            points: Any = (xs, nys)
        elif self._stairs:
            rows = rows[np.lexsort(rows.T[::-1])]
            ny = -rows[:, 1] if self.num_objectives == 2 else np.zeros(len(rows))
            points = (array("d", rows[:, 0].tobytes()), array("d", ny.tobytes()))
        else:
            points = np.ascontiguousarray(rows.T, dtype=float)
        self._count += len(rows)
        blocks = self._blocks
        self._insert(len(blocks) - 1, len(blocks[-1]) - 1 if blocks else -1, points)

    @staticmethod
    def _points(front: Any) -> Any:
        """A front's points in a carry's form."""
        if isinstance(front, ChunkedFront):
            return front.cols()
        return front.flat() if isinstance(front, ChunkedStairs) else front

    def _columns(self, points: Any) -> list[list[float]]:
        """Points in a carry's form (what :meth:`_add` leaves out) as one list per objective."""
        if not self._stairs:
            return points.tolist()
        xs, nys = points
        return [xs, [-v for v in nys]][: self.num_objectives]

    def _array(self, points: Any) -> np.ndarray:
        """Points in a front's or a carry's form as an ``(m, d)`` array."""
        if not self._stairs:
            return np.array(points.T, dtype=float)
        xs, nys = points
        columns = [xs, [-v for v in nys]][: self.num_objectives]
        return np.array(columns, dtype=float).reshape(self.num_objectives, -1).T


class QuantileFronts:
    """The first non-dominated fronts of a growing set, enough of them to hold the best
    fraction ``q = num / den`` of its points: :meth:`add` returns how many points lie on
    fronts before the newcomer's *when that number is below* ``q * n`` (``n`` counting the
    newcomer), and otherwise some number at least ``q * n``. That is a MOASHA rung's
    question (:class:`~tunesmith.schedulers.NonDominatedPriority`).

    * The *top*: the first fronts, kept exactly by :class:`NonDominatedFronts`, holding at
      least ``q * n`` points when a newcomer is placed, and at most about
      ``(q + 2 margin) n``. A newcomer on one of them is placed there; one that the last
      top front dominates, and the points pushed out of the last top front, go to the pool.
      When the top holds more than it needs, its last front goes to the pool.
    * The *pool*: the other points, whose fronts come after the top's. It holds fronts
      *sorted* at some earlier time (a decomposition of those points alone) and points
      *added* since, unsorted. When the top falls below ``q * n``, it is refilled to
      ``(q + margin) n`` with the pool's first fronts. If the first ``J`` sorted fronts hold
      the points needed, the pool's first ``J`` fronts are the first ``J`` fronts of those
      sorted points together with the added points that sorted front ``J`` (the next one)
      does not weakly dominate: every other pool point lies on front ``J`` or later. So only
      those are sorted; what is not moved to the top joins the added points. When the added
      points outnumber the sorted ones, the whole pool is sorted again.
    * Three objectives: a whole sort keeps only the pool's first fronts (16 at first, more
      when a refill takes a quarter of them), and the points beyond them wait as *deep*
      points, weakly dominated by the last sorted front, which a refill from the sorted
      fronts need not look at (nor the added points it finds below that front); the pool is
      sorted whole again only when its sorted fronts do not hold the points needed. The
      test of the added points against a front is a sweep over the front's points by the
      first objective with a 2-D staircase of the other two (:func:`_weakly_dominated_3d`).

    A newcomer below the top costs one dominance test (a bisection with two objectives); one
    on the top costs :class:`NonDominatedFronts`' update there. Refills cost about the sort
    of the points they look at plus a vectorized test of the added points, and come about
    once per ``margin * n`` arrivals; whole sorts, about once per ``n / 3``.
    """

    def __init__(self, num_objectives: int, quantile: tuple[float, float], *, margin: float = 0.05):
        self.num_objectives = _check_num_objectives(num_objectives)
        num, den = quantile
        if not 0 < num < den:
            raise ValueError(
                f"`quantile` must be a pair (num, den) with 0 < num < den, but got {quantile!r}"
            )
        if not 0 <= margin < 1:
            raise ValueError(f"`margin` must be a number in [0, 1), but got margin={margin!r}")
        self.num, self.den = num, den
        self.margin = margin
        self.top = NonDominatedFronts(self.num_objectives)
        self._sorted: list[np.ndarray] = []  # the pool's sorted fronts, best first
        self._num_sorted = 0
        self._keep = 16  # three objectives: fronts a whole sort of the pool keeps
        # three objectives: points known to be weakly dominated by the last sorted front
        self._deep: list[np.ndarray] = []
        self._num_deep = 0
        self._added: list[list[float]] = [[] for _ in range(self.num_objectives)]
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def pool_size(self) -> int:
        return self._num_sorted + self._num_deep + len(self._added[0])

    def add(self, point: Any) -> int:
        """Record ``point``; return the number of points on fronts before its front when it
        is below ``q * n``, else a number at least ``q * n`` (see the class docstring)."""
        self._count += 1
        n, top = self._count, self.top
        pooled = self._num_sorted or self._added[0]
        if pooled and top._count * self.den < n * self.num:
            self._refill()
            pooled = self._num_sorted or self._added[0]
        if pooled and self.num_objectives == 2 and len(point) == 2 and top._blocks:
            # most newcomers: the last kept front dominates them (one bisection), and they
            # join the pool; the same test as NonDominatedFronts._add_to_stairs, inlined
            x, y = float(point[0]), float(point[1])
            front = top._blocks[-1][-1]
            if front.__class__ is tuple:
                xs, nys = front
                j = bisect_right(xs, x) - 1
                dominated = j >= 0 and nys[j] >= -y and (xs[j] != x or nys[j] != -y)
            else:  # a large front, in parts
                dominated = front.dominates(x, -y)
            if dominated:
                added = self._added
                added[0].append(x)
                added[1].append(y)
                return top._count
        before, spilled = top._add(point, extend=not pooled)
        if spilled is _NEWCOMER:
            for column, value in zip(self._added, point, strict=True):
                column.append(float(value))
            return before
        if spilled is not None:
            for column, values in zip(self._added, top._columns(spilled), strict=True):
                column.extend(values)
            return before
        # the last front goes to the pool while the others hold (q + 2 margin) n
        high = n * (self.num / self.den + 2 * self.margin) + 1
        while top._count - top._last_size() >= high:
            for column, values in zip(self._added, top._pop_last(), strict=True):
                column.extend(values)
        return before

    def _to_pool(self, rows: np.ndarray) -> None:
        for column, values in zip(self._added, rows.T.tolist(), strict=True):
            column.extend(values)

    def _refill(self) -> None:
        """Move the pool's first fronts to the top until it holds ``(q + margin) n`` points
        or the pool is empty."""
        top, d = self.top, self.num_objectives
        want = self._count * (self.num / self.den + self.margin)
        while len(top) < want and self.pool_size:
            added = np.array(self._added, dtype=float).reshape(d, -1).T
            sorted_fronts = self._sorted
            # the fewest sorted fronts that hold the points needed
            cumulative = list(accumulate(len(f) for f in sorted_fronts))
            cut = bisect_left(cumulative, want - len(top)) + 1
            whole = cut >= len(sorted_fronts)
            if not whole and d != 3:
                whole = len(added) >= self._num_sorted
            if whole:  # sort the whole pool (three objectives: its first fronts only)
                candidates = np.concatenate([*sorted_fronts, *self._deep, added])
                fronts, beyond = _sorted_fronts(candidates, self._keep if d == 3 else None)
                taken = self._take(fronts, want)
                self._sorted = fronts[taken:]
                self._added = [[] for _ in range(d)]
                self._deep, self._num_deep = [], 0
                if self._sorted and len(beyond):  # beyond the last front kept: weakly below it
                    self._deep, self._num_deep = [beyond], len(beyond)
                else:
                    self._to_pool(beyond)
                if 4 * taken > self._keep:  # keep more fronts next time
                    self._keep *= 2
            else:  # only the first `cut` fronts of the candidates are the pool's
                if d == 3:  # the deep points lie below front `cut`: so do those that join them
                    deeper = _weakly_dominated(added, sorted_fronts[-1])
                    if deeper.any():
                        self._deep.append(added[deeper])
                        self._num_deep += int(deeper.sum())
                        added = added[~deeper]
                below = _weakly_dominated(added, sorted_fronts[cut])
                candidates = np.concatenate([*sorted_fronts[:cut], added[~below]])
                fronts, beyond = _sorted_fronts(candidates, cut)
                taken = self._take(fronts, want)
                self._sorted = sorted_fronts[cut:]  # they stay sorted; the rest is added
                self._added = [[] for _ in range(d)]
                self._to_pool(np.concatenate([added[below], *fronts[taken:], beyond]))
            self._num_sorted = sum(len(f) for f in self._sorted)

    def _take(self, fronts: list[np.ndarray], want: float) -> int:
        """Append the first of ``fronts`` to the top until it holds ``want`` points; return
        how many were taken."""
        taken = 0
        while taken < len(fronts) and len(self.top) < want:
            self.top._append(fronts[taken])
            taken += 1
        return taken


def _sorted_fronts(
    points: np.ndarray, max_fronts: int | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """The first ``max_fronts`` (None: all) non-dominated fronts of ``points`` (an ``(m, d)``
    array), best first, each an ``(k, d)`` array, and the points beyond them, an ``(r, d)``
    array.

    Three objectives: the sweep of :func:`~tunesmith.multiobjective.sorting.
    non_dominated_sort` keeps only the fronts asked for, and most points cost one test against
    the last of them. Four objectives and more, many points: in lexicographic order no point
    dominates one before it, so :class:`NonDominatedFronts` only appends, each point after a
    binary search of chunked tests over the fronts, where the block-vectorized sort compares
    all pairs (20,000 points in four dimensions: 0.9 s instead of 6 s)."""
    if points.shape[1] >= 4 and len(points) > _ENS_FROM:
        fronts = NonDominatedFronts(points.shape[1])
        for point in points[np.lexsort(points.T[::-1])].tolist():
            fronts.add(point)
        everything = fronts.fronts()
        if max_fronts is None or len(everything) <= max_fronts:
            return everything, points[:0]
        return everything[:max_fronts], np.concatenate(everything[max_fronts:])
    if points.shape[1] == 3 and len(points):
        unique, inverse = _lex_unique(points)
        ranks = _ranks_3d(unique, max_fronts=max_fronts)[inverse]
    else:
        ranks = non_dominated_sort(points)
    order = np.argsort(ranks, kind="stable")
    bounds = np.flatnonzero(np.diff(ranks[order])) + 1
    parts = [points[part] for part in np.split(order, bounds)] if len(points) else []
    if max_fronts is None or len(parts) <= max_fronts:
        return parts, points[:0]
    return parts[:max_fronts], np.concatenate(parts[max_fronts:])


def _weakly_dominated(points: np.ndarray, front: np.ndarray) -> np.ndarray:
    """A mask of the rows of ``points`` that some row of ``front`` weakly dominates (is no
    worse than in every objective)."""
    out = np.zeros(len(points), dtype=bool)
    if not len(points):
        return out
    if points.shape[1] <= 2:  # a staircase: the front point with the largest x <= the point's
        order = np.lexsort(front.T[::-1])
        xs = front[order, 0]
        j = np.searchsorted(xs, points[:, 0], side="right") - 1
        if points.shape[1] == 1:
            return j >= 0
        best_y = np.where(j >= 0, front[order, 1][np.maximum(j, 0)], np.inf)
        return best_y <= points[:, 1]
    if points.shape[1] == 3:
        return _weakly_dominated_3d(points, front)
    # only points no better than the front's least values can be dominated; rows compared as
    # whole C-ordered rows (one per objective), as NonDominatedFronts does
    maybe = np.flatnonzero((points >= front.min(axis=0)).all(1))
    cols = np.ascontiguousarray(front.T)[:, :, None]
    tested = np.ascontiguousarray(points[maybe].T)
    for k in range(0, len(maybe), _ROWS):
        part = tested[:, None, k : k + _ROWS]
        out[maybe[k : k + _ROWS]] = (cols <= part).all(0).any(0)
    return out


def _weakly_dominated_3d(points: np.ndarray, front: np.ndarray) -> np.ndarray:
    """:func:`_weakly_dominated` for three objectives, O((m + f) log f) numpy work for ``m``
    points and a front of ``f``: the front sorted by its first objective, a point is weakly
    dominated iff a prefix of it (the front points with a first value no greater) holds one
    no greater in the other two. The prefix is whole blocks of :data:`_PREFIX_BLOCK` front
    points, answered by their 2-D staircase (second objective sorted, least third objective
    so far), and a part of the next block, compared pair by pair."""
    front = front[np.argsort(front[:, 0], kind="stable")]
    f, block = len(front), _PREFIX_BLOCK
    full = np.searchsorted(front[:, 0], points[:, 0], side="right") // block  # whole blocks
    order = np.argsort(full, kind="stable")
    starts = np.searchsorted(full[order], np.arange(f // block + 2))
    out = np.zeros(len(points), dtype=bool)
    for b in range(f // block + 1):
        group = order[starts[b] : starts[b + 1]]
        if not len(group):
            continue
        mine = points[group]
        hit = np.zeros(len(group), dtype=bool)
        end = b * block
        if end:  # the staircase of the first b blocks
            ys, zs = front[:end, 1], front[:end, 2]
            by_y = np.argsort(ys, kind="stable")
            least_z = np.minimum.accumulate(zs[by_y])
            j = np.searchsorted(ys[by_y], mine[:, 1], side="right")
            hit = (j > 0) & (least_z[np.maximum(j - 1, 0)] <= mine[:, 2])
        rows = front[end : end + block].T  # pair by pair (the x test included)
        if rows.shape[1]:
            pairs = rows[0] <= mine[:, :1]
            pairs &= rows[1] <= mine[:, 1:2]
            pairs &= rows[2] <= mine[:, 2:]
            hit |= pairs.any(axis=1)
        out[group] = hit
    return out
