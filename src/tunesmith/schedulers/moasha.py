"""Multi-objective asynchronous successive halving (MOASHA; Schmucker, Donini, Perrone,
Archambeau, 2021: "Multi-objective multi-fidelity hyperparameter optimization with application
to fairness"; Salinas, Perrone, Archambeau, Cruchant, 2021: "A multi-objective perspective on
jointly tuning hardware and hyperparameters").

ASHA's stopping rule (:class:`~tunesmith.schedulers.HyperbandScheduler`, ``type="stopping"``)
with the ranking of a rung replaced by a *priority* over the objective vectors recorded there
(every objective minimized, ``"max"`` ones negated). A trial reaching a rung goes on iff fewer
than ``q * n`` of the ``n`` entries of the rung (its own included) come strictly before it in the
priority; ``q`` is the rung's promotion quantile (:mod:`tunesmith.schedulers.rungs`).

Priorities:

* :class:`NonDominatedPriority` (default): an entry comes before another iff it lies on an
  earlier non-dominated front (:func:`~tunesmith.multiobjective.non_dominated_sort`); entries of
  one front tie, and a tie goes the newcomer's way as in ASHA's rank rule. A rung keeps its
  first fronts, those that decide (holding ``q * n`` entries, plus a margin), and updates them
  in place as entries arrive (the non-domination level update of Li et al., 2017); the other
  entries wait in a pool, sorted only when the cut reaches them, and with three objectives
  only as far as its first fronts
  (:class:`~tunesmith.multiobjective.incremental.QuantileFronts`). A decision costs a binary
  search over the kept fronts and a step per front whose entries the newcomer pushes down,
  for any number of objectives; with two, a step is a few bisections, and a front of more than
  4,096 entries is kept in parts; with three and more, a front is kept in compact chunks and a
  test looks only into those near the entry (``benchmarks/moasha_before_after.py``, each
  decision's least CPU time over 3 runs, mean over the last tenth of the entries, two
  objectives: about 2.5 us at 1,000 entries and 3.6 to 5 us at 100,000, whether the
  objectives are independent, correlated, perfectly correlated or on one front; three
  objectives: 13 to 21 us at 1,000 entries, 23 to 45 us at 100,000, a machine loaded 6 to 8;
  docs/multiobjective.md).
* :class:`EpsilonNetPriority`: fronts first, then, within a front, the greedy epsilon-net order
  (:func:`~tunesmith.multiobjective.epsilon_net_order`): a total order, so a rung always cuts,
  as Syne Tune's MOASHA does; each decision sorts the rung again (O(n log n) plus the square of
  the front sizes): for studies of a few thousand trials.
* :class:`LinearScalarizationPriority`: the weighted sum of the objectives, ranked as ASHA ranks
  one metric (O(log n)).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np

from tunesmith.multiobjective.incremental import QuantileFronts
from tunesmith.schedulers._rung import Rung
from tunesmith.schedulers.base import Scheduler
from tunesmith.schedulers.fifo import make_searcher
from tunesmith.schedulers.rungs import (
    async_bracket_probabilities,
    make_rung_spec,
    resolve_max_t,
    resource_value,
)
from tunesmith.searchers.base import Searcher
from tunesmith.space import check_space
from tunesmith.spec import Specified
from tunesmith.trial import Decision, Suggestion, Trial

__all__ = [
    "MOASHA",
    "EpsilonNetPriority",
    "LinearScalarizationPriority",
    "MOPriority",
    "NonDominatedPriority",
]


# -- priorities ------------------------------------------------------------------------------
class MOPriority(Specified):
    """How a MOASHA rung orders objective vectors (all minimized); see the module docstring."""

    def bind(self, num_objectives: int) -> None:
        """Check the priority against the number of objectives (a ``ValueError`` if unfit)."""

    def make_rung(self, level: int, quantile: tuple[float, float]) -> Any:
        """An empty rung at ``level`` with promotion quantile ``quantile``: ``add(point)``
        records a point and returns how many entries come strictly before it; ``state()`` /
        ``load(state)``; ``len()``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and repr(other) == repr(self)

    def __hash__(self) -> int:
        return hash(repr(self))


class NonDominatedPriority(MOPriority):
    """Non-dominated fronts; entries of one front tie (see the module docstring)."""

    def make_rung(self, level: int, quantile: tuple[float, float]) -> Any:
        return _FrontRung(level, quantile)


class EpsilonNetPriority(MOPriority):
    """Non-dominated fronts, then the greedy epsilon-net order within a front, starting from the
    entry with the least value of objective ``start`` (Syne Tune's ``NonDominatedPriority``
    with ``dim=start``)."""

    def __init__(self, start: int = 0):
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise ValueError(
                "`start` must be the index (an int >= 0) of the objective whose best entry "
                f"starts the epsilon-net, but got start={start!r}"
            )
        self.start = start

    def bind(self, num_objectives: int) -> None:
        if self.start >= num_objectives:
            raise ValueError(
                f"`start` must be the index of an objective (0 to {num_objectives - 1}), but "
                f"got start={self.start}"
            )

    def make_rung(self, level: int, quantile: tuple[float, float]) -> Any:
        return _NetRung(level, quantile, self.start)

    def __repr__(self) -> str:
        return f"EpsilonNetPriority(start={self.start})"


class LinearScalarizationPriority(MOPriority):
    """The weighted sum ``sum(w_i * y_i)`` of the objectives (``"max"`` ones negated);
    ``weights=None``: all 1."""

    def __init__(self, weights: Sequence[float] | None = None):
        if weights is not None:
            if isinstance(weights, str | bytes) or not isinstance(weights, Sequence):
                raise ValueError(
                    "`weights` must be a list of positive finite numbers, one per objective, "
                    f"or None for all 1, but got weights={weights!r}"
                )
            for w in weights:
                if isinstance(w, bool) or not isinstance(w, Real) or not 0 < w < math.inf:
                    raise ValueError(
                        "`weights` must be positive finite numbers, one per objective, but got "
                        f"{w!r} in weights={list(weights)!r}"
                    )
            weights = [float(w) for w in weights]
        self.weights = weights

    def bind(self, num_objectives: int) -> None:
        if self.weights is not None and len(self.weights) != num_objectives:
            raise ValueError(
                f"`weights` must have one weight per objective ({num_objectives}), but got "
                f"weights={self.weights!r}"
            )

    def make_rung(self, level: int, quantile: tuple[float, float]) -> Any:
        return _ScalarRung(level, quantile, self.weights)

    def __repr__(self) -> str:
        return f"LinearScalarizationPriority(weights={self.weights!r})"


# -- rungs -----------------------------------------------------------------------------------
class _ScalarRung:
    """ASHA's unkeyed rung on the weighted sum."""

    def __init__(self, level: int, quantile: tuple[float, float], weights: list[float] | None):
        self.level = level
        self.rung = Rung(level, quantile, keyed=False)
        self.weights = weights

    def __len__(self) -> int:
        return len(self.rung)

    @property
    def num(self) -> float:
        return self.rung.num

    @property
    def den(self) -> float:
        return self.rung.den

    def add(self, point: Sequence[float]) -> int:
        w = self.weights
        value = sum(point) if w is None else sum(a * b for a, b in zip(w, point, strict=True))
        self.rung.add(0, value, 0)
        return self.rung.entries.bisect_left(value)

    def state(self) -> dict[str, Any]:
        return self.rung.state()

    def load(self, state: Mapping[str, Any]) -> None:
        self.rung.load(dict(state))


class _PointsRung:
    """A rung that keeps its points in arrival order (its state) and re-adds them on load."""

    def __init__(self, level: int, quantile: tuple[float, float]):
        self.level = level
        self.num, self.den = quantile
        self.points: list[tuple[float, ...]] = []

    def __len__(self) -> int:
        return len(self.points)

    def add(self, point: Sequence[float]) -> int:
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        return {"points": [list(p) for p in self.points]}

    def load(self, state: Mapping[str, Any]) -> None:
        self.__init__(self.level, (self.num, self.den), *self._args())  # type: ignore[misc]
        for point in state["points"]:
            self.add([float(v) for v in point])

    def _args(self) -> tuple:
        return ()


class _FrontRung(_PointsRung):
    """Non-dominated fronts: the first ones, enough to decide, kept exactly and updated in
    place (:class:`~tunesmith.multiobjective.incremental.QuantileFronts`); ``add`` returns
    the number of points on fronts before the newcomer's when it is below ``q * n``, else a
    number at least ``q * n`` (the decision is STOP either way)."""

    def __init__(self, level: int, quantile: tuple[float, float]):
        super().__init__(level, quantile)
        self.fronts: QuantileFronts | None = None  # made for the first point's length

    def add(self, point: Sequence[float]) -> int:
        self.points.append(tuple(point))
        if self.fronts is None:
            self.fronts = QuantileFronts(len(point), (self.num, self.den))
        return self.fronts.add(point)


class _NetRung(_PointsRung):
    """Fronts, then the epsilon-net order within each; recomputed at each decision."""

    def __init__(self, level: int, quantile: tuple[float, float], start: int):
        super().__init__(level, quantile)
        self.start = start

    def _args(self) -> tuple:
        return (self.start,)

    def add(self, point: Sequence[float]) -> int:
        from tunesmith.multiobjective import non_dominated_ranking

        self.points.append(tuple(point))
        positions = non_dominated_ranking(np.asarray(self.points), start=self.start)
        return int(positions[-1])


# -- the scheduler ---------------------------------------------------------------------------
class MOASHA(Scheduler):
    """Multi-objective asynchronous successive halving (stopping type); see the module
    docstring.

    ``metric=[...]``, ``mode=[...]`` (or one mode for all); rungs from ``max_t`` (else
    ``config_space[max_resource_attr]``, else an entry named ``epochs``, ``max_t`` or
    ``max_epochs``), ``grace_period`` and ``reduction_factor``, or explicit ``rung_levels``, with
    promotion quantiles ``r_j / r_{j+1}`` (``rung_quantiles="ratio"``) or ``1 / eta``
    (``"eta"``), as :class:`~tunesmith.schedulers.HyperbandScheduler`. ``brackets > 1``: each
    new trial draws a bracket (Syne Tune's default distribution), each bracket with rungs of its
    own. ``multiobjective_priority``: :class:`NonDominatedPriority` (default),
    :class:`EpsilonNetPriority` or :class:`LinearScalarizationPriority`.

    ``searcher`` (``"random"`` or a searcher taking several metrics, e.g.
    :class:`~tunesmith.searchers.NSGA2Searcher`) observes each trial's results at rung levels
    and its last one. A trial reaching ``max_t`` ends by itself; a result beyond ``max_t`` gets
    STOP. A trial's first results may be at resource 0 (a script counting its steps from 0, as
    Syne Tune's MOASHA examples do): below every rung, they get CONTINUE and are recorded
    nowhere.

    >>> from tunesmith import uniform
    >>> scheduler = MOASHA(
    ...     {"x": uniform(0, 1), "epochs": 9}, metric=["err", "ms"], mode="min", random_seed=0
    ... )
    >>> scheduler.rung_levels
    [1, 3]
    """

    multi_objective = True

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str | list[str],
        mode: str | list[str] = "min",
        resource_attr: str = "epoch",
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float = 3,
        rung_levels: Sequence[int] | None = None,
        rung_quantiles: str = "ratio",
        max_resource_attr: str | None = None,
        brackets: int = 1,
        multiobjective_priority: MOPriority | None = None,
        searcher: str | Searcher = "random",
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
    ):
        super().__init__(metric=metric, mode=mode)
        self.config_space = check_space(config_space)
        if not isinstance(resource_attr, str) or not resource_attr:
            raise ValueError(
                "`resource_attr` must be the non-empty name of the reported resource, but got "
                f"resource_attr={resource_attr!r}"
            )
        self.resource_attr = resource_attr
        if multiobjective_priority is None:
            multiobjective_priority = NonDominatedPriority()
        if not isinstance(multiobjective_priority, MOPriority):
            raise TypeError(
                "`multiobjective_priority` must be NonDominatedPriority(), EpsilonNetPriority() "
                "or LinearScalarizationPriority(weights), or None for NonDominatedPriority(), "
                f"but got {multiobjective_priority!r}"
            )
        multiobjective_priority.bind(len(self.metrics))
        self.multiobjective_priority = multiobjective_priority
        self.max_t = resolve_max_t(
            self.config_space, max_t=max_t, max_resource_attr=max_resource_attr
        )
        self._spec = make_rung_spec(
            max_t=self.max_t,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            rung_levels=rung_levels,
            quantiles=rung_quantiles,
        )
        self.rung_levels: list[int] = list(self._spec.levels)
        self.brackets = brackets
        self.bracket_probabilities = async_bracket_probabilities(self._spec, brackets)
        self.searcher = make_searcher(
            searcher,
            self.config_space,
            metric=self.metric,
            mode=self.mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
        )
        self.random_seed = self.searcher.random_seed
        self._rng = np.random.default_rng([self.random_seed, 1])
        self._level_set = frozenset(self.rung_levels)
        spec = self._spec
        self._rungs = [
            [
                multiobjective_priority.make_rung(spec.levels[j], spec.quantiles[j])
                for j in range(b, len(spec.levels))
            ]
            for b in range(brackets)
        ]
        # trial_id -> [bracket, next milestone index, last level, level last observed]
        self._trials: dict[int, list[int]] = {}
        self._configs: dict[int, dict[str, Any]] = {}
        self._new_brackets: dict[int, int] = {}

    # -- suggest -------------------------------------------------------------------------------
    def suggest(self, trial_id: int) -> Suggestion | None:
        config = self.searcher.suggest()
        if config is None:
            return None
        bracket = 0
        if self.brackets > 1:
            bracket = int(self._rng.choice(self.brackets, p=self.bracket_probabilities))
        self._new_brackets[trial_id] = bracket
        return Suggestion.start(config)

    # -- trial events --------------------------------------------------------------------------
    def on_trial_add(self, trial: Trial) -> None:
        bracket = self._new_brackets.pop(trial.trial_id, 0)
        self._trials[trial.trial_id] = [bracket, 0, 0, 0]
        self._configs[trial.trial_id] = dict(trial.config)
        self.searcher.pending(trial.config, resource=self._next_level(bracket, 0))

    def _state(self, trial: Trial) -> list[int]:
        state = self._trials.get(trial.trial_id)
        if state is None:  # not added through on_trial_add: bracket 0
            self.on_trial_add(trial)
            state = self._trials[trial.trial_id]
        return state

    def _next_level(self, bracket: int, index: int) -> int:
        rungs = self._rungs[bracket]
        return rungs[index].level if index < len(rungs) else self.max_t

    def _cross(self, state: list[int], point: list[float]) -> tuple[Any, int] | None:
        """Record ``point`` at the highest milestone the trial's level reached; return that rung
        and how many of its entries come before the point (None: no milestone reached)."""
        rungs = self._rungs[state[0]]
        j = state[1]
        while j < len(rungs) and rungs[j].level <= state[2]:
            j += 1
        if j == state[1]:
            return None
        state[1] = j
        rung = rungs[j - 1]
        return rung, rung.add(point)

    def on_trial_result(self, trial: Trial, result: Mapping[str, Any]) -> Decision:
        point = self.objectives(result)
        level = resource_value(result, self.resource_attr, minimum=0)
        state = self._state(trial)
        if level == 0 == state[2]:
            return Decision.CONTINUE  # before any resource is used: below every rung
        if level <= state[2]:
            raise ValueError(
                f"resource {self.resource_attr!r} must increase from one result to the next, "
                f"but trial {trial.trial_id} reported {level} after {state[2]}"
            )
        state[2] = level
        crossed = self._cross(state, point)
        decision = Decision.CONTINUE
        if level > self.max_t:
            decision = Decision.STOP
        elif crossed is not None and level < self.max_t:
            rung, before = crossed
            if before * rung.den >= len(rung) * rung.num:
                decision = Decision.STOP
        config = self._configs[trial.trial_id]
        if crossed is not None or level in self._level_set or level >= self.max_t:
            state[3] = level
            self.searcher.observe(config, result, resource=level)
        if decision is Decision.STOP:
            self._forget(trial.trial_id)
        elif crossed is not None:
            self.searcher.pending(config, resource=self._next_level(state[0], state[1]))
        return decision

    def on_trial_complete(self, trial: Trial, result: Mapping[str, Any]) -> None:
        point = self.objectives(result)
        level = resource_value(result, self.resource_attr, minimum=0)
        state = self._state(trial)
        if level > state[2]:
            state[2] = level
            self._cross(state, point)
        if state[3] < level:
            state[3] = level
            self.searcher.observe(self._configs[trial.trial_id], result, resource=level)
        self._forget(trial.trial_id)

    def on_trial_error(self, trial: Trial) -> None:
        self.searcher.failed(self._configs.get(trial.trial_id, trial.config))
        self._forget(trial.trial_id)

    def on_trial_remove(self, trial: Trial) -> None:
        if trial.trial_id in self._trials:
            # stopped from outside: no result will come, so the config is no longer pending
            self.searcher.failed(self._configs.get(trial.trial_id, trial.config))
            self._forget(trial.trial_id)

    def _forget(self, trial_id: int) -> None:
        self._trials.pop(trial_id, None)
        self._configs.pop(trial_id, None)

    # -- inspection ----------------------------------------------------------------------------
    def rung_sizes(self) -> list[list[int]]:
        """The number of entries of each rung, per bracket."""
        return [[len(rung) for rung in rungs] for rungs in self._rungs]

    # -- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "searcher": self.searcher.state_dict(),
            "rng": self._rng.bit_generator.state,
            "rungs": [[rung.state() for rung in rungs] for rungs in self._rungs],
            "trials": [[tid, *state] for tid, state in self._trials.items()],
            "configs": [[tid, config] for tid, config in self._configs.items()],
            "new_brackets": [[tid, b] for tid, b in self._new_brackets.items()],
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.searcher.load_state_dict(state["searcher"])
        self._rng.bit_generator.state = state["rng"]
        for rungs, rung_states in zip(self._rungs, state["rungs"], strict=True):
            for rung, rung_state in zip(rungs, rung_states, strict=True):
                rung.load(rung_state)
        self._trials = {int(row[0]): [int(v) for v in row[1:]] for row in state["trials"]}
        self._configs = {int(tid): dict(config) for tid, config in state["configs"]}
        self._new_brackets = {int(tid): int(b) for tid, b in state["new_brackets"]}

    def __repr__(self) -> str:
        return (
            f"MOASHA(rung_levels={self.rung_levels}, max_t={self.max_t}, "
            f"brackets={self.brackets}, priority={self.multiobjective_priority!r}, "
            f"metric={self.metric!r}, mode={self.mode!r})"
        )
