"""Acquisition functions and their maximization over a mixed config space.

Scores are "higher is better" and computed in one vectorized pass over many candidates:

* :func:`log_expected_improvement`: ``log E[max(best - f, 0)]`` for minimization, computed
  stably far into the tail (Ament et al., 2023, "Unexpected Improvements to Expected
  Improvement for Bayesian Optimization"), so candidates stay comparable where plain EI
  underflows to 0.
* :func:`lower_confidence_bound`: ``-(mean - kappa * std)``.
* :func:`log_probability_below`: ``log P(g <= threshold)``, for constraints (Gardner et al.,
  2014, "Bayesian Optimization with Inequality Constraints": EI times the probability of
  feasibility).
* :class:`Acquisition` combines them for a searcher's GPs (metric, constraint, cost: EI per
  unit of predicted cost) and fantasizes pending evaluations.

:class:`SpaceEncoder` is the vectorized twin of the domains' ``encode``: it samples candidates
with the domains' distributions, snaps arbitrary unit vectors onto valid encodings (integer bins,
bin centres, one-hot categories) and lists the neighbours of a point. :func:`maximize` scores
random candidates, runs a local search from the best ones and returns the best points in
order, for the searcher to take the first unseen one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import erf, erfcx, log_ndtr

from tunesmith.domains import Categorical, Domain, Float, Integer
from tunesmith.space import hyperparameters

__all__ = [
    "Acquisition",
    "SpaceEncoder",
    "log_expected_improvement",
    "log_probability_below",
    "lower_confidence_bound",
    "maximize",
]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)


def _log_h(z: np.ndarray) -> np.ndarray:
    """``log(phi(z) + z * Phi(z))``, the log of EI at unit standard deviation."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    hi = z > -1.0
    zh = z[hi]
    h = np.exp(-0.5 * zh * zh - _LOG_SQRT_2PI) + zh * 0.5 * (1.0 + erf(zh / math.sqrt(2.0)))
    out[hi] = np.log(np.maximum(h, 1e-300))
    lo = ~hi
    zl = z[lo]
    # phi(z) * (1 - |z| * Phi(z) / phi(z)), with Phi/phi = sqrt(pi/2) * erfcx(-z/sqrt(2))
    inner = 1.0 + zl * _SQRT_HALF_PI * erfcx(-zl / math.sqrt(2.0))
    tail = zl < -1e3  # inner ~ 1/z^2 there; round-off would dominate
    inner = np.where(tail, 1.0 / (zl * zl), np.maximum(inner, 1e-300))
    out[lo] = -0.5 * zl * zl - _LOG_SQRT_2PI + np.log(inner)
    return out


def log_expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """Log of the expected improvement over ``best`` of a minimized Gaussian ``N(mean, std^2)``."""
    std = np.maximum(std, 1e-12)
    return np.log(std) + _log_h((best - mean) / std)


def lower_confidence_bound(mean: np.ndarray, std: np.ndarray, kappa: float) -> np.ndarray:
    """Minus the lower confidence bound ``mean - kappa * std`` (higher is better)."""
    return kappa * std - mean


def log_probability_below(mean: np.ndarray, std: np.ndarray, threshold: float) -> np.ndarray:
    """``log P(g <= threshold)`` for ``g ~ N(mean, std^2)``."""
    return log_ndtr((threshold - mean) / np.maximum(std, 1e-12))


@dataclass
class Acquisition:
    """The score of candidates for a GP searcher: ``kind="ei"`` (log expected improvement over
    ``best``; 0 while ``best`` is None, i.e. nothing feasible yet) or ``"lcb"``; plus the log
    probability that the ``constraint`` GP is below ``threshold``; minus ``cost_exponent``
    times the predicted log cost (``cost``: a GP of the standardized log cost).

    Models have ``predict(X, pending=..., mean_only=...)`` (see
    :class:`~tunesmith.searchers.gp.GaussianProcess`); ``inputs`` maps candidate encodings to
    their inputs; ``pending`` are the inputs of evaluations under way."""

    metric: Any
    best: float | None
    kind: str = "ei"
    kappa: float = 1.0
    pending: np.ndarray | None = None
    inputs: Callable[[np.ndarray], np.ndarray] | None = None
    constraint: Any = None
    threshold: float = 0.0
    cost: Any = None
    cost_shift: float = 0.0
    cost_scale: float = 1.0
    cost_exponent: float = 1.0

    def believe_pending(self) -> None:
        """Kriging believer: pending evaluations count as observed at their posterior mean,
        so the incumbent includes them (if predicted feasible) and their neighbours promise no
        improvement."""
        if self.pending is None or self.kind != "ei":
            return
        fantasy, _ = self.metric.predict(self.pending, mean_only=True)
        if self.constraint is not None:
            mc, _ = self.constraint.predict(self.pending, mean_only=True)
            fantasy = fantasy[mc <= self.threshold]
        if len(fantasy):
            best = math.inf if self.best is None else self.best
            self.best = min(float(fantasy.min()), best)

    def __call__(self, C: np.ndarray) -> np.ndarray:
        X = C if self.inputs is None else self.inputs(C)
        mean, var = self.metric.predict(X, pending=self.pending)
        std = np.sqrt(var)
        if self.kind == "lcb":
            s = lower_confidence_bound(mean, std, self.kappa)
        elif self.best is not None:
            s = log_expected_improvement(mean, std, self.best)
        else:
            s = np.zeros(len(X))
        if self.constraint is not None:
            mc, vc = self.constraint.predict(X, pending=self.pending)
            s = s + log_probability_below(mc, np.sqrt(vc), self.threshold)
        if self.cost is not None and self.best is not None:
            mk, _ = self.cost.predict(X, mean_only=True)
            s = s - self.cost_exponent * (mk * self.cost_scale + self.cost_shift)
        return s


class SpaceEncoder:
    """Encodings of a config space's hyperparameters as rows of a matrix (the concatenated
    ``Domain.encode`` of each hyperparameter), with vectorized sampling, snapping and
    neighbourhoods."""

    def __init__(self, config_space: Mapping[str, Any]):
        self.config_space = dict(config_space)
        self.domains: list[tuple[str, Domain]] = list(hyperparameters(config_space).items())
        self.slices: list[slice] = []
        start = 0
        for _, domain in self.domains:
            self.slices.append(slice(start, start + domain.dim))
            start += domain.dim
        self.dim = start

    @property
    def numeric_columns(self) -> list[int]:
        """Columns of hyperparameters with a one-number encoding (not one-hot)."""
        return [s.start for (_, d), s in zip(self.domains, self.slices, strict=True) if d.dim == 1]

    # -- configs <-> rows ------------------------------------------------------------------
    def encode(self, config: Mapping[str, Any]) -> np.ndarray:
        row = np.empty(self.dim)
        for (name, domain), s in zip(self.domains, self.slices, strict=True):
            row[s] = domain.encode(config[name])
        return row

    def encode_all(self, configs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        out = np.empty((len(configs), self.dim))
        for i, config in enumerate(configs):
            out[i] = self.encode(config)
        return out

    def decode(self, row: np.ndarray) -> dict[str, Any]:
        config = dict(self.config_space)  # constants, in the space's key order
        for (name, domain), s in zip(self.domains, self.slices, strict=True):
            config[name] = domain.decode(row[s].tolist())
        return config

    # -- vectorized ------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` encodings of configs drawn from the domains' distributions."""
        U = rng.random((size, len(self.domains)))
        out = np.zeros((size, self.dim))
        for j, ((_, domain), s) in enumerate(zip(self.domains, self.slices, strict=True)):
            u = U[:, j]
            if isinstance(domain, Categorical):
                k = domain.dim
                idx = np.minimum((u * k).astype(int), k - 1)
                out[np.arange(size), s.start + idx] = 1.0
            else:
                out[:, s.start] = _snap_column(domain, u)
        return out

    def snap(self, X: np.ndarray) -> np.ndarray:
        """The valid encoding nearest to each row (as ``encode(decode(row))``)."""
        out = np.empty_like(X)
        for (_, domain), s in zip(self.domains, self.slices, strict=True):
            if isinstance(domain, Categorical):
                block = np.zeros((len(X), domain.dim))
                block[np.arange(len(X)), np.argmax(X[:, s], axis=1)] = 1.0
                out[:, s] = block
            else:
                out[:, s.start] = _snap_column(domain, X[:, s.start])
        return out

    def neighbours(self, X: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Neighbours of each row of ``X`` (one hyperparameter changed: a real value moved by a
        random step, an integer or ordered value to the next one, a category switched).
        Returns ``(points, owner)``, ``owner[i]`` being the row of ``X`` that ``points[i]``
        neighbours."""
        blocks, owners = [], []
        rows = np.arange(len(X))
        for (_, domain), s in zip(self.domains, self.slices, strict=True):
            if isinstance(domain, Categorical):
                current = np.argmax(X[:, s], axis=1)
                for c in range(domain.dim):
                    keep = current != c
                    if not keep.any():
                        continue
                    Y = X[keep].copy()
                    Y[:, s] = 0.0
                    Y[:, s.start + c] = 1.0
                    blocks.append(Y)
                    owners.append(rows[keep])
                continue
            j = s.start
            if isinstance(domain, Float):
                moves = [
                    np.clip(X[:, j] + rng.normal(0.0, sd, len(X)), 0.0, 1.0) for sd in (0.15, 0.03)
                ]
            else:
                moves = [_next_value(domain, X[:, j], step) for step in (-1, 1)]
            for move in moves:
                Y = X.copy()
                Y[:, j] = move
                moved = Y[:, j] != X[:, j]
                if moved.any():
                    blocks.append(Y[moved])
                    owners.append(rows[moved])
        if not blocks:
            return np.empty((0, self.dim)), np.empty(0, dtype=int)
        return np.vstack(blocks), np.concatenate(owners)


def _next_value(domain: Domain, x: np.ndarray, step: int) -> np.ndarray:
    """Encodings of the value ``step`` places away from each encoded value ``x`` of a finite
    one-number domain (clipped at the ends)."""
    if isinstance(domain, Integer):
        z = domain._lo + np.clip(x, 0.0, 1.0) * domain._width
        v = np.clip(np.rint(np.exp(z) if domain.log else z) + step, domain.lower, domain.upper)
        pos = np.log(v) if domain.log else v
        return np.clip((pos - domain._lo) / domain._width, 0.0, 1.0)
    n = domain.cardinality
    idx = np.clip(np.minimum((np.clip(x, 0.0, 1.0) * n).astype(int), n - 1) + step, 0, n - 1)
    return (idx + 0.5) / n


def _snap_column(domain: Domain, u: np.ndarray) -> np.ndarray:
    """Encodings of ``domain.value_at(u)`` for an array ``u`` (one-number domains)."""
    u = np.clip(u, 0.0, 1.0)
    if isinstance(domain, Float):
        return u
    if isinstance(domain, Integer):
        z = domain._lo + u * domain._width
        v = np.rint(np.exp(z) if domain.log else z)
        v = np.clip(v, domain.lower, domain.upper)
        pos = np.log(v) if domain.log else v
        return np.clip((pos - domain._lo) / domain._width, 0.0, 1.0)
    n = domain.cardinality
    idx = np.minimum((u * n).astype(int), n - 1)
    return (idx + 0.5) / n


def maximize(
    score: Callable[[np.ndarray], np.ndarray],
    encoder: SpaceEncoder,
    rng: np.random.Generator,
    *,
    num_candidates: int = 2000,
    num_starts: int = 5,
    max_steps: int = 10,
    candidates: np.ndarray | None = None,
    extra: np.ndarray | None = None,
    valid: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Points of the encoded space in decreasing order of ``score``, with their scores.

    ``candidates``: a fixed set to rank (a finite space, or restricted configurations); else
    ``num_candidates`` random ones and the rows of ``extra`` (e.g. the best configs observed)
    are scored in one pass, then a greedy local search moves each of the ``num_starts`` best
    to its best neighbour while that improves the score, for at most ``max_steps`` steps
    (``valid``: a mask of the neighbours allowed, e.g. those in a table of configs). All
    points scored are returned, best first, so that the caller can skip points whose configs
    were already evaluated or are pending."""
    if candidates is not None:
        scores = score(candidates)
        order = np.argsort(-scores, kind="stable")
        return candidates[order], scores[order]
    X = encoder.sample(rng, num_candidates)
    if extra is not None and len(extra):
        X = np.vstack([X, extra])
    scores = score(X)
    pool_x, pool_s = [X], [scores]
    top = np.argsort(-scores, kind="stable")[:num_starts]
    current, current_s = X[top], scores[top]
    active = np.ones(len(current), dtype=bool)
    for _ in range(max_steps):
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        nb, owner = encoder.neighbours(current[idx], rng)
        if valid is not None and len(nb):
            keep = valid(nb)
            nb, owner = nb[keep], owner[keep]
        if not len(nb):
            break
        nb_s = score(nb)
        pool_x.append(nb)
        pool_s.append(nb_s)
        for k, i in enumerate(idx):
            mine = np.flatnonzero(owner == k)
            if not len(mine):
                active[i] = False
                continue
            best = mine[np.argmax(nb_s[mine])]
            if nb_s[best] > current_s[i] + 1e-12 * (1.0 + abs(current_s[i])):
                current[i], current_s[i] = nb[best], nb_s[best]
            else:
                active[i] = False
    allx, alls = np.vstack(pool_x), np.concatenate(pool_s)
    order = np.argsort(-alls, kind="stable")
    return allx[order], alls[order]
