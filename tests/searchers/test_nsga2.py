import doctest
import json

import numpy as np
import pytest

import tunesmith
import tunesmith.searchers.nsga2 as nsga2_module
from tunesmith import AskTell, choice, uniform
from tunesmith.multiobjective import crowding_distance, non_dominated_sort
from tunesmith.schedulers import NSGA2
from tunesmith.searchers import NSGA2Searcher
from tunesmith.space import config_errors
from tunesmith.testing.scheduler_contract import SchedulerContract
from tunesmith.testing.searcher_contract import SearcherContract

GRID = {"x": choice(list(range(10))), "y": choice(list(range(10))), "const": 1}


class TestNSGA2SearcherContract(SearcherContract):
    metrics = ("loss", "cost")

    def make_searcher(self, config_space, *, random_seed, **kwargs):
        # a small population, so that the contract's runs breed
        return NSGA2Searcher(
            config_space,
            metric=["loss", "cost"],
            random_seed=random_seed,
            population_size=4,
            **kwargs,
        )


class TestNSGA2Contract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return NSGA2(
            config_space, metric=metric, mode=mode, population_size=4, random_seed=random_seed
        )


def test_doctest():
    assert doctest.testmod(nsga2_module).failed == 0


def test_public_names():
    assert tunesmith.NSGA2 is NSGA2
    assert tunesmith.NSGA2Searcher is NSGA2Searcher


def observe_all(searcher, points):
    for x, y in points:
        config = {"x": x, "y": y, "const": 1}
        searcher._mark_seen(config)
        searcher.observe(config, {"f": x, "g": y})


def test_survivors_are_chosen_by_front_then_crowding():
    searcher = NSGA2Searcher(GRID, metric=["f", "g"], population_size=5, random_seed=0)
    # front 0: (0, 9), (3, 3), (4, 2), (9, 0); front 1: (5, 5), (6, 6) is front 2
    points = [(0, 9), (3, 3), (4, 2), (9, 0), (5, 5), (6, 6)]
    observe_all(searcher, points)
    members = [(c["x"], c["y"]) for c, _, _ in searcher.population]
    assert (6, 6) not in members  # the last front leaves first
    # best first: front 0 by decreasing crowding distance, then front 1
    assert members == [(0, 9), (9, 0), (3, 3), (4, 2), (5, 5)]
    # a newcomer to a full front: the most crowded member of the last front leaves
    observe_all(searcher, [(1, 7), (2, 4)])
    members = [(c["x"], c["y"]) for c, _, _ in searcher.population]
    pts = np.array(points[:4] + [(5, 5), (1, 7), (2, 4)], dtype=float)
    ranks = non_dominated_sort(pts)
    assert len(members) == 5 and (5, 5) not in members  # front 1 went first
    crowd = crowding_distance(pts[ranks == 0])
    assert ranks.tolist()[:4] == [0, 0, 0, 0]
    # of the six front-0 points, the one with the least crowding distance left
    front = [tuple(map(int, p)) for p in pts[ranks == 0]]
    assert front[int(np.argmin(crowd))] not in members


def test_tournament_prefers_the_better_ranked_member():
    searcher = NSGA2Searcher(GRID, metric=["f", "g"], population_size=4, random_seed=0)
    observe_all(searcher, [(0, 0), (5, 5), (6, 6), (7, 7)])
    # (0, 0) dominates the others: it wins every tournament it is drawn in, so it is a parent
    # of at least half of the children's draws
    wins = [searcher._tournament() for _ in range(400)]
    share = sum(w["x"] == 0 for w in wins) / len(wins)
    assert share == pytest.approx(0.5, abs=0.08)  # drawn in half of the pairs of 4
    assert not any(w["x"] == 7 for w in wins)  # the worst never wins


def test_children_come_from_the_parents_and_are_valid():
    searcher = NSGA2Searcher(
        GRID, metric=["f", "g"], population_size=4, mutation_probability=0.0, random_seed=1
    )
    observe_all(searcher, [(0, 9), (9, 0), (2, 2), (3, 3)])
    for _ in range(5):
        child = searcher.suggest()
        assert config_errors(GRID, child) == []
        assert child["x"] in {0, 9, 2, 3} and child["y"] in {9, 0, 2, 3}


def test_modes_and_resource_levels():
    searcher = NSGA2Searcher(GRID, metric=["f", "g"], mode=["max", "min"], population_size=2)
    searcher.observe({"x": 1, "y": 1, "const": 1}, {"f": 1, "g": 1}, resource=1)
    searcher.observe({"x": 2, "y": 2, "const": 1}, {"f": 5, "g": 1}, resource=1)
    searcher.observe({"x": 1, "y": 1, "const": 1}, {"f": 0, "g": 9}, resource=3)
    # the higher level ranks first, whatever its values; values in the metrics' units
    assert [(c["x"], level, values) for c, level, values in searcher.population] == [
        (1, 3, [0.0, 9.0]),
        (2, 1, [5.0, 1.0]),
    ]


def test_state_round_trip_mid_evolution():
    space = {"x": uniform(0, 1), "y": uniform(0, 1)}
    a = NSGA2(space, metric=["f", "g"], population_size=3, random_seed=4)
    at = AskTell(a)
    for _ in range(6):
        trial = at.ask()
        at.tell(trial, {"f": trial.config["x"], "g": 1 - trial.config["x"] ** 0.5})
    state = json.loads(json.dumps(a.state_dict()))
    b = NSGA2(space, metric=["f", "g"], population_size=3, random_seed=4)
    b.load_state_dict(state)
    assert [a.suggest(i).config for i in range(5)] == [b.suggest(i).config for i in range(5)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"population_size": 1}, r"`population_size` must be an int >= 2 .* population_size=1"),
        ({"population_size": 2.5}, r"population_size=2.5"),
        (
            {"crossover_probability": 1.5},
            r"`crossover_probability` must be a number in \[0, 1\], but got "
            r"crossover_probability=1.5",
        ),
        (
            {"mutation_probability": -0.1},
            r"`mutation_probability` must be a number in \[0, 1\], but got "
            r"mutation_probability=-0.1",
        ),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NSGA2Searcher(GRID, metric=["f", "g"], **kwargs)
    with pytest.raises(ValueError, match=message):
        NSGA2(GRID, metric=["f", "g"], **kwargs)


def test_observe_without_a_metric_or_with_one_missing():
    with pytest.raises(ValueError, match="the searcher has no metric"):
        NSGA2Searcher(GRID).observe({"x": 1, "y": 1, "const": 1}, {"f": 1})
    searcher = NSGA2Searcher(GRID, metric=["f", "g"])
    with pytest.raises(ValueError, match="the result has no metric 'g'"):
        searcher.observe({"x": 1, "y": 1, "const": 1}, {"f": 1})
