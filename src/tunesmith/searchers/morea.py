"""Multi-objective regularized evolution (MO-REA): regularized evolution (Real et al., 2019;
:class:`~tunesmith.searchers.RegularizedEvolution`) whose tournament compares objective vectors
(Syne Tune's ``MultiObjectiveRegularizedEvolution``, seed 002).

The population holds the ``population_size`` most recently evaluated configs (the oldest leaves
first). Each suggestion draws ``sample_size`` members; the parent is the best of them:

1. the highest resource level (inside a multi-fidelity scheduler);
2. then the first non-dominated front *of the sample* (:func:`~tunesmith.multiobjective.
   non_dominated_sort`);
3. then, within that front, the largest hypervolume contribution: the volume the member alone
   adds to the front's hypervolume, with the reference point at the sample's worst value of each
   objective plus a tenth of its range (1 where the range is 0), so that the extremes of the
   front count too;
4. then the first drawn.

The child is the parent with one hyperparameter changed, as in regularized evolution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunesmith.searchers.evolution import (
    DEFAULT_POPULATION_SIZE,
    DEFAULT_SAMPLE_SIZE,
    RegularizedEvolution,
)
from tunesmith.trial import as_list, metric_value

__all__ = ["MultiObjectiveRegularizedEvolution", "tournament_winner"]


def tournament_winner(points: Any) -> int:
    """The index of the tournament's winner among ``points`` (an ``(n, d)`` array, every
    objective minimized): on the first non-dominated front, the largest hypervolume
    contribution (reference point: the worst value of each objective plus a tenth of its range,
    1 where the range is 0), ties to the lowest index.

    >>> tournament_winner([[3.0, 3.0], [1.0, 2.0], [2.0, 1.0], [0.0, 5.0]])  # adds 3 (of 4.7)
    1
    """
    from tunesmith.multiobjective import hypervolume_improvement, non_dominated_sort

    pts = np.asarray(points, dtype=float)
    front = np.flatnonzero(non_dominated_sort(pts) == 0)
    if len(front) == 1:
        return int(front[0])
    span = pts.max(axis=0) - pts.min(axis=0)
    reference = pts.max(axis=0) + np.where(span > 0, span / 10, 1.0)
    members = pts[front]
    if pts.shape[1] == 2:
        gains = _contributions_2d(members.tolist(), reference.tolist())
    else:
        gains = [
            float(hypervolume_improvement(members[i], np.delete(members, i, axis=0), reference))
            for i in range(len(front))
        ]
    return int(front[int(np.argmax(gains))])


def _contributions_2d(front: list[list[float]], reference: list[float]) -> list[float]:
    """Each point's exclusive hypervolume on a 2-D front (no point dominates another): sorted by
    the first objective, point ``i`` alone covers ``(x[i+1] - x[i]) * (y[i-1] - y[i])``, with the
    reference point's values at the ends (duplicates: 0 for each)."""
    order = sorted(range(len(front)), key=lambda i: (front[i][0], front[i][1], i))
    xs = [front[i][0] for i in order] + [reference[0]]
    ys = [reference[1]] + [front[i][1] for i in order]
    gains = [0.0] * len(front)
    for k, i in enumerate(order):
        gains[i] = (xs[k + 1] - xs[k]) * (ys[k] - ys[k + 1])
    return gains


class MultiObjectiveRegularizedEvolution(RegularizedEvolution):
    """MO-REA (see the module docstring); ``metric=[...]``, ``mode=[...]``, and the arguments
    of :class:`~tunesmith.searchers.RegularizedEvolution`.

    >>> from tunesmith import choice
    >>> space = {"x": choice([0, 1, 2]), "y": choice([0, 1, 2])}
    >>> morea = MultiObjectiveRegularizedEvolution(
    ...     space, metric=["f", "g"], population_size=3, sample_size=3, random_seed=0
    ... )
    >>> for _ in range(3):
    ...     config = morea.suggest()
    ...     morea.observe(config, {"f": config["x"], "g": 2 - config["x"] + config["y"]})
    >>> len(morea.population)
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
        population_size: int = DEFAULT_POPULATION_SIZE,
        sample_size: int = DEFAULT_SAMPLE_SIZE,
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
            population_size=population_size,
            sample_size=sample_size,
            max_retries=max_retries,
            restrict_configurations=restrict_configurations,
        )

    def observe(
        self, config: Mapping[str, Any], metrics: Mapping[str, Any], resource: int | None = None
    ) -> None:
        if self.metric is None:
            raise ValueError(
                "the searcher has no metric: pass `metric=` or use it inside a scheduler"
            )
        reported = dict(metrics)
        point = [
            value if mode == "min" else -value
            for value, mode in zip(
                (metric_value(reported, m) for m in as_list(self.metric)),
                as_list(self.mode),
                strict=True,
            )
        ]
        level = 0 if resource is None else int(resource)
        key = self._key(config)
        self._mark_seen(config)
        member = self._population.get(key)
        if member is not None:
            if level >= member[0]:
                member[0], member[1] = level, point
            return
        self._population[key] = [level, point]
        if len(self._population) > self.population_size:
            del self._population[next(iter(self._population))]

    @property
    def population(self) -> list[tuple[dict[str, Any], int, list[float]]]:  # type: ignore[override]
        """``(config, resource level, metric values)`` of the members, oldest first (values in
        the metrics' own units)."""
        signs = [1.0 if m == "min" else -1.0 for m in as_list(self.mode)]
        return [
            (self._config_of(key), level, [s * v for s, v in zip(signs, point, strict=True)])
            for key, (level, point) in self._population.items()
        ]

    def _parent(self) -> dict[str, Any]:
        members = list(self._population.items())
        picks = self.rng.choice(len(members), size=self.sample_size, replace=False).tolist()
        top = max(members[i][1][0] for i in picks)
        picks = [i for i in picks if members[i][1][0] == top]
        best = picks[tournament_winner([members[i][1][1] for i in picks])]
        return self._config_of(members[best][0])

    def _load_extra_state(self, state: Mapping[str, Any]) -> None:
        self._population = {
            tuple(k): [int(level), [float(v) for v in point]]
            for k, level, point in state["population"]
        }
