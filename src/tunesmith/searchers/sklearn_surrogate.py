"""Bayesian optimization with any scikit-learn regressor that gives a predictive uncertainty:
:class:`SKLearnSurrogateSearcher` (as Syne Tune's searcher of that name)."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.searchers._surrogate import Scorer, SurrogateSearcher, check_choice, check_number
from tunesmith.searchers.acquisition import log_expected_improvement, lower_confidence_bound

__all__ = ["SKLearnSurrogateSearcher", "predict_mean_std"]

ACQUISITIONS = ("ei", "lcb")


class SKLearnSurrogateSearcher(SurrogateSearcher):
    """Bayesian optimization with ``estimator``, a scikit-learn regressor (or any object with
    ``fit(X, y)`` and ``predict(X)``) that gives a predictive standard deviation:

    * one whose ``predict`` takes ``return_std=True`` (``GaussianProcessRegressor``,
      ``BayesianRidge``, ``ARDRegression``), or
    * an averaging ensemble with ``n_estimators`` members (``RandomForestRegressor``,
      ``ExtraTreesRegressor``, ``BaggingRegressor``; not boosting, whose members are stages):
      the mean and standard deviation of its members' predictions (``estimators_``).

    Each fit uses a copy of ``estimator`` (``sklearn.base.clone`` when scikit-learn is there);
    its ``random_state``, when it has one, is set to a seed drawn from the searcher's, so runs
    are reproducible and resume exactly. It is fitted to the encoded configs (unit interval,
    one-hot for ``choice``) and the standardized metric; new configs maximize expected
    improvement (``acquisition="ei"``) or ``kappa * std - mean`` (``"lcb"``) among
    ``num_candidates`` candidates. ``num_init_random``, ``random_prob``, the candidates, refits
    and the model's resource level in a multi-fidelity scheduler: see
    :class:`~tunesmith.searchers._surrogate.SurrogateSearcher`.

    >>> from sklearn.linear_model import BayesianRidge
    >>> from tunesmith import uniform
    >>> searcher = SKLearnSurrogateSearcher(
    ...     {"x": uniform(0, 1)}, estimator=BayesianRidge(), metric="loss", random_seed=0
    ... )
    >>> for _ in range(8):
    ...     config = searcher.suggest()
    ...     searcher.observe(config, {"loss": (config["x"] - 0.3) ** 2})
    >>> searcher.suggest()["x"] < 0.5
    True
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        estimator: Any,
        metric: str | None = None,
        mode: str = "min",
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        random_seed: int | None = None,
        allow_duplicates: bool = False,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        acquisition: str = "ei",
        kappa: float = 1.0,
        num_init_random: int = 5,
        random_prob: float = 0.0,
        num_candidates: int = 2000,
    ):
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            restrict_configurations=restrict_configurations,
            num_init_random=num_init_random,
            random_prob=random_prob,
            num_candidates=num_candidates,
        )
        check_estimator(estimator)
        self.estimator = estimator
        self.acquisition = check_choice("acquisition", acquisition, ACQUISITIONS)
        self.kappa = check_number("kappa", kappa, 0.0, np.inf)

    def _fit(self, X: np.ndarray, y: np.ndarray, seed: int) -> Scorer:
        shift, scale = float(y.mean()), float(y.std()) or 1.0
        y = (y - shift) / scale
        estimator = _fresh_copy(self.estimator, seed)
        estimator.fit(X, y)
        best = float(y.min())

        def score(C: np.ndarray) -> np.ndarray:
            mean, std = predict_mean_std(estimator, C)
            if self.acquisition == "lcb":
                return lower_confidence_bound(mean, std, self.kappa)
            return log_expected_improvement(mean, std, best)

        return score


def check_estimator(estimator: Any) -> None:
    """Raise TypeError unless ``estimator`` can fit and predict with an uncertainty."""
    for method in ("fit", "predict"):
        if not callable(getattr(estimator, method, None)):
            raise TypeError(
                f"`estimator` must have fit(X, y) and predict(X) methods (a scikit-learn "
                f"regressor), but {estimator!r} has no {method}()"
            )
    if _takes_return_std(estimator):
        return
    # an averaging ensemble: its members are fits of the same target (not boosting's stages)
    if hasattr(estimator, "n_estimators") and not hasattr(estimator, "learning_rate"):
        return
    raise TypeError(
        f"`estimator` must give a predictive uncertainty: predict(X, return_std=True) (e.g. "
        "GaussianProcessRegressor, BayesianRidge) or an averaging ensemble with n_estimators "
        f"members (e.g. RandomForestRegressor, ExtraTreesRegressor), but got {estimator!r}"
    )


def _takes_return_std(estimator: Any) -> bool:
    try:
        return "return_std" in inspect.signature(estimator.predict).parameters
    except (TypeError, ValueError):
        return False


def predict_mean_std(estimator: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The predictive mean and standard deviation of a fitted ``estimator`` at ``X`` (see
    :class:`SKLearnSurrogateSearcher` for the kinds of estimators)."""
    if _takes_return_std(estimator):
        mean, std = estimator.predict(X, return_std=True)
        return np.asarray(mean, dtype=float).ravel(), np.asarray(std, dtype=float).ravel()
    members = getattr(estimator, "estimators_", None)
    if members is None:
        raise TypeError(f"the fitted estimator {estimator!r} has no `estimators_` to average")
    features = getattr(estimator, "estimators_features_", None)
    columns = [
        np.asarray(m.predict(X if features is None else X[:, features[i]]), dtype=float).ravel()
        for i, m in enumerate(np.ravel(members))
    ]
    P = np.column_stack(columns)
    return P.mean(axis=1), P.std(axis=1)


def _fresh_copy(estimator: Any, seed: int) -> Any:
    """An unfitted copy of ``estimator`` whose ``random_state`` (if any) is ``seed``."""
    try:
        from sklearn.base import clone
    except ImportError:
        fresh = copy.deepcopy(estimator)
    else:
        try:
            fresh = clone(estimator)
        except TypeError:  # not a scikit-learn estimator
            fresh = copy.deepcopy(estimator)
    get_params = getattr(fresh, "get_params", None)
    if callable(get_params) and "random_state" in get_params():
        fresh.set_params(random_state=seed)
    return fresh
