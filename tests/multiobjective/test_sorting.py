"""Non-dominated sorting, the Pareto front mask, crowding distance and the epsilon-net order
against brute-force references (tests/multiobjective/_mo_reference.py), pymoo and
hand-computed cases, plus properties."""

from __future__ import annotations

import numpy as np
import pytest
from _mo_reference import crowding, dominates, epsilon_net, front_ranks
from hypothesis import given, settings
from hypothesis import strategies as st

from tunesmith.multiobjective import (
    crowding_distance,
    epsilon_net_order,
    non_dominated_ranking,
    non_dominated_sort,
    pareto_front_mask,
)

try:
    from pymoo.operators.survival.rank_and_crowding.metrics import calc_crowding_distance
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting
except ImportError:  # a test-only dev dependency
    NonDominatedSorting = None

needs_pymoo = pytest.mark.skipif(
    NonDominatedSorting is None,
    reason='pymoo is not installed (a dev extra: pip install -e ".[dev]")',
)


def _random_sets(d: int, count: int, max_n: int, seed: int):
    """Random points, points on a grid (ties and duplicates) and mutually non-dominated
    points (the simplex)."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        n = int(rng.integers(1, max_n + 1))
        if i % 3 == 0:
            yield rng.random((n, d))
        elif i % 3 == 1:
            yield rng.integers(0, 5, size=(n, d)).astype(float)
        else:
            points = rng.random((n, d))
            yield points / points.sum(axis=1, keepdims=True)


# -- hand-computed ----------------------------------------------------------------------------


def test_hand_computed_ranks():
    points = [[1, 4], [2, 2], [3, 3], [4, 1], [1, 4], [5, 5], [2, 5]]
    assert non_dominated_sort(points).tolist() == [0, 0, 1, 0, 0, 2, 1]
    assert pareto_front_mask(points).tolist() == [True, True, False, True, True, False, False]
    three = [[0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 1, 1], [2, 2, 2], [1, 1, 0]]
    assert non_dominated_sort(three).tolist() == [0, 0, 0, 2, 3, 1]
    assert non_dominated_sort([[3.0], [1.0], [2.0], [1.0]]).tolist() == [2, 0, 1, 0]
    # equal in one objective: the smaller other one dominates
    assert non_dominated_sort([[1, 2], [1, 1], [2, 1]]).tolist() == [1, 0, 1]
    assert non_dominated_sort(np.zeros((0, 3))).tolist() == []
    assert pareto_front_mask([]).tolist() == []


def test_hand_computed_crowding():
    # objective 0: (2 - 0) / 4 and (4 - 1) / 4; objective 1: (4 - 1) / 4 and (2 - 0) / 4
    points = [[0, 4], [1, 2], [3, 1], [4, 0], [5, 5]]
    distance = crowding_distance(points)
    assert distance.tolist() == [np.inf, 0.75 + 0.75, 0.75 + 0.5, np.inf, np.inf]
    # one front of two points, and a constant objective adds nothing to interior points
    assert crowding_distance([[0, 1], [1, 0]]).tolist() == [np.inf, np.inf]
    flat = crowding_distance([[0, 1], [1, 1], [3, 1]], ranks=np.zeros(3, dtype=int))
    assert flat.tolist() == [np.inf, 1.0, np.inf]


# -- brute force and pymoo ---------------------------------------------------------------------


@pytest.mark.parametrize("d", [1, 2, 3, 4, 5])
def test_ranks_and_front_agree_with_peeling(d):
    for points in _random_sets(d, count=60, max_n=40, seed=d):
        expected = front_ranks(points)
        assert non_dominated_sort(points).tolist() == expected.tolist()
        assert pareto_front_mask(points).tolist() == (expected == 0).tolist()


@pytest.mark.parametrize("d", [2, 3, 4])
def test_general_sort_spans_several_blocks(d):
    # more points than one block of the vectorized d >= 4 sort; d = 2, 3 for the sweeps
    rng = np.random.default_rng(7)
    points = rng.integers(0, 6, size=(700, d)).astype(float)
    expected = front_ranks(points[:300])
    assert non_dominated_sort(points[:300]).tolist() == expected.tolist()
    ranks = non_dominated_sort(points)
    _assert_consistent_with_dominance(points, ranks)


@pytest.mark.parametrize("d", [2, 3, 4])
def test_crowding_agrees_with_the_definition(d):
    for points in _random_sets(d, count=40, max_n=30, seed=50 + d):
        ranks = front_ranks(points)
        np.testing.assert_allclose(crowding_distance(points), crowding(points, ranks))


@needs_pymoo
@pytest.mark.parametrize("d", [2, 3, 4])
def test_ranks_agree_with_pymoo(d):
    rng = np.random.default_rng(60 + d)
    for points in _random_sets(d, count=20, max_n=2000, seed=60 + d):
        expected = np.empty(len(points), dtype=int)
        for k, front in enumerate(NonDominatedSorting().do(points)):
            expected[front] = k
        assert non_dominated_sort(points).tolist() == expected.tolist()
    points = rng.random((20_000, 2))
    expected = np.empty(len(points), dtype=int)
    for k, front in enumerate(NonDominatedSorting().do(points)):
        expected[front] = k
    assert non_dominated_sort(points).tolist() == expected.tolist()


@needs_pymoo
@pytest.mark.parametrize("d", [2, 3])
def test_crowding_agrees_with_pymoo(d):
    """pymoo averages over the objectives where Deb et al. sum: a factor d. Continuous random
    fronts (no ties, no constant objective), where both definitions are unambiguous."""
    rng = np.random.default_rng(70 + d)
    for _ in range(20):
        points = rng.random((int(rng.integers(3, 200)), d))
        points /= points.sum(axis=1, keepdims=True)  # one front
        ours = crowding_distance(points)
        np.testing.assert_allclose(ours, d * calc_crowding_distance(points))


# -- properties -------------------------------------------------------------------------------


def _assert_consistent_with_dominance(points: np.ndarray, ranks: np.ndarray) -> None:
    n = len(points)
    le = np.all(points[:, None, :] <= points[None, :, :], axis=2)
    lt = np.any(points[:, None, :] < points[None, :, :], axis=2)
    dom = le & lt  # dom[i, j]: i dominates j
    # a dominated point ranks below every point dominating it
    i, j = np.nonzero(dom)
    assert np.all(ranks[i] < ranks[j])
    for k in range(n):
        if ranks[k] == 0:
            assert not dom[:, k].any()
        else:  # dominated by some point of the front just above it
            assert np.any(dom[:, k] & (ranks == ranks[k] - 1))


@st.composite
def point_sets(draw, *, dims=(1, 2, 3, 4), max_n: int = 30):
    d = draw(st.sampled_from(dims))
    n = draw(st.integers(0, max_n))
    if draw(st.booleans()):
        coordinate = st.integers(0, 4).map(float)
    else:
        coordinate = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
    values = draw(st.lists(coordinate, min_size=n * d, max_size=n * d))
    return np.array(values, dtype=float).reshape(n, d)


@settings(max_examples=200, deadline=None)
@given(point_sets())
def test_property_sort_is_consistent_with_pairwise_dominance(points):
    ranks = non_dominated_sort(points)
    _assert_consistent_with_dominance(points, ranks)
    assert pareto_front_mask(points).tolist() == (ranks == 0).tolist()


@settings(max_examples=100, deadline=None)
@given(point_sets(dims=(2, 3)), st.randoms(use_true_random=False))
def test_property_ranks_follow_their_points(points, random):
    order = list(range(len(points)))
    random.shuffle(order)
    assert non_dominated_sort(points[order]).tolist() == non_dominated_sort(points)[order].tolist()


@settings(max_examples=100, deadline=None)
@given(point_sets(dims=(2, 3)))
def test_property_crowding_is_the_definition(points):
    ranks = non_dominated_sort(points)
    np.testing.assert_allclose(crowding_distance(points), crowding(points, ranks))


def test_dominance_helper():
    assert dominates(np.array([1, 1]), np.array([1, 2]))
    assert not dominates(np.array([1, 1]), np.array([1, 1]))


# -- epsilon-net ------------------------------------------------------------------------------


def test_epsilon_net_hand_computed():
    points = [[0, 3], [1, 2], [2, 1], [3, 0]]
    # from the least first objective: the far end, then the nearer of two equally far (by index)
    assert epsilon_net_order(points).tolist() == [0, 3, 1, 2]
    assert epsilon_net_order(points, start=1).tolist() == [3, 0, 1, 2]
    assert epsilon_net_order([[1, 1], [1, 1], [0, 0]]).tolist() == [2, 0, 1]
    assert epsilon_net_order(np.zeros((0, 2))).tolist() == []


@pytest.mark.parametrize("d", [2, 3])
def test_epsilon_net_agrees_with_the_definition(d):
    rng = np.random.default_rng(80 + d)
    for _ in range(20):
        points = rng.random((int(rng.integers(1, 25)), d))
        start = int(rng.integers(d))
        assert epsilon_net_order(points, start=start).tolist() == epsilon_net(points, start)


def test_epsilon_net_prefixes_are_spread():
    # a cluster near each end of a line: the first two picks are one from each
    points = np.r_[np.linspace(0, 0.1, 10), np.linspace(0.9, 1.0, 10)][:, None] * [1, -1]
    order = epsilon_net_order(points)
    assert {order[0] < 10, order[1] < 10} == {True, False}


def test_epsilon_net_random_start_is_reproducible():
    points = np.random.default_rng(0).random((30, 2))
    a = epsilon_net_order(points, start=None, rng=1)
    b = epsilon_net_order(points, start=None, rng=np.random.default_rng(1))
    assert a.tolist() == b.tolist()
    assert sorted(a.tolist()) == list(range(30))


# -- the total ranking ------------------------------------------------------------------------


def test_ranking_is_fronts_then_the_order_within():
    points = np.array([[2, 2], [0, 3], [3, 3], [3, 0], [4, 4], [0.5, 2.5]])
    positions = non_dominated_ranking(points)
    assert sorted(positions.tolist()) == list(range(6))
    best_first = np.argsort(positions)
    ranks = non_dominated_sort(points)
    assert np.all(np.diff(ranks[best_first]) >= 0)
    front = np.flatnonzero(ranks == 0)
    assert best_first[: len(front)].tolist() == front[epsilon_net_order(points[front])].tolist()
    crowded = non_dominated_ranking(points, within_front="crowding")
    distance = crowding_distance(points)
    first = np.argsort(crowded)[: len(front)]
    assert distance[first].tolist() == sorted(distance[first].tolist(), reverse=True)


@settings(max_examples=100, deadline=None)
@given(point_sets(dims=(2, 3), max_n=20), st.sampled_from(["epsilon-net", "crowding"]))
def test_property_ranking_is_a_permutation_that_respects_fronts(points, within):
    positions = non_dominated_ranking(points, within_front=within)
    assert sorted(positions.tolist()) == list(range(len(points)))
    ranks = non_dominated_sort(points)
    assert np.all(np.diff(ranks[np.argsort(positions)]) >= 0)


# -- bad input --------------------------------------------------------------------------------


def test_bad_input():
    with pytest.raises(ValueError, match=r"`points` must be finite.*row 1, column 1 is nan"):
        non_dominated_sort([[1, 2], [3, np.nan]])
    with pytest.raises(ValueError, match=r"`points` must be finite.*row 0, column 0 is inf"):
        pareto_front_mask([[np.inf, 2]])
    with pytest.raises(ValueError, match=r"`points` must be an \(n, d\) array.*shape \(3,\)"):
        crowding_distance([1, 2, 3])
    with pytest.raises(
        ValueError,
        match=r"`ranks` must give an int front rank for each of the " r"2 points.*shape \(3,\)",
    ):
        crowding_distance([[1, 2], [2, 1]], ranks=[0, 0, 0])
    with pytest.raises(
        ValueError, match=r"`start` must be the index of an objective \(0 to 1\)" r".*start=2"
    ):
        epsilon_net_order([[1, 2]], start=2)
    with pytest.raises(
        ValueError,
        match=r"`within_front` must be one of 'epsilon-net', "
        r"'crowding', but got within_front='crowded'",
    ):
        non_dominated_ranking([[1, 2]], within_front="crowded")
