import json

import numpy as np
import pytest

from tunesmith.searchers import SEARCHERS, KDESearcher
from tunesmith.space import (
    choice,
    config_errors,
    finrange,
    grid,
    grid_size,
    lograndint,
    loguniform,
    ordinal,
    randint,
    uniform,
)
from tunesmith.testing.searcher_contract import SearcherContract
from tunesmith.testing.spaces import MIXED_SPACE, objective

#: a finite space of 2,200 configs
FINITE = {
    "a": randint(0, 9),
    "b": choice(["w", "x", "y", "z"]),
    "c": ordinal(["xs", "s", "m", "l", "xl"]),
    "d": finrange(0.0, 1.0, 11),
}


class TestKDESearcherContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return KDESearcher(config_space, metric="loss", random_seed=random_seed, **kwargs)


class TestUnivariateModelOnlyContract(SearcherContract):
    """Univariate TPE, the model used for every suggestion once it can be fitted."""

    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return KDESearcher(
            config_space,
            metric="loss",
            random_seed=random_seed,
            multivariate=False,
            random_fraction=0.0,
            num_min_data_points=3,
            **kwargs,
        )


class CountingKDE(KDESearcher):
    """Counts suggestions made by the model and those where it found no unseen candidate."""

    model_calls = 0
    fallbacks = 0

    def _model_suggest(self, rows):
        config = super()._model_suggest(rows)
        self.model_calls += 1
        self.fallbacks += config is None
        return config


def run(searcher, space, n, loss=None):
    configs = []
    for _ in range(n):
        config = searcher.suggest()
        if config is None:
            break
        searcher.pending(config)
        value = objective(config, space) if loss is None else loss(config)
        searcher.observe(config, {"loss": value})
        configs.append(config)
    return configs


def key(config):
    return tuple(config[k] for k in sorted(config))


@pytest.mark.parametrize("multivariate", [True, False])
def test_at_least_95_distinct_configs_in_100_on_a_finite_space(multivariate):
    # Syne Tune's TPE gave only 73-81 distinct configs in 100 on a finite tabular space
    assert grid_size(FINITE) == 2200
    for seed in range(5):
        searcher = CountingKDE(
            FINITE, metric="loss", random_seed=seed, random_fraction=0.0, multivariate=multivariate
        )
        configs = run(searcher, FINITE, 100)
        assert len(configs) == 100
        assert len({key(c) for c in configs}) >= 95
        assert len({key(c) for c in configs}) == 100  # no repeats at all
        # the model made the suggestions (not the random fallback)
        assert searcher.model_calls == 100 - 2 * searcher.num_min_data_points
        assert searcher.fallbacks <= 5


def test_finds_better_configs_than_random_search():
    configs = list(grid(FINITE))
    ranked = sorted(objective(c, FINITE) for c in configs)

    def rank_of_best(searcher):
        best = min(objective(c, FINITE) for c in run(searcher, FINITE, 60))
        return int(np.searchsorted(ranked, best))

    kde = [rank_of_best(KDESearcher(FINITE, metric="loss", random_seed=s)) for s in range(8)]
    rnd = [
        rank_of_best(SEARCHERS["random"](FINITE, metric="loss", random_seed=s)) for s in range(8)
    ]
    assert np.mean(kde) < np.mean(rnd) / 2


@pytest.mark.parametrize("multivariate", [True, False])
def test_model_concentrates_near_the_optimum(multivariate):
    space = {"x": uniform(0, 1), "lr": loguniform(1e-4, 1e-1)}
    searcher = KDESearcher(
        space, metric="loss", random_seed=0, random_fraction=0.0, multivariate=multivariate
    )
    run(searcher, space, 60, loss=lambda c: (c["x"] - 0.7) ** 2 + (np.log10(c["lr"]) + 2) ** 2)
    late = [searcher.suggest() for _ in range(20)]
    assert np.median([abs(c["x"] - 0.7) for c in late]) < 0.1
    assert np.median([abs(np.log10(c["lr"]) + 2) for c in late]) < 0.4


def test_mode_max_prefers_large_values():
    space = {"x": uniform(0, 1)}
    searcher = KDESearcher(space, metric="acc", mode="max", random_seed=1, random_fraction=0.0)
    for _ in range(40):
        config = searcher.suggest()
        searcher.observe(config, {"acc": config["x"]})
    assert np.median([searcher.suggest()["x"] for _ in range(10)]) > 0.8


def test_pending_evaluations_push_suggestions_away():
    space = {"x": uniform(0, 1)}

    def spread(consider_pending):
        searcher = KDESearcher(
            space,
            metric="loss",
            random_seed=3,
            random_fraction=0.0,
            consider_pending=consider_pending,
        )
        run(searcher, space, 30, loss=lambda c: abs(c["x"] - 0.5))
        suggested = []
        for _ in range(15):  # none of these returns a result
            config = searcher.suggest()
            searcher.pending(config)
            suggested.append(config["x"])
        return np.mean([abs(x - 0.5) for x in suggested])

    assert spread(True) > 1.5 * spread(False)


def test_failed_and_observed_configs_are_no_longer_pending():
    searcher = KDESearcher({"x": uniform(0, 1)}, metric="loss", random_seed=0)
    a, b = searcher.suggest(), searcher.suggest()
    searcher.pending(a)
    searcher.pending(b)
    searcher.failed(a)
    searcher.observe(b, {"loss": 1.0})
    assert searcher.state_dict()["pending"] == []


def test_model_uses_the_largest_level_with_enough_data():
    # BOHB: good and bad sets hold at least num_min_data_points each, so a level needs twice
    space = {"x": uniform(0, 1), "y": uniform(0, 1)}
    searcher = KDESearcher(space, metric="loss", random_seed=0, num_min_data_points=3)
    assert searcher.model_level() is None
    configs = [searcher.suggest() for _ in range(7)]
    for c in configs[:5]:
        searcher.observe(c, {"loss": c["x"]}, resource=1)
    assert searcher.model_level() is None  # 5 < 2 * 3
    for c in configs[5:]:
        searcher.observe(c, {"loss": c["x"]}, resource=1)
    assert searcher.model_level() == 1
    for c in configs[:5]:
        searcher.observe(c, {"loss": c["x"]}, resource=3)
    assert searcher.model_level() == 1  # 5 < 6 results at level 3
    searcher.observe(configs[5], {"loss": 0.0}, resource=3)
    assert searcher.model_level() == 3
    assert searcher.num_observations(3) == 6 and searcher.num_observations(1) == 7
    assert searcher.num_observations() == 0


def test_every_kind_of_domain_gives_valid_configs():
    space = {
        "lr": loguniform(1e-5, 1e-1),
        "small_int": randint(-3, 3),  # ordered table
        "small_log_int": lograndint(1, 20),  # ordered table with log slices
        "big_int": randint(0, 1000),  # real column, snapped
        "big_log_int": lograndint(1, 5000),
        "fine": finrange(0.0, 1.0, 40),  # more than 32 values: real column
        "level": ordinal(list(range(50))),
        "flag": choice([True, False]),
        "single": choice(["only"]),
        "const": "c",
    }
    searcher = KDESearcher(space, metric="loss", random_seed=0, random_fraction=0.0)
    configs = run(searcher, space, 60, loss=lambda c: abs(c["big_int"] - 400) + c["small_int"])
    for config in configs:
        assert config_errors(space, config) == []
    assert len({key(c) for c in configs}) == 60
    late = run(searcher, space, 20, loss=lambda c: 0.0)
    assert np.median([abs(c["big_int"] - 400) for c in late]) < 250


def test_state_round_trip_keeps_levels_and_pending():
    space = {"x": uniform(0, 1), "c": choice(["a", "b"])}
    original = KDESearcher(space, metric="loss", random_seed=4, num_min_data_points=3)
    for i in range(8):
        config = original.suggest()
        original.observe(config, {"loss": config["x"]}, resource=1 + i % 2)
    original.pending(original.suggest(), resource=2)
    state = json.loads(json.dumps(original.state_dict()))
    clone = KDESearcher(space, metric="loss", random_seed=4, num_min_data_points=3)
    clone.load_state_dict(state)
    for part in ("observations", "pending", "rng"):
        assert clone.state_dict()[part] == original.state_dict()[part]
    assert [clone.suggest() for _ in range(5)] == [original.suggest() for _ in range(5)]


def test_observations_are_marked_seen():
    searcher = KDESearcher({"a": randint(0, 1)}, metric="loss", random_seed=0)
    searcher.observe({"a": 0}, {"loss": 1.0})  # evaluated elsewhere
    assert searcher.suggest() == {"a": 1}
    assert searcher.suggest() is None


def test_registered_by_name():
    assert SEARCHERS["kde"] is KDESearcher


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gamma": 0.0}, "`gamma` must be a number in \\(0.0, 1.0\\), but got 0.0"),
        ({"gamma": 1}, "`gamma` must be a number in \\(0.0, 1.0\\), but got 1"),
        ({"num_min_data_points": 1}, "`num_min_data_points` must be an int >= 2, but got"),
        ({"num_candidates": 0}, "`num_candidates` must be an int >= 1, but got num_candidates=0"),
        ({"bandwidth_factor": -1}, "`bandwidth_factor` must be a number in \\(0.0, inf\\)"),
        ({"min_bandwidth": 0}, "`min_bandwidth` must be a number in \\(0.0, 1.0\\]"),
        ({"random_fraction": 1.5}, "`random_fraction` must be a number in \\[0.0, 1.0\\]"),
        ({"prior_weight": -1}, "`prior_weight` must be a number in \\[0.0, inf\\)"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        KDESearcher(MIXED_SPACE, metric="loss", **kwargs)


def test_observe_needs_the_metric():
    searcher = KDESearcher({"x": uniform(0, 1)}, metric="loss", random_seed=0)
    with pytest.raises(ValueError, match="the result has no metric 'loss'"):
        searcher.observe(searcher.suggest(), {"acc": 1.0})
    unconfigured = KDESearcher({"x": uniform(0, 1)}, random_seed=0)
    with pytest.raises(ValueError, match="the searcher has no metric"):
        unconfigured.observe({"x": 0.5}, {"loss": 1.0})


# -- restrict_configurations ---------------------------------------------------------------------


class CountingRestrictedKDE(KDESearcher):
    model_calls = 0

    def _model_suggest_restricted(self, rows):
        self.model_calls += 1
        return super()._model_suggest_restricted(rows)


def _table(space, n, seed=7):
    from tunesmith.space import sample_config

    rng = np.random.default_rng(seed)
    return [sample_config(space, rng) for _ in range(n)]


@pytest.mark.parametrize("multivariate", [True, False])
def test_restricted_model_suggests_table_configs_near_the_optimum(multivariate):
    space = {"x": uniform(0, 1), "lr": loguniform(1e-4, 1e-1), "b": choice(["u", "v", "w"])}
    table = _table(space, 400)
    keys = {key(c) for c in table}

    def loss(c):
        return (c["x"] - 0.7) ** 2 + 0.1 * (np.log10(c["lr"]) + 2) ** 2 + 0.2 * (c["b"] != "v")

    def late_losses(**options):
        out = []
        for seed in range(4):
            searcher = CountingRestrictedKDE(
                space, metric="loss", random_seed=seed, restrict_configurations=table, **options
            )
            configs = run(searcher, space, 60, loss=loss)
            assert {key(c) for c in configs} <= keys
            assert len({key(c) for c in configs}) == 60
            out += [loss(c) for c in configs[30:]]
            if options.get("random_fraction") == 0.0:
                assert searcher.model_calls == 60 - 2 * searcher.num_min_data_points
        return np.median(out)

    model = late_losses(random_fraction=0.0, multivariate=multivariate)
    random = late_losses(random_fraction=1.0)
    assert model < random / 2


def test_restricted_model_exhausts_the_table_without_repeats():
    space = {"x": uniform(0, 1), "b": choice(["u", "v"])}
    table = _table(space, 25)
    searcher = CountingRestrictedKDE(
        space,
        metric="loss",
        random_seed=0,
        random_fraction=0.0,
        num_min_data_points=2,
        restrict_configurations=table,
    )
    configs = run(searcher, space, 40, loss=lambda c: c["x"])
    assert len(configs) == 25
    assert {key(c) for c in configs} == {key(c) for c in table}
    assert searcher.model_calls == 25 - 4 + 1  # the last call finds no config left
    assert searcher.suggest() is None


def test_restricted_model_state_round_trip():
    space = {"x": uniform(0, 1), "n": randint(1, 50), "b": choice(["u", "v"])}
    table = _table(space, 200)

    def make():
        return KDESearcher(
            space,
            metric="loss",
            random_seed=3,
            random_fraction=0.3,
            num_min_data_points=3,
            restrict_configurations=table,
        )

    original = make()
    run(original, space, 20, loss=lambda c: c["x"] + c["n"] / 50)
    clone = make()
    clone.load_state_dict(json.loads(json.dumps(original.state_dict())))
    loss = lambda c: abs(c["x"] - 0.3)  # noqa: E731
    assert run(clone, space, 15, loss=loss) == run(original, space, 15, loss=loss)


@pytest.mark.parametrize("multivariate", [True, False])
def test_widened_density_is_the_one_candidates_are_sampled_from(multivariate):
    # restricted suggestions weigh table configs by the density that unrestricted candidates
    # are drawn from: check the two agree on discrete columns (ordered and categorical)
    from tunesmith.searchers.kde import _Layout, _Parzen

    space = {"n": randint(0, 9), "b": choice(["u", "v", "w", "z"])}
    layout = _Layout(space)
    rows = [layout.encode(c) for c in [{"n": 2, "b": "u"}, {"n": 3, "b": "u"}, {"n": 7, "b": "w"}]]
    real = np.zeros((3, 0))
    index = np.array([i for _, i in rows], dtype=np.intp)
    options = {"multivariate": multivariate, "min_bandwidth": 1e-3, "prior_weight": 1.0}
    good = _Parzen(layout, real, index, **options)
    # a factor of 3 would widen the categorical kernel to uniform, hiding a mismatch
    wide = _Parzen(layout, real, index, bandwidth_scale=1.5, joint=True, **options)
    _, drawn = good.sample(np.random.default_rng(0), 200_000, 1.5)
    cells = np.array([(n, b) for n in range(10) for b in range(4)], dtype=np.intp)
    searcher = KDESearcher(space, metric="loss")
    onehot = searcher._onehot(cells)
    density = np.exp(wide.log_density(np.zeros((40, 0)), cells, onehot))
    assert density.sum() == pytest.approx(1.0)
    counts = np.zeros(40)
    np.add.at(counts, drawn[:, 0] * 4 + drawn[:, 1], 1)
    assert np.abs(counts / len(drawn) - density).max() < 0.002


def test_withdraw_leaves_the_densities_of_the_remaining_observations():
    """Results between rung levels replaced by the next one (``withdraw``, as a scheduler with
    ``searcher_data="rungs_and_last"`` does): the levels' rows and the model's densities equal
    those of a fresh searcher fed the remaining observations."""

    def make():
        return KDESearcher(MIXED_SPACE, metric="loss", random_seed=4, num_min_data_points=3)

    original = make()
    remaining = []
    configs = [original.suggest() for _ in range(12)]
    for epoch in range(1, 10):  # all trials report epoch by epoch; rungs at 1, 3 and 9
        for i, config in enumerate(configs):
            if epoch > (3 if i < 2 else 8 if i < 8 else 9):  # (stopped at rung 3, or ended
                continue  # at level 8, between rungs: the model's level, which lost 4 rows)
            if epoch - 1 not in (0, 1, 3):
                original.withdraw(config, resource=epoch - 1)
                remaining.remove((config, epoch - 1))
            original.observe(config, {"loss": objective(config, MIXED_SPACE, epoch)}, epoch)
            remaining.append((config, epoch))
    original.withdraw(configs[0], resource=2)  # nothing there (withdrawn before): ignored
    fresh = make()
    assert [fresh.suggest() for _ in range(12)] == configs
    for config, epoch in remaining:
        fresh.observe(config, {"loss": objective(config, MIXED_SPACE, epoch)}, epoch)
    assert sorted(original._rows) == sorted(fresh._rows) == [1, 3, 8, 9]  # (2, 4-7: emptied)
    for level, rows in original._rows.items():
        other = fresh._rows[level]
        assert rows.keys == other.keys and rows.n == other.n
        for name in ("real", "index", "y"):
            assert np.array_equal(getattr(rows, name)[: rows.n], getattr(other, name)[: rows.n])
    level = original.model_level()
    assert level == fresh.model_level() == 8
    rng = np.random.default_rng(0)
    densities = original._densities(original._rows[level])
    real, index = densities[0].sample(rng, 50, 3.0)
    onehot = original._onehot(index)
    for a, b in zip(densities, fresh._densities(fresh._rows[level]), strict=True):
        assert np.array_equal(
            a.log_density(real, index, onehot), b.log_density(real, index, onehot)
        )
    assert original.suggest() == fresh.suggest()
