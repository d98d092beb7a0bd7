"""Multi-objective indicators: hypervolume, hypervolume improvement, non-dominated sorting,
crowding distance and the epsilon-net order (numpy only).

Convention: points are an ``(n, d)`` float array, one row a point, one column an objective, and
every objective is minimized; :func:`to_minimization` and :func:`objective_array` turn results
with ``metric=[...]``, ``mode=[...]`` into that form (negating the ``"max"`` objectives).

>>> from tunesmith.multiobjective import hypervolume, non_dominated_sort
>>> points = [[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [3.0, 3.0]]
>>> hypervolume(points, reference_point=[4.0, 4.0])
6.0
>>> non_dominated_sort(points).tolist()
[0, 0, 0, 1]
"""

from tunesmith.multiobjective.hypervolume import hypervolume, hypervolume_improvement
from tunesmith.multiobjective.objectives import (
    check_objectives,
    objective_array,
    objective_signs,
    to_minimization,
)
from tunesmith.multiobjective.sorting import (
    crowding_distance,
    epsilon_net_order,
    non_dominated_ranking,
    non_dominated_sort,
    pareto_front_mask,
)

__all__ = [
    "check_objectives",
    "crowding_distance",
    "epsilon_net_order",
    "hypervolume",
    "hypervolume_improvement",
    "non_dominated_ranking",
    "non_dominated_sort",
    "objective_array",
    "objective_signs",
    "pareto_front_mask",
    "to_minimization",
]
