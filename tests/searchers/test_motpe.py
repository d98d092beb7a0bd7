import doctest
import itertools
import json

import numpy as np
import pytest

import tunesmith
import tunesmith.searchers.motpe as motpe_module
from tunesmith import TPE, AskTell, choice, uniform
from tunesmith.experiments.methods import METHODS, make_method
from tunesmith.multiobjective import hypervolume, non_dominated_sort
from tunesmith.schedulers import MOASHA, MOTPE
from tunesmith.searchers import MOTPESearcher
from tunesmith.searchers.motpe import good_observations, hypervolume_subset
from tunesmith.space import config_errors
from tunesmith.testing.scheduler_contract import SchedulerContract
from tunesmith.testing.searcher_contract import SearcherContract

SPACE = {"x": uniform(0, 1), "y": uniform(0, 1)}


class TestMOTPESearcherContract(SearcherContract):
    metrics = ("loss", "cost")

    def make_searcher(self, config_space, *, random_seed, **kwargs):
        # a short random start, so that the contract's runs use the model
        return MOTPESearcher(
            config_space,
            metric=["loss", "cost"],
            random_seed=random_seed,
            num_init_random=4,
            num_min_data_points=2,
            **kwargs,
        )


class TestMOTPEContract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return MOTPE(
            config_space,
            metric=metric,
            mode=mode,
            num_init_random=4,
            num_min_data_points=2,
            random_seed=random_seed,
        )


def test_doctest():
    assert doctest.testmod(motpe_module).failed == 0


def test_public_names():
    assert tunesmith.MOTPE is MOTPE
    assert tunesmith.MOTPESearcher is MOTPESearcher
    assert tunesmith.schedulers.MOTPE is MOTPE
    assert "MOTPE" in METHODS


def test_bench_method_gets_the_objective_list():
    from tunesmith import bench

    blackbox = bench.load("mlp-digits-cost")
    scheduler = make_method("MOTPE", blackbox, seed=0, restrict=True)
    assert scheduler.metric == ["val_error", "train_cost"]
    assert scheduler.searcher.restrict_configurations is not None


# -- the split ------------------------------------------------------------------------------------


def test_good_set_takes_whole_fronts_first():
    points = np.array(
        [[6, 6], [1, 5], [3, 3], [2, 2], [5, 1], [2.5, 4], [4, 2.5], [7, 7], [6.5, 6.8]]
    )
    fronts = non_dominated_sort(points)
    assert fronts.tolist() == [2, 0, 1, 0, 0, 1, 1, 4, 3]
    # a cut at the end of a front: exactly the fronts before it, in front order
    assert sorted(good_observations(points, 3).tolist()) == [1, 3, 4]
    assert sorted(good_observations(points, 6).tolist()) == [1, 2, 3, 4, 5, 6]
    assert sorted(good_observations(points, 7).tolist()) == [0, 1, 2, 3, 4, 5, 6]
    for n_good in range(1, len(points) + 1):
        good = good_observations(points, n_good)
        assert len(good) == len(set(good.tolist())) == n_good
        # no bad observation lies on a front before a good one's
        bad = np.setdiff1d(np.arange(len(points)), good)
        if len(bad):
            assert fronts[good].max() <= fronts[bad].min()


def test_the_front_cut_in_two_is_split_by_greedy_hypervolume_contribution():
    # front 0: three points; front 1: (3, 3), (2.5, 4), (4, 2.5) and (2.9, 3.05), close to (3, 3)
    points = np.array(
        [[1, 5], [2, 2], [5, 1], [3, 3], [2.5, 4], [4, 2.5], [2.9, 3.05], [6, 6]], dtype=float
    )
    assert non_dominated_sort(points).tolist() == [0, 0, 0, 1, 1, 1, 1, 2]
    # reference: a tenth of the range beyond the worst values, (6.5, 6.5); the boxes of front
    # 1 below it: (2.9, 3.05) 12.42, (3, 3) 12.25, (2.5, 4) 10, (4, 2.5) 10
    assert good_observations(points, 4).tolist() == [0, 1, 2, 6]  # the largest box
    # next to (2.9, 3.05), (3, 3) adds 0.175, (2.5, 4) 1.0 and (4, 2.5) 1.375: the close twin
    # loses, although its own box is the second largest
    assert good_observations(points, 5).tolist() == [0, 1, 2, 6, 5]
    # then (2.5, 4) adds 1.0 and (3, 3) 0.05
    assert good_observations(points, 6).tolist() == [0, 1, 2, 6, 5, 4]


def test_ties_of_hypervolume_go_to_the_earlier_observation():
    # a symmetric front: the two ends add the same; duplicates add nothing after their twin
    points = np.array([[0, 2], [2, 0], [1, 1], [1, 1]], dtype=float)
    assert hypervolume_subset(points, 4, [3.0, 3.0]) == [2, 0, 1, 3]
    assert hypervolume_subset(points[[1, 0]], 1, [3.0, 3.0]) == [0]


def _greedy(points, k, ref):
    """The plain greedy selection, from the definition."""
    chosen = []
    for _ in range(k):
        rest = [i for i in range(len(points)) if i not in chosen]
        gains = [
            hypervolume(np.vstack([points[chosen], points[i]]), ref)
            - hypervolume(points[chosen], ref)
            for i in rest
        ]
        best = max(gains)
        chosen.append(next(i for i, g in zip(rest, gains, strict=True) if g >= best - 1e-12))
    return chosen


@pytest.mark.parametrize(("d", "seed"), list(itertools.product([2, 3], range(5))))
def test_lazy_greedy_is_the_greedy_selection(d, seed):
    # a front (a concave or convex one, with a duplicate): points on sum(x_j ** q) = 1
    rng = np.random.default_rng(seed)
    q = [0.5, 1.0, 2.0][seed % 3]
    points = rng.dirichlet(np.ones(d), size=12) ** (1 / q)
    points[5] = points[2]
    assert (non_dominated_sort(points) == 0).all()
    ref = np.full(d, 1.1)
    chosen = hypervolume_subset(points, 8, ref)
    assert chosen == _greedy(points, 8, ref)
    assert not {2, 5} <= set(chosen)  # the twin adds nothing while distinct points add some


def test_the_searcher_splits_its_observations_by_fronts():
    searcher = MOTPESearcher(
        SPACE, metric=["f", "g"], gamma=0.5, num_min_data_points=2, random_seed=0
    )
    rng = np.random.default_rng(1)
    for _ in range(10):
        config = {"x": float(rng.random()), "y": float(rng.random())}
        searcher.observe(config, {"f": config["x"], "g": 1 - config["x"] + config["y"]})
    rows = searcher._rows[0]
    good, bad = searcher._split(rows)
    assert len(good) == 5 and len(bad) == 5
    expected = good_observations(rows.y[:10], 5)
    assert good.tolist() == expected.tolist()
    assert sorted(good.tolist() + bad.tolist()) == list(range(10))


def test_the_split_follows_the_values_not_only_their_count():
    searcher = MOTPESearcher(
        SPACE, metric=["f", "g"], gamma=0.5, num_min_data_points=2, random_seed=0
    )
    rng = np.random.default_rng(4)
    for _ in range(10):
        config = {"x": float(rng.random()), "y": float(rng.random())}
        searcher.observe(config, {"f": config["x"], "g": config["y"]})
    rows = searcher._rows[0]
    good, _ = searcher._split(rows)
    assert searcher._split(rows)[0] is good  # reused between two results
    # as many rows, other values (a result removed and another added): split again
    rows.y[:10] = rows.y[9::-1].copy()
    again, _ = searcher._split(rows)
    assert sorted(again.tolist()) == sorted((9 - good).tolist())


def test_max_objectives_are_negated():
    def observe(searcher, sign):
        rng = np.random.default_rng(2)
        for _ in range(8):
            config = {"x": float(rng.random()), "y": float(rng.random())}
            searcher.observe(config, {"f": sign * config["x"], "g": config["y"]})

    low = MOTPESearcher(SPACE, metric=["f", "g"], num_min_data_points=2, random_seed=3)
    high = MOTPESearcher(
        SPACE, metric=["f", "g"], mode=["max", "min"], num_min_data_points=2, random_seed=3
    )
    observe(low, 1.0)
    observe(high, -1.0)
    assert np.array_equal(low._rows[0].y[:8], high._rows[0].y[:8])
    assert [low.suggest() for _ in range(5)] == [high.suggest() for _ in range(5)]


def test_random_start_then_the_model():
    searcher = MOTPESearcher(SPACE, metric=["f", "g"], num_init_random=5, random_seed=0)
    assert searcher.num_init_random == 5
    for i in range(5):
        assert searcher.model_level() is None
        config = searcher.suggest()
        searcher.observe(config, {"f": config["x"], "g": config["y"] - config["x"]})
        assert searcher.num_observations() == i + 1
    assert searcher.model_level() == 0
    # the default: the TPE searcher's rule, 2 * (hyperparameters + 1)
    assert MOTPESearcher(SPACE, metric=["f", "g"]).num_init_random == 6


def test_pending_evaluations_join_the_bad_set():
    searcher = MOTPESearcher(SPACE, metric=["f", "g"], num_init_random=4, random_seed=0)
    for _ in range(6):
        config = searcher.suggest()
        searcher.observe(config, {"f": config["x"], "g": 1 - config["x"]})
    rows = searcher._rows[0]
    _, bad = searcher._densities(rows)
    running = searcher.suggest()
    searcher.pending(running)
    _, bad_pending = searcher._densities(rows)
    assert bad_pending.n == bad.n + 1
    searcher.failed(running)
    assert searcher._densities(rows)[1].n == bad.n


def test_model_suggestions_are_valid_and_new_on_a_finite_space():
    space = {"a": choice(list(range(6))), "b": choice(["u", "v", "w"])}
    searcher = MOTPESearcher(
        space, metric=["f", "g"], num_init_random=4, random_fraction=0.0, random_seed=0
    )
    seen = set()
    while (config := searcher.suggest()) is not None:
        assert config_errors(space, config) == []
        key = (config["a"], config["b"])
        assert key not in seen
        seen.add(key)
        searcher.observe(config, {"f": config["a"], "g": 5 - config["a"] + (config["b"] == "u")})
    assert len(seen) == 18


def test_it_proposes_motpe_configs_inside_moasha():
    space = {"x": uniform(0, 1), "epochs": 9}
    searcher = MOTPESearcher(space, metric=["f", "g"], num_init_random=4)
    at = AskTell(MOASHA(space, metric=["f", "g"], searcher=searcher, random_seed=0))
    for _ in range(12):
        trial = at.ask()
        x = trial.config["x"]
        at.report(trial, {"epoch": 1, "f": x, "g": (1 - x) ** 2})
    assert searcher.num_observations(1) == 12
    assert searcher.model_level() == 1


def test_state_round_trip_with_the_model_in_use():
    def make():
        return MOTPE(
            SPACE, metric=["f", "g"], mode=["min", "max"], num_init_random=4, random_seed=5
        )

    def run(scheduler, n):
        at = AskTell(scheduler)
        configs = []
        for _ in range(n):
            trial = at.ask()
            x, y = trial.config["x"], trial.config["y"]
            at.tell(trial, {"f": x + y, "g": x - y})
            configs.append(trial.config)
        return configs

    original = make()
    run(original, 8)
    state = json.loads(json.dumps(original.state_dict()))
    clone = make()
    clone.load_state_dict(state)
    assert run(clone, 6) == run(original, 6)


def test_a_single_metric_is_tpe():
    one = MOTPESearcher(SPACE, metric="f", num_init_random=4, random_seed=0)
    for _ in range(8):
        config = one.suggest()
        one.observe(config, {"f": config["x"]})
    good, _ = one._split(one._rows[0])
    values = one._rows[0].y[:8, 0]
    assert sorted(values[good].tolist()) == sorted(values.tolist())[: len(good)]


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"num_init_random": 1},
            r"`num_init_random` must be an int >= 2, but got " r"num_init_random=1",
        ),
        (
            {"num_init_random": 4.5},
            r"`num_init_random` must be an int >= 2, but got " r"num_init_random=4.5",
        ),
        ({"gamma": 1.0}, r"`gamma` must be a number in \(0.0, 1.0\), but got 1.0"),
        ({"num_min_data_points": 1}, r"`num_min_data_points` must be an int >= 2"),
        (
            {"mode": ["min", "best"]},
            r"`mode` of metric 'g' must be 'min' or 'max', but got 'best'",
        ),
        (
            {"mode": ["min"]},
            r"one per metric \(2 for metric=\['f', 'g'\]\), but got mode=\['min'\]",
        ),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MOTPESearcher(SPACE, metric=["f", "g"], **kwargs)
    with pytest.raises(ValueError, match=message):
        MOTPE(SPACE, metric=["f", "g"], **kwargs)


def test_observe_without_a_metric_or_with_one_missing():
    with pytest.raises(ValueError, match="the searcher has no metric"):
        MOTPESearcher(SPACE).observe({"x": 0.1, "y": 0.2}, {"f": 1})
    searcher = MOTPESearcher(SPACE, metric=["f", "g"])
    with pytest.raises(ValueError, match="the result has no metric 'g'"):
        searcher.observe({"x": 0.1, "y": 0.2}, {"f": 1})
    assert searcher.num_observations() == 0


def test_single_objective_tpe_still_refuses_a_list():
    with pytest.raises(ValueError, match="TPE optimizes a single metric"):
        TPE(SPACE, metric=["f", "g"])
