"""Multi-objective evolutionary search as FIFO schedulers: :class:`NSGA2` and :class:`MOREA`
(Syne Tune's baselines of these names, seed 002). Their searchers,
:class:`~tunesmith.searchers.NSGA2Searcher` and
:class:`~tunesmith.searchers.MultiObjectiveRegularizedEvolution`, also work inside
:class:`~tunesmith.schedulers.MOASHA` (``searcher=``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.schedulers.fifo import FIFOScheduler
from tunesmith.searchers.evolution import DEFAULT_POPULATION_SIZE, DEFAULT_SAMPLE_SIZE
from tunesmith.searchers.morea import MultiObjectiveRegularizedEvolution
from tunesmith.searchers.nsga2 import NSGA2Searcher

__all__ = ["MOREA", "NSGA2"]


class NSGA2(FIFOScheduler):
    """NSGA-II (Deb et al., 2002), steady state: every trial runs to its end; new configs are
    bred from the elite of ``population_size`` configs by binary tournaments on non-dominated
    front and crowding distance. See :class:`~tunesmith.searchers.NSGA2Searcher`.

    >>> from tunesmith import uniform
    >>> scheduler = NSGA2({"x": uniform(0, 1)}, metric=["err", "ms"], random_seed=0)
    >>> scheduler.searcher.population_size
    20
    """

    multi_objective = True

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | list[str],
        mode: str | list[str] = "min",
        population_size: int = 20,
        crossover_probability: float = 0.9,
        mutation_probability: float | None = None,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        searcher = NSGA2Searcher(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            population_size=population_size,
            crossover_probability=crossover_probability,
            mutation_probability=mutation_probability,
            restrict_configurations=restrict_configurations,
        )
        super().__init__(config_space, searcher=searcher, metric=metric, mode=mode)


class MOREA(FIFOScheduler):
    """Multi-objective regularized evolution: every trial runs to its end; new configs mutate
    one hyperparameter of the winner of a tournament among ``sample_size`` of the
    ``population_size`` latest results (first non-dominated front of the sample, then the
    largest hypervolume contribution). See
    :class:`~tunesmith.searchers.MultiObjectiveRegularizedEvolution`.
    """

    multi_objective = True

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | list[str],
        mode: str | list[str] = "min",
        population_size: int = DEFAULT_POPULATION_SIZE,
        sample_size: int = DEFAULT_SAMPLE_SIZE,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        searcher = MultiObjectiveRegularizedEvolution(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
            population_size=population_size,
            sample_size=sample_size,
            restrict_configurations=restrict_configurations,
        )
        super().__init__(config_space, searcher=searcher, metric=metric, mode=mode)
