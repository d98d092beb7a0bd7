"""Bayesian optimization with a Gaussian-process surrogate: :class:`GPSearcher`.

After ``num_init_random`` initial configs (``points_to_evaluate`` first, then random ones), each
suggestion maximizes an acquisition function of a GP fitted to the observations
(:mod:`tunesmith.searchers.gp`) over the encoded config space
(:mod:`tunesmith.searchers.acquisition`): expected improvement (default) or a lower confidence
bound; with ``constraint_attr``, EI times the probability that the constraint is ``<= 0``; with
``cost_attr``, EI per unit of predicted cost.

Keeping suggestions fast: the hyperparameters are refitted (warm-started) at every new
observation up to ``refit_until`` observations, then only when their number grew by
``refit_growth`` since the last fit; in between, new observations extend the Cholesky factor
(an observation withdrawn by a multi-fidelity scheduler cuts the factor before its row and the
later rows are appended again; one factorized at the last fit makes the factor rebuilt).
With more than ``max_size_data_for_model`` observations, each refit picks the model's data: the
best ``max_size_top_fraction`` of the cap, the rest drawn at random.

State: observations, pending configs and the model's bookkeeping (fitted hyperparameters, rows
in the factor, where the last full factorization ended) are plain data; a searcher loaded from
them rebuilds the identical factor and continues exactly as the original.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from tunesmith.searchers.acquisition import Acquisition, SpaceEncoder, maximize
from tunesmith.searchers.base import Searcher
from tunesmith.searchers.gp import GaussianProcess, limit_blas_threads
from tunesmith.space import grid, grid_size, hyperparameters, sample_config
from tunesmith.trial import metric_value

__all__ = ["ACQUISITIONS", "TARGET_TRANSFORMS", "GPSearcher"]

ACQUISITIONS = ("ei", "lcb")
TARGET_TRANSFORMS = ("standardize", "log", "boxcox", "yeo-johnson", "copula")
#: transforms defined for metric values > 0 only
_POSITIVE_TRANSFORMS = ("log", "boxcox")
#: the transforms with a parameter fitted to the values (:func:`fit_power`)
POWER_TRANSFORMS = ("boxcox", "yeo-johnson")
#: largest finite space whose configs are all scored instead of random candidates
_ENUMERATE_LIMIT = 5000
#: largest finite space whose unseen configs are listed when random draws keep hitting seen ones
_UNSEEN_LIMIT = 2_000_000
#: bound on random candidates x data points (scoring costs candidates x points^2): beyond 500
#: points the model scores fewer than 2,000 random candidates, but at least _MIN_CANDIDATES
_CANDIDATE_BUDGET = 1_000_000
_MIN_CANDIDATES = 500
#: number of best observed configs added to the candidates (local searches may start there)
_NUM_BEST_STARTS = 3


def _positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, but got {name}={value!r}")
    return value


def _choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {list(allowed)}, but got {name}={value!r}")
    return value


def _fraction(name: str, value: Any, *, low: float, high: float) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not low <= value <= high:
        raise ValueError(f"`{name}` must be a number in [{low}, {high}], but got {name}={value!r}")
    return float(value)


def fit_power(values: np.ndarray, kind: str) -> float | None:
    """The maximum-likelihood parameter of the power transform ``kind`` (``"boxcox"`` or
    ``"yeo-johnson"``) for ``values``; None for fewer than 3 values or equal ones."""
    if len(values) <= 2 or not np.ptp(values) > 0:
        return None
    lmbda = stats.boxcox(values)[1] if kind == "boxcox" else stats.yeojohnson(values)[1]
    return float(lmbda)


def not_positive_error(transform: str, metric: Any, value: Any) -> ValueError:
    """The error for a value ``<= 0`` of ``metric`` under a transform that needs ``> 0``."""
    return ValueError(
        f"target_transform={transform!r} needs metric {metric!r} > 0, but got {value!r}; use "
        "target_transform='yeo-johnson' or 'copula' for any sign"
    )


def transform_targets(values: np.ndarray, kind: str, power: float | None = None) -> np.ndarray:
    """``values`` under the target transform ``kind`` (one of :data:`TARGET_TRANSFORMS`), an
    increasing function of them; standardizing comes after. ``power``: the parameter of a power
    transform (``"boxcox"``, ``"yeo-johnson"``); None fits it to ``values``
    (:func:`fit_power`), and leaves ``values`` as they are when that gives None."""
    if kind == "log":
        return np.log(values)
    if kind == "copula":
        return stats.norm.ppf(stats.rankdata(values) / (len(values) + 1))
    if kind in POWER_TRANSFORMS:
        if power is None:
            power = fit_power(values, kind)
        if power is not None:
            transform = stats.boxcox if kind == "boxcox" else stats.yeojohnson
            return transform(values, power)
    return values


class GPSearcher(Searcher):
    """Gaussian-process Bayesian optimization (Snoek, Larochelle, Adams, 2012: "Practical
    Bayesian Optimization of Machine Learning Algorithms"), Matern 5/2 ARD kernel on the
    unit-interval encoding (one-hot for ``choice``).

    * ``acquisition``: ``"ei"`` (expected improvement) or ``"lcb"`` (``mean - kappa * std``).
    * ``constraint_attr``: a reported value that must be ``<= 0``; the acquisition is EI times
      the probability of feasibility (Gardner et al., 2014), improvement counted over the best
      feasible observation (only the probability, until one is feasible).
    * ``cost_attr``: a reported cost ``> 0``; the acquisition is EI divided by the predicted cost
      to the power ``cost_exponent`` (Snoek et al., 2012, "EI per second"); log cost is modelled.
    * ``target_transform``, applied to the metric before standardizing: ``"standardize"``
      (none), ``"log"`` (needs metric values ``> 0``), ``"boxcox"`` (``> 0``) or
      ``"yeo-johnson"`` with the transform's parameter fitted by maximum likelihood at each
      refit of the hyperparameters (kept in between), or
      ``"copula"``: the normal quantiles of the values' ranks, ``Phi^-1(rank / (n + 1))``
      (Salinas, Shen, Perrone, 2020), which only the order of the values decides, so a few
      diverged runs or a long tail do not squash the differences between good configs.
      ``input_warping=True`` learns a Kumaraswamy warping of each one-number
      input along with the kernel.
    * ``restrict_configurations``: the only configs that may be suggested (a tabulated
      benchmark); all unseen ones are scored.
    * Pending evaluations (configs suggested but not observed) are fantasized at the posterior
      mean, which lowers the predicted variance near them, so parallel workers spread out.
    * Acquisition maximization: ``num_candidates`` random configs (fewer beyond 500
      observations: at most 1,000,000 / observations, at least 500) and the 3 best observed
      ones are scored in one pass, then ``num_local_starts`` greedy local searches start from
      the best; the best-scoring config not yet suggested wins.
    * ``blas_threads``: BLAS threads while suggesting (None: leave as is); see
      :func:`~tunesmith.searchers.gp.limit_blas_threads`.

    Inside a multi-fidelity scheduler, each config is represented by its observation at the
    highest resource seen so far.
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
        num_init_random: int = 5,
        acquisition: str = "ei",
        kappa: float = 1.0,
        constraint_attr: str | None = None,
        cost_attr: str | None = None,
        cost_exponent: float = 1.0,
        target_transform: str = "standardize",
        input_warping: bool = False,
        max_size_data_for_model: int | None = 1000,
        max_size_top_fraction: float = 0.25,
        refit_until: int = 50,
        refit_growth: float = 0.1,
        num_candidates: int = 2000,
        num_local_starts: int = 5,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        blas_threads: int | None = 1,
    ):
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            restrict_configurations=restrict_configurations,
        )
        self.num_init_random = _positive_int("num_init_random", num_init_random, 0)
        self.acquisition = _choice("acquisition", acquisition, ACQUISITIONS)
        self.target_transform = _choice("target_transform", target_transform, TARGET_TRANSFORMS)
        self.kappa = _fraction("kappa", kappa, low=0.0, high=math.inf)
        for name, value in (("constraint_attr", constraint_attr), ("cost_attr", cost_attr)):
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"`{name}` must be a non-empty name or None, but got {value!r}")
        if acquisition != "ei" and (constraint_attr or cost_attr):
            raise ValueError(
                "constrained and cost-aware Bayesian optimization weight expected improvement, "
                f"so they need acquisition='ei', but got acquisition={acquisition!r}"
            )
        self.constraint_attr, self.cost_attr = constraint_attr, cost_attr
        self.cost_exponent = _fraction("cost_exponent", cost_exponent, low=0.0, high=math.inf)
        if max_size_data_for_model is not None:
            _positive_int("max_size_data_for_model", max_size_data_for_model, 2)
        self.max_size_data_for_model = max_size_data_for_model
        self.max_size_top_fraction = _fraction(
            "max_size_top_fraction", max_size_top_fraction, low=0.0, high=1.0
        )
        self.refit_until = _positive_int("refit_until", refit_until, 0)
        self.refit_growth = _fraction("refit_growth", refit_growth, low=0.0, high=math.inf)
        self.num_candidates = _positive_int("num_candidates", num_candidates)
        self.num_local_starts = _positive_int("num_local_starts", num_local_starts, 0)
        if blas_threads is not None:
            _positive_int("blas_threads", blas_threads)
        self.blas_threads = blas_threads

        self._encoder = SpaceEncoder(self.config_space)
        self.input_warping = bool(input_warping)
        self._warped = self._encoder.numeric_columns if input_warping else []
        self._outputs = (
            ["metric"] + ["constraint"] * bool(constraint_attr) + ["cost"] * bool(cost_attr)
        )
        self._gps = [self._make_gp() for _ in self._outputs]
        hps = hyperparameters(self.config_space)
        finite = all(d.is_finite for d in hps.values())
        self._cardinality = math.prod(d.cardinality for d in hps.values()) if finite else None
        # configs scored one and all: the restricted ones, or every config of a small space
        fixed = self._restricted
        if fixed is None and (self._cardinality or math.inf) <= _ENUMERATE_LIMIT:
            fixed = list(grid(self.config_space))
        self._fixed: tuple[list[dict[str, Any]], list[tuple], np.ndarray] | None = None
        if fixed is not None:
            self._fixed = (fixed, [self._key(c) for c in fixed], self._encoder.encode_all(fixed))
        self._fixed_index = {k: i for i, k in enumerate(self._fixed[1])} if self._fixed else {}
        self._reset_data()

    def _reset_data(self) -> None:
        self._configs: list[dict[str, Any]] = []  # observed configs, in order of first result
        self._index: dict[tuple, int] = {}
        self._values: list[list[float]] = []  # raw metric (and constraint, cost) per config
        self._resources: list[int | None] = []
        self._X = np.empty((0, 0))  # encoded observations (rows beyond the count: unused)
        self._pending: dict[tuple, tuple[dict[str, Any], int | None]] = {}
        self._rows: list[int] = []  # observations in the factor, in order
        self._upto = 0  # observations [0, upto) were offered to the model
        self._fit_n = 0  # observations eligible for the model at the last fit (0: never)
        self._tag: Any = None  # what the model was fitted to (see _model_tag)
        self._n_full = 0  # rows factorized at once at the last fit; later ones appended
        self._stale = False  # factor to rebuild from (rows, n_full) before use
        self._kept: int | None = None  # else: the factor's rows still valid (the later redone)
        self._y: list[tuple[np.ndarray, float, float]] = []  # _targets of each output, per fit
        # the power transform's parameter, fitted with the hyperparameters (None: not yet)
        self._power: float | None = None

    # -- observations ------------------------------------------------------------------------
    def observe(
        self, config: Mapping[str, Any], metrics: Mapping[str, Any], resource: int | None = None
    ) -> None:
        if self.metric is None:
            raise ValueError(
                "the searcher has no metric: pass metric=... or use it inside a scheduler"
            )
        values = [metric_value(dict(metrics), self.metric)]
        if self.target_transform in _POSITIVE_TRANSFORMS and values[0] <= 0:
            raise not_positive_error(self.target_transform, self.metric, values[0])
        if self.constraint_attr:
            values.append(metric_value(dict(metrics), self.constraint_attr))
        if self.cost_attr:
            cost = metric_value(dict(metrics), self.cost_attr)
            if cost <= 0:
                raise ValueError(f"cost {self.cost_attr!r} must be > 0, but got {cost!r}")
            values.append(cost)
        self._drop_pending(config, resource)
        i = self._index.get(self._row_key(config, resource))
        if i is None:
            self._add(dict(config), values, resource)
        elif resource is None or self._resources[i] is None or resource >= self._resources[i]:
            self._values[i], self._resources[i] = values, resource

    def _row_key(self, config: Mapping[str, Any], resource: int | None) -> tuple:
        """Observations with the same row key share a row (here: one row per config)."""
        return self._key(config)

    def _encode_row(self, config: Mapping[str, Any], resource: int | None) -> np.ndarray:
        return self._encoder.encode(config)

    def _add(self, config: dict[str, Any], values: list[float], resource: int | None) -> None:
        n = len(self._configs)
        row = self._encode_row(config, resource)
        if n == len(self._X):  # grow by doubling
            grown = np.empty((max(2 * n, 16), len(row)))
            if n:
                grown[:n] = self._X[:n]
            self._X = grown
        self._X[n] = row
        self._index[self._row_key(config, resource)] = n
        self._configs.append(config)
        self._values.append(values)
        self._resources.append(resource)

    def _remove(self, i: int) -> None:
        """Remove observation ``i`` (``withdraw`` of a multi-fidelity subclass); later ones move
        down a place. If it was a row of the factor, the factor is made, before its next use,
        what a rebuild from the remaining rows (``rows``, ``n_full``) gives, as after loading a
        state: rebuilt if the row was factorized at once, else cut before the row, the later
        rows appended again."""
        n = len(self._configs)
        del self._index[self._row_key(self._configs[i], self._resources[i])]
        del self._configs[i], self._values[i], self._resources[i]
        self._X[i : n - 1] = self._X[i + 1 : n]
        if 16 * (n - 1 - i) < n:  # a recent one (the usual case): the later rows' keys again
            for j in range(i, n - 1):
                self._index[self._row_key(self._configs[j], self._resources[j])] = j
        else:
            for key, j in self._index.items():
                if j > i:
                    self._index[key] = j - 1
        if i < self._upto:
            self._upto -= 1
        p = bisect.bisect_left(self._rows, i)  # the rows are in increasing order
        in_factor = p < len(self._rows) and self._rows[p] == i
        if in_factor:
            del self._rows[p]
            if p < self._n_full:
                self._n_full -= 1
                self._stale = True
            else:
                self._kept = p if self._kept is None else min(self._kept, p)
        self._rows[p:] = [j - 1 for j in self._rows[p:]]

    def pending(self, config: Mapping[str, Any], resource: int | None = None) -> None:
        key = self._row_key(config, resource)
        if key not in self._index:
            self._pending[key] = (dict(config), resource)

    def _drop_pending(self, config: Mapping[str, Any], resource: int | None) -> None:
        """An observation of ``config`` at ``resource`` arrived."""
        self._pending.pop(self._row_key(config, resource), None)

    def failed(self, config: Mapping[str, Any]) -> None:
        self._pending.pop(self._row_key(config, None), None)

    @property
    def num_observations(self) -> int:
        return len(self._configs)

    # -- suggestions -----------------------------------------------------------------------
    def _initial(self) -> bool:
        return self.num_seen < self.num_init_random or len(self._eligible()) < 2

    def _suggest(self) -> dict[str, Any] | None:
        if (
            not self.allow_duplicates
            and self._cardinality is not None
            and len(self._seen) >= self._cardinality
        ):
            return None
        if self._initial():
            return self._random()
        with limit_blas_threads(self.blas_threads):
            return self._bayesopt()

    def _suggest_restricted(self) -> dict[str, Any] | None:
        if self._initial():
            return super()._suggest_restricted()
        with limit_blas_threads(self.blas_threads):
            return self._bayesopt()

    def _bayesopt(self) -> dict[str, Any] | None:
        self._update_model()
        score = self._scorer()
        num_candidates = min(
            self.num_candidates, max(_CANDIDATE_BUDGET // len(self._rows), _MIN_CANDIDATES)
        )
        # the best observed configs also start local searches (their neighbours are unseen)
        y = self._y[0][0]
        best_rows = [self._rows[i] for i in np.argsort(y, kind="stable")[:_NUM_BEST_STARTS]]
        extra = self._X[best_rows, : self._encoder.dim]
        valid = None
        if self._fixed is not None:
            configs, keys, enc = self._fixed
            free = self._unseen(keys)
            if not free:
                return None
            if len(free) <= num_candidates:  # score them all
                return dict(configs[free[int(np.argmax(score(enc[free])))]])
            # many: a random sample starts local searches (that stay among the restricted ones)
            pick = np.sort(self.rng.choice(len(free), size=num_candidates, replace=False))
            extra = np.vstack([enc[[free[i] for i in pick]], extra])
            num_candidates = 0
            if self._restricted is not None:
                valid = self._in_restricted
        points, _ = maximize(
            score,
            self._encoder,
            self.rng,
            num_candidates=num_candidates,
            num_starts=self.num_local_starts,
            extra=extra,
            valid=valid,
        )
        for row in points:
            config = self._encoder.decode(row)
            if not self._is_new(config):
                continue
            if self._fixed is None:
                return config
            i = self._fixed_index.get(self._key(config))
            if i is not None:
                return dict(self._fixed[0][i])
        return self._random()

    def _in_restricted(self, X: np.ndarray) -> np.ndarray:
        """Which rows of ``X`` encode one of the restricted configs."""
        return np.array(
            [self._key(self._encoder.decode(row)) in self._fixed_index for row in X], dtype=bool
        )

    def _random(self) -> dict[str, Any] | None:
        if self._restricted is not None:
            return super()._suggest_restricted()
        if self._fixed is not None:
            configs, keys, _ = self._fixed
            free = self._unseen(keys)
            if not free:
                return None
            return dict(configs[free[int(self.rng.integers(len(free)))]])
        for _ in range(100):
            config = sample_config(self.config_space, self.rng)
            if self._is_new(config):
                return config
        if self._cardinality is None or grid_size(self.config_space) > _UNSEEN_LIMIT:
            return None
        unseen = [c for c in grid(self.config_space) if self._is_new(c)]
        return unseen[int(self.rng.integers(len(unseen)))] if unseen else None

    # -- the model -------------------------------------------------------------------------
    # Subclasses (multi-fidelity) change what the model is fitted to through these hooks.
    def _make_gp(self) -> GaussianProcess:
        return GaussianProcess(self._encoder.dim, warped=self._warped)

    def _eligible(self) -> list[int]:
        """The observations the model may use (here: all)."""
        return list(range(self.num_observations))

    def _model_tag(self) -> Any:
        """A change of this value refits the model (e.g. the resource level it models)."""
        return None

    def _inputs(self, rows: Sequence[int]) -> np.ndarray:
        """The GP inputs of observations."""
        return self._X[list(rows)]

    def _acq_inputs(self, C: np.ndarray) -> np.ndarray:
        """The GP inputs at which candidates (config encodings) are scored."""
        return C

    def _pending_inputs(self) -> np.ndarray | None:
        """The GP inputs of pending evaluations (None: none)."""
        if not self._pending:
            return None
        return self._encoder.encode_all([config for config, _ in self._pending.values()])

    def _incumbent(self, y: np.ndarray, feasible: np.ndarray) -> float | None:
        """The value to improve on, in standardized units (None: nothing feasible yet)."""
        return float(y[feasible].min()) if feasible.any() else None

    def _update_model(self) -> None:
        eligible = self._eligible()
        m, tag = len(eligible), self._model_tag()
        grown = self._fit_n == 0 or m <= self.refit_until
        grown = grown or m >= math.ceil(self._fit_n * (1.0 + self.refit_growth))
        if tag != self._tag or (m > self._fit_n and grown):
            self._rows = self._select_rows(eligible)
            self._fit_transform()
            X = self._inputs(self._rows)
            for k, gp in enumerate(self._gps):
                starts = [gp.layout.default()] if self._fit_n > 0 and m <= self.refit_until else []
                gp.fit(X, self._targets(k)[0], extra_starts=starts)
            self._fit_n, self._n_full, self._tag = m, len(self._rows), tag
            self._stale, self._kept = False, None
        else:
            if self._stale:
                for gp in self._gps:
                    gp.rebuild(self._inputs(self._rows), self._n_full)
            elif self._kept is not None:  # rows withdrawn after the factorized ones
                X = self._inputs(self._rows[self._kept :])
                for gp in self._gps:
                    gp.truncate(self._kept)
                    for x in X:
                        gp.append(x)
            self._stale, self._kept = False, None
            for i in eligible:
                if i >= self._upto:
                    self._rows.append(i)
                    for gp in self._gps:
                        gp.append(self._inputs([i])[0])
        self._upto = self.num_observations
        self._y = [self._targets(k) for k in range(len(self._gps))]
        for gp, (y, _, _) in zip(self._gps, self._y, strict=True):
            gp.set_targets(y)

    def _fit_transform(self) -> None:
        """Fit a power transform's parameter to the model's rows: along with the GP (a fit
        costs tens of ms at 100 results); in between, the targets keep the transform the
        hyperparameters were fitted to."""
        if self.target_transform in POWER_TRANSFORMS:
            metric = np.array([self._values[i][0] for i in self._rows], dtype=float)
            self._power = fit_power(metric, self.target_transform)

    def _select_rows(self, eligible: list[int]) -> list[int]:
        cap = self.max_size_data_for_model
        if cap is None or len(eligible) <= cap:
            return list(eligible)
        y = self._targets(0, rows=eligible)[0]
        num_top = int(cap * self.max_size_top_fraction)
        order = np.argsort(y, kind="stable")
        top = order[:num_top]
        rest = np.sort(order[num_top:])
        drawn = self.rng.choice(rest, size=cap - num_top, replace=False)
        return sorted(eligible[int(i)] for i in np.concatenate([top, drawn]))

    def _targets(self, k: int, rows: list[int] | None = None) -> tuple[np.ndarray, float, float]:
        """Standardized targets of output ``k`` on the model's rows (the metric to minimize,
        power-transformed if asked; the constraint; the log cost), their shift and scale."""
        rows = self._rows if rows is None else rows
        v = np.array([self._values[i][k] for i in rows], dtype=float)
        kind = self._outputs[k]
        if kind == "metric":
            v = transform_targets(v, self.target_transform, self._power)
            if self.mode == "max":
                v = -v
        elif kind == "cost":
            v = np.log(v)
        shift = float(v.mean())
        scale = float(v.std())
        if not scale > 1e-12:
            scale = 1.0
        return (v - shift) / scale, shift, scale

    def _scorer(self) -> Acquisition:
        gps = dict(zip(self._outputs, self._gps, strict=True))
        targets = dict(zip(self._outputs, self._y, strict=True))
        y = targets["metric"][0]
        feasible = np.ones(len(y), dtype=bool)
        threshold = 0.0
        if "constraint" in gps:
            c = self._outputs.index("constraint")
            feasible = np.array([self._values[i][c] <= 0 for i in self._rows], dtype=bool)
            _, shift, scale = targets["constraint"]
            threshold = -shift / scale  # c <= 0, standardized
        _, cost_shift, cost_scale = targets.get("cost", (None, 0.0, 1.0))
        acquisition = Acquisition(
            gps["metric"],
            best=self._incumbent(y, feasible),
            kind=self.acquisition,
            kappa=self.kappa,
            pending=self._pending_inputs(),
            inputs=self._acq_inputs,
            constraint=gps.get("constraint"),
            threshold=threshold,
            cost=gps.get("cost"),
            cost_shift=cost_shift,
            cost_scale=cost_scale,
            cost_exponent=self.cost_exponent,
        )
        acquisition.believe_pending()
        return acquisition

    # -- state -----------------------------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        return {
            "observations": [
                [c, v, r]
                for c, v, r in zip(self._configs, self._values, self._resources, strict=True)
            ],
            "pending": [[c, r] for c, r in self._pending.values()],
            "model": {
                "tag": self._tag,
                "params": [gp.params.tolist() for gp in self._gps],
                "rows": list(self._rows),
                "upto": self._upto,
                "fit_n": self._fit_n,
                "n_full": self._n_full,
                "power": self._power,
            },
        }

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        self._reset_data()
        for config, values, resource in state["observations"]:
            self._add(dict(config), [float(v) for v in values], resource)
        for config, resource in state["pending"]:
            self.pending(config, resource)
        model = state["model"]
        self._tag = model["tag"]
        for gp, params in zip(self._gps, model["params"], strict=True):
            gp.set_params(params)
        self._rows = [int(i) for i in model["rows"]]
        self._upto = int(model["upto"])
        self._fit_n = int(model["fit_n"])
        self._n_full = int(model["n_full"])
        self._power = model.get("power")  # absent from states saved before it was kept
        self._stale = bool(self._rows)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(metric={self.metric!r}, mode={self.mode!r}, "
            f"acquisition={self.acquisition!r}, observations={self.num_observations})"
        )
