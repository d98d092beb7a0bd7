"""HyperTuneSearcher's pieces: the ranking loss, leave-one-out predictions, joint samples, the
weights and the ensemble acquisition."""

import numpy as np
import pytest

from tunesmith import uniform
from tunesmith.searchers.gp import GaussianProcess
from tunesmith.searchers.hypertune import (
    HyperTuneSearcher,
    _Ensemble,
    _joint_samples,
    _leave_one_out,
    ranking_losses,
)

SPACE = {"x": uniform(0, 1), "y": uniform(0, 1)}


def test_ranking_loss_counts_discordant_pairs():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    samples = np.array([[0.0, 1.0, 2.0, 3.0], [3.0, 2.0, 1.0, 0.0], [1.0, 0.0, 2.0, 3.0]])
    assert ranking_losses(samples, y).tolist() == [0.0, 1.0, pytest.approx(1 / 6)]
    assert ranking_losses(samples[:, :1], y[:1]).tolist() == [0.0, 0.0, 0.0]


def _gp(n=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))
    y = np.sin(5 * X[:, 0]) + X[:, 1] + 0.05 * rng.standard_normal(n)
    gp = GaussianProcess(2)
    gp.set_params(gp.layout.default())
    gp.set_data(X)
    gp.set_targets(y)
    return gp, X, y


def test_leave_one_out_matches_refitting_without_the_point():
    gp, X, y = _gp()
    positions = [0, 4, 7]
    mean, var = _leave_one_out(gp, positions, y)
    for k, i in enumerate(positions):
        keep = [j for j in range(len(y)) if j != i]
        other = GaussianProcess(2)
        other.set_params(gp.params)
        other.set_data(X[keep])
        other.set_targets(y[keep])
        m, v = other.predict(X[i : i + 1])
        assert mean[k] == pytest.approx(m[0], rel=1e-6, abs=1e-8)
        assert var[k] == pytest.approx(v[0] + gp.noise + 1e-8, rel=1e-5)


def test_joint_samples_have_the_posterior_mean_and_covariance():
    gp, _, _ = _gp()
    Xc = np.array([[0.1, 0.2], [0.12, 0.2], [0.9, 0.9]])
    samples = _joint_samples(gp, Xc, 20000, np.random.default_rng(0))
    mean, var = gp.predict(Xc)
    assert np.allclose(samples.mean(axis=0), mean, atol=0.05)
    assert np.allclose(samples.var(axis=0), var, rtol=0.1, atol=1e-3)
    # close inputs: strongly correlated samples
    assert np.corrcoef(samples[:, 0], samples[:, 1])[0, 1] > 0.9


def test_ensemble_is_the_mixture_of_its_parts():
    gp_a, _, _ = _gp(seed=1)
    gp_b, _, _ = _gp(seed=2)
    Xc = np.random.default_rng(3).random((5, 2))
    ens = _Ensemble([(0.3, gp_a, lambda C: C, None), (0.7, gp_b, lambda C: C, None)])
    mean, var = ens.predict(Xc)
    ma, va = gp_a.predict(Xc)
    mb, vb = gp_b.predict(Xc)
    assert np.allclose(mean, 0.3 * ma + 0.7 * mb)
    assert np.allclose(var, 0.3 * (va + ma**2) + 0.7 * (vb + mb**2) - mean**2)


def _feed(searcher, n=20):
    """Configs observed at levels 1 and 3 (all), 9 (the first 8): the order at 9 is the order at
    3, and the reverse of the order at 1."""
    rng = np.random.default_rng(0)
    for i in range(n):
        config = {"x": float(rng.random()), "y": float(rng.random())}
        q = config["x"]
        searcher.observe(config, {"loss": 1.0 - q}, resource=1)
        searcher.observe(config, {"loss": q}, resource=3)
        if i < 8:
            searcher.observe(config, {"loss": q - 0.1}, resource=9)


@pytest.mark.parametrize("model", ["independent", "joint"])
def test_theta_prefers_the_level_that_orders_configs_as_the_top_level(model):
    searcher = HyperTuneSearcher(
        SPACE,
        max_t=9,
        levels=[1, 3, 9],
        model=model,
        metric="loss",
        random_seed=0,
        num_init_random=0,
    )
    _feed(searcher)
    assert searcher.suggest() is not None
    theta = searcher.theta
    assert sum(theta.values()) == pytest.approx(1.0)
    assert theta.get(1, 0.0) < 0.05  # level 1 orders them the wrong way round
    assert theta.get(3, 0.0) + theta.get(9, 0.0) > 0.95


def test_theta_is_a_function_of_the_data():
    a = HyperTuneSearcher(
        SPACE, max_t=9, levels=[1, 3, 9], metric="loss", random_seed=0, num_init_random=0
    )
    _feed(a)
    b = HyperTuneSearcher(
        SPACE, max_t=9, levels=[1, 3, 9], metric="loss", random_seed=0, num_init_random=0
    )
    b.load_state_dict(a.state_dict())
    assert a.suggest() == b.suggest()
    assert a.theta == b.theta


def test_bad_levels_and_options_are_named():
    with pytest.raises(ValueError, match=r"`levels` must lie in \[1, max_t=9\]"):
        HyperTuneSearcher(SPACE, max_t=9, levels=[0, 3], metric="loss")
    with pytest.raises(ValueError, match="does not take `cost_attr`"):
        HyperTuneSearcher(SPACE, max_t=9, metric="loss", cost_attr="time")
