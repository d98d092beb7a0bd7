"""The GP searcher of MOBSTER (Klein, Tiao, Lienart, Archambeau, Seeger, 2020: "Model-based
Asynchronous Hyperparameter and Neural Architecture Search"): Bayesian optimization inside
asynchronous Hyperband, fed with the results at rung levels.

Two surrogate models of ``f(x, r)``, the metric of config ``x`` after resource ``r``:

* ``model="independent"``: a GP over configs fitted to the observations at one resource level,
  ``r_acq``: the highest level with at least ``min_level_observations`` of them (the level BOHB
  also uses), refitted when ``r_acq`` moves up.
* ``model="joint"`` (default): one GP over ``(x, r)`` with ``r`` scaled to ``(0, 1]`` by the
  maximum resource, whose kernel and mean follow the exponential-decay model of learning curves
  (Swersky, Snoek, Adams, 2014, "Freeze-Thaw Bayesian Optimization"; Tiao et al., 2020)::

      k((x, r), (x', r')) = m(x, x') * (c_inf + c_decay * kappa(r + r'))
      mean(r)             = mu + gamma * kappa(r)
      kappa(s)            = (beta / (s + beta)) ** alpha

  ``m`` is the Matern 5/2 ARD correlation, ``kappa`` the Laplace transform of a Gamma(alpha,
  beta) mixture of exponential decays: curves of similar configs decay alike, and the part
  that remains at large ``r`` (variance ``c_inf``) is what the acquisition looks at.

Either way, new configs maximize expected improvement at the maximum resource (``r = 1`` for the
joint model, ``r_acq`` for the independent one) over the best value predicted there for an
observed config, with pending evaluations fantasized at their posterior mean.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import LinAlgError, cho_solve, lapack

from tunesmith.searchers.bayesopt import GPSearcher
from tunesmith.searchers.gp import (
    JITTER,
    GaussianProcess,
    _cholesky,
    matern52,
    squared_distances,
)

__all__ = ["MODELS", "GPMultiFidelitySearcher", "ResourceGP"]

MODELS = ("joint", "independent")
_LOG_2PI = math.log(2.0 * math.pi)
#: elements per block of :meth:`ResourceGP._cov`'s elementwise steps (about 0.5 MB of floats)
_BLOCK = 65536
#: up to this many elements, :meth:`ResourceGP._cov` computes its formula on the whole matrix
_SMALL = 4096


@dataclass(frozen=True)
class ResourceLayout:
    """Positions in :class:`ResourceGP`'s hyperparameter vector: ``dim`` log lengthscales of
    the config inputs, ``log c_inf``, log noise variance, ``mu``, ``log c_decay``, ``gamma``,
    ``log alpha``, ``log beta``."""

    dim: int

    amplitude = property(lambda self: self.dim)
    noise = property(lambda self: self.dim + 1)
    mean = property(lambda self: self.dim + 2)
    decay = property(lambda self: self.dim + 3)
    gamma = property(lambda self: self.dim + 4)
    alpha = property(lambda self: self.dim + 5)
    beta = property(lambda self: self.dim + 6)
    size = property(lambda self: self.dim + 7)

    def prior(self) -> tuple[np.ndarray, np.ndarray]:
        centre = np.zeros(self.size)
        scale = np.ones(self.size)
        centre[: self.dim] = math.log(0.5 * math.sqrt(max(self.dim, 1)))
        centre[self.noise], scale[self.noise] = math.log(1e-3), 2.0
        centre[self.decay] = math.log(0.5)
        centre[self.beta] = math.log(0.5)
        return centre, scale

    def bounds(self) -> list[tuple[float, float]]:
        out = [(math.log(1e-2), math.log(1e2))] * self.dim
        out += [(math.log(1e-2), math.log(1e2)), (math.log(1e-6), 0.0), (-5.0, 5.0)]
        out += [(math.log(1e-3), math.log(1e2)), (-5.0, 5.0)]
        out += [(math.log(0.1), math.log(10.0)), (math.log(1e-2), math.log(10.0))]
        return out

    def default(self) -> np.ndarray:
        return self.prior()[0].copy()


class ResourceGP(GaussianProcess):
    """A GP over ``dim`` config coordinates and a last input column, the resource in
    ``(0, 1]``, with the exponential-decay kernel and mean of the module docstring."""

    def __init__(self, dim: int):
        super().__init__(dim + 1)
        self.config_dim = int(dim)
        self.layout = ResourceLayout(self.config_dim)  # type: ignore[assignment]
        self.params = self.layout.default()
        self._prior = self.layout.prior()

    @property
    def lengthscales(self) -> np.ndarray:
        return np.exp(self.params[: self.config_dim])

    def _decay(self, s: np.ndarray, params: np.ndarray) -> np.ndarray:
        lay = self.layout
        beta = math.exp(params[lay.beta])
        return np.exp(math.exp(params[lay.alpha]) * (math.log(beta) - np.log(s + beta)))

    def _prepare(self, X: np.ndarray) -> np.ndarray:
        out = np.array(X, dtype=float)
        out[:, : self.config_dim] /= np.exp(self.params[: self.config_dim])
        return out

    def _cov(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        # The numbers of ``matern52(squared_distances(...)) * (c_inf + c_decay * kappa(r +
        # r'))`` on the whole matrix, bit for bit, in less time: the resource factor is
        # computed once per pair of distinct levels (the rungs: a few) and gathered, and the
        # elementwise steps run on blocks of rows that stay in the cache. The product ``a @
        # b.T`` is taken whole, as before (a block of it could differ in the last bit).
        d = self.config_dim
        p, lay = self.params, self.layout
        if len(A) * len(B) <= _SMALL:  # the formula at once: the steps below cost more here
            m = matern52(squared_distances(A[:, :d], B[:, :d]))
            s = A[:, d][:, None] + B[:, d][None, :]
            m *= math.exp(p[lay.amplitude]) + math.exp(p[lay.decay]) * self._decay(s, p)
            return m
        levels_a, at_a = np.unique(A[:, d], return_inverse=True)
        levels_b, at_b = np.unique(B[:, d], return_inverse=True)
        s = levels_a[:, None] + levels_b[None, :]
        q = math.exp(p[lay.amplitude]) + math.exp(p[lay.decay]) * self._decay(s, p)
        q = np.take(q, at_b, axis=1)  # (levels of A, len(B)); rows gathered per block
        a, b = A[:, :d], B[:, :d]
        norms_a = np.einsum("ij,ij->i", a, a)
        norms_b = np.einsum("ij,ij->i", b, b)
        out = a @ b.T
        step = max(1, _BLOCK // max(len(B), 1))
        for i in range(0, len(A), step):
            block = out[i : i + step]
            block *= -2.0  # exact: as squared_distances' d2 - 2 (a @ b.T)
            block += norms_a[i : i + step, None] + norms_b[None, :]
            np.maximum(block, 0.0, out=block)
            k = matern52(block)
            k *= q[at_a[i : i + step]]
            block[...] = k
        return out

    def _prior_var(self, A: np.ndarray) -> np.ndarray:
        p, lay = self.params, self.layout
        decay = self._decay(2.0 * A[:, self.config_dim], p)
        return math.exp(p[lay.amplitude]) + math.exp(p[lay.decay]) * decay

    def _prior_mean(self, X: np.ndarray) -> np.ndarray:
        p, lay = self.params, self.layout
        return p[lay.mean] + p[lay.gamma] * self._decay(X[:, self.config_dim], p)

    def neg_log_posterior(
        self, params: np.ndarray, X: np.ndarray, y: np.ndarray
    ) -> tuple[float, np.ndarray]:
        lay, d, n = self.layout, self.config_dim, len(y)
        ls = np.exp(params[:d])
        c_inf, noise = math.exp(params[lay.amplitude]), math.exp(params[lay.noise])
        c_decay, gamma = math.exp(params[lay.decay]), params[lay.gamma]
        alpha, beta = math.exp(params[lay.alpha]), math.exp(params[lay.beta])
        S, r = X[:, :d] / ls, X[:, d]
        m, g = matern52(squared_distances(S, S), gradient=True)
        # the functions of r + r' are computed once per pair of distinct levels and gathered
        # (the same numbers as computed on the whole matrix, in a fraction of the time)
        levels, at = np.unique(r, return_inverse=True)

        def whole(small: np.ndarray) -> np.ndarray:
            return np.take(small, at, axis=1)[at]

        s = levels[:, None] + levels[None, :]
        log_kappa_l = alpha * (math.log(beta) - np.log(s + beta))
        kappa_l = np.exp(log_kappa_l)
        log_kappa, kappa = whole(log_kappa_l), whole(kappa_l)
        Q = whole(c_inf + c_decay * kappa_l)
        K = m * Q
        K[np.diag_indices(n)] += noise + JITTER
        L, _ = _cholesky(K)
        log_psi = alpha * (math.log(beta) - np.log(r + beta))
        psi = np.exp(log_psi)
        res = y - (params[lay.mean] + gamma * psi)
        a = cho_solve((L, True), res)
        value = 0.5 * float(res @ a) + float(np.log(np.diag(L)).sum()) + 0.5 * n * _LOG_2PI
        Kinv, info = lapack.dpotri(L, lower=1)
        if info != 0:
            raise LinAlgError(f"dpotri failed with info={info}")
        Kinv = np.tril(Kinv)
        Kinv += np.tril(Kinv, -1).T
        W = np.outer(a, a)
        W -= Kinv
        grad = np.empty(lay.size)  # of the log marginal likelihood, negated below
        grad[lay.amplitude] = 0.5 * c_inf * float(np.einsum("ij,ij->", W, m))
        Wd = W * m * kappa * c_decay  # W * dK/d(log c_decay)
        grad[lay.decay] = 0.5 * float(Wd.sum())
        grad[lay.noise] = 0.5 * noise * float(np.trace(W))
        M = W * g * Q
        m1 = M.sum(axis=1)
        grad[:d] = -2.0 * (m1 @ (S * S) - np.einsum("ij,ij->j", S, M @ S))
        grad[lay.mean] = float(a.sum())
        grad[lay.gamma] = float(a @ psi)
        grad[lay.alpha] = 0.5 * float((Wd * log_kappa).sum()) + gamma * float(a @ (psi * log_psi))
        grad[lay.beta] = 0.5 * float((Wd * whole(alpha * s / (s + beta))).sum()) + gamma * float(
            a @ (psi * alpha * r / (r + beta))
        )
        grad = -grad
        centre, scale = self._prior
        z = (params - centre) / scale
        return value + 0.5 * float(z @ z), grad + z / scale


class GPMultiFidelitySearcher(GPSearcher):
    """MOBSTER's searcher: see the module docstring. ``max_t`` is the maximum resource (the
    scheduler's); ``model`` is ``"joint"`` or ``"independent"``; ``min_level_observations`` is
    the number of observations a resource level needs to be ``r_acq`` (independent model).

    Observations are kept per (config, resource); a result without a resource counts as one at
    ``max_t``; :meth:`withdraw` removes one (the model then equals one fed the remaining
    observations). ``cost_attr``: a reported cost ``> 0`` that grows with the resource (the
    cumulative training time); a second model of its logarithm, of the same kind, predicts each
    candidate's cost at the acquisition level, and the acquisition is EI divided by that cost to
    the power ``cost_exponent`` (Snoek et al., 2012: "EI per second"), so that of two configs
    expected to be as good, the one that trains faster is tried first.

    ``target_transform`` (None: the model's default) is ``"copula"`` (normal quantiles of the
    ranks) for the joint model, not ``GPSearcher``'s ``"standardize"``: the one model holds every
    rung level, where a curve's first epochs and a few diverged runs span most of the metric's
    range and standardized values would squash the differences between the good configs at
    high levels. On the generated tables (``bench run --restrict``, 20 seeds) it lowered
    MOBSTER's anytime regret on three of the four (see ``docs/bench.md``). The independent
    model, fitted at one level, keeps ``"standardize"``. The other arguments are
    :class:`~tunesmith.searchers.bayesopt.GPSearcher`'s.
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        max_t: int,
        model: str = "joint",
        metric: str | None = None,
        mode: str = "min",
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        random_seed: int | None = None,
        allow_duplicates: bool = False,
        num_init_random: int = 5,
        min_level_observations: int = 5,
        cost_attr: str | None = None,
        cost_exponent: float = 1.0,
        input_warping: bool = False,
        target_transform: str | None = None,
        max_size_data_for_model: int | None = 1000,
        max_size_top_fraction: float = 0.25,
        refit_until: int = 50,
        refit_growth: float = 0.1,
        num_candidates: int = 2000,
        num_local_starts: int = 5,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        blas_threads: int | None = 1,
    ):
        if not isinstance(max_t, int) or isinstance(max_t, bool) or max_t < 1:
            raise ValueError(f"`max_t` must be an int >= 1, but got max_t={max_t!r}")
        if model not in MODELS:
            raise ValueError(f"`model` must be one of {list(MODELS)}, but got model={model!r}")
        if model == "joint" and input_warping:
            raise ValueError("input_warping=True needs model='independent'")
        if not isinstance(min_level_observations, int) or min_level_observations < 2:
            raise ValueError(
                "`min_level_observations` must be an int >= 2, but got "
                f"min_level_observations={min_level_observations!r}"
            )
        self.max_t = max_t
        self.model = model
        if target_transform is None:
            target_transform = "copula" if model == "joint" else "standardize"
        self.min_level_observations = min_level_observations
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            num_init_random=num_init_random,
            cost_attr=cost_attr,
            cost_exponent=cost_exponent,
            input_warping=input_warping,
            target_transform=target_transform,
            max_size_data_for_model=max_size_data_for_model,
            max_size_top_fraction=max_size_top_fraction,
            refit_until=refit_until,
            refit_growth=refit_growth,
            num_candidates=num_candidates,
            num_local_starts=num_local_starts,
            restrict_configurations=restrict_configurations,
            blas_threads=blas_threads,
        )

    # -- observations, one per (config, resource) ------------------------------------------
    def _level(self, resource: int | None) -> int:
        return self.max_t if resource is None else int(resource)

    def _row_key(self, config: Mapping[str, Any], resource: int | None) -> tuple:
        return (self._key(config), self._level(resource))

    def _encode_row(self, config: Mapping[str, Any], resource: int | None) -> np.ndarray:
        r = min(self._level(resource), self.max_t) / self.max_t
        return np.append(self._encoder.encode(config), r)

    def _add(self, config: dict[str, Any], values: list[float], resource: int | None) -> None:
        super()._add(config, values, self._level(resource))

    def withdraw(self, config: Mapping[str, Any], resource: int | None = None) -> None:
        i = self._index.get(self._row_key(config, resource))
        if i is not None:
            self._remove(i)

    def _drop_pending(self, config: Mapping[str, Any], resource: int | None) -> None:
        key, level = self._key(config), self._level(resource)
        for k in [k for k in self._pending if k[0] == key and k[1] <= level]:
            del self._pending[k]

    def failed(self, config: Mapping[str, Any]) -> None:
        key = self._key(config)
        for k in [k for k in self._pending if k[0] == key]:
            del self._pending[k]

    # -- the model -------------------------------------------------------------------------
    def _make_gp(self) -> GaussianProcess:
        if self.model == "joint":
            return ResourceGP(self._encoder.dim)
        return GaussianProcess(self._encoder.dim, warped=self._warped)

    def acquisition_level(self) -> int | None:
        """The resource level the independent model is fitted to (``r_acq``); None before any
        observation. The joint model acquires at ``max_t``."""
        if not self._resources:
            return None
        counts: dict[int, int] = {}
        for r in self._resources:
            counts[r] = counts.get(r, 0) + 1
        for level in sorted(counts, reverse=True):
            if counts[level] >= self.min_level_observations:
                return level
        return max(counts, key=lambda level: (counts[level], -level))

    def _model_tag(self) -> Any:
        return self.acquisition_level() if self.model == "independent" else None

    def _eligible(self) -> list[int]:
        if self.model == "joint":
            return list(range(self.num_observations))
        level = self.acquisition_level()
        return [i for i, r in enumerate(self._resources) if r == level]

    def _inputs(self, rows: Sequence[int]) -> np.ndarray:
        rows = list(rows)
        return self._X[rows] if self.model == "joint" else self._X[rows, : self._encoder.dim]

    def _acq_inputs(self, C: np.ndarray) -> np.ndarray:
        if self.model == "independent":
            return C
        return np.hstack([C, np.ones((len(C), 1))])

    def _pending_inputs(self) -> np.ndarray | None:
        if not self._pending:
            return None
        if self.model == "joint":
            return np.array([self._encode_row(c, r) for c, r in self._pending.values()])
        # configs under evaluation and not observed at r_acq, once each
        level = self.acquisition_level()
        configs: dict[tuple, dict[str, Any]] = {}
        for (key, _), (config, _) in self._pending.items():
            if (key, level) not in self._index:
                configs.setdefault(key, config)
        return self._encoder.encode_all(list(configs.values())) if configs else None

    def _incumbent(self, y: np.ndarray, feasible: np.ndarray) -> float | None:
        if self.model == "independent":
            return super()._incumbent(y, feasible)
        # the best value predicted at the maximum resource for a config observed so far
        d = self._encoder.dim
        X = np.unique(self._X[self._rows, :d], axis=0)
        mean, _ = self._gps[0].predict(self._acq_inputs(X), mean_only=True)
        return float(mean.min())

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(model={self.model!r}, max_t={self.max_t}, "
            f"metric={self.metric!r}, mode={self.mode!r}, observations={self.num_observations})"
        )
