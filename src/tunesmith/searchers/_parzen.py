"""The Parzen estimators of :class:`~tunesmith.searchers.KDESearcher` and
:class:`~tunesmith.searchers.MOTPESearcher`: how configs map to model columns, one kernel density
estimator of rows of them (log-densities of candidates, and draws), and the observations at one
resource level. The model (columns, kernels, bandwidths) is described in
:mod:`tunesmith.searchers.kde`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from tunesmith.domains import Categorical, Domain, FiniteRange, Float, Integer, Ordinal

#: finite ordered domains with at most this many values get exact per-value kernel tables
_TABLE_LIMIT = 32
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_TINY = 1e-300


# -- the columns of the model --------------------------------------------------------------------


class _Layout:
    """How configs map to model columns: a float matrix of *real* columns (encoded positions) and
    an int matrix of *index* columns (ordered ones first, then categorical ones)."""

    def __init__(self, hps: Mapping[str, Domain]):
        self.num_hps = len(hps)
        self.real: list[tuple[str, Domain]] = []
        self.ordered: list[tuple[str, Domain]] = []
        self.categorical: list[tuple[str, Categorical]] = []
        for name, domain in hps.items():
            k = domain.cardinality
            if isinstance(domain, Categorical):
                self.categorical.append((name, domain))
            elif k is not None and k <= _TABLE_LIMIT:
                self.ordered.append((name, domain))
            else:
                self.real.append((name, domain))
        # real columns: lower bound of the bandwidth from the slice width of discrete domains
        self.real_floor = np.array(
            [0.5 / d.cardinality if d.cardinality else 0.0 for _, d in self.real], dtype=float
        )
        # ordered columns: slice edges and value encodings (the kernels' centres)
        self.edges = [_edges(d) for _, d in self.ordered]
        self.centres = [np.array([d.encode(v)[0] for v in _values(d)]) for _, d in self.ordered]
        self.ordered_floor = np.array([0.5 / d.cardinality for _, d in self.ordered], dtype=float)
        self.cat_index = [{c: i for i, c in enumerate(d.categories)} for _, d in self.categorical]
        self.sizes = [d.cardinality for _, d in self.ordered] + [
            d.cardinality for _, d in self.categorical
        ]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.intp)
        self.num_real = len(self.real)
        self.num_index = len(self.sizes)
        self.log_uniform = -float(np.sum(np.log(self.sizes))) if self.sizes else 0.0

    def encode(self, config: Mapping[str, Any]) -> tuple[list[float], list[int]]:
        real = [d.encode(config[name])[0] for name, d in self.real]
        index = [_index_of(d, config[name]) for name, d in self.ordered]
        index += [
            lookup[config[name]]
            for (name, _), lookup in zip(self.categorical, self.cat_index, strict=True)
        ]
        return real, index

    def snap(self, u: np.ndarray) -> np.ndarray:
        """Real columns of candidates (``(m, R)``) moved to the encoding of the value they decode
        to (discrete domains only)."""
        for j, (_, d) in enumerate(self.real):
            if isinstance(d, Float):
                continue
            k = d.cardinality
            if isinstance(d, Integer) and d.log:
                lo = math.log(d.lower - 0.5)
                width = math.log(d.upper + 0.5) - lo
                v = np.clip(np.rint(np.exp(lo + u[:, j] * width)), d.lower, d.upper)
                u[:, j] = np.clip((np.log(v) - lo) / width, 0.0, 1.0)
            else:
                i = np.minimum(np.floor(u[:, j] * k), k - 1)
                u[:, j] = (i + 0.5) / k
        return u

    def decode(
        self, base: Mapping[str, Any], real: np.ndarray, index: np.ndarray
    ) -> dict[str, Any]:
        config = dict(base)
        for (name, d), u in zip(self.real, real.tolist(), strict=True):
            config[name] = d.decode([u])
        index = index.tolist()
        split = len(self.ordered)
        for (name, d), i in zip(self.ordered, index[:split], strict=True):
            config[name] = _value_at_index(d, i)
        for (name, d), i in zip(self.categorical, index[split:], strict=True):
            config[name] = d.categories[i]
        return config


def _values(domain: Domain) -> list[Any]:
    if isinstance(domain, Integer):
        return list(range(domain.lower, domain.upper + 1))
    return list(domain.values)  # type: ignore[attr-defined]


def _index_of(domain: Domain, value: Any) -> int:
    if isinstance(domain, Integer):
        return int(round(value)) - domain.lower
    assert isinstance(domain, Ordinal | FiniteRange)
    i = domain.index(value)
    if i is None:
        raise ValueError(f"{value!r} is not {domain.describe()}")
    return i


def _value_at_index(domain: Domain, i: int) -> Any:
    if isinstance(domain, Integer):
        return domain.lower + i
    return domain.values[i]  # type: ignore[attr-defined]


def _edges(domain: Domain) -> np.ndarray:
    """The ``k + 1`` slice edges of a finite ordered domain in the unit encoding."""
    k = domain.cardinality
    assert k is not None
    if isinstance(domain, Integer) and domain.log:  # slices of log(v - 0.5) .. log(v + 0.5)
        lo = math.log(domain.lower - 0.5)
        width = math.log(domain.upper + 0.5) - lo
        edges = (np.log(domain.lower - 0.5 + np.arange(k + 1)) - lo) / width
        edges[0], edges[-1] = 0.0, 1.0
        return edges
    return np.arange(k + 1) / k


# -- one Parzen estimator ------------------------------------------------------------------------


class _Parzen:
    """A kernel density estimator on the rows ``real`` (``(n, R)``) and ``index`` (``(n, C)``)."""

    def __init__(
        self,
        layout: _Layout,
        real: np.ndarray,
        index: np.ndarray,
        *,
        multivariate: bool,
        min_bandwidth: float,
        prior_weight: float,
        bandwidth_scale: float = 1.0,
        joint: bool = False,
    ):
        self.layout = layout
        self.real, self.index = real, index
        self.n = n = len(real)
        # the density: a mixture of product kernels (multivariate, or ``joint``: the density
        # :meth:`sample` draws from, one parent for all columns) or a product of mixtures;
        # the bandwidth rule follows ``multivariate``
        self.multivariate = multivariate or joint
        self.prior_weight = prior_weight
        exponent = -1.0 / (4 + layout.num_hps) if multivariate else -0.2
        scale = 1.06 * n**exponent
        self.h_real = self._bandwidth(real, scale, layout.real_floor, min_bandwidth)
        num_ordered = len(layout.ordered)
        mu = np.empty((n, num_ordered))
        for j in range(num_ordered):
            mu[:, j] = layout.centres[j][index[:, j]]
        self.mu_ordered = mu
        self.h_ordered = self._bandwidth(mu, scale, layout.ordered_floor, min_bandwidth)
        self.b_cat = [
            (d.cardinality - 1) / d.cardinality / math.sqrt(n + 1) for _, d in layout.categorical
        ]
        if bandwidth_scale != 1.0:  # the density that :meth:`sample` draws from
            self.h_real = self.h_real * bandwidth_scale
            self.h_ordered = self.h_ordered * bandwidth_scale
            self.b_cat = [
                min(bandwidth_scale * b, (d.cardinality - 1) / d.cardinality)
                for b, (_, d) in zip(self.b_cat, layout.categorical, strict=True)
            ]
        # log kernel tables: table[v, j] = log K(value j | observed value v)
        self.tables = [
            _ordered_table(layout.centres[j], layout.edges[j], self.h_ordered[j])
            for j in range(num_ordered)
        ]
        self.tables += [
            _categorical_table(d.cardinality, b)
            for (_, d), b in zip(layout.categorical, self.b_cat, strict=True)
        ]
        # log of the truncation mass of each real kernel, (n, R)
        h = self.h_real
        self.log_z = np.log(np.maximum(ndtr((1.0 - real) / h) - ndtr(-real / h), _TINY))
        if self.multivariate:
            self._prepare_product()

    @staticmethod
    def _bandwidth(x: np.ndarray, scale: float, floor: np.ndarray, min_bw: float) -> np.ndarray:
        if x.shape[1] == 0:
            return np.zeros(0)
        sigma = x.std(axis=0) if len(x) > 1 else np.full(x.shape[1], 1 / math.sqrt(12))
        # hyperopt's "magic clip" (see the module docstring)
        clip = max(min_bw, 1.0 / min(100, len(x) + 1))
        return np.maximum(np.maximum(scale * sigma, floor), clip)

    def _prepare_product(self) -> None:
        """``log K(c, x_i) = feats(c) @ W[:, i] + cand_term(c) + obs_term[i]``."""
        layout, h = self.layout, self.h_real
        self.inv_h2 = 1.0 / h**2
        self.obs_term = (
            -0.5 * (self.real**2 * self.inv_h2).sum(axis=1)
            - self.log_z.sum(axis=1)
            - float(np.sum(np.log(h) + _LOG_SQRT_2PI))
        )
        blocks = [self.real.T]
        for j, table in enumerate(self.tables):
            blocks.append(table.T[:, self.index[:, j]])
        self.weights = np.vstack(blocks) if blocks else np.zeros((0, self.n))
        self.weights = np.ascontiguousarray(self.weights)
        log_w = math.log(self.prior_weight) if self.prior_weight > 0 else -math.inf
        self.log_prior = log_w + layout.log_uniform

    # -- density ------------------------------------------------------------------------------
    def log_density(self, real: np.ndarray, index: np.ndarray, onehot: np.ndarray) -> np.ndarray:
        """Log-density of candidates (``onehot``: their index columns one-hot, ``(m, K)``)."""
        norm = math.log(self.n + self.prior_weight)
        if self.multivariate:
            feats = np.hstack([real * self.inv_h2, onehot])
            logk = feats @ self.weights
            logk += self.obs_term
            logk += (-0.5 * (real**2 * self.inv_h2).sum(axis=1))[:, None]
            return np.logaddexp(_logsumexp_rows(logk), self.log_prior) - norm
        total = np.zeros(len(real))
        log_w = math.log(self.prior_weight) if self.prior_weight > 0 else -math.inf
        for j, h in enumerate(self.h_real.tolist()):
            z = (real[:, j, None] - self.real[None, :, j]) / h
            logk = -0.5 * z**2 - self.log_z[None, :, j]
            lse = _logsumexp_rows(logk) - math.log(h) - _LOG_SQRT_2PI
            total += np.logaddexp(lse, log_w) - norm
        for j, table in enumerate(self.tables):
            k = table.shape[0]
            counts = np.bincount(self.index[:, j], minlength=k).astype(float)
            probs = (counts @ np.exp(table) + self.prior_weight / k) / (self.n + self.prior_weight)
            total += np.log(probs)[index[:, j]]
        return total

    # -- sampling -----------------------------------------------------------------------------
    def sample(
        self, rng: np.random.Generator, m: int, bandwidth_factor: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """``m`` candidates: around a random row with ``bandwidth_factor`` times the bandwidth
        (each from the uniform prior with probability ``prior_weight / (n + prior_weight)``)."""
        layout = self.layout
        parents = rng.integers(self.n, size=m)
        prior = rng.random(m) < self.prior_weight / (self.n + self.prior_weight)
        real = _truncated_normal(rng, self.real[parents], bandwidth_factor * self.h_real)
        uniform = rng.random(real.shape)
        real[prior] = uniform[prior]
        real = layout.snap(real)
        index = np.empty((m, layout.num_index), dtype=np.intp)
        pos = _truncated_normal(rng, self.mu_ordered[parents], bandwidth_factor * self.h_ordered)
        uniform = rng.random(pos.shape)
        pos[prior] = uniform[prior]
        for j, edges in enumerate(layout.edges):
            index[:, j] = np.clip(
                np.searchsorted(edges, pos[:, j], side="right") - 1, 0, len(edges) - 2
            )
        start = len(layout.ordered)
        for j, b in enumerate(self.b_cat):
            k = layout.sizes[start + j]
            observed = self.index[parents, start + j]
            change = rng.random(m) < min(bandwidth_factor * b, (k - 1) / k)
            other = (observed + 1 + rng.integers(max(k - 1, 1), size=m)) % k
            drawn = np.where(change, other, observed)
            index[:, start + j] = np.where(prior, rng.integers(k, size=m), drawn)
        return real, index


def _logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """``log(sum(exp(a), axis=1))``, overwriting ``a``."""
    top = a.max(axis=1)
    top[~np.isfinite(top)] = 0.0
    a -= top[:, None]
    np.exp(a, out=a)
    return np.log(a.sum(axis=1)) + top


def _truncated_normal(rng: np.random.Generator, mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Draws from normals around ``mu`` (``(m, c)``) with deviations ``sd`` (``(c,)``), truncated
    to ``[0, 1]`` (inverse CDF)."""
    u = rng.random(mu.shape)
    if mu.size == 0:
        return mu.astype(float, copy=True)
    lo, hi = ndtr(-mu / sd), ndtr((1.0 - mu) / sd)
    x = mu + sd * ndtri(lo + u * (hi - lo))
    return np.clip(np.nan_to_num(x, nan=0.5), 0.0, 1.0)


def _ordered_table(centres: np.ndarray, edges: np.ndarray, h: float) -> np.ndarray:
    cdf = ndtr((edges[None, :] - centres[:, None]) / h)
    mass = np.maximum(np.diff(cdf, axis=1), _TINY)
    return np.log(mass / mass.sum(axis=1, keepdims=True))


def _categorical_table(k: int, b: float) -> np.ndarray:
    if k == 1:
        return np.zeros((1, 1))
    table = np.full((k, k), math.log(b / (k - 1)))
    np.fill_diagonal(table, math.log(1.0 - b))
    return table


# -- observations ----------------------------------------------------------------------------------


class _Rows:
    """Observations at one resource level, in arrays grown in place (amortized appends);
    ``y_shape``: the shape of one observation's value (``()``: one number, ``(d,)``: ``d``
    objectives)."""

    def __init__(self, num_real: int, num_index: int, y_shape: tuple[int, ...] = ()):
        self.real = np.empty((16, num_real))
        self.index = np.empty((16, num_index), dtype=np.intp)
        self.y = np.empty((16, *y_shape))
        self.keys: list[tuple] = []
        self.n = 0

    def append(self, real: Sequence[float], index: Sequence[int], y: Any, key: tuple) -> None:
        if self.n == len(self.y):
            self.real = _grown(self.real)
            self.index = _grown(self.index)
            self.y = _grown(self.y)
        self.real[self.n] = real
        self.index[self.n] = index
        self.y[self.n] = y
        self.keys.append(key)
        self.n += 1

    def remove(self, key: tuple) -> bool:
        """Remove the last row of ``key`` (later rows move up a place); False if none."""
        n = self.n
        i = next((j for j in range(n - 1, -1, -1) if self.keys[j] == key), None)
        if i is None:
            return False
        for array in (self.real, self.index, self.y):
            array[i : n - 1] = array[i + 1 : n]
        del self.keys[i]
        self.n = n - 1
        return True


def _grown(array: np.ndarray) -> np.ndarray:
    out = np.empty((2 * len(array), *array.shape[1:]), dtype=array.dtype)
    out[: len(array)] = array
    return out
