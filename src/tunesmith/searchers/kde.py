"""Kernel density estimators as in TPE (Bergstra et al., 2011) and BOHB (Falkner et al., 2018).

The observations at one resource level are split by a quantile ``gamma`` of their metric into
*good* and *bad* configs, a Parzen estimator is fitted to each (``l`` and ``g``), candidates are
drawn from ``l`` and the one with the largest ``l(x) / g(x)`` (which ranks configs as expected
improvement does, Bergstra et al., 2011) is suggested.

Columns. Every hyperparameter is one column of the model, in the unit encoding of
:mod:`tunesmith.space`:

* *real* columns (``uniform``, ``loguniform``; ``randint``/``lograndint``/``finrange``/
  ``ordinal`` with more than ``32`` values): a Gaussian kernel truncated to ``[0, 1]``, bandwidth
  ``h = 1.06 * std * n**(-1 / (4 + d))`` (Scott's rule; ``-1/5`` for univariate models), at
  least ``min_bandwidth``, ``1 / min(100, n + 1)`` (hyperopt's "magic clip", which keeps a few
  close observations from collapsing the density) and half a value's slice for discrete
  domains. Discrete values are snapped to their encoding (the centre of their slice), so the
  model scores real values.
* *ordered* columns (ints, ``finrange``, ``ordinal`` with at most 32 values): the same Gaussian
  (same bandwidth rule), integrated over each value's slice: a distribution over the values.
* *categorical* columns (``choice``): Aitchison-Aitken kernel: the observed category with
  probability ``1 - b``, each other one ``b / (k - 1)``, with ``b = (k - 1) / k / sqrt(n + 1)``.

``multivariate=True`` (BOHB; Falkner et al., 2018, and Watanabe, 2023, found it better) uses the
product kernel ``l(x) = mean_i prod_j K_j(x_j, x_ij)``, ``False`` (TPE) a product of per-column
mixtures. Both add a uniform prior component of weight ``prior_weight``, so no density is zero.
The multivariate log-density of ``m`` candidates against ``n`` rows is one ``(m, F) @ (F, n)``
matrix product (``F``: real columns plus the sizes of the discrete ones) and a log-sum-exp, so a
suggestion costs ``O(m * n * F)`` flops in a few numpy calls.

Pending evaluations (``pending()`` and not yet observed or failed) join the bad set ("constant
liar", the worst value), which steers new suggestions away from running ones. Multi-fidelity:
observations are kept per resource level and the model is fitted at the largest level with at
least ``2 * num_min_data_points`` observations (BOHB); until there is one, configs are random.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from tunesmith.domains import Categorical, Domain, FiniteRange, Float, Integer, Ordinal
from tunesmith.searchers.random import RandomSearcher
from tunesmith.space import hyperparameters
from tunesmith.trial import metric_value

__all__ = ["KDESearcher"]

#: finite ordered domains with at most this many values get exact per-value kernel tables
_TABLE_LIMIT = 32
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_TINY = 1e-300


def _check_number(name: str, value: Any, low: float, high: float, *, closed: str = "both") -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (low <= value if closed in ("both", "low") else low < value) and (
            value <= high if closed in ("both", "high") else value < high
        )
    if not ok:
        lo_b = "[" if closed in ("both", "low") else "("
        hi_b = "]" if closed in ("both", "high") else ")"
        raise ValueError(
            f"`{name}` must be a number in {lo_b}{low}, {high}{hi_b}, but got {value!r}"
        )
    return float(value)


def _check_int(name: str, value: Any, minimum: int) -> int:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, but got {name}={value!r}")
    return int(value)


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
    """Observations at one resource level, in arrays grown in place (amortized appends)."""

    def __init__(self, num_real: int, num_index: int):
        self.real = np.empty((16, num_real))
        self.index = np.empty((16, num_index), dtype=np.intp)
        self.y = np.empty(16)
        self.keys: list[tuple] = []
        self.n = 0

    def append(self, real: Sequence[float], index: Sequence[int], y: float, key: tuple) -> None:
        if self.n == len(self.y):
            self.real = _grown(self.real)
            self.index = _grown(self.index)
            self.y = _grown(self.y)
        self.real[self.n] = real
        self.index[self.n] = index
        self.y[self.n] = y
        self.keys.append(key)
        self.n += 1


def _grown(array: np.ndarray) -> np.ndarray:
    out = np.empty((2 * len(array), *array.shape[1:]), dtype=array.dtype)
    out[: len(array)] = array
    return out


# -- the searcher ----------------------------------------------------------------------------------


class KDESearcher(RandomSearcher):
    """TPE / BOHB's kernel density estimator (Bergstra, Bardenet, Bengio, Kégl, 2011: "Algorithms
    for Hyper-Parameter Optimization"; Falkner, Klein, Hutter, 2018: "BOHB: Robust and Efficient
    Hyperparameter Optimization at Scale"; Watanabe, 2023: "Tree-Structured Parzen Estimator:
    Understanding Its Algorithm Components ..."). See the module docstring for the model.

    * ``gamma``: fraction of the observations that are *good* (BOHB's ``top_n_percent`` / 100).
    * ``num_min_data_points``: the least number of observations in each of the good and the bad
      set (default: number of hyperparameters + 1, BOHB's ``min_points_in_model``): the good set
      holds the best ``max(num_min_data_points, floor(gamma * n))`` of ``n`` observations, so
      the model is used at a resource level once it has ``2 * num_min_data_points``
      observations (configs are random until then), and it starts broad, as in BOHB.
    * ``num_candidates``: configs drawn from the good density per suggestion; the one with the
      best density ratio that was not suggested before is returned (when all were, a random
      unseen config).
    * ``bandwidth_factor``: candidates are drawn with this multiple of the bandwidth (wider than
      the model, for exploration; BOHB's value 3).
    * ``min_bandwidth``: lower bound of every bandwidth (in the unit encoding).
    * ``random_fraction``: probability that a suggestion is random even with a model (BOHB: 1/3).
    * ``multivariate``: product kernel (BOHB) or independent columns (the original TPE).
    * ``prior_weight``: weight of a uniform component in both densities (0 disables it).
    * ``consider_pending``: pending evaluations join the bad set.
    * ``restrict_configurations``: the only configs that may be suggested (a tabulated
      benchmark's). With a model, ``num_candidates`` of those not suggested yet are drawn with
      probabilities proportional to the density candidates are otherwise sampled from, and the
      one with the best density ratio is suggested; without one, a random one.

    Defaults are BOHB's. State (observations by level, pending configs, the random generator)
    is in :meth:`state_dict`; it is also what a replay of the observations rebuilds.
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | None = None,
        mode: str = "min",
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        random_seed: int | None = None,
        allow_duplicates: bool = False,
        gamma: float = 0.15,
        num_min_data_points: int | None = None,
        num_candidates: int = 64,
        bandwidth_factor: float = 3.0,
        min_bandwidth: float = 1e-3,
        random_fraction: float = 1 / 3,
        multivariate: bool = True,
        prior_weight: float = 1.0,
        consider_pending: bool = True,
        max_retries: int = 100,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            max_retries=max_retries,
            restrict_configurations=restrict_configurations,
        )
        hps = hyperparameters(self.config_space)
        self.gamma = _check_number("gamma", gamma, 0.0, 1.0, closed="neither")
        if num_min_data_points is None:
            num_min_data_points = len(hps) + 1
        self.num_min_data_points = _check_int("num_min_data_points", num_min_data_points, 2)
        self.num_candidates = _check_int("num_candidates", num_candidates, 1)
        self.bandwidth_factor = _check_number(
            "bandwidth_factor", bandwidth_factor, 0.0, math.inf, closed="neither"
        )
        self.min_bandwidth = _check_number("min_bandwidth", min_bandwidth, 0.0, 1.0, closed="high")
        self.random_fraction = _check_number("random_fraction", random_fraction, 0.0, 1.0)
        self.multivariate = bool(multivariate)
        self.prior_weight = _check_number("prior_weight", prior_weight, 0.0, math.inf, closed="low")
        self.consider_pending = bool(consider_pending)
        self._layout = _Layout(hps)
        self._rows: dict[int, _Rows] = {}
        self._pending: dict[tuple, tuple[list[float], list[int]]] = {}
        # restrict_configurations in the model's columns (real, index, one-hot), and their keys
        self._allowed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._allowed_keys: list[tuple] = []

    # -- data --------------------------------------------------------------------------------
    def _score(self, metrics: Mapping[str, Any]) -> float:
        if self.metric is None:
            raise ValueError(
                "the searcher has no metric: pass `metric=` or use it inside a scheduler"
            )
        value = metric_value(dict(metrics), self.metric)
        return value if self.mode == "min" else -value

    def observe(
        self, config: Mapping[str, Any], metrics: Mapping[str, Any], resource: int | None = None
    ) -> None:
        y = self._score(metrics)
        key = self._key(config)
        self._add(0 if resource is None else int(resource), key, config, y)
        self._pending.pop(key, None)
        self._mark_seen(config)

    def _add(self, level: int, key: tuple, config: Mapping[str, Any], y: float) -> None:
        rows = self._rows.get(level)
        if rows is None:
            rows = self._rows[level] = _Rows(self._layout.num_real, self._layout.num_index)
        real, index = self._layout.encode(config)
        rows.append(real, index, y, key)

    def pending(self, config: Mapping[str, Any], resource: int | None = None) -> None:
        self._pending[self._key(config)] = self._layout.encode(config)

    def failed(self, config: Mapping[str, Any]) -> None:
        self._pending.pop(self._key(config), None)

    def num_observations(self, resource: int | None = None) -> int:
        """Observations at ``resource`` (None: of results without a resource)."""
        rows = self._rows.get(0 if resource is None else int(resource))
        return 0 if rows is None else rows.n

    def model_level(self) -> int | None:
        """The resource level the model is fitted at now (0: results without a resource), or
        None while no level has ``2 * num_min_data_points`` observations."""
        fit = [
            level for level, rows in self._rows.items() if rows.n >= 2 * self.num_min_data_points
        ]
        return max(fit) if fit else None

    # -- suggest -----------------------------------------------------------------------------
    def _suggest(self) -> dict[str, Any] | None:
        exhausted = self._cardinality is not None and len(self._seen) >= self._cardinality
        if exhausted and not self.allow_duplicates:
            return None
        level = self.model_level()
        if level is None or self._layout.num_hps == 0 or self.rng.random() < self.random_fraction:
            return super()._suggest()
        config = self._model_suggest(self._rows[level])
        return config if config is not None else super()._suggest()

    def _densities(self, rows: _Rows) -> tuple[_Parzen, _Parzen]:
        n = rows.n
        order = np.argsort(rows.y[:n], kind="stable")
        n_good = min(max(self.num_min_data_points, math.floor(self.gamma * n)), n - 1)
        good, bad = order[:n_good], np.sort(order[n_good:])
        bad_real, bad_index = rows.real[bad], rows.index[bad]
        if self.consider_pending and self._pending:
            extra = list(self._pending.values())
            bad_real = np.vstack(
                [bad_real, np.array([r for r, _ in extra]).reshape(len(extra), -1)]
            )
            bad_index = np.vstack(
                [bad_index, np.array([i for _, i in extra], dtype=np.intp).reshape(len(extra), -1)]
            )
        good_density = self._parzen(rows.real[good], rows.index[good])
        bad_density = self._parzen(bad_real, bad_index)
        return good_density, bad_density

    def _parzen(self, real: np.ndarray, index: np.ndarray, **extra: Any) -> _Parzen:
        """A Parzen estimator of the rows with the searcher's kernel options."""
        return _Parzen(
            self._layout,
            real,
            index,
            multivariate=self.multivariate,
            min_bandwidth=self.min_bandwidth,
            prior_weight=self.prior_weight,
            **extra,
        )

    def _onehot(self, index: np.ndarray) -> np.ndarray:
        layout = self._layout
        onehot = np.zeros((len(index), int(layout.offsets[-1])))
        if layout.num_index:
            rows = np.repeat(np.arange(len(index)), layout.num_index)
            onehot[rows, (index + layout.offsets[:-1]).ravel()] = 1.0
        return onehot

    def _model_suggest(self, rows: _Rows) -> dict[str, Any] | None:
        good, bad = self._densities(rows)
        real, index = good.sample(self.rng, self.num_candidates, self.bandwidth_factor)
        onehot = self._onehot(index)
        score = good.log_density(real, index, onehot) - bad.log_density(real, index, onehot)
        for j in np.argsort(-score, kind="stable").tolist():
            config = self._layout.decode(self.config_space, real[j], index[j])
            if self._is_new(config):
                return config
        return None

    def _suggest_restricted(self) -> dict[str, Any] | None:
        level = self.model_level()
        if level is None or self._layout.num_hps == 0 or self.rng.random() < self.random_fraction:
            return super()._suggest_restricted()
        config = self._model_suggest_restricted(self._rows[level])
        return config if config is not None else super()._suggest_restricted()

    def _model_suggest_restricted(self, rows: _Rows) -> dict[str, Any] | None:
        """TPE on a finite set: ``num_candidates`` of the configs not suggested yet, drawn
        without replacement with probabilities proportional to the density that
        :meth:`_Parzen.sample` draws from (the good density, bandwidths times
        ``bandwidth_factor``; Gumbel top-k), and the one with the best density ratio."""
        configs = self._restricted
        assert configs is not None
        if self._allowed is None:
            encoded = [self._layout.encode(c) for c in configs]
            real = np.array([r for r, _ in encoded], dtype=float).reshape(len(configs), -1)
            index = np.array([i for _, i in encoded], dtype=np.intp).reshape(len(configs), -1)
            self._allowed = (real, index, self._onehot(index))
            self._allowed_keys = [self._key(c) for c in configs]
        free = np.array(self._unseen(self._allowed_keys), dtype=np.intp)
        if not len(free):
            return None
        real, index, onehot = (a[free] for a in self._allowed)
        good, bad = self._densities(rows)
        wide = self._parzen(
            good.real, good.index, bandwidth_scale=self.bandwidth_factor, joint=True
        )
        keys = wide.log_density(real, index, onehot) + self.rng.gumbel(size=len(free))
        picks = np.argsort(-keys, kind="stable")[: self.num_candidates]
        score = good.log_density(real[picks], index[picks], onehot[picks]) - bad.log_density(
            real[picks], index[picks], onehot[picks]
        )
        return dict(configs[free[picks[int(np.argmax(score))]]])

    # -- state -------------------------------------------------------------------------------
    def _config_of(self, key: Sequence[Any]) -> dict[str, Any]:
        return dict(zip(self._names, key, strict=True))

    def _extra_state(self) -> dict[str, Any]:
        return {
            "observations": [
                {
                    "level": level,
                    "keys": [list(k) for k in rows.keys],
                    "y": rows.y[: rows.n].tolist(),
                }
                for level, rows in self._rows.items()
            ],
            "pending": [list(k) for k in self._pending],
        }

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        self._rows = {}
        for entry in state["observations"]:
            for key, y in zip(entry["keys"], entry["y"], strict=True):
                self._add(int(entry["level"]), tuple(key), self._config_of(key), float(y))
        self._pending = {
            tuple(k): self._layout.encode(self._config_of(k)) for k in state["pending"]
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(metric={self.metric!r}, mode={self.mode!r}, "
            f"gamma={self.gamma}, multivariate={self.multivariate})"
        )
