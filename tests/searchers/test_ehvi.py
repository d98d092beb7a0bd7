import doctest

import numpy as np
import pytest

import tunesmith
import tunesmith.searchers.ehvi as ehvi_module
from tunesmith import AskTell, uniform
from tunesmith.experiments.methods import METHODS, check_several_objectives
from tunesmith.multiobjective import hypervolume, hypervolume_improvement, pareto_front_mask
from tunesmith.schedulers import EHVI, FIFOScheduler
from tunesmith.searchers import EHVISearcher
from tunesmith.searchers.ehvi import (
    bounded_boxes,
    expected_hypervolume_improvement,
    log_expected_hypervolume_improvement,
    non_dominated_boxes,
    reference_point_from_front,
)
from tunesmith.testing.scheduler_contract import SchedulerContract
from tunesmith.testing.searcher_contract import SearcherContract


@pytest.mark.slow
class TestEHVISearcherContract(SearcherContract):
    metrics = ("loss", "cost")

    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return EHVISearcher(
            config_space,
            metric=["loss", "cost"],
            random_seed=random_seed,
            num_init_random=3,
            num_candidates=200,
            **kwargs,
        )


@pytest.mark.slow
class TestEHVIContract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        searcher = EHVISearcher(
            config_space, random_seed=random_seed, num_init_random=3, num_candidates=200
        )
        return FIFOScheduler(config_space, searcher=searcher, metric=metric, mode=mode)


@pytest.mark.slow
class TestEHVISchedulerContract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return EHVI(config_space, metric=metric, mode=mode, random_seed=random_seed)


def test_doctest():
    assert doctest.testmod(ehvi_module).failed == 0


def test_public_names():
    assert tunesmith.EHVI is EHVI
    assert tunesmith.EHVISearcher is EHVISearcher
    assert METHODS["EHVI"].target == "tunesmith.schedulers:EHVI"
    check_several_objectives(["EHVI"], "mlp-digits-cost")  # takes several metrics


# -- the expectation ------------------------------------------------------------------------
def _front(rng, n, d):
    """``n`` mutually non-dominated points in [0, 1]^d (on a sphere's positive orthant)."""
    x = np.abs(rng.standard_normal((n, d)))
    return 1.0 - x / np.linalg.norm(x, axis=1, keepdims=True)


def _monte_carlo(mean, std, front, ref, rng, samples=200_000):
    """The brute-force estimate: the mean improvement of sampled points, and its std error."""
    draws = mean + std * rng.standard_normal((samples, len(mean)))
    gains = hypervolume_improvement(draws, front, ref)
    return gains.mean(), gains.std() / np.sqrt(samples)


@pytest.mark.parametrize("seed", range(6))
def test_the_2d_closed_form_equals_a_monte_carlo_estimate(seed):
    rng = np.random.default_rng(seed)
    front = _front(rng, int(rng.integers(1, 12)), 2)
    ref = np.array([1.1, 1.2])
    mean = rng.uniform(0.0, 1.0, 2)
    std = rng.uniform(0.05, 0.4, 2)
    exact = expected_hypervolume_improvement(mean, std, front, ref)
    estimate, error = _monte_carlo(mean, std, front, ref, rng)
    assert exact == pytest.approx(estimate, abs=5 * error + 1e-9)


def test_the_3d_expectation_equals_a_monte_carlo_estimate():
    rng = np.random.default_rng(7)
    front = _front(rng, 8, 3)
    ref = np.full(3, 1.1)
    mean, std = np.array([0.5, 0.6, 0.4]), np.array([0.2, 0.1, 0.3])
    exact = expected_hypervolume_improvement(mean, std, front, ref)
    estimate, error = _monte_carlo(mean, std, front, ref, rng, samples=20_000)
    assert exact == pytest.approx(estimate, abs=5 * error)


@pytest.mark.parametrize("d", [2, 3, 4])
def test_with_zero_std_it_is_the_hypervolume_improvement(d):
    rng = np.random.default_rng(d)
    front = rng.uniform(0.0, 1.0, (25, d))  # dominated points among them
    ref = np.full(d, 1.05)
    points = rng.uniform(-0.1, 1.2, (200, d))  # some beyond the reference point
    exact = expected_hypervolume_improvement(points, np.zeros(d), front, ref)
    np.testing.assert_allclose(exact, hypervolume_improvement(points, front, ref), atol=1e-12)


def test_a_point_dominated_with_certainty_improves_nothing():
    front = [[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]
    ref = [4.0, 4.0]
    behind = expected_hypervolume_improvement([2.5, 2.5], [1e-6, 1e-6], front, ref)
    assert 0.0 <= behind < 1e-12
    # ... but its log stays finite, so such candidates are still ranked
    log_near = log_expected_hypervolume_improvement([2.1, 2.1], [1e-2, 1e-2], front, ref)
    log_far = log_expected_hypervolume_improvement([2.5, 2.5], [1e-2, 1e-2], front, ref)
    assert -np.inf < log_far < log_near < np.log(1e-12)
    # a certain point beyond the reference point improves nothing either
    assert expected_hypervolume_improvement([4.5, 0.0], [0.0, 0.0], front, ref) == 0.0


def test_uncertainty_adds_to_the_expected_improvement_of_a_front_point():
    front = [[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]
    on_front = expected_hypervolume_improvement([2.0, 2.0], [0.0, 0.0], front, [4.0, 4.0])
    uncertain = expected_hypervolume_improvement([2.0, 2.0], [0.3, 0.3], front, [4.0, 4.0])
    assert on_front == 0.0 < uncertain


def test_candidates_are_scored_together_as_one_by_one():
    rng = np.random.default_rng(3)
    front, ref = _front(rng, 6, 2), np.array([1.1, 1.1])
    means, stds = rng.uniform(0, 1, (5, 2)), rng.uniform(0.01, 0.3, (5, 2))
    together = expected_hypervolume_improvement(means, stds, front, ref)
    alone = [
        expected_hypervolume_improvement(m, s, front, ref) for m, s in zip(means, stds, strict=True)
    ]
    np.testing.assert_allclose(together, alone, rtol=1e-12)


def test_an_empty_front_gives_the_box_below_the_reference_point():
    value = expected_hypervolume_improvement([1.0, 2.0], [0.0, 0.0], np.empty((0, 2)), [3, 3])
    assert value == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("std", "message"),
    [
        ([-1.0, 0.1], r"`std` must be finite and >= 0, but got array\(\[-1. ,  0.1\]\)"),
        ([np.nan, 0.1], r"`std` must be finite and >= 0"),
    ],
)
def test_bad_std(std, message):
    with pytest.raises(ValueError, match=message):
        expected_hypervolume_improvement([0.5, 0.5], std, [[1.0, 1.0]], [2.0, 2.0])


def test_shapes_that_do_not_match():
    with pytest.raises(ValueError, match=r"`mean` must have 3 objectives \(columns\) like"):
        expected_hypervolume_improvement([0.5, 0.5], [0.1, 0.1], [[1.0, 1.0]], [2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match=r"`std` must be one value, 2 values or an array of the"):
        expected_hypervolume_improvement([0.5, 0.5], [0.1, 0.1, 0.1], [[1.0, 1.0]], [2.0, 2.0])


# -- the boxes ------------------------------------------------------------------------------
@pytest.mark.parametrize("d", [2, 3, 4])
def test_the_boxes_tile_the_region_no_point_dominates(d):
    rng = np.random.default_rng(10 + d)
    points = rng.uniform(0.0, 1.0, (30, d))
    ref = np.full(d, 1.0)
    lower, upper = non_dominated_boxes(points, ref)
    floor = np.full(d, -0.5)  # below every point: the free region inside [floor, ref]
    sides = upper - np.maximum(lower, floor)
    assert np.all(sides > 0)
    free = float(np.prod(sides, axis=1).sum())
    assert free == pytest.approx(1.5**d - hypervolume(points, ref), rel=1e-12)
    # no box holds a point the front dominates: its lower corner is free
    corners = np.maximum(lower, floor)
    front = points[pareto_front_mask(points)]
    dominated = np.all(front[None, :, :] <= corners[:, None, :] + 1e-12, axis=2).any(axis=1)
    assert not dominated.any()


def test_bounded_boxes_thin_a_large_front_to_a_well_spread_part():
    rng = np.random.default_rng(0)
    front = _front(rng, 120, 3)
    ref = np.full(3, 1.1)
    full, _ = non_dominated_boxes(front, ref)
    lower, upper = bounded_boxes(front, ref, max_boxes=200)
    assert len(full) > 200 >= len(lower) > 20
    # the kept region contains the exact one: improvements are over-, never underestimated
    x = rng.uniform(0.0, 1.1, (300, 3))
    assert np.all(
        ehvi_module._log_ehvi(x, np.full((300, 3), 0.1), lower, upper)
        >= (
            ehvi_module._log_ehvi(x, np.full((300, 3), 0.1), *non_dominated_boxes(front, ref))
            - 1e-9
        )
    )
    small, _ = bounded_boxes(front[:10], ref, max_boxes=200)
    assert len(small) == len(non_dominated_boxes(front[:10], ref)[0])  # exact when it fits


def test_the_reference_point_lies_beyond_the_fronts_nadir():
    points = np.array([[0.0, 4.0], [1.0, 1.0], [4.0, 0.0], [9.0, 9.0]])  # the last dominated
    assert reference_point_from_front(points).tolist() == pytest.approx([4.4, 4.4])
    single = reference_point_from_front([[1.0, 1.0], [3.0, 2.0]])  # one point on the front
    assert single.tolist() == pytest.approx([1.1, 1.05])  # a tenth of each std beyond it


# -- the searcher ---------------------------------------------------------------------------
SPACE = {"x": uniform(0, 1)}


def trade_off(x):
    return {"f": x, "g": (1 - x) ** 2}


def test_the_suggestions_spread_along_the_front():
    at = AskTell(EHVI(SPACE, metric=["f", "g"], num_init_random=4, random_seed=0))
    xs = []
    for _ in range(16):
        trial = at.ask()
        xs.append(trial.config["x"])
        at.tell(trial, trade_off(trial.config["x"]))
    # every x is a trade-off here: the model-based configs cover the front, none twice
    later = np.sort(xs[4:])
    assert later[-1] - later[0] > 0.4 and np.diff(later).min() > 0.005
    assert len(at.scheduler.searcher._gps) == 2


def test_a_pending_config_counts_at_its_predicted_objectives():
    searcher = EHVISearcher(SPACE, metric=["f", "g"], num_init_random=3, random_seed=1)
    for _ in range(6):
        config = searcher.suggest()
        searcher.observe(config, trade_off(config["x"]))
    searcher._update_model()
    first = searcher.suggest()
    scorer = searcher._scorer()
    alone = scorer(np.array([[first["x"]]]))[0]
    searcher.pending(first)
    believed = searcher._scorer()
    assert len(believed.lower) > len(scorer.lower)  # the fantasy joined the front
    assert believed(np.array([[first["x"]]]))[0] < alone - 1.0  # next to it: little to gain
    second = searcher.suggest()
    assert abs(second["x"] - first["x"]) > 0.01


def test_max_objectives_are_negated_and_standardized():
    searcher = EHVISearcher(SPACE, metric=["f", "acc"], mode=["min", "max"], num_init_random=2)
    for x in (0.1, 0.5, 0.9):
        searcher.observe({"x": x}, {"f": x, "acc": x})
    searcher._update_model()
    points = searcher._observed_points()
    assert np.all(np.diff(points[:, 0]) > 0) and np.all(np.diff(points[:, 1]) < 0)
    np.testing.assert_allclose(points.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(points.std(axis=0), 1.0)


def test_transformed_objectives_are_the_units_of_the_gps_and_of_the_front():
    searcher = EHVISearcher(SPACE, metric=["f", "acc"], mode=["min", "max"], target_transform="log")
    xs = (0.1, 0.5, 0.9, 0.3)
    for x in xs:  # f spans three orders of magnitude
        searcher.observe({"x": x}, {"f": 10.0 ** (-3 * x), "acc": x})
    searcher._update_model()
    points = searcher._observed_points()
    f, acc = np.log(10.0 ** (-3 * np.array(xs))), -np.log(np.array(xs))
    for k, column in enumerate((f, acc)):
        np.testing.assert_allclose(points[:, k], (column - column.mean()) / column.std())
        np.testing.assert_allclose(points[:, k], searcher._y[k][0])  # what the GP fits
    # yeo-johnson: a power per objective, fitted with the GPs
    searcher = EHVISearcher(SPACE, metric=["f", "g"], target_transform="yeo-johnson")
    for x in xs:
        searcher.observe({"x": x}, {"f": 10.0 ** (-3 * x), "g": x})
    searcher._update_model()
    assert len(searcher._power) == 2
    np.testing.assert_allclose(searcher._observed_points()[:, 0], searcher._y[0][0])
    # a copula on a capped model: the front is ranked among the model's rows, as the targets
    from scipy import stats

    searcher = EHVISearcher(
        SPACE, metric=["f", "g"], target_transform="copula", max_size_data_for_model=4
    )
    for x in np.random.default_rng(0).random(9).tolist():
        searcher.observe({"x": x}, {"f": 10.0 ** (-3 * x), "g": 1.0 - x})
    searcher._update_model()
    rows = searcher._rows
    assert len(rows) == 4
    points = searcher._observed_points()  # all 9 observations
    at = [searcher._eligible().index(i) for i in rows]
    for k in range(2):
        np.testing.assert_allclose(points[at, k], searcher._y[k][0])
        raw = [searcher._values[i][k] for i in rows]
        np.testing.assert_allclose(
            searcher._objective_values(k, rows), stats.norm.ppf(stats.rankdata(raw) / 5)
        )
        order = np.argsort([v[k] for v in searcher._values])  # the others rank between them
        assert np.all(np.diff(points[order, k]) >= 0)
    # an objective the fit finds no power for (equal values) stays as it is, on any rows
    searcher = EHVISearcher(SPACE, metric=["f", "g"], target_transform="yeo-johnson")
    for x in xs:
        searcher.observe({"x": x}, {"f": x, "g": 2.0})
    searcher._update_model()
    assert searcher._power[1] is None
    np.testing.assert_allclose(searcher._objective_values(1, [0, 1]), [2.0, 2.0])


def test_restricted_to_a_table_it_ranks_every_config():
    table = [{"x": x} for x in np.linspace(0, 1, 21).round(2).tolist()]
    scheduler = EHVI(
        SPACE, metric=["f", "g"], restrict_configurations=table, num_init_random=3, random_seed=0
    )
    at = AskTell(scheduler)
    seen = []
    for _ in range(21):
        trial = at.ask()
        seen.append(trial.config["x"])
        at.tell(trial, trade_off(trial.config["x"]))
    assert sorted(seen) == sorted(c["x"] for c in table)
    assert at.ask() is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_init_random": -1}, r"`num_init_random` must be an int >= 0, but got"),
        ({"max_size_data_for_model": 1}, r"`max_size_data_for_model` must be an int >= 2"),
        ({"mode": ["min", "up"]}, r"`mode`"),
        (
            {"target_transform": "cube"},
            r"`target_transform` must be one of \['standardize', 'log', 'boxcox', "
            r"'yeo-johnson', 'copula'\], but got target_transform='cube'",
        ),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EHVI(SPACE, metric=["f", "g"], **kwargs)


def test_a_log_transform_needs_positive_objectives():
    searcher = EHVISearcher(SPACE, metric=["f", "g"], target_transform="log")
    with pytest.raises(
        ValueError,
        match=r"target_transform='log' needs metric 'g' > 0, but got -1.0; use "
        r"target_transform='yeo-johnson' or 'copula' for any sign",
    ):
        searcher.observe({"x": 0.5}, {"f": 1.0, "g": -1.0})


def test_a_missing_objective_is_named():
    searcher = EHVISearcher(SPACE, metric=["f", "g"])
    with pytest.raises(ValueError, match="the result has no metric 'g'"):
        searcher.observe({"x": 0.5}, {"f": 1.0})
