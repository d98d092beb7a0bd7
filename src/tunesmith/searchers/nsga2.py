"""NSGA-II as an asynchronous searcher (Deb, Pratap, Agarwal, Meyarivan, 2002: "A fast and
elitist multiobjective genetic algorithm: NSGA-II", IEEE TEC).

Steady state (one child at a time, as workers free up; Durillo, Nebro, Luna, Alba, 2009: "On
the effect of the steady-state selection scheme in multi-objective genetic algorithms"):

* until ``population_size`` configs have results, configs are drawn at random;
* the *population* is the elite of the results so far: each new result joins it, and when it
  holds more than ``population_size`` members the worst leaves: the member of the last
  non-dominated front with the least crowding distance (NSGA-II's environmental selection,
  one member at a time);
* a child: two parents, each the winner of a binary tournament (two members drawn at random;
  the lower front wins, then the larger crowding distance, then the first drawn), crossed
  uniformly (each hyperparameter from either parent with probability 1/2) with probability
  ``crossover_probability``, then each hyperparameter mutated (a new value drawn from its
  domain) with probability ``mutation_probability`` (default: one over the number of
  hyperparameters that can change).

Multi-fidelity (inside MOASHA or Hyperband): a config observed again at a higher resource keeps
its place with its new result, and members at a higher resource rank before all members at a
lower one (fronts and crowding are computed among the members of one resource level).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np

from tunesmith.domains import Domain
from tunesmith.searchers.random import RandomSearcher
from tunesmith.space import hyperparameters
from tunesmith.trial import as_list, metric_value

__all__ = ["NSGA2Searcher"]

_VALUE_DRAWS = 10


def _check_probability(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value <= 1:
        raise ValueError(f"`{name}` must be a number in [0, 1], but got {name}={value!r}")


class NSGA2Searcher(RandomSearcher):
    """Steady-state NSGA-II (see the module docstring); ``metric=[...]``, ``mode=[...]``.

    With ``restrict_configurations`` the child is the unsuggested config of that list nearest
    to the crossed and mutated parents (Euclidean, on the unit encoding). A child suggested
    before is bred again (up to ``max_retries`` times), then a random unseen config is
    suggested.

    >>> from tunesmith import choice
    >>> space = {"x": choice([0, 1, 2, 3]), "y": choice([0, 1, 2, 3])}
    >>> nsga2 = NSGA2Searcher(space, metric=["f", "g"], population_size=3, random_seed=0)
    >>> for _ in range(4):
    ...     config = nsga2.suggest()
    ...     nsga2.observe(config, {"f": config["x"], "g": config["y"]})
    >>> len(nsga2.population)  # the elite: the worst member left
    3
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
        population_size: int = 20,
        crossover_probability: float = 0.9,
        mutation_probability: float | None = None,
        max_retries: int = 100,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        super().__init__(
            config_space,
            metric=metric,  # type: ignore[arg-type]
            mode=mode,  # type: ignore[arg-type]
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            max_retries=max_retries,
            restrict_configurations=restrict_configurations,
        )
        if (
            isinstance(population_size, bool)
            or not isinstance(population_size, int)
            or population_size < 2
        ):
            raise ValueError(
                "`population_size` must be an int >= 2 (tournaments draw two members), but got "
                f"population_size={population_size!r}"
            )
        _check_probability("crossover_probability", crossover_probability)
        if mutation_probability is not None:
            _check_probability("mutation_probability", mutation_probability)
        self.population_size = population_size
        self.crossover_probability = float(crossover_probability)
        self._mutable: list[tuple[str, Domain]] = [
            (name, d)
            for name, d in hyperparameters(self.config_space).items()
            if d.cardinality != 1
        ]
        if mutation_probability is None:
            mutation_probability = 1.0 / max(1, len(self._mutable))
        self.mutation_probability = float(mutation_probability)
        # key -> [resource level, objective values (minimized)], in order of arrival
        self._population: dict[tuple, list] = {}
        self._order: list[tuple] | None = None  # members best first (cached)

    # -- results ---------------------------------------------------------------------------
    def _point(self, metrics: Mapping[str, Any]) -> list[float]:
        if self.metric is None:
            raise ValueError(
                "the searcher has no metric: pass `metric=` or use it inside a scheduler"
            )
        reported = dict(metrics)
        return [
            value if mode == "min" else -value
            for value, mode in zip(
                (metric_value(reported, m) for m in as_list(self.metric)),
                as_list(self.mode),
                strict=True,
            )
        ]

    def observe(
        self, config: Mapping[str, Any], metrics: Mapping[str, Any], resource: int | None = None
    ) -> None:
        point = self._point(metrics)
        level = 0 if resource is None else int(resource)
        key = self._key(config)
        self._mark_seen(config)
        member = self._population.get(key)
        if member is not None:
            if level >= member[0]:
                member[0], member[1] = level, point
                self._order = None
            return
        self._population[key] = [level, point]
        self._order = None
        if len(self._population) > self.population_size:
            del self._population[self._ranked()[-1]]
            self._order = None

    def _ranked(self) -> list[tuple]:
        """The members best first: higher resource level, then lower front, then larger
        crowding distance, then earlier arrival."""
        if self._order is None:
            from tunesmith.multiobjective import crowding_distance, non_dominated_sort

            keys = list(self._population)
            levels = np.array([self._population[k][0] for k in keys])
            points = np.array([self._population[k][1] for k in keys], dtype=float)
            fronts = np.zeros(len(keys), dtype=np.intp)
            crowding = np.zeros(len(keys))
            for level in np.unique(levels):
                at = np.flatnonzero(levels == level)
                fronts[at] = non_dominated_sort(points[at])
                crowding[at] = crowding_distance(points[at], fronts[at])
            order = np.lexsort((np.arange(len(keys)), -crowding, fronts, -levels))
            self._order = [keys[i] for i in order.tolist()]
            self._standing = {keys[i]: position for position, i in enumerate(order.tolist())}
        return self._order

    @property
    def population(self) -> list[tuple[dict[str, Any], int, list[float]]]:
        """``(config, resource level, metric values)`` of the members, best first (values in
        the metrics' own units)."""
        signs = [1.0 if m == "min" else -1.0 for m in as_list(self.mode)]
        return [
            (
                self._config_of(key),
                self._population[key][0],
                [s * v for s, v in zip(signs, self._population[key][1], strict=True)],
            )
            for key in self._ranked()
        ]

    def _config_of(self, key: Sequence[Any]) -> dict[str, Any]:
        config = dict(self.config_space)
        config.update(zip(self._names, key, strict=True))
        return config

    # -- breeding --------------------------------------------------------------------------
    def _evolving(self) -> bool:
        return len(self._population) >= self.population_size and bool(self._mutable)

    def _tournament(self) -> dict[str, Any]:
        ranked = self._ranked()
        a, b = self.rng.choice(len(ranked), size=2, replace=False).tolist()
        return self._config_of(ranked[min(a, b)])  # ranked: the better one comes first

    def _child(self) -> dict[str, Any]:
        first, second = self._tournament(), self._tournament()
        child = dict(first)
        if self.rng.random() < self.crossover_probability:
            take = self.rng.random(len(self._names)) < 0.5
            for name, other in zip(self._names, take.tolist(), strict=True):
                if other:
                    child[name] = second[name]
        mutate = self.rng.random(len(self._mutable)) < self.mutation_probability
        for (name, domain), flip in zip(self._mutable, mutate.tolist(), strict=True):
            if flip:
                for _ in range(_VALUE_DRAWS):
                    value = domain.sample(self.rng)
                    if value != child[name]:
                        child[name] = value
                        break
        return child

    def _suggest(self) -> dict[str, Any] | None:
        if not self._evolving():
            return super()._suggest()
        for _ in range(self.max_retries):
            child = self._child()
            if self._is_new(child):
                return child
        return super()._suggest()

    def _suggest_restricted(self) -> dict[str, Any] | None:
        if not self._evolving():
            return super()._suggest_restricted()
        found = self._nearest_restricted(self._unit_encoder().encode(self._child()))
        return None if found is None else found[0]

    # -- state -----------------------------------------------------------------------------
    def _extra_state(self) -> dict[str, Any]:
        return {
            "population": [
                [list(k), level, list(point)] for k, (level, point) in self._population.items()
            ]
        }

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        self._population = {
            tuple(k): [int(level), [float(v) for v in point]]
            for k, level, point in state["population"]
        }
        self._order = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(metric={self.metric!r}, mode={self.mode!r}, "
            f"population_size={self.population_size})"
        )
