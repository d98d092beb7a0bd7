"""Quantile-based transfer: Copula Thompson sampling over earlier tasks' evaluations (Salinas,
Shen, Perrone, 2020: "A Quantile-based Approach for Hyperparameter Transfer Learning", ICML).

Each earlier task's values are mapped to the same scale by a Gaussian copula: the config ranked
``r`` of ``n`` gets ``Phi^-1((r + 0.5) / n)`` (ranked as
:mod:`tunesmith.searchers.transfer` says), so tasks whose metrics differ in scale or offset
share one target. A surrogate fitted to the pooled targets of all tasks predicts a mean ``mu(x)``
for every candidate config; its error on held-out evaluations gives a spread ``sigma`` (one for
all configs). Each suggestion draws ``mu(x) + sigma * z`` (a Thompson sample, ``z`` standard
normal) at every unseen candidate and takes the lowest.

The surrogate is a Gaussian process (:mod:`tunesmith.searchers.gp`) on at most
``max_fit_samples`` pooled evaluations (Syne Tune uses XGBoost on up to 100,000; a GP on a few
hundred keeps to numpy and scipy). As in the paper's CTS and in Syne Tune, the surrogate is
fitted once, from the earlier tasks: the current task's results do not change it (the
scheduler, e.g. ASHA in :class:`~tunesmith.schedulers.transfer_learning.ASHACTS`, decides what
runs on with them).
The candidates are ``num_candidates`` random configs drawn once (from the seed), or the
``restrict_configurations``; predictions are made once, so a suggestion costs one normal draw
per candidate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.searchers.random import RandomSearcher
from tunesmith.searchers.transfer import (
    TransferLearningTaskEvaluations,
    _check_positive_int,
    _in_space,
    check_evaluations,
    copula_targets,
)
from tunesmith.space import sample_config

__all__ = ["QuantileBasedSurrogateSearcher", "fit_task_models"]


def _task_data(
    config_space: Mapping[str, Any],
    ev: TransferLearningTaskEvaluations,
    *,
    metric: str,
    mode: str,
    normalization: str = "gaussian",
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The configs of one task that fit ``config_space`` and their targets (lower is better):
    the copula of their ranks (``"gaussian"``) or their standardized values (``"standard"``)."""
    order = ev.ranking(metric, mode)
    values, _ = ev.final_values(metric)
    order = order[~np.isnan(values[order])]
    if normalization == "gaussian":
        targets = copula_targets(values[order], np.arange(len(order)))
    else:
        raw = values[order] if mode == "min" else -values[order]
        targets = (raw - raw.mean()) / (raw.std() or 1.0)
    configs, ys = [], []
    for row, y in zip(order.tolist(), targets.tolist(), strict=True):
        config = _in_space(config_space, ev.hyperparameters[row])
        if config is not None:
            configs.append(config)
            ys.append(y)
    return configs, np.asarray(ys)


def _fit_gp(X: np.ndarray, y: np.ndarray) -> Any:
    from tunesmith.searchers.gp import GaussianProcess, limit_blas_threads

    gp = GaussianProcess(X.shape[1])
    with limit_blas_threads():
        gp.fit(X, y, maxiter=50)
        gp.set_targets(y)
    return gp


def _predict(gp: Any, X: np.ndarray) -> np.ndarray:
    from tunesmith.searchers.gp import limit_blas_threads

    out = np.empty(len(X))
    with limit_blas_threads():
        for start in range(0, len(X), 4096):
            out[start : start + 4096] = gp.predict(X[start : start + 4096], mean_only=True)[0]
    return out


def _subsample(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.permutation(n)[:k]) if n > k else np.arange(n)


def fit_task_models(
    config_space: Mapping[str, Any],
    evaluations: Mapping[str, TransferLearningTaskEvaluations],
    *,
    metric: str,
    mode: str,
    candidates: Sequence[Mapping[str, Any]],
    max_fit_samples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Each task's predicted copula target at each candidate, shape ``(tasks, candidates)``
    (lower is better): a Gaussian process per task on at most ``max_fit_samples`` of its
    evaluations."""
    from tunesmith.searchers.acquisition import SpaceEncoder

    encoder = SpaceEncoder(config_space)
    Xc = encoder.encode_all(candidates)
    out = np.empty((len(evaluations), len(candidates)))
    for t, ev in enumerate(evaluations.values()):
        configs, y = _task_data(config_space, ev, metric=metric, mode=mode)
        if len(configs) < 2:
            raise ValueError(
                f"an earlier task has {len(configs)} evaluated config(s) that fit the config "
                "space; a surrogate needs at least 2"
            )
        keep = _subsample(len(configs), max_fit_samples, rng)
        X = encoder.encode_all([configs[i] for i in keep])
        out[t] = _predict(_fit_gp(X, y[keep]), Xc)
    return out


class QuantileBasedSurrogateSearcher(RandomSearcher):
    """Copula Thompson sampling from earlier tasks (Salinas et al., 2020; Syne Tune's
    ``QuantileBasedSurrogateSearcher``); see the module docstring.

    ``transfer_learning_evaluations``: task name -> :class:`TransferLearningTaskEvaluations`
    with ``metric`` among its objectives. ``normalization``: ``"gaussian"`` (the copula) or
    ``"standard"`` (each task's values standardized: mean 0, deviation 1; the paper found it
    worse). ``max_fit_samples``: evaluations the surrogate is fitted to (a random subset of the
    pooled ones). ``num_candidates``: random configs scored (without
    ``restrict_configurations``). Once every candidate was suggested, configs are random.
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        transfer_learning_evaluations: Mapping[str, TransferLearningTaskEvaluations],
        metric: str,
        mode: str = "min",
        normalization: str = "gaussian",
        max_fit_samples: int = 512,
        num_candidates: int = 5000,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        random_seed: int | None = None,
        allow_duplicates: bool = False,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
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
        if normalization not in ("gaussian", "standard"):
            raise ValueError(
                "`normalization` must be 'gaussian' or 'standard', but got "
                f"normalization={normalization!r}"
            )
        self.normalization = normalization
        self.max_fit_samples = _check_positive_int("max_fit_samples", max_fit_samples)
        self.num_candidates = _check_positive_int("num_candidates", num_candidates)
        evaluations = check_evaluations(transfer_learning_evaluations, metric)
        rng = np.random.default_rng([self.random_seed, 11])
        self._candidates = self._make_candidates(rng)
        self._candidate_keys = [self._key(c) for c in self._candidates]
        self.mu, self.sigma = self._fit(evaluations, rng)
        self._used = np.zeros(len(self._candidates), dtype=bool)

    def _make_candidates(self, rng: np.random.Generator) -> list[dict[str, Any]]:
        if self._restricted is not None:
            return [dict(c) for c in self._restricted]
        configs, seen = [], set()
        for _ in range(self.num_candidates):
            config = sample_config(self.config_space, rng)
            key = self._key(config)
            if key not in seen:
                seen.add(key)
                configs.append(config)
        return configs

    def _fit(
        self, evaluations: Mapping[str, TransferLearningTaskEvaluations], rng: np.random.Generator
    ) -> tuple[np.ndarray, float]:
        from tunesmith.searchers.acquisition import SpaceEncoder

        configs: list[dict[str, Any]] = []
        targets = []
        for ev in evaluations.values():
            task_configs, y = _task_data(
                self.config_space,
                ev,
                metric=self.metric,
                mode=self.mode,
                normalization=self.normalization,
            )
            configs.extend(task_configs)
            targets.append(y)
        y_all = np.concatenate(targets) if targets else np.empty(0)
        if len(configs) < 4:
            raise ValueError(
                f"the earlier tasks hold {len(configs)} evaluated config(s) that fit the config "
                "space; the surrogate needs at least 4"
            )
        encoder = SpaceEncoder(self.config_space)
        pick = _subsample(len(configs), self.max_fit_samples, rng)
        held = max(1, len(pick) // 10)  # held out to measure the surrogate's error
        fit_rows, test_rows = pick[held:], pick[:held]
        X = encoder.encode_all([configs[i] for i in fit_rows])
        gp = _fit_gp(X, y_all[fit_rows])
        Xt = encoder.encode_all([configs[i] for i in test_rows])
        sigma = float(np.std(y_all[test_rows] - _predict(gp, Xt))) if held > 1 else 0.0
        sigma = max(sigma, 1e-3)
        mu = _predict(gp, encoder.encode_all(self._candidates))
        return mu, sigma

    def _thompson_pick(self) -> dict[str, Any] | None:
        draws = self.mu + self.sigma * self.rng.standard_normal(len(self.mu))
        if not self.allow_duplicates:
            draws[self._used] = np.inf
        while True:
            i = int(np.argmin(draws))
            if not np.isfinite(draws[i]):
                return None
            config = self._candidates[i]
            if self._is_new(config):
                self._used[i] = not self.allow_duplicates
                return dict(config)
            self._used[i] = True  # suggested before (a point to evaluate)
            draws[i] = np.inf

    def _suggest(self) -> dict[str, Any] | None:
        config = self._thompson_pick()
        return config if config is not None else super()._suggest()

    def _suggest_restricted(self) -> dict[str, Any] | None:
        config = self._thompson_pick()
        return config if config is not None else super()._suggest_restricted()

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        seen = self._seen
        self._used = np.array([key in seen for key in self._candidate_keys], dtype=bool)
