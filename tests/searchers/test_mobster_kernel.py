"""ResourceGP's kernel matrix is computed by levels and in blocks of rows (for speed): it must
give the numbers of the formula computed on the whole matrix, bit for bit, so that the
searchers built on it (MOBSTER, DyHPO) make the same decisions as before."""

import math

import numpy as np
import pytest

from tunesmith.searchers.gp import matern52, squared_distances
from tunesmith.searchers.mobster import ResourceGP


def _whole_matrix(gp: ResourceGP, A: np.ndarray, B: np.ndarray) -> np.ndarray:
    d, p, lay = gp.config_dim, gp.params, gp.layout
    m = matern52(squared_distances(A[:, :d], B[:, :d]))
    s = A[:, d][:, None] + B[:, d][None, :]
    m *= math.exp(p[lay.amplitude]) + math.exp(p[lay.decay]) * gp._decay(s, p)
    return m


@pytest.mark.parametrize(
    ("m", "n", "same"),
    [
        (1, 1, False),
        (1, 700, False),
        (700, 1, False),
        (300, 400, False),
        (250, 0, False),
        (0, 5, False),
        (420, 420, True),
    ],
)
def test_kernel_matrix_equals_the_formula_bit_for_bit(m, n, same):
    rng = np.random.default_rng(m * 1000 + n)
    gp = ResourceGP(5)
    gp.set_params(gp.layout.default() + 0.4 * rng.standard_normal(gp.layout.size))
    levels = np.arange(1, 28, 2) / 27

    def inputs(k):
        return np.hstack([rng.random((k, 5)), rng.choice(levels, size=(k, 1))])

    A = gp._prepare(inputs(m))
    B = A if same else gp._prepare(inputs(n))
    K = gp._cov(A, B)
    assert K.shape == (m, n)
    assert np.array_equal(K, _whole_matrix(gp, A, B))


def test_likelihood_by_levels_equals_the_formula_on_the_whole_matrix():
    rng = np.random.default_rng(3)
    gp = ResourceGP(3)
    X = np.hstack([rng.random((200, 3)), rng.choice([1 / 9, 1 / 3, 5 / 9, 1.0], size=(200, 1))])
    y = rng.standard_normal(200)
    gp.set_params(gp.layout.default() + 0.3 * rng.standard_normal(gp.layout.size))
    value, _ = gp.neg_log_posterior(gp.params, X, y)
    gp.set_data(X)
    centre, scale = gp.layout.prior()
    prior = 0.5 * float((((gp.params - centre) / scale) ** 2).sum())
    assert value == pytest.approx(-gp.log_marginal_likelihood(y) + prior, rel=1e-12)
