"""The median stopping rule, on top of any scheduler."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any

from sortedcontainers import SortedList

from tunesmith.schedulers.base import Scheduler
from tunesmith.schedulers.rungs import resource_value
from tunesmith.trial import Decision, Suggestion, Trial

__all__ = ["POPULATIONS", "MedianStoppingRule"]

#: which values a result is ranked among (see :class:`MedianStoppingRule`)
POPULATIONS = ("others", "all")


class MedianStoppingRule(Scheduler):
    """Stops a trial whose result is worse than the median of the other trials' results at the
    same resource level (Golovin, Solnik, Moitra, Kochanski, Karro, Sculley, 2017: "Google
    Vizier: A Service for Black-Box Optimization", KDD).

    ``scheduler`` (any :class:`Scheduler`) makes every other decision: suggestions, and the
    decision for results the rule lets pass; its ``metric`` and ``mode`` are used. A result at
    resource ``r = result[resource_attr]`` stops its trial when

    * ``r > grace_time``, and
    * at least ``grace_population`` other trials recorded a value at ``r``, and
    * fewer than ``rank_cutoff * n`` of those ``n`` values are worse than or equal to the
      trial's: for ``rank_cutoff=0.5``, more than half of them are better.

    ``population="all"`` ranks the result among all values at ``r``, its own included (Syne
    Tune's rule): ``n`` counts it, for ``grace_population`` too, and it counts as worse or equal;
    for ``rank_cutoff=0.5`` the trial stops when more than half of the ``n`` values are better.

    With ``running_average=True`` (default) values are the running means of each trial's metric
    up to ``r``; else the raw results. Each decision costs O(log n).
    """

    def __init__(
        self,
        scheduler: Scheduler,
        *,
        resource_attr: str = "epoch",
        running_average: bool = True,
        grace_time: float = 1,
        grace_population: int = 5,
        rank_cutoff: float = 0.5,
        population: str = "others",
    ):
        if not isinstance(scheduler, Scheduler):
            raise TypeError(
                "MedianStoppingRule wraps a Scheduler (e.g. RandomSearch(...)), but got "
                f"scheduler={scheduler!r}"
            )
        super().__init__(metric=scheduler.metric, mode=scheduler.mode)
        if not isinstance(resource_attr, str) or not resource_attr:
            raise ValueError(
                f"`resource_attr` must be the non-empty name of the reported resource, "
                f"but got resource_attr={resource_attr!r}"
            )
        if not isinstance(grace_time, Real) or isinstance(grace_time, bool) or grace_time < 0:
            raise ValueError(
                f"`grace_time` must be a number >= 0, but got grace_time={grace_time!r}"
            )
        if (
            not isinstance(grace_population, Integral)
            or isinstance(grace_population, bool)
            or grace_population < 1
        ):
            raise ValueError(
                f"`grace_population` must be an int >= 1, but got "
                f"grace_population={grace_population!r}"
            )
        if not isinstance(rank_cutoff, Real) or not 0 < rank_cutoff < 1:
            raise ValueError(
                f"`rank_cutoff` must be a number in (0, 1) (0.5: the median), but got "
                f"rank_cutoff={rank_cutoff!r}"
            )
        if population not in POPULATIONS:
            raise ValueError(
                f"`population` must be one of {list(POPULATIONS)} ('others': the other trials' "
                f"values at the level; 'all': its own too), but got population={population!r}"
            )
        self.scheduler = scheduler
        self.population = population
        self.resource_attr = resource_attr
        self.running_average = bool(running_average)
        self.grace_time = grace_time
        self.grace_population = int(grace_population)
        self.rank_cutoff = float(rank_cutoff)
        self.random_seed = getattr(scheduler, "random_seed", None)
        self._values: dict[int, SortedList] = {}  # level -> values recorded there
        self._trials: dict[int, list[float]] = {}  # trial_id -> [sum, count, last level]

    # -- delegated -----------------------------------------------------------------------------
    def suggest(self, trial_id: int) -> Suggestion | None:
        return self.scheduler.suggest(trial_id)

    def suggest_resume(self) -> Suggestion | None:
        return self.scheduler.suggest_resume()

    def on_trial_add(self, trial: Trial) -> None:
        self.scheduler.on_trial_add(trial)

    def on_trial_error(self, trial: Trial) -> None:
        self._trials.pop(trial.trial_id, None)
        self.scheduler.on_trial_error(trial)

    def on_trial_remove(self, trial: Trial) -> None:
        self._trials.pop(trial.trial_id, None)
        self.scheduler.on_trial_remove(trial)

    # -- the rule ------------------------------------------------------------------------------
    def _record(self, trial: Trial, result: Mapping[str, Any]) -> tuple[int, float] | None:
        """The trial's value at its new level, recorded after computing whether it is
        stopped; None when the level was seen already."""
        score = self.score(result)
        level = resource_value(result, self.resource_attr)
        state = self._trials.setdefault(trial.trial_id, [0.0, 0, 0])
        if level <= state[2]:
            return None
        state[0] += score
        state[1] += 1
        state[2] = level
        value = state[0] / state[1] if self.running_average else score
        return level, value

    def should_stop(self, level: int, value: float) -> bool:
        """Whether ``value`` (to minimize) at ``level`` is cut by the rule, given the other
        trials' values recorded at ``level``."""
        if level <= self.grace_time:
            return False
        others = self._values.get(level)
        if others is None:
            return False
        worse_or_equal = len(others) - others.bisect_left(value)
        size = len(others)
        if self.population == "all":  # its own value counts, as worse or equal
            worse_or_equal += 1
            size += 1
        if size < self.grace_population:
            return False
        return worse_or_equal < self.rank_cutoff * size

    def on_trial_result(self, trial: Trial, result: Mapping[str, Any]) -> Decision:
        recorded = self._record(trial, result)
        stop = False
        if recorded is not None:
            level, value = recorded
            stop = self.should_stop(level, value)
            self._values.setdefault(level, SortedList()).add(value)
        decision = self.scheduler.on_trial_result(trial, result)
        if stop and decision is not Decision.STOP:
            self._trials.pop(trial.trial_id, None)
            self.scheduler.on_trial_remove(trial)
            return Decision.STOP
        if decision is Decision.STOP:
            self._trials.pop(trial.trial_id, None)
        return decision

    def on_trial_complete(self, trial: Trial, result: Mapping[str, Any]) -> None:
        recorded = self._record(trial, result)
        if recorded is not None:
            self._values.setdefault(recorded[0], SortedList()).add(recorded[1])
        self._trials.pop(trial.trial_id, None)
        self.scheduler.on_trial_complete(trial, result)

    # -- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "scheduler": self.scheduler.state_dict(),
            "values": [[level, list(values)] for level, values in self._values.items()],
            "trials": [[tid, *state] for tid, state in self._trials.items()],
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.scheduler.load_state_dict(state["scheduler"])
        self._values = {int(level): SortedList(values) for level, values in state["values"]}
        self._trials = {
            int(row[0]): [float(row[1]), int(row[2]), int(row[3])] for row in state["trials"]
        }

    def __repr__(self) -> str:
        return (
            f"MedianStoppingRule({self.scheduler!r}, grace_time={self.grace_time}, "
            f"grace_population={self.grace_population}, rank_cutoff={self.rank_cutoff}, "
            f"population={self.population!r})"
        )
