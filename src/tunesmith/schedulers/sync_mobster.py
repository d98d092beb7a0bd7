"""SyncMOBSTER as a named scheduler: synchronous Hyperband with MOBSTER's GP searcher."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.schedulers.rungs import resolve_max_t
from tunesmith.schedulers.synchronous import SyncHyperband
from tunesmith.searchers.mobster import GPMultiFidelitySearcher
from tunesmith.space import check_space

__all__ = ["SyncMOBSTER"]


class SyncMOBSTER(SyncHyperband):
    """Synchronous Hyperband (brackets and rungs of
    :class:`~tunesmith.schedulers.SyncHyperband`) whose new configs come from MOBSTER's
    :class:`~tunesmith.searchers.mobster.GPMultiFidelitySearcher` (Klein, Tiao, Lienart,
    Archambeau, Seeger, 2020), as Syne Tune's ``SyncMOBSTER``: the GP sees every rung result,
    running trials are fantasized at the rung they work towards, and promotions are
    Hyperband's. ``model`` (``"joint"`` or ``"independent"``) and ``target_transform`` are the
    searcher's; random configs until ``num_init_random`` were tried.

    >>> from tunesmith import uniform
    >>> space = {"lr": uniform(0, 1), "epochs": 9}
    >>> SyncMOBSTER(space, metric="loss", random_seed=0).bracket_table[0]
    [(9, 1), (3, 3), (1, 9)]
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
        brackets: int | None = None,
        bracket_rule: str = "paper",
        max_resource_attr: str | None = None,
        model: str = "joint",
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        num_init_random: int = 5,
        max_size_data_for_model: int | None = 1000,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
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
            bracket_rule=bracket_rule,
            max_resource_attr=max_resource_attr,
        )
