"""``syne_tune.optimizer.schedulers.searchers.bayesopt.sklearn``: Syne Tune's interface for a
surrogate model of one's own: an :class:`SKLearnEstimator` whose ``fit(X, y, update_params)``
returns an :class:`SKLearnPredictor`, whose ``predict(X)`` gives ``(mean, std)``.
:func:`~tunesmith.compat.synetune.optimizer.schedulers.searchers.sklearn.SKLearnSurrogateSearcher`
runs such an estimator on tunesmith's :class:`~tunesmith.SKLearnSurrogateSearcher`."""

from __future__ import annotations

from typing import Any

__all__ = ["SKLearnEstimator", "SKLearnPredictor"]


class SKLearnPredictor:
    """A fitted model: ``predict(X) -> (mean, std)``, one value of each per row of ``X``."""

    def predict(self, X: Any) -> tuple[Any, Any]:
        raise NotImplementedError


class SKLearnEstimator:
    """A model to fit: ``fit(X, y, update_params) -> SKLearnPredictor``. ``X`` are the encoded
    configs (a row each, values in ``[0, 1]``), ``y`` the standardized metric (to minimize),
    ``update_params`` whether the model's hyperparameters may be refitted (always True here:
    tunesmith refits by its own rule)."""

    def fit(self, X: Any, y: Any, update_params: bool) -> SKLearnPredictor:
        raise NotImplementedError
