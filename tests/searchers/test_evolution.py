import doctest
import json

import numpy as np
import pytest

import tunesmith.searchers.evolution as evolution_module
from tunesmith.schedulers import REA
from tunesmith.searchers import (
    SEARCHERS,
    DifferentialEvolution,
    RandomSearcher,
    RegularizedEvolution,
)
from tunesmith.space import choice, config_errors, grid, loguniform, ordinal, randint, uniform
from tunesmith.testing.searcher_contract import SearcherContract
from tunesmith.testing.spaces import MIXED_SPACE, objective

SPACE = {
    "a": randint(0, 9),
    "b": choice(["w", "x", "y", "z"]),
    "c": ordinal(["xs", "s", "m", "l", "xl"]),
    "x": uniform(0, 1),
    "const": 3,
}


class TestRegularizedEvolutionContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        # a small population, so that the contract's runs mutate
        return RegularizedEvolution(
            config_space,
            metric="loss",
            random_seed=random_seed,
            population_size=5,
            sample_size=2,
            **kwargs,
        )


class TestDifferentialEvolutionContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return DifferentialEvolution(config_space, metric="loss", random_seed=random_seed, **kwargs)


def test_doctest():
    assert doctest.testmod(evolution_module).failed == 0


def hp_differences(a, b):
    return [k for k in a if a[k] != b[k]]


def test_random_until_the_population_is_full_then_one_mutation_of_a_member():
    rea = RegularizedEvolution(
        SPACE, metric="loss", random_seed=0, population_size=8, sample_size=3
    )
    for _ in range(8):
        config = rea.suggest()
        rea.observe(config, {"loss": objective(config, SPACE)})
    members = [config for config, _, _ in rea.population]
    assert len(members) == 8
    for _ in range(20):
        child = rea.suggest()
        assert config_errors(SPACE, child) == []
        # exactly one hyperparameter differs from some member (its parent)
        assert any(len(hp_differences(child, m)) == 1 for m in members)


def test_defaults_evolve_within_a_100_evaluation_budget():
    """A population of 100 would be random search for 100 evaluations (issue 18): the default
    population fills after 30, and the 31st suggestion is a mutation of a member."""
    rea = RegularizedEvolution(SPACE, metric="loss", random_seed=0)
    assert (rea.population_size, rea.sample_size) == (30, 10)
    scheduler = REA(SPACE, metric="loss")
    assert (scheduler.searcher.population_size, scheduler.searcher.sample_size) == (30, 10)
    for _ in range(30):
        config = rea.suggest()
        rea.observe(config, {"loss": objective(config, SPACE)})
    members = [config for config, _, _ in rea.population]
    assert any(len(hp_differences(rea.suggest(), m)) == 1 for m in members)


def test_tournament_picks_the_best_of_the_sample():
    space = {"x": randint(0, 99), "y": randint(0, 99)}
    rea = RegularizedEvolution(
        space, metric="loss", random_seed=1, population_size=6, sample_size=6
    )
    for _ in range(6):
        config = rea.suggest()
        rea.observe(config, {"loss": config["x"] + config["y"]})
    best = min((c for c, _, _ in rea.population), key=lambda c: c["x"] + c["y"])
    for _ in range(10):  # sample == population: the parent is always the best member
        assert len(hp_differences(rea.suggest(), best)) == 1


def test_aging_removes_the_oldest_member():
    rea = RegularizedEvolution(
        {"x": randint(0, 99)}, metric="loss", random_seed=0, population_size=3, sample_size=1
    )
    for value in [5, 1, 7, 3]:
        rea.observe({"x": value}, {"loss": value})
    assert [(c["x"], v) for c, _, v in rea.population] == [(1, 1.0), (7, 7.0), (3, 3.0)]
    # the best member (1) still ages out: regularization
    rea.observe({"x": 50}, {"loss": 50})
    assert [c["x"] for c, _, _ in rea.population] == [7, 3, 50]


def test_higher_resource_updates_a_member_in_place_and_wins_tournaments():
    rea = RegularizedEvolution(
        {"x": randint(0, 99), "y": randint(0, 99)},
        metric="loss",
        random_seed=0,
        population_size=3,
        sample_size=3,
    )
    rea.observe({"x": 1, "y": 1}, {"loss": 0.5}, resource=1)
    rea.observe({"x": 2, "y": 2}, {"loss": 0.1}, resource=1)
    rea.observe({"x": 3, "y": 3}, {"loss": 0.9}, resource=1)
    rea.observe({"x": 1, "y": 1}, {"loss": 0.4}, resource=3)  # promoted: same age
    assert [(c["x"], level, v) for c, level, v in rea.population] == [
        (1, 3, 0.4),
        (2, 1, 0.1),
        (3, 1, 0.9),
    ]
    rea.observe({"x": 1, "y": 1}, {"loss": 0.3}, resource=2)  # a lower level changes nothing
    assert rea.population[0][1:] == (3, 0.4)
    # the member at the highest resource is the fittest
    for _ in range(5):
        assert len(hp_differences(rea.suggest(), {"x": 1, "y": 1})) == 1


def test_mode_max():
    rea = RegularizedEvolution(
        {"x": randint(0, 99), "y": randint(0, 99)},
        metric="acc",
        mode="max",
        random_seed=0,
        population_size=2,
        sample_size=2,
    )
    rea.observe({"x": 1, "y": 1}, {"acc": 0.1})
    rea.observe({"x": 2, "y": 2}, {"acc": 0.9})
    assert rea.population[1][2] == 0.9
    assert len(hp_differences(rea.suggest(), {"x": 2, "y": 2})) == 1


def test_evolution_beats_random_search():
    ranked = sorted(objective(c, SPACE | {"x": 0.3}) for c in grid(SPACE | {"x": 0.3}))

    def best(searcher):
        values = []
        for _ in range(150):
            config = searcher.suggest()
            values.append(objective(config, SPACE))
            searcher.observe(config, {"loss": values[-1]})
        return min(values)

    rea = [
        best(
            RegularizedEvolution(
                SPACE, metric="loss", random_seed=s, population_size=20, sample_size=5
            )
        )
        for s in range(6)
    ]
    rnd = [best(SEARCHERS["random"](SPACE, metric="loss", random_seed=s)) for s in range(6)]
    assert np.mean(rea) < np.mean(rnd)
    assert np.mean(rea) < ranked[20] + 0.05


def test_state_round_trip_keeps_the_population():
    original = RegularizedEvolution(
        SPACE, metric="loss", random_seed=2, population_size=4, sample_size=2
    )
    for i in range(6):
        config = original.suggest()
        original.observe(config, {"loss": float(i)}, resource=1 + i % 2)
    state = json.loads(json.dumps(original.state_dict()))
    clone = RegularizedEvolution(
        SPACE, metric="loss", random_seed=2, population_size=4, sample_size=2
    )
    clone.load_state_dict(state)
    assert clone.population == original.population
    assert [clone.suggest() for _ in range(5)] == [original.suggest() for _ in range(5)]


def test_registered_by_name():
    assert SEARCHERS["rea"] is RegularizedEvolution


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"population_size": 0},
            "`population_size` must be an int >= 1, but got population_size=0",
        ),
        ({"sample_size": 1.5}, "`sample_size` must be an int >= 1, but got sample_size=1.5"),
        (
            {"population_size": 5, "sample_size": 6},
            "`sample_size` must be at most `population_size`, but got \\(sample_size=6, "
            "population_size=5\\)",
        ),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RegularizedEvolution(MIXED_SPACE, metric="loss", **kwargs)


# -- differential evolution operators -------------------------------------------------------------


def test_unit_encoding_round_trip():
    de = DifferentialEvolution(MIXED_SPACE, random_seed=0)
    assert de.dim == 5 + 3  # one coordinate per domain, three for the choice
    config = de.suggest()
    vector = de.encode(config)
    assert len(vector) == de.dim and all(0 <= v <= 1 for v in vector)
    assert de.decode(vector) == config


def test_mutant_is_rand_1_with_out_of_range_coordinates_redrawn():
    de = DifferentialEvolution(
        {"x": uniform(0, 1), "y": uniform(0, 1)}, random_seed=0, mutation_factor=0.5
    )
    parents = np.array([[0.2, 0.9], [0.6, 0.1], [0.4, 0.5]])
    for _ in range(20):
        state = de.rng.bit_generator.state
        i, j, k = de.rng.choice(3, size=3, replace=False).tolist()
        de.rng.bit_generator.state = state
        expected = parents[i] + 0.5 * (parents[j] - parents[k])
        mutant = de.mutant(parents)
        inside = (expected >= 0) & (expected <= 1)
        assert np.allclose(mutant[inside], expected[inside])
        assert np.all((mutant >= 0) & (mutant <= 1))


def test_crossover_takes_at_least_one_mutant_coordinate():
    de = DifferentialEvolution(
        {f"x{i}": uniform(0, 1) for i in range(6)}, random_seed=0, crossover_probability=0.0
    )
    mutant, target = np.ones(6), np.zeros(6)
    for _ in range(10):
        assert de.crossover(mutant, target).sum() == 1.0
    de.crossover_probability = 1.0
    assert de.crossover(mutant, target).sum() == 6.0


def test_evolve_tops_up_parents_and_never_repeats():
    space = {"a": randint(0, 3), "b": choice(["x", "y"])}
    de = DifferentialEvolution(space, random_seed=0)
    seen = set()
    for _ in range(8):  # all 8 configs, then exhausted
        child = de.evolve([de.encode({"a": 0, "b": "x"})], target=None, pool=[])
        assert child is not None
        config, vector = child
        assert de.decode(vector) == config
        seen.add((config["a"], config["b"]))
    assert len(seen) == 8
    assert de.evolve([], None, []) is None
    assert de.suggest() is None


def test_evolve_works_on_mixed_spaces():
    space = {
        "lr": loguniform(1e-4, 1e-1),
        "act": choice(["relu", "tanh", "gelu"]),
        "size": ordinal(["s", "m", "l"]),
        "n": randint(1, 64),
    }
    de = DifferentialEvolution(space, random_seed=3)
    parents = [de.encode(de.suggest()) for _ in range(4)]
    for _ in range(20):
        config, vector = de.evolve(parents, target=parents[0])
        assert config_errors(space, config) == []
        assert de.decode(vector) == config


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mutation_factor": 0}, "`mutation_factor` must be a number in \\(0, 2\\], but got 0"),
        ({"mutation_factor": 3}, "`mutation_factor` must be a number in \\(0, 2\\], but got 3"),
        (
            {"crossover_probability": -0.1},
            "`crossover_probability` must be a number in \\[0, 1\\], but got -0.1",
        ),
    ],
)
def test_bad_de_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DifferentialEvolution(MIXED_SPACE, **kwargs)


def test_evolve_restricted_takes_the_nearest_unsuggested_allowed_config():
    space = {"x": uniform(0, 1), "y": uniform(0, 1)}
    allowed = [
        {"x": 0.1, "y": 0.1},
        {"x": 0.5, "y": 0.5},
        {"x": 0.52, "y": 0.5},
        {"x": 0.9, "y": 0.9},
    ]
    de = DifferentialEvolution(space, random_seed=0, restrict_configurations=allowed)
    parents = [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]  # x2 - x3 = 0: the mutant is (0.5, 0.5)
    picks = [de.evolve(parents, target=[0.5, 0.5])[0] for _ in range(4)]
    # nearest first, each once: (0.5, 0.5), (0.52, 0.5), then a tie, broken at random
    assert picks[:2] == [allowed[1], allowed[2]]
    assert sorted(picks[2:], key=lambda c: c["x"]) == [allowed[0], allowed[3]]
    assert de.evolve(parents, target=[0.5, 0.5]) is None  # all suggested
    assert de.suggest() is None
    # the vector is the allowed config's encoding, not the evolved one
    de = DifferentialEvolution(space, random_seed=0, restrict_configurations=allowed)
    config, vector = de.evolve([[0.88, 0.95]] * 3, target=None)
    assert config == allowed[3] and vector == pytest.approx([0.9, 0.9])
    assert de.suggest() in allowed[:3]  # random draws skip what evolve took


def test_rea_restricted_children_are_the_nearest_unsuggested_table_configs():
    space = {"x": uniform(0, 1), "y": choice(["a", "b"])}
    rng = np.random.default_rng(0)
    xs, ys = rng.random(60).tolist(), rng.choice(["a", "b"], 60).tolist()
    table = [{"x": x, "y": y} for x, y in zip(xs, ys, strict=True)]

    def make():
        return RegularizedEvolution(
            space,
            metric="loss",
            random_seed=1,
            population_size=10,
            sample_size=10,
            restrict_configurations=table,
        )

    rea = make()
    suggested = []
    for _ in range(10):  # random table configs fill the population
        config = rea.suggest()
        rea.observe(config, {"loss": abs(config["x"] - 0.3)})
        suggested.append(config)
    for _ in range(50):
        config = rea.suggest()
        assert config in table and config not in suggested
        suggested.append(config)
        rea.observe(config, {"loss": abs(config["x"] - 0.3)})
    assert rea.suggest() is None  # the table is exhausted, no repeats
    # the child is the unsuggested table config nearest to the mutated parent
    rea = make()
    for _ in range(10):
        config = rea.suggest()
        rea.observe(config, {"loss": abs(config["x"] - 0.3)})
    seen = list(suggested[:10])
    rea._mutate = lambda parent: {"x": 0.77, "y": "b"}
    for _ in range(3):
        child = rea.suggest()
        unseen = [c for c in table if c not in seen and c["y"] == "b"]  # "a" is 2 away
        assert child == min(unseen, key=lambda c: abs(c["x"] - 0.77))
        seen.append(child)


def test_restricted_ties_are_broken_at_random():
    space = {"x": uniform(0, 1), "y": uniform(0, 1)}
    allowed = [{"x": 0.1, "y": 0.1}, {"x": 0.9, "y": 0.9}]  # both as far from (0.5, 0.5)
    firsts = set()
    for seed in range(20):
        de = DifferentialEvolution(space, random_seed=seed, restrict_configurations=allowed)
        firsts.add(de.evolve([[0.5, 0.5]] * 3)[0]["x"])
    assert firsts == {0.1, 0.9}


def test_nearest_restricted_visits_the_whole_table_in_distance_then_draw_order():
    # a 20 x 20 grid: rings of tied distances around the point, far more configs than the
    # first band the search looks at; every config once, in the order a full sort by (distance,
    # the call's uniform draws) gives, with the same random stream
    space = {"x": uniform(0, 1), "y": uniform(0, 1)}
    grid = [{"x": i / 19, "y": j / 19} for i in range(20) for j in range(20)]
    searcher = RandomSearcher(space, random_seed=3, restrict_configurations=grid)
    twin = RandomSearcher(space, random_seed=3, restrict_configurations=grid)
    vectors = np.array([[c["x"], c["y"]] for c in twin.restrict_configurations])
    point = np.array([8 / 19, 11 / 19])
    distance = ((vectors - point) ** 2).sum(axis=1)
    ordered = np.sort(distance)
    assert ordered[63] == ordered[64]  # the first band's edge cuts through a ring of ties
    taken: set[int] = set()
    for _ in range(len(grid)):
        config, _vector = searcher._nearest_restricted(point)
        order = np.lexsort((twin.rng.random(len(grid)), distance))
        expected = next(int(i) for i in order if int(i) not in taken)
        taken.add(expected)
        assert config == twin.restrict_configurations[expected]
    assert searcher._nearest_restricted(point) is None
    # a NaN distance sorts last (all NaN: by the draws alone)
    searcher = RandomSearcher(space, random_seed=4, restrict_configurations=grid)
    twin = RandomSearcher(space, random_seed=4, restrict_configurations=grid)
    taken = set()
    for _ in range(100):
        config, _vector = searcher._nearest_restricted(np.array([np.nan, 0.5]))
        order = np.argsort(twin.rng.random(len(grid)), kind="stable")
        expected = next(int(i) for i in order if int(i) not in taken)
        taken.add(expected)
        assert config == twin.restrict_configurations[expected]
