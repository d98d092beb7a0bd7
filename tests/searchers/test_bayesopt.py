"""GPSearcher: the searcher contract, optimization, pending configs, constraints, costs, state."""

import json
import math

import numpy as np
import pytest
from scipy import stats

from tunesmith import AskTell, RandomSearcher, choice, randint, uniform
from tunesmith.schedulers import ASHA, FIFOScheduler
from tunesmith.searchers import SEARCHERS
from tunesmith.searchers.bayesopt import GPSearcher, transform_targets
from tunesmith.searchers.mobster import GPMultiFidelitySearcher
from tunesmith.space import config_errors
from tunesmith.testing.searcher_contract import SearcherContract
from tunesmith.testing.spaces import MIXED_SPACE, objective


class TestGPSearcherContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return GPSearcher(config_space, metric="loss", random_seed=random_seed, **kwargs)


class TestGPSearcherAppendPathContract(SearcherContract):
    """Refits stop after 4 observations: the Cholesky update and its rebuild after loading a
    state are exercised, as well as LCB and input warping."""

    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return GPSearcher(
            config_space,
            metric="loss",
            random_seed=random_seed,
            num_init_random=3,
            refit_until=4,
            refit_growth=0.5,
            acquisition="lcb",
            input_warping=True,
            num_candidates=300,
            **kwargs,
        )


def _branin(config):
    x, y = 15 * config["x"] - 5, 15 * config["y"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


BRANIN = {"x": uniform(0, 1), "y": uniform(0, 1)}


def _minimize(searcher, f, n, space=None):
    best = math.inf
    for _ in range(n):
        config = searcher.suggest()
        searcher.pending(config)
        value = f(config) if space is None else f(config, space)
        searcher.observe(config, {"loss": value})
        best = min(best, value)
    return best


def test_beats_random_search_on_branin():
    gp = [
        _minimize(GPSearcher(BRANIN, metric="loss", random_seed=s), _branin, 30) for s in range(3)
    ]
    rs = [
        _minimize(RandomSearcher(BRANIN, metric="loss", random_seed=s), _branin, 30)
        for s in range(3)
    ]
    assert np.median(gp) < 0.6  # the minimum is 0.3979
    assert np.median(gp) < np.median(rs)


def test_beats_random_search_on_the_mixed_space():
    kwargs = {"metric": "loss", "random_seed": 0}
    gp = _minimize(GPSearcher(MIXED_SPACE, **kwargs), objective, 40, MIXED_SPACE)
    rs = _minimize(RandomSearcher(MIXED_SPACE, **kwargs), objective, 40, MIXED_SPACE)
    assert gp < rs


def test_maximization():
    searcher = GPSearcher(BRANIN, metric="score", mode="max", random_seed=0)
    best = -math.inf
    for _ in range(25):
        config = searcher.suggest()
        value = -_branin(config)
        searcher.observe(config, {"score": value})
        best = max(best, value)
    assert best > -1.5


def test_pending_configs_are_fantasized_so_parallel_workers_spread_out():
    searcher = GPSearcher(BRANIN, metric="loss", random_seed=0, num_init_random=6)
    for _ in range(6):
        config = searcher.suggest()
        searcher.observe(config, {"loss": _branin(config)})
    batch = []
    for _ in range(4):
        config = searcher.suggest()
        searcher.pending(config)
        batch.append((config["x"], config["y"]))
    distances = [np.hypot(a[0] - b[0], a[1] - b[1]) for a in batch for b in batch if a < b]
    assert min(distances) > 0.02
    # without the pending configs, the model would propose (nearly) the first one again
    fresh = GPSearcher(BRANIN, metric="loss", random_seed=0, num_init_random=6)
    fresh.load_state_dict({**searcher.state_dict(), "pending": []})
    assert fresh._pending == {}


def test_never_suggests_an_observed_pending_or_failed_config():
    space = {"a": randint(0, 5), "b": choice(["x", "y"])}
    searcher = GPSearcher(space, metric="loss", random_seed=0, num_init_random=2)
    keys = []
    for i in range(12):
        config = searcher.suggest()
        keys.append((config["a"], config["b"]))
        if i % 3 == 0:
            searcher.pending(config)
        elif i % 3 == 1:
            searcher.failed(config)
        else:
            searcher.observe(config, {"loss": config["a"]})
    assert len(set(keys)) == 12
    assert searcher.suggest() is None


def test_restrict_configurations():
    table = [{"x": x / 10, "y": y / 10} for x in range(11) for y in range(0, 11, 2)]
    searcher = GPSearcher(BRANIN, metric="loss", random_seed=0, restrict_configurations=table)
    seen = []
    while (config := searcher.suggest()) is not None:
        assert config in table
        seen.append(config)
        searcher.observe(config, {"loss": _branin(config)})
    assert len(seen) == len(table)
    with pytest.raises(ValueError, match="restrict_configurations\\[1\\]"):
        GPSearcher(BRANIN, metric="loss", restrict_configurations=[{"x": 0.5}, {"x": 7.0}])


def test_restrict_configurations_prefers_good_ones():
    table = [{"x": x / 20, "y": y / 20} for x in range(21) for y in range(21)]
    searcher = GPSearcher(BRANIN, metric="loss", random_seed=1, restrict_configurations=table)
    best = _minimize(searcher, _branin, 25)
    assert best < 1.5


def test_constrained_search_prefers_feasible_configs():
    def run(searcher):
        feasible = []
        for _ in range(30):
            config = searcher.suggest()
            c = 0.5 - config["x"]  # feasible iff x >= 0.5; the unconstrained optimum is at x=0
            searcher.observe(config, {"loss": config["x"] ** 2 + config["y"] ** 2, "c": c})
            feasible.append(c <= 0)
        return feasible

    constrained = run(GPSearcher(BRANIN, metric="loss", constraint_attr="c", random_seed=0))
    assert sum(constrained[10:]) >= 17
    plain = run(GPSearcher(BRANIN, metric="loss", random_seed=0))
    assert sum(constrained[10:]) > sum(plain[10:])


def test_cost_aware_search_prefers_cheap_configs():
    def run(searcher):
        costs = []
        for _ in range(30):
            config = searcher.suggest()
            cost = math.exp(4 * config["y"])  # y does not change the loss, only the cost
            searcher.observe(config, {"loss": (config["x"] - 0.3) ** 2, "cost": cost})
            costs.append(cost)
        return costs

    aware = run(GPSearcher(BRANIN, metric="loss", cost_attr="cost", random_seed=0))
    plain = run(GPSearcher(BRANIN, metric="loss", random_seed=0))
    assert np.median(aware[10:]) < np.median(plain[10:])


def test_observation_errors_name_the_value():
    searcher = GPSearcher(BRANIN, metric="loss", cost_attr="cost", random_seed=0)
    config = searcher.suggest()
    with pytest.raises(ValueError, match="the result has no metric 'cost'"):
        searcher.observe(config, {"loss": 1.0})
    with pytest.raises(ValueError, match="cost 'cost' must be > 0, but got 0.0"):
        searcher.observe(config, {"loss": 1.0, "cost": 0})
    for transform in ("boxcox", "log"):
        positive = GPSearcher(BRANIN, metric="loss", target_transform=transform, random_seed=0)
        message = f"target_transform='{transform}' needs metric 'loss' > 0, but got -1.0"
        with pytest.raises(ValueError, match=message):
            positive.observe(config, {"loss": -1.0})
    with pytest.raises(ValueError, match="the searcher has no metric"):
        GPSearcher(BRANIN).observe(config, {"loss": 1.0})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"acquisition": "pi"}, "`acquisition` must be one of \\['ei', 'lcb'\\]"),
        ({"acquisition": "lcb", "cost_attr": "t"}, "need acquisition='ei'"),
        ({"target_transform": "rank"}, "`target_transform` must be one of"),
        ({"num_candidates": 0}, "`num_candidates` must be an int >= 1, but got num_candidates=0"),
        ({"max_size_data_for_model": 1}, "`max_size_data_for_model` must be an int >= 2"),
        ({"refit_growth": -1}, "`refit_growth` must be a number in \\[0.0, inf\\]"),
        ({"constraint_attr": ""}, "`constraint_attr` must be a non-empty name or None"),
        ({"restrict_configurations": []}, "`restrict_configurations` must not be empty"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GPSearcher(BRANIN, metric="loss", **kwargs)


@pytest.mark.parametrize("transform", ["log", "boxcox", "yeo-johnson", "copula"])
def test_target_transforms(transform):
    searcher = GPSearcher(BRANIN, metric="loss", random_seed=0, target_transform=transform)
    assert _minimize(searcher, _branin, 25) < 3.0


def test_copula_targets_are_normal_quantiles_of_the_ranks():
    values = np.array([0.3, 100.0, 0.1, 0.2, 0.2])  # one outlier, one tie
    z = transform_targets(values, "copula")
    expected = stats.norm.ppf(np.array([4.0, 5.0, 1.0, 2.5, 2.5]) / 6)
    np.testing.assert_allclose(z, expected)
    # only the order matters: any increasing function of the metric gives the same targets
    np.testing.assert_allclose(transform_targets(np.exp(values), "copula"), expected)
    np.testing.assert_allclose(transform_targets(values, "log"), np.log(values))
    np.testing.assert_array_equal(transform_targets(values, "standardize"), values)


@pytest.mark.parametrize("mode", ["min", "max"])
def test_copula_model_sees_the_same_targets_for_monotone_metrics(mode):
    """A searcher with the copula transform suggests the same configs whether the metric is
    reported as is or through an increasing function of it."""

    def run(f):
        searcher = GPSearcher(
            BRANIN, metric="loss", mode=mode, target_transform="copula", random_seed=3
        )
        configs = []
        for _ in range(12):
            config = searcher.suggest()
            configs.append(config)
            sign = 1.0 if mode == "min" else -1.0
            searcher.observe(config, {"loss": f(sign * _branin(config))})
        return configs

    assert run(lambda v: v) == run(lambda v: math.exp(v / 100.0) - 5.0)


def test_data_cap_keeps_the_best_and_bounds_the_model():
    searcher = GPSearcher(
        BRANIN, metric="loss", random_seed=0, max_size_data_for_model=20, refit_until=10
    )
    values = []
    for _ in range(45):
        config = searcher.suggest()
        values.append(_branin(config))
        searcher.observe(config, {"loss": values[-1]})
    rows = searcher._rows
    assert len(rows) < 45
    assert int(np.argmin(values)) in rows or int(np.argmin(values)) >= searcher._upto - 5
    assert searcher._fit_n > 20


def test_state_after_the_append_path_continues_identically():
    def make():
        return GPSearcher(BRANIN, metric="loss", random_seed=4, refit_until=6, refit_growth=0.3)

    original = make()
    _minimize(original, _branin, 20)
    assert original._n_full < len(original._rows)  # some rows were appended
    state = json.loads(json.dumps(original.state_dict()))
    clone = make()
    clone.load_state_dict(state)
    a = [original.suggest() for _ in range(3)]
    b = [clone.suggest() for _ in range(3)]
    assert a == b
    assert np.array_equal(original._gps[0].L, clone._gps[0].L)


@pytest.mark.parametrize("transform", ["boxcox", "yeo-johnson"])
def test_power_transform_is_refitted_with_the_hyperparameters_only(transform):
    """The power transform's parameter is fitted (by maximum likelihood, as scipy does) at each
    refit of the GP's hyperparameters, on the model's data, and kept in between: the targets
    the GP was fitted to keep their meaning. A loaded state continues identically."""

    def make():
        return GPSearcher(
            BRANIN,
            metric="loss",
            random_seed=5,
            target_transform=transform,
            refit_until=8,
            refit_growth=0.5,
        )

    def fit(values):
        return stats.boxcox(values)[1] if transform == "boxcox" else stats.yeojohnson(values)[1]

    original = make()
    _minimize(original, _branin, 15)  # refits at 5..8 results and at 12 (50 % more), not later
    assert original._fit_n == 12 == original._n_full
    metric = np.array([original._values[i][0] for i in original._rows])
    fitted = fit(metric[:12])
    assert original._power == pytest.approx(fitted)
    assert original._power != pytest.approx(fit(metric))  # the 3 later results left it as is
    state = json.loads(json.dumps(original.state_dict()))
    clone = make()
    clone.load_state_dict(state)
    assert clone._power == original._power
    assert [original.suggest() for _ in range(3)] == [clone.suggest() for _ in range(3)]
    np.testing.assert_allclose(
        transform_targets(metric[:12], transform), transform_targets(metric[:12], transform, fitted)
    )


def test_registered_by_name_and_used_by_fifo():
    assert SEARCHERS["bayesopt"] is GPSearcher
    scheduler = FIFOScheduler(BRANIN, searcher="bayesopt", metric="loss", random_seed=0)
    at = AskTell(scheduler)
    for _ in range(8):
        trial = at.ask()
        at.tell(trial, {"loss": _branin(trial.config)})
    assert scheduler.searcher.num_observations == 8


def test_inside_asha_keeps_the_highest_resource_per_config():
    searcher = GPSearcher(MIXED_SPACE, random_seed=0, num_init_random=3)
    at = AskTell(ASHA(MIXED_SPACE, searcher=searcher, metric="loss", random_seed=0))
    for _ in range(12):
        trial = at.ask()
        for epoch in range(1, 10):
            result = {"epoch": epoch, "loss": objective(trial.config, MIXED_SPACE, epoch)}
            if epoch == 9:
                at.tell(trial, result)
                break
            if at.report(trial, result).value != "continue":
                break
    assert searcher.num_observations == 12
    for config, resource in zip(searcher._configs, searcher._resources, strict=True):
        assert config_errors(MIXED_SPACE, config) == []
        assert resource in (1, 3, 9)
    assert 9 in searcher._resources


# -- the multi-fidelity searcher of MOBSTER --------------------------------------------------
class TestGPMultiFidelitySearcherContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return GPMultiFidelitySearcher(
            config_space, max_t=9, metric="loss", random_seed=random_seed, **kwargs
        )


class TestGPMultiFidelityIndependentContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return GPMultiFidelitySearcher(
            config_space,
            max_t=9,
            model="independent",
            metric="loss",
            random_seed=random_seed,
            refit_until=5,
            **kwargs,
        )


def _curves(searcher, n, levels=(1, 3, 9)):
    """Observe ``n`` suggested configs at each of ``levels`` (a pending one at the next)."""
    for _ in range(n):
        config = searcher.suggest()
        for level in levels:
            searcher.pending(config, resource=level)
            loss = objective(config, MIXED_SPACE, level)
            searcher.observe(config, {"loss": loss}, resource=level)


@pytest.mark.parametrize("model", ["joint", "independent"])
def test_multi_fidelity_keeps_one_row_per_level_and_round_trips(model):
    def make():
        return GPMultiFidelitySearcher(
            MIXED_SPACE, max_t=9, model=model, metric="loss", random_seed=2, refit_until=8
        )

    searcher = make()
    _curves(searcher, 8)
    assert searcher.num_observations == 24
    assert searcher._pending == {}
    config = searcher.suggest()
    searcher.pending(config, resource=1)
    if model == "independent":
        assert searcher.acquisition_level() == 9
        assert len(searcher._rows) == 8
    clone = make()
    clone.load_state_dict(json.loads(json.dumps(searcher.state_dict())))
    _curves(searcher, 3)
    _curves(clone, 3)
    assert [searcher.suggest() for _ in range(2)] == [clone.suggest() for _ in range(2)]


def test_independent_model_acquires_at_the_highest_populated_level():
    searcher = GPMultiFidelitySearcher(
        MIXED_SPACE, max_t=9, model="independent", metric="loss", min_level_observations=3
    )
    _curves(searcher, 4, levels=(1,))
    _curves(searcher, 2, levels=(1, 3))
    assert searcher.acquisition_level() == 1
    _curves(searcher, 1, levels=(1, 3))
    assert searcher.acquisition_level() == 3


def test_multi_fidelity_bad_arguments():
    with pytest.raises(ValueError, match="`max_t` must be an int >= 1"):
        GPMultiFidelitySearcher(MIXED_SPACE, max_t=0)
    with pytest.raises(ValueError, match="`model` must be one of \\['joint', 'independent'\\]"):
        GPMultiFidelitySearcher(MIXED_SPACE, max_t=9, model="freeze-thaw")
    with pytest.raises(ValueError, match="input_warping=True needs model='independent'"):
        GPMultiFidelitySearcher(MIXED_SPACE, max_t=9, input_warping=True)


def test_multi_fidelity_target_transform_defaults_to_copula_for_the_joint_model():
    def transform(**kwargs):
        return GPMultiFidelitySearcher(BRANIN, max_t=9, **kwargs).target_transform

    assert transform() == "copula"
    assert transform(model="independent") == "standardize"
    assert transform(target_transform="log") == "log"
    assert transform(model="independent", target_transform="copula") == "copula"


@pytest.mark.parametrize(
    ("model", "transform", "noise"),
    [
        ("joint", "standardize", 0.0),
        ("independent", None, 0.0),  # default: standardize
        # default: copula. Noise-free, the ranks of the best configs would turn differences of
        # 1e-4 in x into gaps between normal quantiles, which the GP would put down to y.
        ("joint", None, 0.01),
    ],
)
def test_cost_aware_multi_fidelity_search_prefers_cheap_configs(model, transform, noise):
    rng = np.random.default_rng(0)

    def run(searcher):
        costs = []
        for _ in range(30):
            config = searcher.suggest()
            per_level = math.exp(4 * config["y"])  # y does not change the loss, only the cost
            for level in (1, 3, 9):  # the cost is cumulative: it grows with the resource
                loss = (config["x"] - 0.3) ** 2 + 1.0 / level + noise * rng.standard_normal()
                metrics = {"loss": loss, "time": level * per_level}
                searcher.observe(config, metrics, resource=level)
            costs.append(per_level)
        return costs

    def make(**options):
        return GPMultiFidelitySearcher(
            BRANIN,
            max_t=9,
            model=model,
            metric="loss",
            random_seed=0,
            target_transform=transform,
            **options,
        )

    aware = run(make(cost_attr="time"))
    plain = run(make())
    assert np.median(aware[10:]) < np.median(plain[10:]) / 2


def _rungs_and_last(searcher, n_trials, *, after_each=None, n_workers=3, rungs=(1, 3, 9)):
    """Trials on ``n_workers`` workers report epochs 1 to 9, observed as a scheduler with
    ``searcher_data="rungs_and_last"`` passes them on: a result between ``rungs`` replaces the
    trial's previous one there (``withdraw``). ``after_each(searcher)`` runs after every result.
    Returns the remaining observations ``(config, metrics, level)`` in order of arrival."""
    remaining: list[tuple] = []
    running: dict[int, list] = {}  # worker -> [config, next epoch, level between rungs]
    started, step = 0, 0
    while started < n_trials or running:
        worker = step % n_workers
        step += 1
        if worker not in running:
            if started == n_trials:
                continue
            running[worker] = [searcher.suggest(), 1, 0]
            started += 1
        config, epoch, between = running[worker]
        metrics = {"loss": objective(config, MIXED_SPACE, epoch)}
        if between:
            searcher.withdraw(config, resource=between)
            remaining.remove(next(o for o in remaining if o[0] == config and o[2] == between))
        searcher.observe(config, metrics, resource=epoch)
        remaining.append((config, metrics, epoch))
        running[worker][1:] = [epoch + 1, 0 if epoch in rungs else epoch]
        if epoch == 9:
            del running[worker]
        if after_each is not None:
            after_each(searcher)
    return remaining


@pytest.mark.parametrize("model", ["joint", "independent"])
def test_multi_fidelity_withdraw_leaves_the_model_of_the_remaining_observations(model):
    """Observations withdrawn while rows of the Cholesky factor (factorized at once or
    appended), or before entering it: the data and the model's predictions (with the same
    hyperparameters) equal those of a fresh searcher fed the remaining observations."""

    def make():
        return GPMultiFidelitySearcher(
            MIXED_SPACE,
            max_t=9,
            model=model,
            metric="loss",
            random_seed=5,
            num_init_random=3,
            min_level_observations=3,
            refit_until=8,
            refit_growth=0.3,
        )

    where: set[str] = set()  # where the withdrawn rows were: "full", "appended", "outside"
    original = make()
    withdraw = original.withdraw

    def spy(config, resource=None):
        i = original._index[original._row_key(config, resource)]
        p = original._rows.index(i) if i in original._rows else None
        where.add("outside" if p is None else "full" if p < original._n_full else "appended")
        withdraw(config, resource)

    original.withdraw = spy

    calls = []

    def update(searcher):  # (after every fourth result: some rows wait outside the factor)
        calls.append(1)
        if len(calls) % 4 == 0 and len(searcher._eligible()) >= 2:
            searcher._update_model()

    remaining = _rungs_and_last(original, 8, after_each=update)
    # (the independent model's rows are at one level, mostly a rung level: none appended)
    expected = {"full", "outside"} if model == "independent" else {"full", "appended", "outside"}
    assert where == expected
    fresh = make()
    for config, metrics, level in remaining:
        fresh.observe(config, metrics, resource=level)
    n = fresh.num_observations
    assert original.num_observations == n == len(remaining)
    assert original._configs == fresh._configs and original._values == fresh._values
    assert original._resources == fresh._resources
    assert np.array_equal(original._X[:n], fresh._X[:n])
    assert original._index == fresh._index
    original._update_model()
    fresh._update_model()
    assert original._rows == fresh._rows
    gp, reference = original._gps[0], fresh._gps[0]
    reference.set_params(gp.params)
    reference.set_data(fresh._inputs(fresh._rows))
    reference.set_targets(fresh._y[0][0])
    np.testing.assert_allclose(original._y[0][0], fresh._y[0][0], rtol=0, atol=1e-12)
    X = np.random.default_rng(0).random((50, gp.dim))
    (m1, v1), (m2, v2) = gp.predict(X), reference.predict(X)
    np.testing.assert_allclose(m1, m2, rtol=0, atol=1e-8)
    np.testing.assert_allclose(v1, v2, rtol=0, atol=1e-8)


def test_multi_fidelity_factor_after_withdrawals_is_the_one_a_loaded_state_rebuilds():
    """Withdrawn rows of the factor: a factorized one makes it rebuilt, an appended one cuts it
    there and appends the later rows again; either way the factor is, bit for bit, the one a
    searcher loaded from the state rebuilds, and both continue identically."""

    def make():
        return GPMultiFidelitySearcher(
            MIXED_SPACE,
            max_t=9,
            metric="loss",
            random_seed=1,
            num_init_random=3,
            refit_until=5,
            refit_growth=0.3,
        )

    paths: list[str] = []
    calls = []

    def check(searcher):
        calls.append(1)
        if len(calls) % 3 or len(searcher._eligible()) < 2:
            return
        state = json.loads(json.dumps(searcher.state_dict()))
        paths.append("rebuilt" if searcher._stale else "cut" if searcher._kept else "-")
        searcher._update_model()
        clone = make()
        clone.load_state_dict(state)
        clone._update_model()
        assert np.array_equal(searcher._gps[0].L, clone._gps[0].L)
        assert np.array_equal(searcher._gps[0].alpha, clone._gps[0].alpha)

    original = make()
    _rungs_and_last(original, 10, after_each=check)
    assert {"rebuilt", "cut"} <= set(paths)
    config = original._configs[-1]
    original.withdraw(config, resource=1000)  # (nothing observed there: ignored)
    clone = make()
    clone.load_state_dict(json.loads(json.dumps(original.state_dict())))
    assert [original.suggest() for _ in range(3)] == [clone.suggest() for _ in range(3)]


def test_withdraw_is_a_no_op_for_one_row_per_config():
    searcher = GPSearcher(MIXED_SPACE, metric="loss", random_seed=0)
    config = searcher.suggest()
    searcher.observe(config, {"loss": 1.0}, resource=2)
    searcher.withdraw(config, resource=2)
    assert searcher.num_observations == 1
    searcher.observe(config, {"loss": 0.5}, resource=3)  # the next result replaces it
    assert searcher._values == [[0.5]] and searcher._resources == [3]
