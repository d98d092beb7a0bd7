"""Named schedulers of the surrogate searchers that are not Gaussian processes: BORE and CQR,
each as FIFO scheduling (every trial runs to its end) and inside asynchronous Hyperband.

* :class:`BORE`, :class:`ASHABORE`: :class:`~tunesmith.searchers.bore.BORESearcher` (Tiao et
  al., 2021: a classifier of "among the best configs" whose probability is maximized).
* :class:`CQR`, :class:`ASHACQR`: :class:`~tunesmith.searchers.cqr.CQRSearcher` (Salinas et
  al., 2023: conformalized quantile regression).

For a scikit-learn regressor as the surrogate, pass a
:class:`~tunesmith.searchers.sklearn_surrogate.SKLearnSurrogateSearcher` to
:class:`~tunesmith.schedulers.FIFOScheduler` or
:class:`~tunesmith.schedulers.HyperbandScheduler`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.schedulers.fifo import FIFOScheduler
from tunesmith.schedulers.hyperband import HyperbandScheduler
from tunesmith.searchers.bore import BORESearcher
from tunesmith.searchers.cqr import CQRSearcher

__all__ = ["ASHABORE", "ASHACQR", "BORE", "CQR"]


class BORE(FIFOScheduler):
    """Bayesian optimization by density-ratio estimation (Tiao, Klein, Seeger, Bonilla,
    Archambeau, Ramos, 2021: "BORE: Bayesian Optimization by Density-Ratio Estimation"): FIFO
    scheduling of a :class:`~tunesmith.searchers.bore.BORESearcher`, whose arguments (Syne
    Tune's names) it takes.

    >>> from tunesmith import uniform
    >>> BORE({"x": uniform(0, 1)}, metric="loss", random_seed=0).suggest(0).config
    {'x': 0.6369616873214543}
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        mode: str = "min",
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        gamma: float = 0.25,
        calibrate: bool = False,
        classifier: str = "mlp",
        classifier_kwargs: Mapping[str, Any] | None = None,
        acq_optimizer: str = "rs",
        feval_acq: int = 500,
        random_prob: float = 0.0,
        init_random: int = 6,
    ):
        searcher = BORESearcher(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            restrict_configurations=restrict_configurations,
            gamma=gamma,
            calibrate=calibrate,
            classifier=classifier,
            classifier_kwargs=classifier_kwargs,
            acq_optimizer=acq_optimizer,
            feval_acq=feval_acq,
            random_prob=random_prob,
            init_random=init_random,
        )
        super().__init__(config_space, searcher=searcher, metric=metric, mode=mode)


class ASHABORE(HyperbandScheduler):
    """BORE inside asynchronous Hyperband (Syne Tune's ``ASHABORE``): a
    :class:`~tunesmith.schedulers.HyperbandScheduler` (stopping or promotion, one or more
    brackets) whose new configs come from a :class:`~tunesmith.searchers.bore.BORESearcher`
    fitted to the results at the largest rung level with at least ``max(init_random, number
    of hyperparameters + 1)`` of them (as BOHB).

    >>> from tunesmith import uniform
    >>> ASHABORE({"x": uniform(0, 1), "epochs": 9}, metric="loss", random_seed=0).rung_levels
    [1, 3]
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        mode: str = "min",
        resource_attr: str = "epoch",
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float = 3,
        brackets: int = 1,
        type: str = "stopping",
        max_resource_attr: str | None = None,
        searcher_data: str = "rungs",
        early_checkpoint_removal_kwargs: Mapping[str, Any] | None = None,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        gamma: float = 0.25,
        calibrate: bool = False,
        classifier: str = "mlp",
        classifier_kwargs: Mapping[str, Any] | None = None,
        acq_optimizer: str = "rs",
        feval_acq: int = 500,
        random_prob: float = 0.0,
        init_random: int = 6,
    ):
        searcher = BORESearcher(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            restrict_configurations=restrict_configurations,
            gamma=gamma,
            calibrate=calibrate,
            classifier=classifier,
            classifier_kwargs=classifier_kwargs,
            acq_optimizer=acq_optimizer,
            feval_acq=feval_acq,
            random_prob=random_prob,
            init_random=init_random,
        )
        super().__init__(
            config_space,
            searcher=searcher,
            metric=metric,
            mode=mode,
            resource_attr=resource_attr,
            max_t=max_t,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            brackets=brackets,
            type=type,
            max_resource_attr=max_resource_attr,
            searcher_data=searcher_data,
            early_checkpoint_removal_kwargs=early_checkpoint_removal_kwargs,
        )


class CQR(FIFOScheduler):
    """Conformalized quantile regression (Salinas, Golebiowski, Klein, Seeger, Archambeau, 2023:
    "Optimizing Hyperparameters with Conformal Quantile Regression"): FIFO scheduling of a
    :class:`~tunesmith.searchers.cqr.CQRSearcher`, whose arguments it takes.

    >>> from tunesmith import uniform
    >>> CQR({"x": uniform(0, 1)}, metric="loss", random_seed=0).suggest(0).config
    {'x': 0.6369616873214543}
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        mode: str = "min",
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        num_quantiles: int = 5,
        regressor: str = "mlp",
        regressor_kwargs: Mapping[str, Any] | None = None,
        valid_fraction: float = 0.1,
        num_init_random: int = 5,
        random_prob: float = 0.0,
        num_candidates: int = 2000,
    ):
        searcher = CQRSearcher(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            restrict_configurations=restrict_configurations,
            num_quantiles=num_quantiles,
            regressor=regressor,
            regressor_kwargs=regressor_kwargs,
            valid_fraction=valid_fraction,
            num_init_random=num_init_random,
            random_prob=random_prob,
            num_candidates=num_candidates,
        )
        super().__init__(config_space, searcher=searcher, metric=metric, mode=mode)


class ASHACQR(HyperbandScheduler):
    """Conformalized quantile regression inside asynchronous Hyperband (Salinas et al., 2023;
    Syne Tune's ``ASHACQR``): a :class:`~tunesmith.schedulers.HyperbandScheduler` whose new
    configs come from a :class:`~tunesmith.searchers.cqr.CQRSearcher` fitted to the results at
    the largest rung level with at least ``max(num_init_random, number of hyperparameters +
    1)`` of them."""

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        mode: str = "min",
        resource_attr: str = "epoch",
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float = 3,
        brackets: int = 1,
        type: str = "stopping",
        max_resource_attr: str | None = None,
        searcher_data: str = "rungs",
        early_checkpoint_removal_kwargs: Mapping[str, Any] | None = None,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        num_quantiles: int = 5,
        regressor: str = "mlp",
        regressor_kwargs: Mapping[str, Any] | None = None,
        valid_fraction: float = 0.1,
        num_init_random: int = 5,
        random_prob: float = 0.0,
        num_candidates: int = 2000,
    ):
        searcher = CQRSearcher(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            restrict_configurations=restrict_configurations,
            num_quantiles=num_quantiles,
            regressor=regressor,
            regressor_kwargs=regressor_kwargs,
            valid_fraction=valid_fraction,
            num_init_random=num_init_random,
            random_prob=random_prob,
            num_candidates=num_candidates,
        )
        super().__init__(
            config_space,
            searcher=searcher,
            metric=metric,
            mode=mode,
            resource_attr=resource_attr,
            max_t=max_t,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            brackets=brackets,
            type=type,
            max_resource_attr=max_resource_attr,
            searcher_data=searcher_data,
            early_checkpoint_removal_kwargs=early_checkpoint_removal_kwargs,
        )
