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
observations are kept per resource level (``withdraw`` removes one) and the model is fitted at
the largest level with at least ``2 * num_min_data_points`` observations (BOHB); until there is
one, configs are random.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.searchers._parzen import _Layout, _Parzen, _Rows
from tunesmith.searchers.random import RandomSearcher
from tunesmith.space import hyperparameters
from tunesmith.trial import metric_value

__all__ = ["KDESearcher"]


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

    def _add(self, level: int, key: tuple, config: Mapping[str, Any], y: Any) -> None:
        rows = self._rows.get(level)
        if rows is None:
            rows = self._rows[level] = self._new_rows()
        real, index = self._layout.encode(config)
        rows.append(real, index, y, key)

    def _new_rows(self) -> _Rows:
        """The empty observations of a resource level (one value each)."""
        return _Rows(self._layout.num_real, self._layout.num_index)

    def withdraw(self, config: Mapping[str, Any], resource: int | None = None) -> None:
        level = 0 if resource is None else int(resource)
        rows = self._rows.get(level)
        if rows is not None and rows.remove(self._key(config)) and rows.n == 0:
            del self._rows[level]

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
        None while no level has :meth:`_fit_size` (``2 * num_min_data_points``) observations."""
        size = self._fit_size()
        fit = [level for level, rows in self._rows.items() if rows.n >= size]
        return max(fit) if fit else None

    def _fit_size(self) -> int:
        """The observations a resource level needs for the model to be fitted there."""
        return 2 * self.num_min_data_points

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

    def _num_good(self, n: int) -> int:
        """The size of the good set among ``n`` observations."""
        return min(max(self.num_min_data_points, math.floor(self.gamma * n)), n - 1)

    def _split(self, rows: _Rows) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the good and of the bad observations (the best
        :meth:`_num_good`; ties to the earlier)."""
        order = np.argsort(rows.y[: rows.n], kind="stable")
        n_good = self._num_good(rows.n)
        return order[:n_good], np.sort(order[n_good:])

    def _densities(self, rows: _Rows) -> tuple[_Parzen, _Parzen]:
        good, bad = self._split(rows)
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
                self._add(int(entry["level"]), tuple(key), self._config_of(key), y)
        self._pending = {
            tuple(k): self._layout.encode(self._config_of(k)) for k in state["pending"]
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(metric={self.metric!r}, mode={self.mode!r}, "
            f"gamma={self.gamma}, multivariate={self.multivariate})"
        )
