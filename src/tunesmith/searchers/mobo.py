"""Multi-objective Bayesian optimization by random scalarization (Paria, Kandasamy, Poczos,
2019: "A Flexible Framework for Multi-Objective Bayesian Optimization using Random
Scalarizations"; Syne Tune's ``MultiObjectiveLCBRandomLinearScalarization``, seed 002).

One Gaussian process per objective (each as :class:`~tunesmith.searchers.GPSearcher` fits its
metric, on standardized values, the ``"max"`` objectives negated). Each suggestion draws weights
``w`` uniformly from the simplex and maximizes ``-sum_k w_k * (mean_k - kappa * std_k)``: the
lower confidence bound of a random linear scalarization. Across suggestions the weights cover
every trade-off, so the search spreads along the Pareto front. Pending evaluations shrink the
predicted variance near them (the GP's kriging believer), so parallel workers spread out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.searchers.acquisition import lower_confidence_bound
from tunesmith.searchers.bayesopt import GPSearcher
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


class RandomScalarizationGPSearcher(GPSearcher):
    """GP Bayesian optimization of several metrics by random linear scalarization of the lower
    confidence bounds (see the module docstring); ``metric=[...]``, ``mode=[...]``.

    ``num_init_random`` random configs (after ``points_to_evaluate``) come first; ``kappa``
    weighs the predicted standard deviation; ``max_size_data_for_model``,
    ``num_candidates``, ``num_local_starts``, ``restrict_configurations`` and
    ``blas_threads`` are as for :class:`~tunesmith.searchers.GPSearcher` (the model's data,
    when capped, keeps the best of the first metric).
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
    ):
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
        )
        self._setup_outputs()

    def configure(self, *, metric: str | list[str], mode: str | list[str]) -> None:
        super().configure(metric=metric, mode=mode)
        if hasattr(self, "_encoder"):  # configured by a scheduler after construction
            self._setup_outputs()

    def _setup_outputs(self) -> None:
        metrics = [] if self.metric is None else as_list(self.metric)
        self._outputs = [f"objective:{m}" for m in metrics]
        self._gps = [self._make_gp() for _ in metrics]
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
        self._drop_pending(config, resource)
        i = self._index.get(self._row_key(config, resource))
        if i is None:
            self._add(dict(config), values, resource)
        elif resource is None or self._resources[i] is None or resource >= self._resources[i]:
            self._values[i], self._resources[i] = values, resource

    def _targets(self, k: int, rows: list[int] | None = None) -> tuple[np.ndarray, float, float]:
        rows = self._rows if rows is None else rows
        v = np.array([self._values[i][k] for i in rows], dtype=float)
        if as_list(self.mode)[k] == "max":
            v = -v
        shift = float(v.mean())
        scale = float(v.std())
        if not scale > 1e-12:
            scale = 1.0
        return (v - shift) / scale, shift, scale

    def _scorer(self) -> Any:
        weights = self.rng.dirichlet(np.ones(len(self._gps)))
        return _ScalarizedLCB(
            self._gps, weights.tolist(), self.kappa, self._pending_inputs(), self._acq_inputs
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(metric={self.metric!r}, mode={self.mode!r}, "
            f"observations={self.num_observations})"
        )
