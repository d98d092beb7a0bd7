"""One non-dominated front of three and more objectives, kept for the dominance tests of
:class:`~tunesmith.multiobjective.incremental.NonDominatedFronts`: the points in *chunks* of
at most :data:`CHUNK`, each a C-ordered ``(d, m)`` array (one row per objective, so a test
compares whole rows with a point's values) with its least and greatest value per objective.

A chunk that grows past :data:`CHUNK` splits at the median of its widest objective, so the
chunks stay compact, as the leaves of a k-d tree, and a test looks only into the chunks
whose bounds allow an answer: on a large front (objectives in conflict, most points on one
front) a point is dominated only by points near it, and only a few chunks are near it. A
front of up to :data:`CHUNK` points is one chunk, tested with a few numpy calls.

Points are ``(d, 1)`` arrays (one value per row), every objective minimized.
"""

from __future__ import annotations

import numpy as np

#: points per chunk of a front before it splits
CHUNK = 2048
#: points compared at once with a chunk's points (pairwise tests)
ROWS = 256
_WIDE = 512  # points from which a test compares row by row
_ALL, _ANY = np.logical_and.reduce, np.logical_or.reduce


def dominates_point(cols: np.ndarray, p: np.ndarray, values: list[float] | None = None) -> bool:
    """Whether a point of ``cols`` (a ``(d, m)`` array) dominates ``p`` (``(d, 1)``;
    ``values``: the same as a list, if the caller has it)."""
    q = p[:, 0].tolist() if values is None else values
    if cols.shape[1] <= 4:  # a few points: cheaper in Python than in numpy calls
        for row in cols.T.tolist():
            if row != q and all(a <= b for a, b in zip(row, q, strict=True)):
                return True
        return False
    under = _all_rows(cols, p, q, np.less_equal)
    j = int(under.argmax())  # the first point no worse than p in every objective
    if not under[j]:
        return False
    if cols[:, j].tolist() != q:  # most often it differs from p (a point is rarely repeated)
        return True
    return bool(_ANY(cols.compress(under, axis=1) != p, axis=None))  # one differing from p


def _all_rows(cols: np.ndarray, p: np.ndarray, q: list[float], compare: np.ufunc) -> np.ndarray:
    """``compare(cols, p).all(0)`` (``q``: ``p`` as a list): the ufuncs' own reductions (the
    array methods cost a microsecond more), and row by row with scalars for wide arrays,
    where a ``(d, m)`` boolean temporary costs more than ``d`` compares of contiguous rows."""
    if cols.shape[1] <= _WIDE:
        return _ALL(compare(cols, p), axis=0)
    out = compare(cols[0], q[0])
    for k in range(1, len(q)):
        out &= compare(cols[k], q[k])
    return out


def covered(cols: np.ndarray, by: np.ndarray) -> np.ndarray:
    """A mask of the points of ``cols`` that some point of ``by`` weakly dominates (both
    ``(d, m)`` arrays)."""
    hit = np.zeros(cols.shape[1], dtype=bool)
    for k in range(0, by.shape[1], ROWS):
        part = by[:, k : k + ROWS, None]
        for m in range(0, cols.shape[1], ROWS):
            pairs = _ALL(part <= cols[:, None, m : m + ROWS], axis=0)
            hit[m : m + ROWS] |= _ANY(pairs, axis=0)
    return hit


class ChunkedFront:
    """The points of one front in compact chunks (see the module docstring)."""

    __slots__ = ("chunks", "highs", "lows", "size")

    # `lows` and `highs` are kept while there are two chunks or more, else (d, 0)

    def __init__(self, cols: np.ndarray):
        self.chunks: list[np.ndarray] = []
        self.lows = np.empty((len(cols), 0))  # (d, chunks): each chunk's least values
        self.highs = np.empty((len(cols), 0))
        self.size = 0
        self.add(cols)

    def cols(self) -> np.ndarray:
        """All the points, a ``(d, m)`` array."""
        if len(self.chunks) == 1:
            return self.chunks[0]
        return np.concatenate(self.chunks, axis=1)

    def dominates(self, p: np.ndarray, values: list[float] | None = None) -> bool:
        """Whether a point of the front dominates ``p`` (``values``: ``p`` as a list)."""
        chunks = self.chunks
        if values is None:
            values = p[:, 0].tolist()
        if len(chunks) == 1:
            return dominates_point(chunks[0], p, values)
        for c in np.flatnonzero(_all_rows(self.lows, p, values, np.less_equal)).tolist():
            if dominates_point(chunks[c], p, values):
                return True
        return False

    def pop_below(
        self, p: np.ndarray, carried: np.ndarray | None, values: list[float] | None = None
    ) -> np.ndarray | None:
        """Remove and return (``(d, k)``, or None for none) the points that move when ``p``
        joins the front (``carried`` None: the points ``p`` dominates) or when ``carried``,
        points ``p`` dominates, arrive from the front before (the points they weakly
        dominate: a carried point equals no point here, as equals share a front)."""
        chunks = self.chunks
        if values is None:
            values = p[:, 0].tolist()
        if len(chunks) == 1:
            candidates = [0]
        else:
            candidates = np.flatnonzero(_all_rows(self.highs, p, values, np.greater_equal))
            candidates = candidates.tolist()
        moved, emptied = [], []
        for c in candidates:
            cols = chunks[c]
            below = np.flatnonzero(_all_rows(cols, p, values, np.greater_equal))
            if not len(below):
                continue
            if carried is None:  # p's equals stay
                below = below[_ANY(cols.take(below, axis=1) != p, axis=0)]
            else:
                below = below[covered(cols.take(below, axis=1), carried)]
            if not len(below):
                continue
            moved.append(cols.take(below, axis=1))
            if len(below) == cols.shape[1]:
                emptied.append(c)
                continue
            keep = np.ones(cols.shape[1], dtype=bool)
            keep[below] = False
            chunks[c] = cols = cols.compress(keep, axis=1)
            if len(chunks) > 1:
                self.lows[:, c] = cols.min(axis=1)
                self.highs[:, c] = cols.max(axis=1)
        if not moved:
            return None
        if emptied:
            for c in reversed(emptied):
                del chunks[c]
            if len(chunks) > 1:
                self.lows = np.delete(self.lows, emptied, axis=1)
                self.highs = np.delete(self.highs, emptied, axis=1)
            else:
                self.lows = self.highs = self.lows[:, :0]
        out = moved[0] if len(moved) == 1 else np.concatenate(moved, axis=1)
        self.size -= out.shape[1]
        return out

    def add(self, cols: np.ndarray) -> None:
        """Add the points of ``cols`` (a ``(d, k)`` array), each to the chunk whose bounds
        it widens least."""
        self.size += cols.shape[1]
        chunks = self.chunks
        if len(chunks) <= 1:
            merged = np.concatenate([chunks[0], cols], axis=1) if chunks else cols
            if merged.shape[1] <= CHUNK:  # one chunk: no bounds needed
                chunks[:] = [merged if merged.flags.c_contiguous else np.ascontiguousarray(merged)]
                return
            self._set_chunks([0] if chunks else [], [merged])
            return
        if cols.shape[1] == 1:  # one point (most arrivals): fewer numpy calls
            lows, highs = self.lows, self.highs
            grown = (np.maximum(highs, cols) - np.minimum(lows, cols)).sum(axis=0)
            c = int((grown - (highs - lows).sum(axis=0)).argmin())
            merged = np.concatenate([chunks[c], cols], axis=1)
            if merged.shape[1] <= CHUNK:
                chunks[c] = merged
                lows[:, c] = np.minimum(lows[:, c], cols[:, 0])
                highs[:, c] = np.maximum(highs[:, c], cols[:, 0])
            else:
                self._set_chunks([c], [merged])
            return
        lows, highs = self.lows[:, :, None], self.highs[:, :, None]
        width = (highs - lows).sum(axis=0)
        target = np.empty(cols.shape[1], dtype=np.intp)
        for k in range(0, cols.shape[1], ROWS):
            part = cols[:, None, k : k + ROWS]
            grown = (np.maximum(highs, part) - np.minimum(lows, part)).sum(axis=0) - width
            target[k : k + ROWS] = grown.argmin(axis=0)
        changed = np.unique(target).tolist()
        merged = [
            np.concatenate([chunks[c], cols.compress(target == c, axis=1)], axis=1) for c in changed
        ]
        self._set_chunks(changed, merged)

    def _set_chunks(self, at: list[int], new: list[np.ndarray]) -> None:
        """Replace the chunks at ``at`` by ``new`` (one each), splitting those over CHUNK;
        recompute their bounds."""
        chunks = self.chunks
        parts: list[np.ndarray] = []
        for i, cols in enumerate(new):
            pieces = _split(cols)
            if i < len(at):
                chunks[at[i]] = pieces[0]
                parts.extend(pieces[1:])
            else:
                parts.extend(pieces)
        chunks.extend(parts)
        if len(chunks) == 1:
            return
        touched = at + list(range(len(chunks) - len(parts), len(chunks)))
        d = len(chunks[0])
        if not self.lows.shape[1]:  # bounds start when a second chunk does
            touched = list(range(len(chunks)))
        grow = len(chunks) - self.lows.shape[1]
        if grow:
            self.lows = np.concatenate([self.lows, np.empty((d, grow))], axis=1)
            self.highs = np.concatenate([self.highs, np.empty((d, grow))], axis=1)
        for c in touched:
            self.lows[:, c] = chunks[c].min(axis=1)
            self.highs[:, c] = chunks[c].max(axis=1)


def _split(cols: np.ndarray) -> list[np.ndarray]:
    """``cols`` in pieces of at most CHUNK points, halved at the median of the widest
    objective (C-ordered)."""
    if cols.shape[1] <= CHUNK:
        return [cols if cols.flags.c_contiguous else np.ascontiguousarray(cols)]
    widest = int((cols.max(axis=1) - cols.min(axis=1)).argmax())
    order = np.argsort(cols[widest], kind="stable")
    half = len(order) // 2
    return _split(cols.take(order[:half], axis=1)) + _split(cols.take(order[half:], axis=1))
