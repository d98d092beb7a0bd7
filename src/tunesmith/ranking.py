"""Which trial is best: one ranking shared by run results, stored studies, ask/tell and the CLI.

A trial is ranked by one value of the metric, chosen by ``scope``:

- ``"last"`` (the default): the value in the trial's last report that carries the metric, the
  value the trial ended with. This is what Optuna (the objective's return value) and Ray Tune
  (``scope="last"``) rank by. Under early stopping it is the value a config reached at the
  budget it was given; picking the best of many noisy intermediate values instead favours a
  lucky epoch that a retrained model does not reproduce (unless a checkpoint of that epoch is
  kept).
- ``"all"``: the best value among all the trial's reports (what Syne Tune's and AutoGluon's
  result tables give): right when each epoch's checkpoint is kept and the best one is used.

A trial whose chosen value is missing or not a finite number is not ranked. Under a constraint
(a reported value that must be ``<= 0``), feasible values come first (see
:func:`constrained_key`); with ``"last"`` the constraint value is the one of that same report.
Ties go to the lower trial id.

Several objectives (``metric=[...]``, ``mode=[...]``): a trial is a *point*, one value per
objective, and there is no single best trial but a Pareto front (:func:`pareto_ranked`):

- ``"last"``: the trial's point is its last report that carries every objective;
- ``"all"``: every report that carries every objective is a point, and a trial stands at its
  best-ranked report (it is on the front when any of its reports is).

A point with a missing or non-finite objective is not ranked. Points are ordered by their
non-dominated front (0: the Pareto front), then within a front by decreasing crowding distance
(NSGA-II's crowded comparison, Deb et al. 2002: the ends of a front and the isolated points
first, as they cover the most of the trade-off), then by trial id.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from numbers import Real
from typing import Any

__all__ = [
    "DEFAULT_SCOPE",
    "SCOPES",
    "SCOPE_WORDS",
    "check_scope",
    "constrained_key",
    "finite_number",
    "pareto_ranked",
    "per_trial",
    "ranked",
    "score",
]

#: the ways of choosing the value a trial is ranked by (see the module docstring)
SCOPES = ("last", "all")
DEFAULT_SCOPE = "last"
#: how output names the value a trial is ranked by
SCOPE_WORDS = {"last": "last report", "all": "best report"}

#: a sort key: smaller is better
Key = tuple[int, float, float]


def check_scope(scope: Any) -> str:
    """``scope`` if it is one of :data:`SCOPES`, else a ValueError saying what each means."""
    if scope not in SCOPES:
        raise ValueError(
            f"`scope` must be 'last' (rank each trial by the value of its last report) or 'all' "
            f"(by the best value of any of its reports), but got scope={scope!r}"
        )
    return scope


def finite_number(value: Any) -> float | None:
    """``value`` as a finite float, or None (bools, text, NaN and infinities are no numbers)."""
    if type(value) is float:  # most metrics: answered without the checks below
        return value if value - value == 0.0 else None  # (inf - inf and nan - nan are nan)
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def score(value: Any, mode: str) -> float | None:
    """``value`` as a number to minimize (negated for ``mode="max"``), or None when it is not a
    finite real number (see :func:`finite_number`)."""
    value = finite_number(value)
    if value is None:
        return None
    return value if mode == "min" else -value


def constrained_key(score: float, constraint: Any) -> Key:
    """Sort key (smaller is better) of a result whose metric, as a value to minimize, is
    ``score`` and whose constraint value is ``constraint`` (feasible when ``<= 0``).

    Every feasible result comes before every infeasible one; feasible results rank by score,
    infeasible ones by how far they violate the constraint (smallest value first), then by
    score. A missing or non-finite constraint value counts as the worst violation."""
    try:
        c = float(constraint)
    except (TypeError, ValueError):
        c = math.nan
    if isinstance(constraint, bool) or not math.isfinite(c):
        return (1, math.inf, score)
    if c <= 0:
        return (0, 0.0, score)
    return (1, c, score)


def _key(row: Mapping[str, Any], metric: str, mode: str, constraint: str | None) -> Key | None:
    s = score(row.get(metric), mode)
    if s is None:
        return None
    return (0, 0.0, s) if constraint is None else constrained_key(s, row.get(constraint))


def per_trial(
    reports: Iterable[tuple[int, Mapping[str, Any]]],
    metric: str,
    mode: str,
    scope: str = DEFAULT_SCOPE,
    constraint_attr: str | None = None,
) -> dict[int, tuple[Key, Mapping[str, Any]]]:
    """Each ranked trial's sort key and the report it is ranked by, from ``reports`` given as
    ``(trial_id, metrics)`` in report order."""
    check_scope(scope)
    if scope == "last":
        last: dict[int, Mapping[str, Any]] = {}
        for trial_id, row in reports:
            if metric in row:
                last[trial_id] = row
        out = {}
        for trial_id, row in last.items():
            key = _key(row, metric, mode, constraint_attr)
            if key is not None:
                out[trial_id] = (key, row)
        return out
    best: dict[int, tuple[Key, Mapping[str, Any]]] = {}
    for trial_id, row in reports:
        key = _key(row, metric, mode, constraint_attr)
        if key is not None and (trial_id not in best or key < best[trial_id][0]):
            best[trial_id] = (key, row)
    return best


def ranked(chosen: Mapping[int, tuple[Key, Any]]) -> list[int]:
    """The trial ids of :func:`per_trial`'s answer, best first (ties: lower trial id)."""
    return sorted(chosen, key=lambda trial_id: (chosen[trial_id][0], trial_id))


def pareto_ranked(
    reports: Iterable[tuple[int, Mapping[str, Any]]],
    metrics: Sequence[str],
    modes: Sequence[str],
    scope: str = DEFAULT_SCOPE,
) -> list[tuple[int, Mapping[str, Any], int]]:
    """With several objectives: ``(trial_id, report, front)`` of each ranked trial, best first
    (see the module docstring), from ``reports`` given as ``(trial_id, metrics)`` in report
    order; ``front`` 0 is the Pareto front."""
    check_scope(scope)
    points: list[tuple[int, Mapping[str, Any]]] = []
    values: list[list[float]] = []
    if scope == "last":
        last: dict[int, Mapping[str, Any]] = {}
        for trial_id, row in reports:
            if all(m in row for m in metrics):
                last[trial_id] = row
        candidates: Iterable[tuple[int, Mapping[str, Any]]] = last.items()
    else:
        candidates = reports
    for trial_id, row in candidates:
        point = [score(row.get(m), d) for m, d in zip(metrics, modes, strict=True)]
        if None not in point:
            points.append((trial_id, row))
            values.append(point)  # type: ignore[arg-type]
    if not points:
        return []
    import numpy as np

    from tunesmith.multiobjective import crowding_distance, non_dominated_sort

    array = np.asarray(values, dtype=float)
    fronts = non_dominated_sort(array)
    crowding = crowding_distance(array, fronts)
    ids = np.fromiter((tid for tid, _ in points), dtype=np.int64, count=len(points))
    order = np.lexsort((ids, -crowding, fronts)).tolist()
    out, seen = [], set()
    for i in order:
        trial_id, row = points[i]
        if trial_id not in seen:
            seen.add(trial_id)
            out.append((trial_id, row, int(fronts[i])))
    return out
