"""PASHA's progressive maximum resource (Bohdal et al., 2023): when to unlock the next rung.

The current top rung is ``top`` (a global rung index; ``len(levels)`` means every rung is
unlocked and ``max_t`` is the maximum). Each time a trial arrives at the top rung, the trials
there are ranked by their top-rung values and by their values one rung below. The ranking is
stable if, position by position, the trial ranked ``i`` at the top is "softly" the trial ranked
``i`` below: their lower-rung values differ by at most ``epsilon``. Otherwise the next rung is
unlocked.

With ``epsilon=None`` it is estimated from the learning curves of the top-rung trials: a pair
whose order at the top level differs from its order at some lower level, and equals it again at a
yet lower level, criss-crossed (noise, not a real overtaking); ``epsilon`` is the 90th
percentile of such pairs' distances at the top level.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from sortedcontainers import SortedList

if TYPE_CHECKING:
    from tunesmith.schedulers.hyperband import HyperbandScheduler

__all__ = ["PashaState"]

PERCENTILE = 0.9


def _percentile(values: SortedList, q: float) -> float:
    """Linearly interpolated ``q``-quantile of sorted ``values`` (as ``numpy.percentile``)."""
    pos = q * (len(values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def criss_crossed(a: dict[int, float], b: dict[int, float], top_level: int) -> float | None:
    """``|a - b|`` at their highest common level up to ``top_level`` if the two learning curves
    criss-crossed below it (changed order, then changed back), else None."""
    common = sorted((lvl for lvl in a.keys() & b.keys() if lvl <= top_level), reverse=True)
    if len(common) < 3:
        return None
    first = common[0]
    order = a[first] > b[first]
    if a[first] == b[first]:
        return None
    reversed_seen = False
    for level in common[1:]:
        if a[level] == b[level]:
            continue
        same = (a[level] > b[level]) == order
        if not same:
            reversed_seen = True
        elif reversed_seen:
            return abs(a[first] - b[first])
    return None


class PashaState:
    def __init__(self, num_levels: int, epsilon: float | None):
        self.num_levels = num_levels
        self.top = min(1, num_levels)
        self.auto = epsilon is None
        self.epsilon = 0.0 if epsilon is None else float(epsilon)
        self.curves: dict[int, dict[int, float]] = {}
        self.distances: SortedList = SortedList()

    def observe(self, trial_id: int, level: int, score: float) -> None:
        if self.auto:
            self.curves.setdefault(trial_id, {})[level] = score

    def on_record(self, scheduler: HyperbandScheduler, trial_id: int, index: int) -> None:
        """A trial was recorded at global rung ``index``; unlock the next rung if the ranking of
        the top two rungs is unstable."""
        if index != self.top or self.top == 0:
            return
        rungs = scheduler._systems[0]
        top, below = rungs[self.top], rungs[self.top - 1]
        if self.auto:
            self._update_epsilon(trial_id, top.by_trial, top.level)
        if not self.stable(top.by_trial, below.by_trial):
            self.top += 1
            self.distances = SortedList()

    def _update_epsilon(self, trial_id: int, members: dict[int, Any], level: int) -> None:
        curve = self.curves.get(trial_id, {})
        for other in members:
            if other == trial_id:
                continue
            distance = criss_crossed(curve, self.curves.get(other, {}), level)
            if distance is not None:
                self.distances.add(distance)
        if self.distances:
            self.epsilon = _percentile(self.distances, PERCENTILE)

    def stable(self, top: dict[int, tuple], below: dict[int, tuple]) -> bool:
        ids = [tid for tid in top if tid in below]
        by_top = sorted(ids, key=top.__getitem__)
        by_below = sorted(ids, key=below.__getitem__)
        eps = self.epsilon
        return all(
            abs(below[a][0] - below[b][0]) <= eps for a, b in zip(by_top, by_below, strict=True)
        )

    def state(self) -> dict[str, Any]:
        return {
            "top": self.top,
            "epsilon": self.epsilon,
            "curves": [[tid, list(curve.items())] for tid, curve in self.curves.items()],
            "distances": list(self.distances),
        }

    def load(self, state: dict[str, Any]) -> None:
        self.top = int(state["top"])
        self.epsilon = float(state["epsilon"])
        self.curves = {
            int(tid): {int(lvl): float(v) for lvl, v in curve} for tid, curve in state["curves"]
        }
        self.distances = SortedList(float(d) for d in state["distances"])
