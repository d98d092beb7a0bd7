"""Regularized evolution (Real, Aggarwal, Huang, Le, 2019: "Regularized Evolution for Image
Classifier Architecture Search", AAAI).

A population of the ``population_size`` most recently evaluated configs is kept (the oldest
leaves when a new one arrives: "aging", the regularization). Until it is full, configs are drawn
at random. Then each suggestion samples ``sample_size`` members uniformly (tournament selection),
takes the best as parent and mutates one of its hyperparameters, chosen uniformly among those
with more than one value, to a different value drawn from the domain's distribution.

Multi-fidelity (inside Hyperband): a config observed again at a higher resource keeps its place
in the population with its new result; a tournament prefers results at a higher resource, then
better ones, so configs that were promoted further count as fitter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.domains import Domain
from tunesmith.searchers.random import RandomSearcher
from tunesmith.space import hyperparameters
from tunesmith.trial import metric_value

__all__ = ["DEFAULT_POPULATION_SIZE", "DEFAULT_SAMPLE_SIZE", "RegularizedEvolution"]

#: defaults sized for budgets of about 100 evaluations: the first ``population_size`` configs
#: are random, so a population of 100 (Real et al.'s, and Syne Tune's default) never evolves
#: within 100 evaluations and REA is random search there. With 30 configs, 70 of 100 are
#: evolved; tournaments of 10 (a third of the population) pick one of its best few members.
#: Measured on the four HPOLib tables, 20 seeds x 100 evaluations (docs/model-based.md): 30/10
#: had the lowest median regret of 10/3, 20/5, 25/5 and 30/10 on all four tables, and all of
#: them were below random search. For budgets of thousands, larger populations explore more.
DEFAULT_POPULATION_SIZE = 30
DEFAULT_SAMPLE_SIZE = 10

# draws of a mutated value before another hyperparameter is tried (a skewed finite domain may
# rarely give a different value)
_VALUE_DRAWS = 10


class RegularizedEvolution(RandomSearcher):
    """Regularized evolution (REA; Real et al., 2019). See the module docstring.

    * ``population_size``: evaluated configs kept, the oldest leaving first (default 30: the
      first 30 configs are random, the rest of a 100-evaluation budget evolves; see
      :data:`DEFAULT_POPULATION_SIZE`).
    * ``sample_size``: members drawn per tournament (at most ``population_size``; default 10).

    A child that was suggested before is mutated again (up to ``max_retries`` times), then a
    random unseen config is suggested. With ``restrict_configurations`` (a tabulated
    benchmark's configs) the child is the config of that list nearest to the mutated parent
    (Euclidean, on the unit encoding) that was not suggested yet: a sampled table rarely holds
    the parent with exactly one value changed.

    >>> from tunesmith import choice
    >>> space = {"x": choice([1, 2, 3]), "y": choice(["a", "b"])}
    >>> rea = RegularizedEvolution(
    ...     space, metric="loss", random_seed=0, population_size=2, sample_size=2
    ... )
    >>> for _ in range(2):  # random configs until the population is full
    ...     config = rea.suggest()
    ...     rea.observe(config, {"loss": config["x"]})
    >>> [config for config, _, _ in rea.population]
    [{'x': 2, 'y': 'a'}, {'x': 1, 'y': 'a'}]
    >>> rea.suggest()  # the best member with one hyperparameter changed
    {'x': 1, 'y': 'b'}
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
        population_size: int = DEFAULT_POPULATION_SIZE,
        sample_size: int = DEFAULT_SAMPLE_SIZE,
        max_retries: int = 100,
        restrict_configurations: Sequence[Mapping[str, Any]] | None = None,
    ):
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            max_retries=max_retries,
            restrict_configurations=restrict_configurations,
        )
        for name, value in (("population_size", population_size), ("sample_size", sample_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"`{name}` must be an int >= 1, but got {name}={value!r}")
        if sample_size > population_size:
            raise ValueError(
                "`sample_size` must be at most `population_size`, but got "
                f"(sample_size={sample_size}, population_size={population_size})"
            )
        self.population_size = population_size
        self.sample_size = sample_size
        self._mutable: list[tuple[str, Domain]] = [
            (name, d)
            for name, d in hyperparameters(self.config_space).items()
            if d.cardinality != 1
        ]
        # key -> [resource level, score to minimize]; insertion order is age (oldest first)
        self._population: dict[tuple, list] = {}

    def observe(
        self, config: Mapping[str, Any], metrics: Mapping[str, Any], resource: int | None = None
    ) -> None:
        if self.metric is None:
            raise ValueError(
                "the searcher has no metric: pass `metric=` or use it inside a scheduler"
            )
        value = metric_value(dict(metrics), self.metric)
        score = value if self.mode == "min" else -value
        level = 0 if resource is None else int(resource)
        key = self._key(config)
        self._mark_seen(config)
        member = self._population.get(key)
        if member is not None:
            if level >= member[0]:
                member[0], member[1] = level, score
            return
        self._population[key] = [level, score]
        if len(self._population) > self.population_size:
            del self._population[next(iter(self._population))]

    @property
    def population(self) -> list[tuple[dict[str, Any], int, float]]:
        """``(config, resource level, metric value)`` of the members, oldest first."""
        sign = 1.0 if self.mode == "min" else -1.0
        return [
            (self._config_of(key), level, sign * score)
            for key, (level, score) in self._population.items()
        ]

    def _config_of(self, key: Sequence[Any]) -> dict[str, Any]:
        config = dict(self.config_space)
        config.update(zip(self._names, key, strict=True))
        return config

    def _evolving(self) -> bool:
        return len(self._population) >= self.population_size and bool(self._mutable)

    def _parent(self) -> dict[str, Any]:
        """Tournament selection among ``sample_size`` members."""
        members = list(self._population.items())
        picks = self.rng.choice(len(members), size=self.sample_size, replace=False).tolist()
        # the fittest: highest resource, then lowest score; ties go to the earliest drawn
        best = min(picks, key=lambda i: (-members[i][1][0], members[i][1][1]))
        return self._config_of(members[best][0])

    def _suggest_restricted(self) -> dict[str, Any] | None:
        if not self._evolving():
            return super()._suggest_restricted()
        parent = self._parent()
        child = self._mutate(parent) or parent
        found = self._nearest_restricted(self._unit_encoder().encode(child))
        return None if found is None else found[0]

    def _suggest(self) -> dict[str, Any] | None:
        if not self._evolving():
            return super()._suggest()
        parent = self._parent()
        for _ in range(self.max_retries):
            child = self._mutate(parent)
            if child is not None and self._is_new(child):
                return child
        return super()._suggest()

    def _mutate(self, parent: Mapping[str, Any]) -> dict[str, Any] | None:
        name, domain = self._mutable[int(self.rng.integers(len(self._mutable)))]
        for _ in range(_VALUE_DRAWS):
            value = domain.sample(self.rng)
            if value != parent[name]:
                child = dict(parent)
                child[name] = value
                return child
        return None

    def _extra_state(self) -> dict[str, Any]:
        return {
            "population": [
                [list(k), level, score] for k, (level, score) in self._population.items()
            ]
        }

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        self._population = {
            tuple(k): [int(level), float(score)] for k, level, score in state["population"]
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(metric={self.metric!r}, mode={self.mode!r}, "
            f"population_size={self.population_size}, sample_size={self.sample_size})"
        )
