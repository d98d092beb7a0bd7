"""NonDominatedFronts and QuantileFronts (fronts updated as points arrive) against a full
non-dominated sort after every arrival, and for small sets the brute-force peeling of
tests/multiobjective/_mo_reference.py."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from _mo_reference import front_ranks
from hypothesis import given, settings
from hypothesis import strategies as st

import tunesmith.multiobjective._chunked as _chunked
import tunesmith.multiobjective._stairs as _stairs
import tunesmith.multiobjective.incremental as incremental
from tunesmith.multiobjective import non_dominated_sort
from tunesmith.multiobjective.incremental import NonDominatedFronts, QuantileFronts

KINDS = ("uniform", "grid", "chain", "conflicting", "correlated")


def stream(kind: str, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "grid":  # duplicates and ties in single objectives
        return rng.integers(0, 4, size=(n, d)).astype(float)
    if kind == "chain":  # perfectly correlated: one point per front
        return np.repeat(rng.random((n, 1)), d, axis=1)
    if kind == "conflicting":  # on the plane sum = d - 1: every point on one front
        points = rng.random((n, d))
        if d > 1:
            points[:, -1] = d - 1 - points[:, :-1].sum(axis=1)
        return points
    if kind == "correlated":
        return rng.random((n, 1)) + 0.1 * rng.random((n, d))
    return rng.random((n, d))


def as_sets(fronts: list[np.ndarray]) -> list[list[tuple[float, ...]]]:
    return [sorted(map(tuple, front.tolist())) for front in fronts]


def expected_fronts(points: np.ndarray) -> list[list[tuple[float, ...]]]:
    ranks = non_dominated_sort(points)
    return as_sets([points[ranks == k] for k in range(ranks.max() + 1)])


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 4 fronts, fronts in chunks of 3 points (three and more objectives) and in
    parts of 3 points past 3 (two), so that small sets split blocks, chunks and parts too."""
    monkeypatch.setattr(incremental, "_FRONTS_PER_BLOCK", 4)
    monkeypatch.setattr(_chunked, "CHUNK", 3)
    monkeypatch.setattr(_stairs, "CHUNK", 3)
    monkeypatch.setattr(incremental, "_ENS_FROM", 10)  # refills sort 4+ objectives by insertion


def test_doctest():
    assert doctest.testmod(incremental).failed == 0


@pytest.mark.parametrize("d", [1, 2, 3, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_each_arrival_counts_the_points_on_earlier_fronts(small_blocks, d, kind):
    rng = np.random.default_rng(d)
    for _ in range(4):
        points = stream(kind, int(rng.integers(1, 150)), d, rng)
        fronts = NonDominatedFronts(d)
        for i, point in enumerate(points.tolist()):
            ranks = non_dominated_sort(points[: i + 1])
            assert fronts.add(point) == int((ranks < ranks[-1]).sum())
        assert len(fronts) == len(points)
        assert fronts.num_fronts == len(fronts.fronts())
        assert as_sets(fronts.fronts()) == expected_fronts(points)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 3).flatmap(
        lambda d: st.lists(
            st.lists(st.integers(0, 3), min_size=d, max_size=d), min_size=1, max_size=25
        )
    )
)
def test_fronts_match_the_brute_force_peeling(rows):
    points = np.array(rows, dtype=float)
    fronts = NonDominatedFronts(points.shape[1])
    for point in rows:
        fronts.add(point)
    ranks = front_ranks(points)
    want = as_sets([points[ranks == k] for k in range(ranks.max() + 1)])
    assert as_sets(fronts.fronts()) == want


@pytest.mark.parametrize("chunk", [2, 5, 50])
def test_a_chunked_front_answers_as_one_array(monkeypatch, chunk):
    # a front on the plane sum = 2 (every point on it) and the points it dominates or not:
    # tests and removals equal the brute force's, whatever the chunk size
    monkeypatch.setattr(_chunked, "CHUNK", chunk)
    rng = np.random.default_rng(chunk)
    plane = stream("conflicting", 200, 3, rng)
    front = _chunked.ChunkedFront(np.ascontiguousarray(plane[:20].T))
    for k in range(20, 200, 15):
        front.add(np.ascontiguousarray(plane[k : k + 15].T))
    assert front.size == 200 and as_sets([front.cols().T]) == as_sets([plane])
    assert all(c.shape[1] <= chunk for c in front.chunks)
    for p in (rng.random((40, 3)) * 1.5).tolist() + plane[:5].tolist():
        col = np.array(p).reshape(3, 1)
        want = any(np.all(q <= p) and np.any(q < p) for q in front.cols().T)
        assert front.dominates(col) is want
    kept = front.cols().T
    p = np.array([0.3, 0.3, 0.2])
    gone = front.pop_below(p.reshape(3, 1), None)
    dominated = np.all(kept >= p, axis=1) & np.any(kept > p, axis=1)
    assert as_sets([gone.T]) == as_sets([kept[dominated]])
    assert as_sets([front.cols().T]) == as_sets([kept[~dominated]])
    assert front.size == len(kept) - dominated.sum()


@pytest.mark.parametrize("m", [6, 100, 600])
def test_a_dominance_test_skips_the_points_equal_to_the_newcomer(m):
    # the first point no worse than p is p itself (a repeat, as a front holds equals): the
    # answer is whether another dominates it, as the brute force says; small and wide arrays
    rng = np.random.default_rng(m)
    answers = set()
    for _ in range(30):
        points = rng.integers(0, 4, size=(m, 3)).astype(float)
        p = points[int(rng.integers(0, m))]
        at = int(np.flatnonzero(np.all(points == p, axis=1))[0])
        points[[0, at]] = points[[at, 0]]  # p's equal first, so it is the first no worse
        cols = np.ascontiguousarray(points.T)
        want = any(np.all(q <= p) and np.any(q < p) for q in points)
        assert _chunked.dominates_point(cols, p.reshape(3, 1)) is want
        answers.add(want)
        only = np.ascontiguousarray(np.repeat(p.reshape(3, 1), m, axis=1))
        assert _chunked.dominates_point(only, p.reshape(3, 1)) is False
    assert answers == {True, False} or m > 6  # both answers met where p is often undominated


@pytest.mark.parametrize("chunk", [1, 2, 7])
@pytest.mark.parametrize("kind", ["uniform", "grid", "conflicting"])
def test_two_objective_fronts_in_parts_give_the_fronts_of_a_full_sort(monkeypatch, chunk, kind):
    # fronts past `chunk` points kept in parts: runs that span parts, parts emptied and split,
    # equal points across parts; the counts and fronts stay those of a full sort
    monkeypatch.setattr(_stairs, "CHUNK", chunk)
    rng = np.random.default_rng(chunk)
    points = stream(kind, 200, 2, rng)
    if kind == "conflicting":  # one front, and a few points below it pushing runs down
        points[::10] += 0.05
    fronts = NonDominatedFronts(2)
    for i, point in enumerate(points.tolist()):
        ranks = non_dominated_sort(points[: i + 1])
        assert fronts.add(point) == int((ranks < ranks[-1]).sum())
    assert any(
        isinstance(front, _stairs.ChunkedStairs) for block in fronts._blocks for front in block
    )
    assert as_sets(fronts.fronts()) == expected_fronts(points)
    for front in fronts.fronts():
        assert np.all(np.diff(front[:, 0]) >= 0) and np.all(np.diff(front[:, 1]) <= 0)
    for block in fronts._blocks:
        for front in block:
            if isinstance(front, _stairs.ChunkedStairs):
                assert all(0 < len(part) <= max(chunk, 1) for part in front.xs)
                assert front.fxs == [part[0] for part in front.xs]
                assert front.fnys == [part[0] for part in front.nys]
                assert front.size == sum(len(part) for part in front.xs)


@pytest.mark.parametrize("kind", KINDS)
def test_sorting_four_objectives_by_insertion_gives_the_fronts_of_a_full_sort(monkeypatch, kind):
    monkeypatch.setattr(incremental, "_ENS_FROM", 0)
    points = stream(kind, 300, 4, np.random.default_rng(8))
    assert as_sets(incremental._sorted_fronts(points)[0]) == expected_fronts(points)


def test_two_objective_fronts_are_staircases():
    fronts = NonDominatedFronts(2)
    for point in np.random.default_rng(0).random((300, 2)).tolist():
        fronts.add(point)
    for front in fronts.fronts():
        assert np.all(np.diff(front[:, 0]) > 0) and np.all(np.diff(front[:, 1]) < 0)


@pytest.mark.parametrize("d", [1, 2, 3, 4])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("quantile", "margin"), [((1, 3), 0.05), ((1, 2), 0.0), ((9, 10), 0.2)])
def test_quantile_fronts_answer_exactly_below_the_quantile(small_blocks, d, kind, quantile, margin):
    rng = np.random.default_rng(7 * d)
    num, den = quantile
    for _ in range(3):
        points = stream(kind, int(rng.integers(1, 300 if d < 3 else 120)), d, rng)
        cut = QuantileFronts(d, quantile, margin=margin)
        for i, point in enumerate(points.tolist()):
            ranks = non_dominated_sort(points[: i + 1])
            want = int((ranks < ranks[-1]).sum())
            before = cut.add(point)
            if want * den < (i + 1) * num:
                assert before == want
            else:
                assert before * den >= (i + 1) * num
        # the top holds the first fronts exactly; the pool the rest
        assert as_sets(cut.top.fronts()) == expected_fronts(points)[: cut.top.num_fronts]
        assert len(cut.top) + cut.pool_size == len(cut) == len(points)


def test_quantile_fronts_refill_from_a_partly_sorted_pool():
    # a large stream goes through whole sorts, refills from a few sorted fronts plus the
    # added points, and trims: the decisions stay those of a full sort
    rng = np.random.default_rng(3)
    points = rng.random((3000, 2))
    cut = QuantileFronts(2, (1, 3), margin=0.01)
    refills = []
    original = cut._refill

    def refill():
        refills.append((cut._num_sorted, len(cut._added[0])))
        original()

    cut._refill = refill
    for i, point in enumerate(points.tolist()):
        before = cut.add(point)
        if i % 97 == 0 or i > 2900:
            ranks = non_dominated_sort(points[: i + 1])
            want = int((ranks < ranks[-1]).sum())
            assert (before * 3 < i + 1) == (want * 3 < i + 1)
    assert any(num_sorted > 0 and added > 0 for num_sorted, added in refills)


@pytest.mark.parametrize("kind", KINDS)
def test_three_objective_refills_keep_the_first_fronts_only(monkeypatch, kind):
    # whole sorts keep 2 fronts (then more), the points beyond them wait below the last sorted
    # front, and partial refills skip those: every decision is still a full sort's
    monkeypatch.setattr(incremental.QuantileFronts, "__init__", _small_keep)
    rng = np.random.default_rng(11)
    points = stream(kind, 1500, 3, rng)
    if kind != "grid":
        points[rng.integers(0, len(points), 100)] = points[rng.integers(0, len(points), 100)]
    cut = QuantileFronts(3, (1, 3), margin=0.01)
    exact = NonDominatedFronts(3)
    kinds = set()
    original = cut._refill

    def refill():
        kinds.add("deep" if cut._num_deep else "none")
        original()

    cut._refill = refill
    for i, point in enumerate(points.tolist()):
        want = exact.add(point)
        before = cut.add(point)
        if want * 3 < i + 1:
            assert before == want
        else:
            assert before * 3 >= i + 1
        assert len(cut.top) + cut.pool_size == i + 1
        if cut._deep:  # the deep points lie below the last sorted front
            deep = np.concatenate(cut._deep)
            assert incremental._weakly_dominated(deep, cut._sorted[-1]).all()
    assert as_sets(cut.top.fronts()) == expected_fronts(points)[: cut.top.num_fronts]
    if kind in ("uniform", "correlated", "grid"):
        assert "deep" in kinds


def _small_keep(self, *args, **kwargs):
    _quantile_init(self, *args, **kwargs)
    self._keep = 2


_quantile_init = QuantileFronts.__init__


@pytest.mark.parametrize("max_fronts", [None, 1, 2, 5])
@pytest.mark.parametrize("d", [2, 3, 4])
@pytest.mark.parametrize("kind", KINDS)
def test_sorted_fronts_keeps_the_first_fronts_and_returns_the_rest(d, kind, max_fronts):
    rng = np.random.default_rng(5 * d)
    points = stream(kind, 200, d, rng)
    points[:20] = points[20:40]  # duplicates
    fronts, beyond = incremental._sorted_fronts(points, max_fronts)
    expected = expected_fronts(points)
    keep = len(expected) if max_fronts is None else max_fronts
    assert as_sets(fronts) == expected[:keep]
    assert sorted(map(tuple, beyond.tolist())) == sorted(p for f in expected[keep:] for p in f)


@pytest.mark.parametrize("kind", KINDS)
def test_weakly_dominated_in_three_objectives_is_the_pairwise_test(kind):
    rng = np.random.default_rng(2)
    for _ in range(20):
        points = stream(kind, int(rng.integers(0, 300)), 3, rng)
        front = stream(kind, int(rng.integers(1, 70)), 3, rng)
        front[: min(len(front), len(points)) // 2] = points[: min(len(front), len(points)) // 2]
        pairwise = (front[None, :, :] <= points[:, None, :]).all(axis=2).any(axis=1)
        assert (incremental._weakly_dominated_3d(points, front) == pairwise).all()


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: NonDominatedFronts(0), ValueError, r"`num_objectives` must be an int >= 1, "),
        (lambda: NonDominatedFronts(True), ValueError, r"but got num_objectives=True"),
        (lambda: QuantileFronts(2.0, (1, 3)), ValueError, r"num_objectives=2.0"),
        (
            lambda: QuantileFronts(2, (3, 3)),
            ValueError,
            r"`quantile` must be a pair \(num, den\) with 0 < num < den, but got \(3, 3\)",
        ),
        (
            lambda: QuantileFronts(2, (1, 3), margin=-0.1),
            ValueError,
            r"`margin` must be a number in \[0, 1\), but got margin=-0.1",
        ),
        (
            lambda: NonDominatedFronts(2).add([1.0, 2.0, 3.0]),
            ValueError,
            r"`point` must have 2 objective values, but got 3: \[1.0, 2.0, 3.0\]",
        ),
    ],
)
def test_bad_input(make, error, message):
    with pytest.raises(error, match=message):
        make()
