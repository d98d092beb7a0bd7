"""The searcher of Hyper-Tune (Li, Shen, Jiang, Gao, Zhang, Xu, Cui, 2022: "Hyper-Tune: Towards
Efficient Hyper-parameter Tuning at Scale", VLDB), on MOBSTER's GP models
(:mod:`tunesmith.searchers.mobster`), as Syne Tune implements it.

Rung levels are weighted by how well they predict the ordering of configs at ``r_*``, the
highest level with at least ``min_level_observations`` results. For each level ``r <= r_*``,
``num_samples`` joint posterior samples of ``f(X_*, r)`` (``X_*``: the configs observed at
``r_*``) are compared with the values observed at ``r_*`` by the fraction of discordant pairs
(a ranking loss); at ``r_*`` itself, leave-one-out predictions stand in for the samples, so
that the level's own data does not make it look perfect. ``theta_r`` is the fraction of samples
in which level ``r`` has the smallest loss (ties count for each). Until ``r_*`` is above the
lowest level, all weight is on the lowest level.

New configs maximize expected improvement under the *ensemble* predictive distribution: the
mixture over levels ``r`` of the model's prediction at ``r``, weighted by ``theta_r`` (its mean
and variance are the mixture's), over the best ensemble mean of a config observed so far.

Models (``model``):

* ``"independent"`` (default, as in the paper and Syne Tune): one GP per level, each fitted to
  that level's results (standardized per level), all sharing the kernel hyperparameters of the
  GP fitted at MOBSTER's ``r_acq``.
* ``"joint"``: MOBSTER's one GP over (config, resource), predicting at each level.

Sampling uses a generator seeded by the searcher's seed and the number of observations, so the
weights are a function of the data: a searcher restored from its state computes the same ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.linalg import LinAlgError, cholesky, solve_triangular

from tunesmith.searchers.acquisition import Acquisition
from tunesmith.searchers.bayesopt import _positive_int
from tunesmith.searchers.gp import GaussianProcess
from tunesmith.searchers.mobster import GPMultiFidelitySearcher

__all__ = ["HyperTuneSearcher", "ranking_losses"]

#: at most this many configs of X_* enter the ranking losses (the most recent ones)
_MAX_RANKED = 100


def ranking_losses(samples: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fraction of the pairs ``i < j`` that each row of ``samples`` (shape ``(S, m)``) orders
    differently from ``y`` (lower is better in both; a tie in ``y`` is no pair)."""
    m = len(y)
    if m < 2:
        return np.zeros(len(samples))
    i, j = np.triu_indices(m, 1)
    dy = np.sign(y[i] - y[j])
    keep = dy != 0
    i, j, dy = i[keep], j[keep], dy[keep]
    if not len(dy):
        return np.zeros(len(samples))
    discordant = (samples[:, i] - samples[:, j]) * dy < 0
    return discordant.sum(axis=1) / len(dy)


class _Ensemble:
    """The mixture of level models ``(weight, gp, inputs, pending)`` as one model with
    ``predict(X, pending=..., mean_only=...)`` (``X``: config encodings; the parts fantasize
    their own pending evaluations)."""

    def __init__(self, parts: list[tuple[float, Any, Any, np.ndarray | None]]):
        self.parts = parts

    def predict(self, X: np.ndarray, *, pending: Any = None, mean_only: bool = False):
        mean = np.zeros(len(X))
        second = np.zeros(len(X))
        for w, gp, inputs, pend in self.parts:
            m, v = gp.predict(inputs(X), pending=pend, mean_only=mean_only)
            mean += w * m
            if not mean_only:
                second += w * (v + m * m)
        if mean_only:
            return mean, None
        return mean, np.maximum(second - mean * mean, 1e-12)


class HyperTuneSearcher(GPMultiFidelitySearcher):
    """Hyper-Tune's searcher: see the module docstring. ``levels``: the rung levels of the
    scheduler and ``max_t`` (the levels the weights are spread over); ``num_samples``: posterior
    samples per level for the weights (Syne Tune's ``hypertune_distribution_num_samples``);
    ``min_level_observations``: results a level needs to be ``r_*`` (6, as in Syne Tune). The
    other arguments are :class:`~tunesmith.searchers.mobster.GPMultiFidelitySearcher`'s (without
    the cost-aware acquisition), with ``num_candidates=1000`` random candidates by default (the
    ensemble scores each with one model per level).

    After each model-based suggestion, :attr:`theta` holds the weights (level -> weight)."""

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        max_t: int,
        levels: Sequence[int] | None = None,
        model: str = "independent",
        num_samples: int = 50,
        min_level_observations: int = 6,
        metric: str | None = None,
        mode: str = "min",
        **options: Any,
    ):
        for name in ("cost_attr", "constraint_attr", "input_warping"):
            if options.get(name):
                raise ValueError(f"HyperTuneSearcher does not take `{name}`")
        self.num_samples = _positive_int("num_samples", num_samples, 2)
        # the ensemble scores each candidate with one model per level: half of GPSearcher's
        # random candidates keep a suggestion about as costly as MOBSTER's
        options.setdefault("num_candidates", 1000)
        super().__init__(
            config_space,
            max_t=max_t,
            model=model,
            metric=metric,
            mode=mode,
            min_level_observations=min_level_observations,
            **options,
        )
        if levels is None:
            levels = [max_t]
        levels = sorted({int(r) for r in levels} | {self.max_t})
        if levels[0] < 1 or levels[-1] > self.max_t:
            raise ValueError(
                f"`levels` must lie in [1, max_t={self.max_t}], but got levels={list(levels)}"
            )
        self.levels = levels
        self.theta: dict[int, float] = {levels[0]: 1.0}

    # -- level models ----------------------------------------------------------------------
    def _rows_at(self, level: int) -> list[int]:
        rows = [i for i, r in enumerate(self._resources) if r == level]
        cap = self.max_size_data_for_model
        return rows if cap is None or len(rows) <= cap else rows[-cap:]

    def _level_model(self, level: int) -> tuple[Any, Any, list[int], np.ndarray] | None:
        """``(gp, inputs, rows, standardized targets)`` of the model at ``level`` (None: too
        little data there for the independent model)."""
        d = self._encoder.dim
        if self.model == "joint":
            gp = self._gps[0]
            r = level / self.max_t

            def inputs(C: np.ndarray, r: float = r) -> np.ndarray:
                return np.hstack([C, np.full((len(C), 1), r)])

            return gp, inputs, list(self._rows), self._y[0][0]
        if level == self.acquisition_level():  # the fitted GP itself
            return self._gps[0], _identity, list(self._rows), self._y[0][0]
        rows = self._rows_at(level)
        if len(rows) < 2:
            return None
        gp = GaussianProcess(d)
        gp.set_params(self._gps[0].params)
        gp.set_data(self._X[rows, :d])
        y = self._targets(0, rows=rows)[0]
        gp.set_targets(y)
        return gp, _identity, rows, y

    def _pending_for(self, level: int) -> np.ndarray | None:
        if self.model == "joint":
            return self._pending_inputs()
        if not self._pending:
            return None
        configs: dict[tuple, dict[str, Any]] = {}
        for (key, _), (config, _) in self._pending.items():
            configs.setdefault(key, config)
        return self._encoder.encode_all(list(configs.values()))

    # -- the weights -----------------------------------------------------------------------
    def _counts(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for r in self._resources:
            counts[r] = counts.get(r, 0) + 1
        return counts

    def _estimate_theta(self, models: dict[int, Any]) -> dict[int, float]:
        counts = self._counts()
        levels = self.levels
        top = [r for r in levels if counts.get(r, 0) >= self.min_level_observations]
        r_star = top[-1] if top else levels[0]
        if r_star == levels[0] or models.get(r_star) is None:
            return {levels[0]: 1.0}
        gp_star, _, rows_star, y_model = models[r_star]
        sign = 1.0 if self.mode == "min" else -1.0
        # X_*: configs observed at r_* that the level-r_* model holds (their positions in it)
        positions = [p for p, i in enumerate(rows_star) if self._resources[i] == r_star]
        positions = positions[-_MAX_RANKED:]
        obs = [rows_star[p] for p in positions]
        y_star = np.array([sign * self._values[i][0] for i in obs])
        X_star = self._X[obs, : self._encoder.dim]
        rng = np.random.default_rng([self.random_seed, self.num_observations, 17])
        losses = {}
        for r in levels:
            if r > r_star:
                break
            if r == r_star:
                mean, var = _leave_one_out(gp_star, positions, y_model)
                z = rng.standard_normal((self.num_samples, len(mean)))
                samples = mean + z * np.sqrt(var)
            else:
                if models.get(r) is None:
                    continue
                gp, inputs, _, _ = models[r]
                samples = _joint_samples(gp, inputs(X_star), self.num_samples, rng)
            losses[r] = ranking_losses(samples, y_star)
        names = list(losses)
        L = np.array([losses[r] for r in names])  # (levels, samples)
        wins = (L.min(axis=0, keepdims=True) + 1e-12 >= L).sum(axis=1).astype(float)
        wins /= wins.sum()
        return {r: float(w) for r, w in zip(names, wins, strict=True)}

    # -- the acquisition -------------------------------------------------------------------
    def _scorer(self) -> Acquisition:
        counts = self._counts()
        models: dict[int, Any] = {}
        for r in self.levels:
            if self.model == "joint" or counts.get(r, 0) >= 2:
                models[r] = self._level_model(r)
        self.theta = self._estimate_theta(models)
        parts = []
        for r, w in self.theta.items():
            if w > 0 and models.get(r) is not None:
                gp, inputs, _, _ = models[r]
                parts.append((w, gp, inputs, self._pending_for(r)))
        if not parts:  # the lowest level has no model yet: MOBSTER's acquisition
            return super()._scorer()
        total = sum(p[0] for p in parts)
        ensemble = _Ensemble([(w / total, gp, f, pend) for w, gp, f, pend in parts])
        d = self._encoder.dim
        X = np.unique(self._X[self._rows, :d], axis=0)
        mean, _ = ensemble.predict(X, mean_only=True)
        return Acquisition(ensemble, best=float(mean.min()), kind="ei")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(model={self.model!r}, levels={self.levels}, "
            f"metric={self.metric!r}, mode={self.mode!r}, observations={self.num_observations})"
        )


def _identity(C: np.ndarray) -> np.ndarray:
    return C


def _leave_one_out(gp: Any, positions: list[int], y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out predictive means and variances of the GP's targets ``y`` at the factor's
    rows ``positions``: ``y_i - alpha_i / [K^-1]_ii`` and ``1 / [K^-1]_ii``."""
    n = len(gp.L)
    E = np.zeros((n, len(positions)))
    E[positions, np.arange(len(positions))] = 1.0
    Z = solve_triangular(gp.L, E, lower=True, check_finite=False)  # [K^-1]_ii = ||L^-1 e_i||^2
    kinv = np.maximum(np.einsum("ij,ij->j", Z, Z), 1e-12)
    mean = y[positions] - gp.alpha[positions] / kinv
    return mean, 1.0 / kinv


def _joint_samples(gp: Any, Xc: np.ndarray, num: int, rng: np.random.Generator) -> np.ndarray:
    """``num`` joint posterior samples of ``f`` at the rows of ``Xc`` (shape ``(num, m)``)."""
    mean, _ = gp.predict(Xc, mean_only=True)
    cov = gp.kernel(Xc, Xc)
    if len(gp.X):
        V = solve_triangular(gp.L, gp.kernel(gp.X, Xc), lower=True, check_finite=False)
        cov -= V.T @ V
    m = len(Xc)
    jitter = 1e-6 * max(float(np.mean(np.diag(cov))), 1e-12)
    z = rng.standard_normal((num, m))
    for _ in range(4):
        try:
            L = cholesky(cov + jitter * np.eye(m), lower=True, check_finite=False)
        except LinAlgError:
            jitter *= 100.0
            continue
        return mean + z @ L.T
    return mean + z * np.sqrt(np.maximum(np.diag(cov), 0.0))
