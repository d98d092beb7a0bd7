"""``syne_tune.optimizer.schedulers.searchers.sklearn.SKLearnSurrogateSearcher``: Bayesian
optimization with a surrogate model of one's own, Syne Tune's ``SKLearnEstimator`` (or a
scikit-learn regressor), on tunesmith's :class:`~tunesmith.SKLearnSurrogateSearcher`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tunesmith.compat.synetune.errors import NotSupported, check_arguments

__all__ = ["SKLearnSurrogateSearcher"]

#: Syne Tune's keyword arguments, and the native one each is
_KEYS = {
    "mode": "mode",
    "points_to_evaluate": "points_to_evaluate",
    "random_seed": "random_seed",
    "allow_duplicates": "allow_duplicates",
    "restrict_configurations": "restrict_configurations",
    "num_initial_random_choices": "num_init_random",
    "num_initial_candidates": "num_candidates",
}


class _Estimator:
    """A Syne Tune ``SKLearnEstimator`` as tunesmith's searcher takes a model: ``fit(X, y)``
    keeps the predictor Syne Tune's ``fit(X, y, update_params=True)`` returns, and
    ``predict(X, return_std=True)`` asks it for ``(mean, std)``."""

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator
        self.predictor: Any = None

    def fit(self, X: np.ndarray, y: np.ndarray) -> _Estimator:
        self.predictor = self.estimator.fit(X, np.asarray(y, dtype=float).reshape(-1, 1), True)
        return self

    def predict(self, X: np.ndarray, return_std: bool = False) -> Any:
        mean, std = self.predictor.predict(X)
        mean = np.asarray(mean, dtype=float).ravel()
        return (mean, np.asarray(std, dtype=float).ravel()) if return_std else mean


def SKLearnSurrogateSearcher(
    config_space: Mapping[str, Any],
    metric: str,
    estimator: Any,
    scoring_class: Any = None,
    **kwargs: Any,
) -> Any:
    """Syne Tune's arguments: ``estimator`` a Syne Tune ``SKLearnEstimator`` (``fit(X, y,
    update_params)`` returning a predictor of ``(mean, std)``) or a scikit-learn regressor;
    ``scoring_class`` ``EIAcquisitionFunction`` (default) or ``LCBAcquisitionFunction``;
    ``mode``, ``points_to_evaluate``, ``random_seed``, ``allow_duplicates``,
    ``restrict_configurations``, ``num_initial_random_choices`` (tunesmith's
    ``num_init_random``), ``num_initial_candidates`` (``num_candidates``)."""
    from tunesmith.compat.synetune.optimizer.schedulers.searchers.bayesopt.sklearn import (
        SKLearnEstimator,
    )
    from tunesmith.searchers import SKLearnSurrogateSearcher as Native

    check_arguments("SKLearnSurrogateSearcher", kwargs, _KEYS)
    native = {_KEYS[k]: v for k, v in kwargs.items() if v is not None}
    acquisition = getattr(scoring_class, "acquisition", None) if scoring_class else "ei"
    if acquisition is None:
        raise NotSupported(
            f"SKLearnSurrogateSearcher: scoring_class={scoring_class!r} is not supported; "
            "tunesmith has EIAcquisitionFunction ('ei') and LCBAcquisitionFunction ('lcb')"
        )
    model = _Estimator(estimator) if isinstance(estimator, SKLearnEstimator) else estimator
    return Native(config_space, estimator=model, metric=metric, acquisition=acquisition, **native)
