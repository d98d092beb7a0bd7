"""Conformalized quantile regression: :class:`CQRSearcher`.

Salinas, Golebiowski, Klein, Seeger, Archambeau, 2023: "Optimizing Hyperparameters with
Conformal Quantile Regression". A regressor predicts several quantiles of a config's metric;
split conformal prediction (Romano, Patterson, Candès, 2019) widens or narrows each symmetric
pair of quantiles so that, on observations held out of the fit, the interval between them covers
as many values as its nominal level says. Each candidate then gets one of its corrected
quantiles drawn at random (a sample of its predictive distribution, as Thompson sampling
would), and the candidate with the best draw is suggested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.searchers._mlp import fit_mlp, pinball_loss
from tunesmith.searchers._surrogate import (
    Scorer,
    SurrogateSearcher,
    check_choice,
    check_int,
    check_number,
    missing_extra,
)

__all__ = ["REGRESSORS", "CQRSearcher", "conformal_corrections"]

#: quantile regressors of :class:`CQRSearcher`
REGRESSORS = ("mlp", "gbm")
_NUMPY_OPTIONS = {"hidden": 32, "alpha": 1e-3, "max_iter": 100}
#: fewest observations for a conformal correction (fewer: the quantiles as predicted)
_MIN_CONFORMAL = 20


class CQRSearcher(SurrogateSearcher):
    """Conformalized quantile regression (Salinas et al., 2023; see the module docstring).

    * ``num_quantiles``: the quantile levels ``(i + 0.5) / num_quantiles`` (default 5: 0.1,
      0.3, 0.5, 0.7, 0.9) of the standardized metric are predicted.
    * ``regressor``: ``"mlp"`` (default; one numpy network with a smoothed pinball loss per
      output, a hidden layer of 32 tanh units, fitted by L-BFGS: about a tenth of the decision
      cost of the paper's model) or ``"gbm"`` (the paper's: one scikit-learn gradient-boosting
      regressor with the quantile loss per level, ``n_estimators=50``; needs scikit-learn).
      ``regressor_kwargs`` go to it (``hidden``, ``alpha``, ``max_iter`` for ``"mlp"``).
    * ``valid_fraction``: the fraction of observations (at least 2) held out of the fit to
      correct the quantiles, once there are 20 or more; with fewer, the predicted quantiles
      are used as they are.
    * ``num_init_random``, ``random_prob``, ``num_candidates`` and the model's resource level
      inside a multi-fidelity scheduler: see
      :class:`~tunesmith.searchers._surrogate.SurrogateSearcher`.
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
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        num_quantiles: int = 5,
        regressor: str = "mlp",
        regressor_kwargs: Mapping[str, Any] | None = None,
        valid_fraction: float = 0.1,
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
        self.num_quantiles = check_int("num_quantiles", num_quantiles, 1)
        self.quantiles = (np.arange(self.num_quantiles) + 0.5) / self.num_quantiles
        self.regressor = check_choice("regressor", regressor, REGRESSORS)
        self.valid_fraction = check_number("valid_fraction", valid_fraction, 0.0, 0.5)
        if regressor_kwargs is not None and not isinstance(regressor_kwargs, Mapping):
            raise TypeError(
                f"`regressor_kwargs` must be a dict or None, but got {regressor_kwargs!r}"
            )
        self.regressor_kwargs = dict(regressor_kwargs or {})
        if regressor == "mlp":
            unknown = sorted(set(self.regressor_kwargs) - set(_NUMPY_OPTIONS))
            if unknown:
                raise ValueError(
                    f"`regressor_kwargs` of regressor='mlp' may hold {sorted(_NUMPY_OPTIONS)}, "
                    f"but got {unknown}"
                )
            options = {**_NUMPY_OPTIONS, **self.regressor_kwargs}
            check_int("regressor_kwargs['hidden']", options["hidden"], 1)
            check_number("regressor_kwargs['alpha']", options["alpha"], 0.0, np.inf)
            check_int("regressor_kwargs['max_iter']", options["max_iter"], 1)
        else:
            _gbm_class()  # a missing scikit-learn raises here, with the install line

    # -- the model -------------------------------------------------------------------------
    def _fit(self, X: np.ndarray, y: np.ndarray, seed: int) -> Scorer:
        """A function of candidates: their corrected quantiles (m x ``num_quantiles``, in
        increasing order), in standardized units."""
        scale = float(y.std()) or 1.0
        y = (y - y.mean()) / scale
        n = len(y)
        rng = np.random.default_rng(seed)
        held = np.zeros(n, dtype=bool)
        if n >= _MIN_CONFORMAL and self.valid_fraction > 0 and self.num_quantiles > 1:
            held[rng.permutation(n)[: max(2, round(self.valid_fraction * n))]] = True
        predict = self._fit_quantiles(X[~held], y[~held], seed)
        shift = np.zeros(self.num_quantiles)
        if held.any():
            shift = conformal_corrections(predict(X[held]), y[held], self.quantiles)

        def quantiles(C: np.ndarray) -> np.ndarray:
            return np.sort(predict(C) + shift, axis=1)

        return quantiles

    def _fit_quantiles(self, X: np.ndarray, y: np.ndarray, seed: int) -> Scorer:
        if self.regressor == "mlp":
            options = {**_NUMPY_OPTIONS, **self.regressor_kwargs}
            model = fit_mlp(
                X,
                pinball_loss(y, self.quantiles),
                outputs=self.num_quantiles,
                seed=seed,
                init_bias=np.quantile(y, self.quantiles),
                **options,
            )
            return lambda C: np.sort(model.forward(C), axis=1)
        gbm = _gbm_class()
        options = {"n_estimators": 50, "max_depth": 3, **self.regressor_kwargs}
        models = [
            gbm(loss="quantile", alpha=float(q), random_state=seed, **options).fit(X, y)
            for q in self.quantiles
        ]
        return lambda C: np.sort(np.column_stack([m.predict(C) for m in models]), axis=1)

    # -- acquisition -----------------------------------------------------------------------
    def _best_candidate(self, score: Scorer) -> dict[str, Any] | None:
        X, configs = self._candidates()
        if not len(X):
            return None
        Q = score(X)
        draw = self.rng.integers(self.num_quantiles, size=len(X))
        return self._first_unseen(X, -Q[np.arange(len(X)), draw], configs)


def conformal_corrections(
    predicted: np.ndarray, y: np.ndarray, quantiles: np.ndarray
) -> np.ndarray:
    """Additive corrections of predicted quantiles (n x k, levels ``quantiles`` in increasing
    order) from held-out values ``y``: the lower and upper quantile of each symmetric pair move
    apart (or together) by the same amount, the conformal quantile of the scores
    ``max(lower - y, y - upper)`` at level ``(1 - miscoverage) * (1 + 1 / n)`` (the largest
    score when that level is over 1); a middle quantile stays."""
    k = len(quantiles)
    n = len(y)
    shift = np.zeros(k)
    for j in range(k // 2):
        lo, hi = predicted[:, j], predicted[:, k - 1 - j]
        scores = np.maximum(lo - y, y - hi)
        coverage = quantiles[k - 1 - j] - quantiles[j]
        level = min(1.0, coverage * (1.0 + 1.0 / n))
        c = float(np.quantile(scores, level, method="higher"))
        shift[j], shift[k - 1 - j] = -c, c
    return shift


def _gbm_class() -> type:
    try:
        from sklearn.ensemble import GradientBoostingRegressor
    except ImportError:
        raise missing_extra("regressor='gbm'", "scikit-learn", '"tunesmith[sklearn]"') from None
    return GradientBoostingRegressor
