"""hypervolume and hypervolume_improvement against hand-computed cases, two brute-force
references (tests/multiobjective/_mo_reference.py) and pymoo, plus properties."""

from __future__ import annotations

import numpy as np
import pytest
from _mo_reference import hypervolume_grid, hypervolume_inclusion_exclusion
from hypothesis import given, settings
from hypothesis import strategies as st

import tunesmith
from tunesmith.multiobjective import hypervolume, hypervolume_improvement

try:
    from pymoo.indicators.hv import HV
except ImportError:  # a test-only dev dependency
    HV = None

needs_pymoo = pytest.mark.skipif(
    HV is None, reason='pymoo is not installed (a dev extra: pip install -e ".[dev]")'
)


# -- hand-computed ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "ref", "expected"),
    [
        ([[1, 3], [2, 2], [3, 1]], [4, 4], 1 * 1 + 1 * 2 + 1 * 3),
        # a point on the reference point's boundary adds nothing; (1.5, 0.75) is dominated
        ([[1, 0], [0.5, 0.5], [0, 1]], [1, 1], 0.25),
        ([[1, 0], [0.5, 0.5], [0, 1], [1.5, 0.75]], [2, 2], 0.5 + 0.75 + 2),
        ([[2, 2]], [4, 4], 4),
        ([[5, 1]], [4, 4], 0),  # does not dominate the reference point
        ([[1, 1], [1, 1], [2, 2]], [3, 3], 4),  # duplicates and a dominated point
        ([], [1, 1], 0),
        ([[3.0], [1.0], [2.0]], [4.0], 3.0),
        # three unit-offset boxes in a 2-cube: 3 * 4 - 3 * 2 + 1
        ([[0, 0, 1], [0, 1, 0], [1, 0, 0]], [2, 2, 2], 7),
        ([[0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 1, 1]], [2, 2, 2], 7),
        ([[1, 2, 3]], [2, 4, 6], 1 * 2 * 3),
        # four in a 2-hypercube: 4 * 8 - 6 * 4 + 4 * 2 - 1
        ([[0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0]], [2, 2, 2, 2], 15),
        ([[0] * 5], [1] * 5, 1),
    ],
)
def test_hand_computed(points, ref, expected):
    assert hypervolume(points, ref) == pytest.approx(expected, abs=1e-12)


def test_exported_lazily_from_the_package():
    assert tunesmith.hypervolume is hypervolume


# -- brute-force references on random fronts -------------------------------------------------


def _random_sets(d: int, count: int, max_n: int, seed: int):
    """Random points, points on a front (all mutually non-dominated: the simplex), and points
    on a coarse grid (ties and duplicates), with reference points inside and beyond them."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        n = int(rng.integers(1, max_n + 1))
        kind = i % 3
        if kind == 0:
            points = rng.random((n, d))
        elif kind == 1:
            points = rng.random((n, d))
            points /= points.sum(axis=1, keepdims=True)
        else:
            points = rng.integers(0, 4, size=(n, d)) / 4.0
        ref = np.full(d, 1.0) if i % 2 else rng.uniform(0.5, 1.2, size=d)
        yield points, ref


@pytest.mark.parametrize("d", [2, 3, 4])
def test_agrees_with_inclusion_exclusion(d):
    for points, ref in _random_sets(d, count=60, max_n=9, seed=d):
        assert hypervolume(points, ref) == pytest.approx(
            hypervolume_inclusion_exclusion(points, ref), rel=1e-10, abs=1e-12
        )


@pytest.mark.parametrize("d", [2, 3, 4, 5])
def test_agrees_with_the_grid_decomposition(d):
    max_n = {2: 60, 3: 25, 4: 10, 5: 6}[d]
    for points, ref in _random_sets(d, count=60, max_n=max_n, seed=10 + d):
        assert hypervolume(points, ref) == pytest.approx(
            hypervolume_grid(points, ref), rel=1e-10, abs=1e-12
        )


@needs_pymoo
@pytest.mark.parametrize("d", [2, 3, 4])
def test_agrees_with_pymoo(d):
    max_n = {2: 2000, 3: 500, 4: 60}[d]
    for points, ref in _random_sets(d, count=30, max_n=max_n, seed=20 + d):
        inside = points[np.all(points < ref, axis=1)]
        expected = HV(ref_point=ref)(inside) if len(inside) else 0.0
        assert hypervolume(points, ref) == pytest.approx(expected, rel=1e-10, abs=1e-12)


@needs_pymoo
def test_large_sets_agree_with_pymoo():
    rng = np.random.default_rng(5)
    for d, n in ((2, 100_000), (3, 10_000)):
        points = rng.random((n, d))
        points[: n // 2] /= points[: n // 2].sum(axis=1, keepdims=True)
        ref = np.full(d, 1.0)
        expected = HV(ref_point=ref)(points[np.all(points < ref, axis=1)])
        assert hypervolume(points, ref) == pytest.approx(expected, rel=1e-10)


# -- properties -------------------------------------------------------------------------------


@st.composite
def point_sets(draw, *, min_n: int = 0, max_n: int = 10, dims=(2, 3, 4)):
    """(points, ref): coordinates on a grid of eighths (ties, duplicates) or any float."""
    d = draw(st.sampled_from(dims))
    n = draw(st.integers(min_n, max_n))
    if draw(st.booleans()):
        coordinate = st.integers(0, 8).map(lambda k: k / 8)
    else:
        coordinate = st.floats(0, 1, allow_nan=False, allow_infinity=False)
    points = np.array(
        draw(st.lists(st.lists(coordinate, min_size=d, max_size=d), min_size=n, max_size=n)),
        dtype=float,
    ).reshape(n, d)
    ref = np.array(draw(st.lists(st.floats(0.25, 1.25), min_size=d, max_size=d)))
    return points, ref


@settings(max_examples=150, deadline=None)
@given(point_sets())
def test_property_equals_the_grid_decomposition(data):
    points, ref = data
    assert hypervolume(points, ref) == pytest.approx(
        hypervolume_grid(points, ref), rel=1e-9, abs=1e-12
    )


@settings(max_examples=100, deadline=None)
@given(point_sets(min_n=1), st.randoms(use_true_random=False))
def test_property_invariant_to_permutation(data, random):
    points, ref = data
    order = list(range(len(points)))
    random.shuffle(order)
    assert hypervolume(points[order], ref) == pytest.approx(
        hypervolume(points, ref), rel=1e-12, abs=1e-15
    )


@settings(max_examples=100, deadline=None)
@given(point_sets(), st.lists(st.floats(0, 1), min_size=4, max_size=4))
def test_property_monotone_under_adding_a_point(data, extra):
    points, ref = data
    new = np.array(extra[: points.shape[1]])
    before = hypervolume(points, ref)
    after = hypervolume(np.vstack([points, new]), ref)
    assert after >= before - 1e-12
    gain = hypervolume_improvement(new, points, ref)
    assert gain >= 0
    assert gain == pytest.approx(after - before, rel=1e-9, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(point_sets(min_n=1), st.data())
def test_property_invariant_to_dominated_points(data, draw):
    points, ref = data
    n, d = points.shape
    which = draw.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5))
    worse = points[which] + np.array(
        draw.draw(st.lists(st.floats(0, 0.5), min_size=len(which) * d, max_size=len(which) * d))
    ).reshape(len(which), d)
    assert hypervolume(np.vstack([points, worse]), ref) == pytest.approx(
        hypervolume(points, ref), rel=1e-12, abs=1e-15
    )
    for w in worse:
        assert hypervolume_improvement(w, points, ref) == pytest.approx(0.0, abs=1e-12)


# -- hypervolume improvement ------------------------------------------------------------------


def test_improvement_hand_computed():
    front = [[1, 3], [2, 2], [3, 1]]
    assert hypervolume_improvement([1, 1], front, [4, 4]) == pytest.approx(3.0)
    assert hypervolume_improvement([0, 0], front, [4, 4]) == pytest.approx(16 - 6)
    assert hypervolume_improvement([2, 2], front, [4, 4]) == 0.0  # on the front
    assert hypervolume_improvement([3, 3], front, [4, 4]) == 0.0  # dominated
    assert hypervolume_improvement([0, 5], front, [4, 4]) == 0.0  # beyond the reference
    assert hypervolume_improvement([0.5, 3.5], front, [4, 4]) == pytest.approx(0.25)
    assert hypervolume_improvement([1, 1], [], [4, 4]) == pytest.approx(9.0)
    assert hypervolume_improvement([1, 1, 1], [[0, 0, 2]], [2, 2, 2]) == pytest.approx(1.0)


@pytest.mark.parametrize("d", [2, 3, 4])
def test_improvement_of_many_candidates_is_each_one_added_alone(d):
    rng = np.random.default_rng(30 + d)
    for front, ref in _random_sets(d, count=20, max_n=30 if d < 4 else 8, seed=40 + d):
        candidates = rng.uniform(-0.1, 1.3, size=(25, d))
        candidates[:5] = front[rng.integers(0, len(front), 5)]  # on the front: 0
        gains = hypervolume_improvement(candidates, front, ref)
        assert gains.shape == (25,)
        base = hypervolume(front, ref)
        expected = [hypervolume(np.vstack([front, c]), ref) - base for c in candidates]
        np.testing.assert_allclose(gains, expected, rtol=1e-9, atol=1e-12)
        assert gains.min() >= 0


def test_improvement_keeps_the_shape_of_its_point():
    assert isinstance(hypervolume_improvement([1, 1], [[2, 2]], [3, 3]), float)
    assert hypervolume_improvement([[1, 1]], [[2, 2]], [3, 3]).shape == (1,)
    assert hypervolume_improvement(np.zeros((0, 2)), [[2, 2]], [3, 3]).shape == (0,)


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "ref", "error", "message"),
    [
        (
            [[1, 2], [np.nan, 1]],
            [3, 3],
            ValueError,
            r"`points` must be finite.*row 1, column 0 " r"is nan \(1 non-finite value in all\)",
        ),
        (
            [[1, np.inf], [2, -np.inf]],
            [3, 3],
            ValueError,
            r"`points` must be finite.*row 0, " r"column 1 is inf \(2 non-finite values",
        ),
        ([[1, 2]], [3, np.nan], ValueError, r"`reference_point` must be finite.*entry 1 is nan"),
        ([[1, 2]], [3, 3, 3], ValueError, r"`points` must have 3 objectives.*shape \(1, 2\)"),
        ([[1, 2]], [[3, 3]], ValueError, r"`reference_point` must be a 1-d array.*shape \(1, 2\)"),
        ([1, 2], [3, 3], ValueError, r"`points` must be an \(n, d\) array.*shape \(2,\)"),
        ([["a", "b"]], [3, 3], TypeError, r"`points` must be an array of numbers"),
        ([[1, 2]], "far", TypeError, r"`reference_point` must be an array of numbers"),
        ([[1, 2], [3]], [3, 3], TypeError, r"`points` must be an array of numbers"),
    ],
)
def test_bad_input(points, ref, error, message):
    with pytest.raises(error, match=message):
        hypervolume(points, ref)


def test_bad_improvement_input():
    with pytest.raises(ValueError, match=r"`point` must have 2 objectives"):
        hypervolume_improvement([1, 1, 1], [[2, 2]], [3, 3])
    with pytest.raises(ValueError, match=r"`front` must have 2 objectives"):
        hypervolume_improvement([1, 1], [[2, 2, 2]], [3, 3])
    with pytest.raises(ValueError, match=r"`point` must be finite.*row 0, column 1 is nan"):
        hypervolume_improvement([1, np.nan], [[2, 2]], [3, 3])
    with pytest.raises(ValueError, match=r"`front` must be finite.*row 0, column 1 is nan"):
        hypervolume_improvement([1, 1], [[2, np.nan]], [3, 3])
