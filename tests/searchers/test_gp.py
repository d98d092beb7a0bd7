"""The GP model and the acquisition machinery against closed forms and finite differences."""

import math

import numpy as np
import pytest
from scipy.stats import norm

from tunesmith import choice, lograndint, loguniform, ordinal, randint, uniform
from tunesmith.searchers.acquisition import (
    SpaceEncoder,
    log_expected_improvement,
    log_probability_below,
    lower_confidence_bound,
    maximize,
)
from tunesmith.searchers.gp import GaussianProcess, kumaraswamy, matern52
from tunesmith.searchers.mobster import ResourceGP
from tunesmith.testing.spaces import MIXED_SPACE


def _matern(r: float) -> float:
    """Matern 5/2 of a distance, written out."""
    s = math.sqrt(5.0) * r
    return (1.0 + s + 5.0 * r * r / 3.0) * math.exp(-s)


def _gp(dim=2, ls=(0.3, 0.7), amp=1.7, noise=0.01, mean=0.2, warped=()):
    gp = GaussianProcess(dim, warped=warped)
    p = gp.layout.default()
    p[:dim] = np.log(ls)
    p[gp.layout.amplitude] = math.log(amp)
    p[gp.layout.noise] = math.log(noise)
    p[gp.layout.mean] = mean
    gp.set_params(p)
    return gp


def test_matern52_matches_the_formula():
    for r in (0.0, 0.1, 0.5, 1.0, 3.0):
        assert matern52(np.array([r * r]))[0] == pytest.approx(_matern(r), rel=1e-12)


def test_posterior_of_one_observation_in_closed_form():
    gp = _gp()
    x0, y0 = np.array([[0.2, 0.4]]), 1.5
    gp.set_data(x0)
    gp.set_targets(np.array([y0]))
    xs = np.array([[0.2, 0.4], [0.5, 0.1], [0.9, 0.9]])
    mean, var = gp.predict(xs)
    for x, m, v in zip(xs, mean, var, strict=True):
        r = math.sqrt(((x[0] - 0.2) / 0.3) ** 2 + ((x[1] - 0.4) / 0.7) ** 2)
        k = 1.7 * _matern(r)
        denom = 1.7 + 0.01 + 1e-8
        assert m == pytest.approx(0.2 + k / denom * (y0 - 0.2), rel=1e-10)
        assert v == pytest.approx(1.7 - k * k / denom, rel=1e-8, abs=1e-12)


def test_posterior_matches_the_textbook_formula():
    rng = np.random.default_rng(0)
    gp = _gp(dim=3, ls=(0.3, 0.5, 2.0))
    X, y, Xs = rng.random((7, 3)), rng.standard_normal(7), rng.random((5, 3))

    def k(a, b):
        ls = np.array([0.3, 0.5, 2.0])
        return np.array([[1.7 * _matern(np.linalg.norm((p - q) / ls)) for q in b] for p in a])

    K = k(X, X) + (0.01 + 1e-8) * np.eye(7)
    mean_ref = 0.2 + k(Xs, X) @ np.linalg.solve(K, y - 0.2)
    var_ref = 1.7 - np.einsum("ij,ji->i", k(Xs, X), np.linalg.solve(K, k(X, Xs)))
    gp.set_data(X)
    gp.set_targets(y)
    mean, var = gp.predict(Xs)
    np.testing.assert_allclose(mean, mean_ref, rtol=1e-9)
    np.testing.assert_allclose(var, var_ref, rtol=1e-7, atol=1e-12)
    lml = gp.log_marginal_likelihood(y)
    sign, logdet = np.linalg.slogdet(K)
    r = y - 0.2
    ref = -0.5 * r @ np.linalg.solve(K, r) - 0.5 * logdet - 3.5 * math.log(2 * math.pi)
    assert lml == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("warped", [(), (0, 2)])
def test_gradient_matches_finite_differences(warped):
    rng = np.random.default_rng(1)
    gp = GaussianProcess(4, warped=warped)
    X = rng.random((25, 4))
    y = np.sin(4 * X[:, 0]) + X[:, 1] ** 2 + 0.05 * rng.standard_normal(25)
    p = gp.layout.default() + 0.3 * rng.standard_normal(gp.layout.size)
    value, grad = gp.neg_log_posterior(p, X, y)
    h = 1e-5
    for i in range(len(p)):
        e = np.zeros_like(p)
        e[i] = h
        num = (gp.neg_log_posterior(p + e, X, y)[0] - gp.neg_log_posterior(p - e, X, y)[0]) / (
            2 * h
        )
        assert grad[i] == pytest.approx(num, rel=1e-4, abs=1e-5), f"parameter {i}"


def test_resource_gp_gradient_and_likelihood():
    rng = np.random.default_rng(6)
    gp = ResourceGP(3)
    X = np.hstack([rng.random((30, 3)), rng.choice([1 / 9, 1 / 3, 1.0], size=(30, 1))])
    y = np.sin(4 * X[:, 0]) + 1 / np.sqrt(9 * X[:, 3]) + 0.05 * rng.standard_normal(30)
    p = gp.layout.default() + 0.3 * rng.standard_normal(gp.layout.size)
    value, grad = gp.neg_log_posterior(p, X, y)
    h = 1e-6
    for i in range(len(p)):
        e = np.zeros_like(p)
        e[i] = h
        num = (gp.neg_log_posterior(p + e, X, y)[0] - gp.neg_log_posterior(p - e, X, y)[0]) / (
            2 * h
        )
        assert grad[i] == pytest.approx(num, rel=1e-4, abs=1e-5), f"parameter {i}"
    gp.set_params(p)
    gp.set_data(X)
    centre, scale = gp.layout.prior()
    prior = 0.5 * float((((p - centre) / scale) ** 2).sum())
    assert value == pytest.approx(-gp.log_marginal_likelihood(y) + prior, rel=1e-10)


def test_resource_gp_learns_that_curves_decay():
    rng = np.random.default_rng(7)
    configs = rng.random((15, 2))
    levels = np.array([1, 2, 4, 9]) / 9
    X = np.array([[*c, r] for c in configs for r in levels])
    y = np.array([c[0] + 0.5 / np.sqrt(9 * r) for *c, r in X])
    gp = ResourceGP(2)
    gp.fit(X, y)
    gp.set_targets(y)
    new = np.array([[0.5, 0.5, r] for r in levels])
    mean, var = gp.predict(new)
    assert np.all(np.diff(mean) < 0)  # predicted loss falls with the resource
    np.testing.assert_allclose(mean, [0.5 + 0.5 / np.sqrt(9 * r) for r in levels], atol=0.05)


def test_negative_log_posterior_is_minus_lml_plus_prior():
    rng = np.random.default_rng(2)
    gp = _gp()
    X, y = rng.random((6, 2)), rng.standard_normal(6)
    gp.set_data(X)
    centre, scale = gp.layout.prior()
    prior = 0.5 * float((((gp.params - centre) / scale) ** 2).sum())
    value, _ = gp.neg_log_posterior(gp.params, X, y)
    assert value == pytest.approx(-gp.log_marginal_likelihood(y) + prior, rel=1e-10)


def test_fit_finds_the_irrelevant_input_and_improves_the_likelihood():
    rng = np.random.default_rng(3)
    X = rng.random((40, 3))
    y = np.sin(6 * X[:, 0]) + 0.01 * rng.standard_normal(40)
    y = (y - y.mean()) / y.std()
    gp = GaussianProcess(3)
    gp.set_data(X)
    before = gp.log_marginal_likelihood(y)
    gp.fit(X, y)
    assert gp.log_marginal_likelihood(y) > before
    ls = gp.lengthscales
    assert ls[0] < ls[1] and ls[0] < ls[2]
    assert gp.noise < 0.05


def test_append_equals_a_full_factorization_and_rebuild_is_exact():
    rng = np.random.default_rng(4)
    X = rng.random((30, 3))
    gp = _gp(dim=3, ls=(0.4, 0.4, 0.4))
    gp.set_data(X[:20])
    for x in X[20:]:
        gp.append(x)
    full = _gp(dim=3, ls=(0.4, 0.4, 0.4))
    full.set_data(X)
    np.testing.assert_allclose(gp.L, full.L, rtol=1e-9, atol=1e-12)
    again = _gp(dim=3, ls=(0.4, 0.4, 0.4))
    again.rebuild(X, 20)
    assert np.array_equal(again.L, gp.L)  # bit for bit


@pytest.mark.parametrize("cut", [20, 24])
def test_truncate_then_append_is_the_rebuild_of_the_remaining_rows(cut):
    rng = np.random.default_rng(5)
    X = rng.random((30, 3))
    gp = _gp(dim=3, ls=(0.4, 0.4, 0.4))
    gp.rebuild(X, 20)
    gp.truncate(cut)  # drop row `cut` (appended): the later ones are appended again
    for x in X[cut + 1 :]:
        gp.append(x)
    rest = np.delete(X, cut, axis=0)
    again = _gp(dim=3, ls=(0.4, 0.4, 0.4))
    again.rebuild(rest, 20)
    assert np.array_equal(again.L, gp.L) and np.array_equal(again.X, gp.X)  # bit for bit
    y = rng.standard_normal(len(rest))
    gp.set_targets(y)
    again.set_targets(y)
    C = rng.random((5, 3))
    for a, b in zip(gp.predict(C), again.predict(C), strict=True):
        assert np.array_equal(a, b)
    with pytest.raises(ValueError, match=r"`n` must lie in \[n_full=20, 29\].*got n=19"):
        gp.truncate(19)


def test_pending_points_keep_the_mean_and_shrink_the_variance():
    rng = np.random.default_rng(5)
    X, y = rng.random((10, 2)), rng.standard_normal(10)
    P = rng.random((2, 2))
    Xs = np.vstack([P, rng.random((4, 2))])
    gp = _gp()
    gp.set_data(X)
    gp.set_targets(y)
    mean0, var0 = gp.predict(Xs)
    mean, var = gp.predict(Xs, pending=P)
    np.testing.assert_allclose(mean, mean0)
    assert np.all(var <= var0 + 1e-12)
    assert np.all(var[:2] < 0.02)  # at the pending points: about the noise variance
    # the same as adding the pending points with their posterior mean as value
    ext = _gp()
    ext.set_data(np.vstack([X, P]))
    ext.set_targets(np.concatenate([y, gp.predict(P)[0]]))
    mean_ext, var_ext = ext.predict(Xs)
    np.testing.assert_allclose(mean_ext, mean0, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(var_ext, var, rtol=1e-6, atol=1e-10)


def test_kumaraswamy_is_the_identity_at_one_and_monotone():
    x = np.linspace(0.01, 0.99, 50)[:, None]
    np.testing.assert_allclose(kumaraswamy(x, np.ones(1), np.ones(1)), x, atol=1e-12)
    w = kumaraswamy(x, np.array([2.0]), np.array([0.5]))
    assert np.all(np.diff(w[:, 0]) > 0)


# -- acquisition -----------------------------------------------------------------------------
def test_log_ei_matches_ei_and_stays_finite_in_the_tail():
    mean = np.array([0.0, 0.5, 1.0, 2.0, 3.0])
    std = np.array([1.0, 0.3, 0.5, 0.2, 0.4])
    z = (0.1 - mean) / std
    ei = std * (z * norm.cdf(z) + norm.pdf(z))
    np.testing.assert_allclose(np.exp(log_expected_improvement(mean, std, 0.1)), ei, rtol=1e-9)
    far = log_expected_improvement(np.array([10.0, 100.0, 1e4]), np.ones(3), 0.0)
    assert np.all(np.isfinite(far)) and np.all(np.diff(far) < 0)


def test_lcb_and_probability_of_feasibility():
    assert lower_confidence_bound(np.array([1.0]), np.array([0.5]), 2.0)[0] == 0.0
    lp = log_probability_below(np.array([0.0, 1.0]), np.array([1.0, 0.5]), 0.0)
    np.testing.assert_allclose(np.exp(lp), [0.5, norm.cdf(-2.0)], rtol=1e-12)


SPACE = {
    "lr": loguniform(1e-4, 1e-1),
    "x": uniform(-1, 1),
    "n": lograndint(1, 300),
    "k": randint(0, 4),
    "act": choice(["a", "b", "c"]),
    "size": ordinal(["s", "m", "l"]),
    "const": 7,
}


def test_encoder_samples_and_snaps_onto_valid_encodings():
    enc = SpaceEncoder(SPACE)
    rng = np.random.default_rng(0)
    X = np.vstack([enc.sample(rng, 500), enc.snap(rng.random((500, enc.dim)))])
    for row in X:
        config = enc.decode(row)
        assert config["const"] == 7
        np.testing.assert_allclose(enc.encode(config), row, atol=1e-12)


def test_encoder_samples_like_the_domains():
    enc = SpaceEncoder(SPACE)
    X = enc.sample(np.random.default_rng(1), 6000)
    acts = X[:, enc.slices[4]].argmax(axis=1)
    assert all(1800 < np.sum(acts == c) < 2200 for c in range(3))
    ks = [enc.decode(r)["k"] for r in X[:2000]]
    assert set(ks) == {0, 1, 2, 3, 4}


def test_neighbours_change_one_hyperparameter():
    enc = SpaceEncoder(SPACE)
    rng = np.random.default_rng(2)
    X = enc.sample(rng, 3)
    nb, owner = enc.neighbours(X, rng)
    for row, o in zip(nb, owner, strict=True):
        a, b = enc.decode(X[o]), enc.decode(row)
        assert sum(a[k] != b[k] for k in a) <= 1
        np.testing.assert_allclose(enc.snap(row[None])[0], row, atol=1e-12)


def test_maximize_finds_the_optimum_of_a_smooth_score():
    enc = SpaceEncoder(MIXED_SPACE)
    target = enc.encode({**{k: v for k, v in MIXED_SPACE.items()}, **_mid()})

    def score(X):
        return -np.sum((X - target) ** 2, axis=1)

    points, scores = maximize(score, enc, np.random.default_rng(0), num_candidates=300)
    assert np.all(np.diff(scores) <= 0)
    best = enc.decode(points[0])
    assert best["act"] == "tanh" and best["layers"] == 3 and best["batch"] == 64
    assert abs(math.log10(best["lr"]) + 3) < 0.3


def _mid():
    return {"lr": 1e-3, "dropout": 0.45, "units": 64, "layers": 3, "act": "tanh", "batch": 64}


def test_limit_blas_threads():
    from tunesmith.searchers import gp as gp_module

    with gp_module.limit_blas_threads(None):
        pass
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with gp_module.limit_blas_threads(1):
        info = threadpoolctl.threadpool_info()
        assert all(i["num_threads"] == 1 for i in info if i["user_api"] == "blas")
    saved = gp_module._CONTROLLER
    gp_module._CONTROLLER = False  # as without threadpoolctl: the block runs as it is
    try:
        with gp_module.limit_blas_threads(1):
            pass
    finally:
        gp_module._CONTROLLER = saved
