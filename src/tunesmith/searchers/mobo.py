"""Multi-objective Bayesian optimization by random scalarization (Paria, Kandasamy, Poczos,
2019: "A Flexible Framework for Multi-Objective Bayesian Optimization using Random
Scalarizations"; Syne Tune's ``MultiObjectiveLCBRandomLinearScalarization``, seed 002).

One Gaussian process per objective (each as :class:`~tunesmith.searchers.GPSearcher` fits its
metric, on standardized values, the ``"max"`` objectives negated). Each suggestion draws weights
``w`` uniformly from the simplex and maximizes ``-sum_k w_k * (mean_k - kappa * std_k)``: the
lower confidence bound of a random linear scalarization. Across suggestions the weights cover
every trade-off, so the search spreads along the Pareto front. Pending evaluations shrink the
predicted variance near them (the GP's kriging believer), so parallel workers spread out.

``estimators={metric: regressor}`` models those metrics with the given regressors instead (the
others keep their GP; Syne Tune's ``estimators``, seed 002): e.g. a cheap, accurate model of a
latency or a size. ``scalarization_weights`` fixes the weights instead of drawing them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np

from tunesmith.searchers.acquisition import lower_confidence_bound
from tunesmith.searchers.bayesopt import (
    _POSITIVE_TRANSFORMS,
    POWER_TRANSFORMS,
    GPSearcher,
    fit_power,
    not_positive_error,
    transform_targets,
)
from tunesmith.trial import as_list, metric_value

__all__ = ["RandomScalarizationGPSearcher"]


class _ScalarizedLCB:
    """The score of candidates: minus the weighted sum of the objectives' lower confidence
    bounds (standardized units)."""

    def __init__(self, gps, weights, kappa, pending, inputs):
        self.gps, self.weights, self.kappa = gps, weights, kappa
        self.pending, self.inputs = pending, inputs

    def __call__(self, C: np.ndarray) -> np.ndarray:
        X = self.inputs(C)
        total = np.zeros(len(X))
        for w, gp in zip(self.weights, self.gps, strict=True):
            mean, var = gp.predict(X, pending=self.pending)
            total += w * lower_confidence_bound(mean, np.sqrt(var), self.kappa)
        return total


class _EstimatorModel:
    """A regressor in the place of one metric's GP: :class:`GPSearcher` hands it the model's
    inputs and standardized targets as it hands them to a GP, and it fits a fresh copy of the
    regressor whenever they change (its ``random_state``, when it has one, drawn from the
    searcher's seed, the metric's index and the number of rows, so a resumed run refits it
    identically). Its predictive standard deviation comes from
    :func:`~tunesmith.searchers.sklearn_surrogate.predict_mean_std`; pending evaluations do
    not change it (only a GP's variance shrinks near them)."""

    def __init__(self, estimator: Any, seed: Sequence[int]):
        self.estimator, self.seed = estimator, list(seed)
        self.params = np.zeros(0)  # no hyperparameters of ours to store or restore
        self.layout = _NoParameters()
        self._X = np.empty((0, 0))
        self._fitted: Any = None
        self._fitted_to: tuple | None = None

    def set_params(self, params: Sequence[float]) -> None:
        pass

    def fit(self, X: np.ndarray, y: np.ndarray, extra_starts: Sequence[Any] = ()) -> None:
        self._X = np.array(X, dtype=float)
        self.set_targets(y)

    def rebuild(self, X: np.ndarray, n_full: int) -> None:
        self._X = np.array(X, dtype=float)

    def append(self, x: np.ndarray) -> None:
        self._X = np.vstack([self._X.reshape(-1, len(x)), x])

    def set_targets(self, y: np.ndarray) -> None:
        from tunesmith.searchers.sklearn_surrogate import _fresh_copy

        key = (self._X.tobytes(), np.asarray(y, dtype=float).tobytes())
        if key == self._fitted_to:
            return
        state = np.random.SeedSequence([*self.seed, len(y)]).generate_state(1)
        model = _fresh_copy(self.estimator, int(state[0]))
        model.fit(self._X, np.asarray(y, dtype=float))
        self._fitted, self._fitted_to = model, key

    def predict(
        self, X: np.ndarray, *, pending: np.ndarray | None = None, mean_only: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        from tunesmith.searchers.sklearn_surrogate import predict_mean_std

        mean, std = predict_mean_std(self._fitted, np.asarray(X, dtype=float))
        return mean, None if mean_only else std**2


class _NoParameters:
    def default(self) -> np.ndarray:
        return np.zeros(0)


class RandomScalarizationGPSearcher(GPSearcher):
    """GP Bayesian optimization of several metrics by random linear scalarization of the lower
    confidence bounds (see the module docstring); ``metric=[...]``, ``mode=[...]``.

    ``num_init_random`` random configs (after ``points_to_evaluate``) come first; ``kappa``
    weighs the predicted standard deviation; ``max_size_data_for_model``,
    ``num_candidates``, ``num_local_starts``, ``restrict_configurations`` and
    ``blas_threads`` are as for :class:`~tunesmith.searchers.GPSearcher` (the model's data,
    when capped, keeps the best of the first metric).

    ``estimators``: ``{metric: regressor}`` for some of the metrics, each regressor one that
    :class:`~tunesmith.searchers.SKLearnSurrogateSearcher` takes (``predict(X,
    return_std=True)``, e.g. ``BayesianRidge``, ``GaussianProcessRegressor``, or an averaging
    ensemble such as ``RandomForestRegressor``; ``pip install "tunesmith[sklearn]"``), fitted
    to the same inputs and (transformed, standardized) values as the GP it replaces; the
    other metrics keep their GP.

    ``scalarization_weights``: one weight ``>= 0`` per metric (not all 0) on the metrics'
    values (``"max"`` ones negated), used at every suggestion instead of weights drawn from
    the simplex (what :class:`~tunesmith.schedulers.MOLinearScalarizationBayesOpt` uses with
    ``estimators``).
    """

    multi_objective = True

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | list[str] | None = None,
        mode: str | list[str] = "min",
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        random_seed: int | None = None,
        allow_duplicates: bool = False,
        num_init_random: int = 5,
        kappa: float = 1.0,
        max_size_data_for_model: int | None = 1000,
        num_candidates: int = 2000,
        num_local_starts: int = 5,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        blas_threads: int | None = 1,
        estimators: Mapping[str, Any] | None = None,
        scalarization_weights: Sequence[float] | None = None,
        target_transform: str = "standardize",
    ):
        self.estimators = _check_estimators(estimators)
        self.scalarization_weights = _check_weights(scalarization_weights)
        if self.scalarization_weights is not None and target_transform != "standardize":
            raise ValueError(
                "`scalarization_weights` weigh the metrics' values, so they need "
                f"target_transform='standardize', but got target_transform={target_transform!r}"
            )
        super().__init__(
            config_space,
            metric=metric,  # type: ignore[arg-type]
            mode=mode,  # type: ignore[arg-type]
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            num_init_random=num_init_random,
            acquisition="lcb",
            kappa=kappa,
            max_size_data_for_model=max_size_data_for_model,
            num_candidates=num_candidates,
            num_local_starts=num_local_starts,
            restrict_configurations=restrict_configurations,
            blas_threads=blas_threads,
            target_transform=target_transform,
        )
        self._setup_outputs()

    def configure(self, *, metric: str | list[str], mode: str | list[str]) -> None:
        super().configure(metric=metric, mode=mode)
        if hasattr(self, "_encoder"):  # configured by a scheduler after construction
            self._setup_outputs()

    def _setup_outputs(self) -> None:
        metrics = [] if self.metric is None else as_list(self.metric)
        if metrics:
            unknown = sorted(set(self.estimators) - set(metrics))
            if unknown:
                raise ValueError(
                    f"`estimators` has models for {unknown}, which are not among the metrics "
                    f"{metrics}; give models only for those (the others keep their GP)"
                )
            weights = self.scalarization_weights
            if weights is not None and len(weights) != len(metrics):
                raise ValueError(
                    f"`scalarization_weights` must have one weight per metric ({metrics}), "
                    f"but got scalarization_weights={weights!r}"
                )
        self._outputs = [f"objective:{m}" for m in metrics]
        self._gps = [
            _EstimatorModel(self.estimators[m], [self.random_seed, k])
            if m in self.estimators
            else self._make_gp()
            for k, m in enumerate(metrics)
        ]
        self._reset_data()

    def observe(
        self, config: Mapping[str, Any], metrics: Mapping[str, Any], resource: int | None = None
    ) -> None:
        if self.metric is None:
            raise ValueError(
                "the searcher has no metric: pass metric=[...] or use it inside a scheduler"
            )
        reported = dict(metrics)
        values = [metric_value(reported, m) for m in as_list(self.metric)]
        if self.target_transform in _POSITIVE_TRANSFORMS:
            for name, value in zip(as_list(self.metric), values, strict=True):
                if not value > 0:
                    raise not_positive_error(self.target_transform, name, value)
        self._drop_pending(config, resource)
        i = self._index.get(self._row_key(config, resource))
        if i is None:
            self._add(dict(config), values, resource)
        elif resource is None or self._resources[i] is None or resource >= self._resources[i]:
            self._values[i], self._resources[i] = values, resource

    def _fit_transform(self) -> None:
        """A power transform's parameter per objective, fitted to the model's rows."""
        if self.target_transform in POWER_TRANSFORMS:
            self._power = [
                fit_power(
                    np.array([self._values[i][k] for i in self._rows], dtype=float),
                    self.target_transform,
                )
                for k in range(len(self._gps))
            ]

    def _objective_values(self, k: int, rows: Sequence[int]) -> np.ndarray:
        """Objective ``k`` of the observations ``rows``, transformed (``target_transform``)
        and minimized (``"max"`` ones negated after the transform), not standardized."""
        v = np.array([self._values[i][k] for i in rows], dtype=float)
        kind = self.target_transform
        if kind == "copula" and len(v):
            v = self._copula(k, v)
        elif kind in POWER_TRANSFORMS and isinstance(self._power, list):
            if self._power[k] is not None:  # (else the fit found none: none on any rows)
                v = transform_targets(v, kind, self._power[k])
        elif kind != "standardize" and len(v):
            v = transform_targets(v, kind)  # (before the first fit, fitted to v)
        return -v if as_list(self.mode)[k] == "max" else v

    def _copula(self, k: int, v: np.ndarray) -> np.ndarray:
        """``Phi^-1(rank / (n + 1))`` of ``v`` among objective ``k``'s values on the model's
        rows (ties at their mean rank, as ``transform_targets``; any other rows, EHVI's front
        when the model's data is capped, in the same units), or among ``v`` before a fit."""
        from scipy import stats

        rows = self._rows
        reference = np.sort([self._values[i][k] for i in rows]) if rows else np.sort(v)
        below = np.searchsorted(reference, v, side="left")
        upto = np.searchsorted(reference, v, side="right")
        return stats.norm.ppf((below + upto + 1) / 2 / (len(reference) + 1))

    def _targets(self, k: int, rows: list[int] | None = None) -> tuple[np.ndarray, float, float]:
        v = self._objective_values(k, self._rows if rows is None else rows)
        shift = float(v.mean())
        scale = float(v.std())
        if not scale > 1e-12:
            scale = 1.0
        return (v - shift) / scale, shift, scale

    def _scorer(self) -> Any:
        if self.scalarization_weights is None:
            weights = self.rng.dirichlet(np.ones(len(self._gps))).tolist()
        else:  # on the values: in each model's standardized units, times its scale
            weights = [
                w * scale
                for w, (_, _, scale) in zip(self.scalarization_weights, self._y, strict=True)
            ]
        return _ScalarizedLCB(
            self._gps, weights, self.kappa, self._pending_inputs(), self._acq_inputs
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(metric={self.metric!r}, mode={self.mode!r}, "
            f"observations={self.num_observations})"
        )


def _check_estimators(estimators: Any) -> dict[str, Any]:
    """``estimators`` as a dict, or a TypeError naming the metric whose model is unfit."""
    if estimators is None:
        return {}
    if not isinstance(estimators, Mapping) or not all(isinstance(k, str) for k in estimators):
        raise TypeError(
            "`estimators` must be a dict {metric name: regressor}, or None for a GP per metric, "
            f"but got {estimators!r}"
        )
    from tunesmith.searchers.sklearn_surrogate import check_estimator

    for name, estimator in estimators.items():
        try:
            check_estimator(estimator)
        except TypeError as error:
            raise TypeError(f"estimators[{name!r}]: {error}") from None
    return dict(estimators)


def _check_weights(weights: Any) -> list[float] | None:
    if weights is None:
        return None
    values = list(weights) if isinstance(weights, Sequence) and not isinstance(weights, str) else []
    bad = [
        w for w in values if isinstance(w, bool) or not isinstance(w, Real) or not 0 <= w < math.inf
    ]
    if not values or bad or not any(w > 0 for w in values):
        raise ValueError(
            "`scalarization_weights` must be a list of finite numbers >= 0, not all 0, one per "
            f"metric, or None for weights drawn at each suggestion, but got "
            f"scalarization_weights={weights!r}"
        )
    return [float(w) for w in values]
