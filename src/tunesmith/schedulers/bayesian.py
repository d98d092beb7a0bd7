"""Named Bayesian-optimization schedulers: FIFO scheduling of a Gaussian-process searcher
(:class:`~tunesmith.searchers.bayesopt.GPSearcher`), plain, constrained and cost-aware, and
MOBSTER (asynchronous Hyperband with a multi-fidelity GP searcher)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.schedulers.fifo import FIFOScheduler
from tunesmith.schedulers.hyperband import HyperbandScheduler
from tunesmith.schedulers.rungs import resolve_max_t
from tunesmith.searchers.bayesopt import GPSearcher
from tunesmith.searchers.mobster import GPMultiFidelitySearcher
from tunesmith.space import check_space

__all__ = [
    "MOBSTER",
    "BayesianOptimization",
    "ConstrainedBayesianOptimization",
    "CostAwareBayesianOptimization",
]


class BayesianOptimization(FIFOScheduler):
    """Gaussian-process Bayesian optimization (Snoek, Larochelle, Adams, 2012: "Practical
    Bayesian Optimization of Machine Learning Algorithms"): FIFO scheduling of a
    :class:`~tunesmith.searchers.bayesopt.GPSearcher`.

    The first ``num_init_random`` configs are ``points_to_evaluate`` and random ones; then each
    new config maximizes expected improvement (``acquisition="ei"``) or a lower confidence
    bound (``"lcb"``, ``mean - kappa * std``) under a GP fitted to the completed trials, with
    running trials fantasized. ``input_warping``, ``target_transform``,
    ``max_size_data_for_model`` and ``restrict_configurations`` are passed to the searcher; for
    its other options, use ``FIFOScheduler(space, searcher=GPSearcher(...), ...)``.

    ``target_transform`` defaults to ``"yeo-johnson"`` (the searcher's own default is
    ``"standardize"``): on the HPOLib tables, whose losses span several orders of magnitude,
    the power transform brought the median regret to at most Optuna's TPE's on every table at
    25, 50 and 100 evaluations (docs/bayesopt.md, "Against Optuna's TPE").

    >>> from tunesmith import uniform
    >>> from tunesmith.schedulers.bayesian import BayesianOptimization
    >>> scheduler = BayesianOptimization({"x": uniform(0, 1)}, metric="loss", random_seed=0)
    >>> scheduler.suggest(0).config
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
        num_init_random: int = 5,
        acquisition: str = "ei",
        kappa: float = 1.0,
        input_warping: bool = False,
        target_transform: str = "yeo-johnson",
        max_size_data_for_model: int | None = 1000,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        searcher = GPSearcher(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            num_init_random=num_init_random,
            acquisition=acquisition,
            kappa=kappa,
            input_warping=input_warping,
            target_transform=target_transform,
            max_size_data_for_model=max_size_data_for_model,
            restrict_configurations=restrict_configurations,
        )
        super().__init__(config_space, searcher=searcher, metric=metric, mode=mode)


class ConstrainedBayesianOptimization(FIFOScheduler):
    """Bayesian optimization under an unknown constraint (Gardner, Kusner, Xu, Weinberger,
    Cunningham, 2014: "Bayesian Optimization with Inequality Constraints"): every result reports
    ``constraint_attr``, feasible when ``<= 0``; a second GP models it, and new configs maximize
    expected improvement over the best feasible result times the probability of feasibility
    (the probability alone until a feasible result is seen)."""

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        constraint_attr: str,
        mode: str = "min",
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        num_init_random: int = 5,
        input_warping: bool = False,
        max_size_data_for_model: int | None = 1000,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        searcher = GPSearcher(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            num_init_random=num_init_random,
            constraint_attr=constraint_attr,
            input_warping=input_warping,
            max_size_data_for_model=max_size_data_for_model,
            restrict_configurations=restrict_configurations,
        )
        super().__init__(config_space, searcher=searcher, metric=metric, mode=mode)


class CostAwareBayesianOptimization(FIFOScheduler):
    """Cost-aware Bayesian optimization (Snoek, Larochelle, Adams, 2012, "expected improvement
    per second"): every result reports ``cost_attr`` (> 0, e.g. training time); a second GP
    models its log, and new configs maximize expected improvement divided by the predicted cost
    to the power ``cost_exponent``."""

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        cost_attr: str,
        mode: str = "min",
        cost_exponent: float = 1.0,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        num_init_random: int = 5,
        input_warping: bool = False,
        max_size_data_for_model: int | None = 1000,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        searcher = GPSearcher(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            num_init_random=num_init_random,
            cost_attr=cost_attr,
            cost_exponent=cost_exponent,
            input_warping=input_warping,
            max_size_data_for_model=max_size_data_for_model,
            restrict_configurations=restrict_configurations,
        )
        super().__init__(config_space, searcher=searcher, metric=metric, mode=mode)


class MOBSTER(HyperbandScheduler):
    """Model-based asynchronous Hyperband (Klein, Tiao, Lienart, Archambeau, Seeger, 2020:
    "Model-based Asynchronous Hyperparameter and Neural Architecture Search"): a
    :class:`~tunesmith.schedulers.hyperband.HyperbandScheduler` (stopping or promotion, one or
    more brackets, each with its own rung system or, ``rung_system_per_bracket=False`` as Syne
    Tune's default, one shared) whose new configs come from a
    :class:`~tunesmith.searchers.mobster.GPMultiFidelitySearcher`.

    ``model="joint"``: one GP over (config, resource) with an exponential-decay resource kernel;
    ``"independent"``: a GP fitted to the results at the highest well-populated rung level.
    Either way, new configs maximize expected improvement at the maximum resource. The searcher
    sees the results at rung levels (``searcher_data="rungs"``), or all of them (``"all"``), or
    rungs and each trial's last result (``"rungs_and_last"``); running trials are fantasized at
    the level they will report next. ``cost_attr`` (a reported cumulative cost such as the
    training time) makes the acquisition EI per unit of predicted cost at the maximum resource,
    to the power ``cost_exponent``. ``target_transform`` is the searcher's (None: ``"copula"``,
    the normal quantiles of the results' ranks, for the joint model; ``"standardize"`` for the
    independent one); see :class:`~tunesmith.searchers.mobster.GPMultiFidelitySearcher`.

    >>> from tunesmith import uniform
    >>> MOBSTER({"lr": uniform(0, 1), "epochs": 10}, metric="loss", random_seed=0).rung_levels
    [1, 3, 9]
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
        rung_system_per_bracket: bool = True,
        type: str = "stopping",
        max_resource_attr: str | None = None,
        searcher_data: str = "rungs",
        early_checkpoint_removal_kwargs: Mapping[str, Any] | None = None,
        model: str = "joint",
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        num_init_random: int = 5,
        max_size_data_for_model: int | None = 1000,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
        cost_attr: str | None = None,
        cost_exponent: float = 1.0,
        target_transform: str | None = None,
    ):
        searcher = GPMultiFidelitySearcher(
            config_space,
            max_t=resolve_max_t(
                check_space(config_space), max_t=max_t, max_resource_attr=max_resource_attr
            ),
            model=model,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            num_init_random=num_init_random,
            max_size_data_for_model=max_size_data_for_model,
            restrict_configurations=restrict_configurations,
            cost_attr=cost_attr,
            cost_exponent=cost_exponent,
            target_transform=target_transform,
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
            rung_system_per_bracket=rung_system_per_bracket,
            type=type,
            max_resource_attr=max_resource_attr,
            searcher_data=searcher_data,
            early_checkpoint_removal_kwargs=early_checkpoint_removal_kwargs,
        )
