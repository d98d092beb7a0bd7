"""Differential evolution on the unit encoding (Storn & Price, 1997), the operators of DEHB
(Awad, Mallik, Hutter, 2021).

A config is a vector in ``[0, 1]^D``: the concatenated encodings of its hyperparameters
(:meth:`~tunesmith.space.Domain.encode`; one coordinate per numeric or ordered domain, one per
category of a ``choice``). Any vector decodes to a config (:meth:`~tunesmith.space.Domain.decode`:
nearest value, the largest one-hot entry), so DE works on mixed spaces unchanged; the population
keeps the vectors themselves, not the re-encoded configs, so no information is lost by rounding.

* mutation (``rand/1``): ``x1 + F * (x2 - x3)`` for three distinct members of the parent set;
  coordinates that leave ``[0, 1]`` are redrawn uniformly.
* crossover (binomial): each coordinate comes from the mutant with probability ``p`` (at least
  one does), else from the target.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.domains import Domain
from tunesmith.searchers.random import RandomSearcher
from tunesmith.space import hyperparameters

__all__ = ["DifferentialEvolution"]


class DifferentialEvolution(RandomSearcher):
    """The DE operators of DEHB, with the searcher contract for its random configs.

    :meth:`suggest` gives random configs (``points_to_evaluate`` first), as DEHB uses for its
    first bracket; :meth:`evolve` gives a child of a parent set and a target. Neither repeats a
    config (unless ``allow_duplicates``): a child that was suggested before is drawn again with
    new parents (up to ``max_retries`` times), then a random unseen config is used. With
    ``restrict_configurations`` (a tabulated benchmark's configs), random configs are drawn
    from those, and a child is the one not suggested yet that is nearest to the evolved vector.
    All draws come from the searcher's generator, so :meth:`state_dict` captures everything.

    * ``mutation_factor``: ``F`` in ``(0, 2]`` (DEHB: 0.5).
    * ``crossover_probability``: ``p`` in ``[0, 1]`` (DEHB: 0.5).
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
        mutation_factor: float = 0.5,
        crossover_probability: float = 0.5,
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
        if not _number_in(mutation_factor, 0.0, 2.0) or mutation_factor == 0:
            raise ValueError(
                f"`mutation_factor` must be a number in (0, 2], but got {mutation_factor!r}"
            )
        if not _number_in(crossover_probability, 0.0, 1.0):
            raise ValueError(
                "`crossover_probability` must be a number in [0, 1], but got "
                f"{crossover_probability!r}"
            )
        self.mutation_factor = float(mutation_factor)
        self.crossover_probability = float(crossover_probability)
        self._slices: list[tuple[str, Domain, int, int]] = []
        start = 0
        for name, domain in hyperparameters(self.config_space).items():
            self._slices.append((name, domain, start, start + domain.dim))
            start += domain.dim
        self.dim = start

    # -- encoding ----------------------------------------------------------------------------
    def encode(self, config: Mapping[str, Any]) -> list[float]:
        """The unit vector of ``config``."""
        out: list[float] = []
        for name, domain, _, _ in self._slices:
            out.extend(domain.encode(config[name]))
        return out

    def decode(self, vector: Sequence[float]) -> dict[str, Any]:
        """The config of a unit vector."""
        values = np.asarray(vector, dtype=float).tolist()
        config = dict(self.config_space)
        for name, domain, start, stop in self._slices:
            config[name] = domain.decode(values[start:stop])
        return config

    # -- operators ---------------------------------------------------------------------------
    def mutant(self, parents: np.ndarray) -> np.ndarray:
        """``rand/1`` mutant of three distinct rows of ``parents`` (at least 3 rows)."""
        i, j, k = self.rng.choice(len(parents), size=3, replace=False).tolist()
        x = parents[i] + self.mutation_factor * (parents[j] - parents[k])
        redraw = self.rng.random(self.dim)
        outside = (x < 0.0) | (x > 1.0)
        x[outside] = redraw[outside]
        return x

    def crossover(self, mutant: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Binomial crossover: mutant coordinates with probability ``crossover_probability``,
        at least one."""
        take = self.rng.random(self.dim) < self.crossover_probability
        take[int(self.rng.integers(self.dim))] = True
        return np.where(take, mutant, target)

    def evolve(
        self,
        parents: Sequence[Sequence[float]],
        target: Sequence[float] | None = None,
        pool: Sequence[Sequence[float]] = (),
    ) -> tuple[dict[str, Any], list[float]] | None:
        """A new config and its vector: a mutant of ``parents`` (topped up to three with random
        members of ``pool``, then with random vectors) crossed over with ``target`` (None: the
        mutant itself). None when the space is exhausted."""
        if self.dim == 0:
            config = self.suggest()
            return None if config is None else (config, [])
        members = [np.asarray(p, dtype=float) for p in parents]
        if len(members) < 3 and len(pool):
            need = min(3 - len(members), len(pool))
            for i in self.rng.choice(len(pool), size=need, replace=False).tolist():
                members.append(np.asarray(pool[i], dtype=float))
        while len(members) < 3:
            members.append(self.rng.random(self.dim))
        stack = np.vstack(members)
        goal = None if target is None else np.asarray(target, dtype=float)
        if self._restricted is not None:
            x = self.mutant(stack)
            return self._nearest_allowed(x if goal is None else self.crossover(x, goal))
        for _ in range(self.max_retries):
            x = self.mutant(stack)
            if goal is not None:
                x = self.crossover(x, goal)
            config = self.decode(x)
            if self._is_new(config):
                self._mark_seen(config)
                return config, x.tolist()
        config = self.suggest()
        return None if config is None else (config, self.encode(config))

    def _nearest_allowed(self, x: np.ndarray) -> tuple[dict[str, Any], list[float]] | None:
        found = self._nearest_restricted(x)
        return None if found is None else (found[0], found[1].tolist())

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(mutation_factor={self.mutation_factor}, "
            f"crossover_probability={self.crossover_probability})"
        )


def _number_in(value: Any, low: float, high: float) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and low <= value <= high
    )
