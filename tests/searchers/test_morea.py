import doctest

import numpy as np
import pytest

import tunesmith
import tunesmith.searchers.morea as morea_module
from tunesmith import choice
from tunesmith.multiobjective import hypervolume
from tunesmith.schedulers import MOREA
from tunesmith.searchers import MultiObjectiveRegularizedEvolution
from tunesmith.searchers.morea import tournament_winner
from tunesmith.testing.scheduler_contract import SchedulerContract
from tunesmith.testing.searcher_contract import SearcherContract

GRID = {"x": choice(list(range(10))), "y": choice(list(range(10)))}


class TestMOREASearcherContract(SearcherContract):
    metrics = ("loss", "cost")

    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return MultiObjectiveRegularizedEvolution(
            config_space,
            metric=["loss", "cost"],
            random_seed=random_seed,
            population_size=5,
            sample_size=3,
            **kwargs,
        )


class TestMOREAContract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return MOREA(
            config_space,
            metric=metric,
            mode=mode,
            population_size=5,
            sample_size=3,
            random_seed=random_seed,
        )


def test_doctest():
    assert doctest.testmod(morea_module).failed == 0


def test_public_names():
    assert tunesmith.MOREA is MOREA
    assert tunesmith.MultiObjectiveRegularizedEvolution is MultiObjectiveRegularizedEvolution


def test_the_winner_is_non_dominated_then_the_largest_hypervolume_contribution():
    # (3, 3) is dominated; of the front, (1, 2) adds the most volume (3; (2, 1): 1.3)
    points = np.array([[3.0, 3.0], [1.0, 2.0], [2.0, 1.0], [0.0, 5.0]])
    winner = tournament_winner(points)
    assert winner == 1
    reference = points.max(axis=0) + (points.max(axis=0) - points.min(axis=0)) / 10
    front = points[[1, 2, 3]]
    full = hypervolume(front, reference)
    contributions = [full - hypervolume(np.delete(front, i, axis=0), reference) for i in range(3)]
    assert contributions == pytest.approx([3.0, 1.3, 0.4])
    assert tournament_winner([[5.0, 5.0], [1.0, 1.0], [2.0, 0.5]]) in (1, 2)
    assert tournament_winner([[2.0, 2.0], [1.0, 1.0]]) == 1  # a front of one
    assert tournament_winner([[1.0, 1.0], [1.0, 1.0]]) == 0  # ties: the first drawn


def test_parent_is_the_tournament_winner_and_the_child_one_mutation_away():
    rea = MultiObjectiveRegularizedEvolution(
        GRID, metric=["f", "g"], population_size=4, sample_size=4, random_seed=0
    )
    for x, y in [(5, 5), (1, 1), (6, 2), (2, 6)]:
        config = {"x": x, "y": y}
        rea._mark_seen(config)
        rea.observe(config, {"f": x, "g": y})
    # the sample is the whole population: (1, 1) dominates all, so it is every parent
    for _ in range(10):
        child = rea.suggest()
        assert sum(child[k] != v for k, v in {"x": 1, "y": 1}.items()) == 1
        rea.pending(child)


def test_aging_and_resource_levels():
    rea = MultiObjectiveRegularizedEvolution(
        GRID, metric=["f", "g"], mode="max", population_size=2, sample_size=2, random_seed=0
    )
    rea.observe({"x": 1, "y": 1}, {"f": 1, "g": 1}, resource=1)
    rea.observe({"x": 2, "y": 2}, {"f": 2, "g": 2}, resource=1)
    rea.observe({"x": 1, "y": 1}, {"f": 0, "g": 0}, resource=3)  # keeps its place, new level
    assert [(c["x"], level, v) for c, level, v in rea.population] == [
        (1, 3, [0.0, 0.0]),
        (2, 1, [2.0, 2.0]),
    ]
    # a tournament prefers the higher level, however worse its values
    assert rea._parent() == {"x": 1, "y": 1}
    rea.observe({"x": 3, "y": 3}, {"f": 3, "g": 3})  # the oldest leaves
    assert [c["x"] for c, _, _ in rea.population] == [2, 3]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"population_size": 0},
            r"`population_size` must be an int >= 1, but got population_size=0",
        ),
        (
            {"population_size": 3, "sample_size": 4},
            r"`sample_size` must be at most `population_size`, but got \(sample_size=4, "
            r"population_size=3\)",
        ),
        ({"mode": ["min", "up"]}, r"`mode`"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MultiObjectiveRegularizedEvolution(GRID, metric=["f", "g"], **kwargs)
    with pytest.raises(ValueError, match=message):
        MOREA(GRID, metric=["f", "g"], **kwargs)


def test_a_missing_objective_is_named():
    rea = MultiObjectiveRegularizedEvolution(GRID, metric=["f", "g"])
    with pytest.raises(ValueError, match="the result has no metric 'g'"):
        rea.observe({"x": 1, "y": 1}, {"f": 1})


def test_two_objective_contributions_match_the_hypervolume():
    from tunesmith.multiobjective import hypervolume_improvement, non_dominated_sort
    from tunesmith.searchers.morea import _contributions_2d

    rng = np.random.default_rng(0)
    for _ in range(50):
        points = rng.integers(0, 6, size=(8, 2)).astype(float)  # ties and duplicates
        front = points[non_dominated_sort(points) == 0]
        reference = points.max(axis=0) + 1.0
        want = [
            hypervolume_improvement(front[i], np.delete(front, i, axis=0), reference)
            for i in range(len(front))
        ]
        got = _contributions_2d(front.tolist(), reference.tolist())
        assert got == pytest.approx(want)


def test_defaults_evolve_within_a_few_hundred_evaluations():
    """As REA's: a population of 30, sample of 10 (Syne Tune's 100 would be random search for
    its first 100 evaluations); the compatibility layer keeps Syne Tune's 100 and 10."""
    from tunesmith.compat.synetune.optimizer.baselines import MOREA as SyneTuneMOREA

    searcher = MultiObjectiveRegularizedEvolution(GRID, metric=["f", "g"], random_seed=0)
    assert (searcher.population_size, searcher.sample_size) == (30, 10)
    scheduler = MOREA(GRID, metric=["f", "g"])
    assert (scheduler.searcher.population_size, scheduler.searcher.sample_size) == (30, 10)
    compat = SyneTuneMOREA(GRID, metric=["f", "g"])
    assert (compat.searcher.population_size, compat.searcher.sample_size) == (100, 10)
    for _ in range(30):
        config = searcher.suggest()
        searcher.observe(config, {"f": config["x"], "g": 9 - config["x"] + config["y"]})
    members = [config for config, _, _ in searcher.population]
    child = searcher.suggest()
    assert any(sum(child[k] != m[k] for k in GRID) == 1 for m in members)
