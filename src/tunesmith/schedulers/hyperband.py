"""Asynchronous successive halving and Hyperband: ASHA, its promotion variant, PASHA and the
cost-aware promotion rule.

Every trial reports its resource (``resource_attr``, e.g. ``epoch``: epochs done, 1-based and
increasing) with its metric. At each rung level (see :mod:`tunesmith.schedulers.rungs`) the
trial's value is compared with the values recorded at that rung so far:

* ``type="stopping"``: it goes on if it is among the best ``q`` of them (itself included), else
  it is stopped; ``q = r_j / r_{j+1}`` (``max_t`` last), see :mod:`tunesmith.schedulers.rungs`.
* ``type="promotion"``: it pauses; a free worker first resumes the best paused trial that may be
  promoted, looking from the highest rung down, and otherwise starts a new config.
* ``type="pasha"``: promotion, with a maximum resource that starts at the second rung and grows
  a rung at a time while the ranking of the top two rungs is unstable.
* ``type="cost_promotion"``: promotion, where "may be promoted" is judged by cost.

Decisions cost O(log n) in the number of values at a rung (sorted rungs, :mod:`._rung`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tunesmith.randomness import Stream, stream_state
from tunesmith.schedulers._pasha import PashaState
from tunesmith.schedulers._rung import CUTOFFS, Rung
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
from tunesmith.trial import Decision, Suggestion, Trial

__all__ = ["ASHA", "PASHA", "HyperbandScheduler"]

TYPES = ("stopping", "promotion", "pasha", "cost_promotion", "rush_stopping", "rush_promotion")
SEARCHER_DATA = ("rungs", "all", "rungs_and_last")


def _removal_kwargs(kwargs: Any, pauses: bool, type: str) -> dict[str, Any] | None:
    """``early_checkpoint_removal_kwargs`` as stored (the tuner builds the callback from it and
    checks its keys), after the checks that need the scheduler."""
    if kwargs is None:
        return None
    if not isinstance(kwargs, Mapping) or "max_num_checkpoints" not in kwargs:
        raise ValueError(
            "`early_checkpoint_removal_kwargs` must be None or a dict with "
            f"'max_num_checkpoints', but got early_checkpoint_removal_kwargs={kwargs!r}"
        )
    if not pauses:
        raise ValueError(
            "`early_checkpoint_removal_kwargs` removes checkpoints of paused trials, so it "
            "needs a type that pauses ('promotion', 'pasha', 'cost_promotion'), but got "
            f"type={type!r}"
        )
    return dict(kwargs)


def _choose(name: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {list(allowed)}, but got {name}={value!r}")
    return value


@dataclass
class _TrialState:
    bracket: int
    next: int = 0  # index (into the bracket's rungs) of the next milestone
    last_level: int = 0  # highest resource reported
    paused_at: int = 0  # resource at which it last paused (results up to it are repeats)
    waiting: int | None = None  # global rung index where it waits for promotion
    observed: int = 0  # highest resource passed to the searcher
    between: int = 0  # resource of its observation between rung levels, which the next replaces

    def to_list(self) -> list[Any]:
        return [
            self.bracket,
            self.next,
            self.last_level,
            self.paused_at,
            self.waiting,
            self.observed,
            self.between,
        ]


class HyperbandScheduler(Scheduler):
    """Asynchronous successive halving (Li et al., 2018, "A System for Massively Parallel
    Hyperparameter Tuning", ASHA) and asynchronous Hyperband (Li et al., 2017, "Hyperband: A
    Novel Bandit-Based Approach to Hyperparameter Optimization", with brackets as in ASHA's
    asynchronous variant).

    Rungs: ``max_t`` (else ``config_space[max_resource_attr]``, else a config-space entry named
    ``epochs``, ``max_t`` or ``max_epochs``) with ``grace_period`` and ``reduction_factor`` (eta),
    or ``rung_increment``, or explicit ``rung_levels``; see :mod:`tunesmith.schedulers.rungs`.
    ``scheduler.rung_levels`` lists them. Rung ``j``'s promotion quantile is
    ``q = r_j / r_{j+1}`` with ``max_t`` as the last level (``rung_quantiles="ratio"``, the seeds'
    definition: 9/10 at rung 9 of ``max_t=10``), or ``1 / eta`` at every rung
    (``rung_quantiles="eta"``, Ray Tune's and Syne Tune's ASHA from version 0.14).

    ``type``:

    * ``"stopping"``: at a rung a trial goes on iff fewer than ``q * n`` of the ``n`` values
      recorded there (its own included) are strictly better, else STOP.
    * ``"promotion"``: a trial PAUSEs at each rung; ``suggest()`` resumes the best paused trial
      among the best ``floor(q * n)`` of its rung and not yet promoted, from the highest rung
      down; if there is none it starts a new config (``suggest_resume()``: only the promotion).
      ``keep_size_ratios=True`` (AutoGluon) also caps the promotions from a rung at
      ``floor(q * n)``.
    * ``"pasha"``: see :class:`PASHA`; ``pasha_epsilon`` fixes its soft-ranking threshold.
    * ``"rush_stopping"``, ``"rush_promotion"``: RUSH (:mod:`tunesmith.schedulers.rush`):
      earlier tasks' best configs (``transfer_learning_evaluations``, the best
      ``num_hyperparameters_per_task`` of each; ``custom_rush_points``) run first and set a
      threshold at each rung that other trials must also clear to go on or be promoted.
    * ``"cost_promotion"``: promotion where a paused trial may be promoted iff the trials ranked
      up to it cost at most ``q`` of the rung's total cost (``cost_attr``: each result's total
      cost of the trial so far, as :class:`~tunesmith.stopping.StoppingCriterion` reads it).

    ``cutoff="interpolated"`` replaces the two rank rules by Syne Tune's (up to version 0.13): a
    value goes on, or may be promoted, iff it is at most the ``q``-quantile of the rung's values
    (linearly interpolated, as ``numpy.quantile``), and none is cut below 2 values; see
    :mod:`tunesmith.schedulers._rung`. (Not for ``"cost_promotion"``.)

    A trial reaching ``max_t`` is done (CONTINUE: it ends by itself); a result beyond ``max_t``
    gets STOP. After a resume, results at or below the level where the trial paused (a trial
    without checkpoints starting over) are ignored.

    ``brackets > 1``: each new trial draws a bracket ``b`` and starts competing at rung ``b``;
    ``bracket_distribution="synchronous"`` (default, Syne Tune's and AutoGluon's) draws it in
    proportion to the configs synchronous Hyperband starts in the bracket, ``"softmax"`` with
    probability proportional to ``exp(-b)``; see
    :func:`~tunesmith.schedulers.rungs.async_bracket_probabilities`.
    ``rung_system_per_bracket=True`` keeps separate rung statistics per bracket, ``False`` one
    shared set.

    ``searcher_data``: which results the searcher observes: ``"rungs"`` (at rung levels and
    ``max_t``, and final results), ``"all"``, or ``"rungs_and_last"`` (those at rung levels,
    plus each trial's most recent one: a result between rung levels replaces the trial's
    previous one there, through :meth:`~tunesmith.searchers.base.Searcher.withdraw`). Pending
    evaluations are registered at the trial's next milestone, or at ``max_t`` with
    ``maxt_pending=True`` (AutoGluon).

    ``early_checkpoint_removal_kwargs`` (pause-and-resume types; Syne Tune's argument): the
    arguments of a :class:`~tunesmith.callbacks.checkpoint_removal.RemoveCheckpointsCallback`
    (``max_num_checkpoints`` is needed), which :class:`~tunesmith.tuner.Tuner` then adds to
    its callbacks, keeping at most that many checkpoints of paused trials.
    """

    #: studies stored before ``rung_quantiles`` existed had 1/eta at geometric rungs (and the
    #: ratios, the default, at explicit or linear levels)
    spec_added = {"rung_quantiles": "eta"}

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        searcher: str | Searcher = "random",
        metric: str,
        mode: str = "min",
        resource_attr: str = "epoch",
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float = 3,
        rung_levels: Sequence[int] | None = None,
        rung_increment: int | None = None,
        rung_quantiles: str = "ratio",
        cutoff: str = "rank",
        max_resource_attr: str | None = None,
        brackets: int = 1,
        bracket_distribution: str = "synchronous",
        type: str = "stopping",
        rung_system_per_bracket: bool = True,
        searcher_data: str = "rungs",
        keep_size_ratios: bool = False,
        maxt_pending: bool = False,
        cost_attr: str | None = None,
        pasha_epsilon: float | None = None,
        early_checkpoint_removal_kwargs: Mapping[str, Any] | None = None,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
        transfer_learning_evaluations: Mapping[str, Any] | None = None,
        num_hyperparameters_per_task: int = 1,
        custom_rush_points: Sequence[Mapping[str, Any]] | None = None,
    ):
        super().__init__(metric=metric, mode=mode)
        self.config_space = check_space(config_space)
        if not isinstance(resource_attr, str) or not resource_attr:
            raise ValueError(
                f"`resource_attr` must be the non-empty name of the reported resource, "
                f"but got resource_attr={resource_attr!r}"
            )
        self.resource_attr = resource_attr
        self.type = _choose("type", type, TYPES)
        self.cutoff = _choose("cutoff", cutoff, CUTOFFS)
        self.searcher_data = _choose("searcher_data", searcher_data, SEARCHER_DATA)
        self.max_t = resolve_max_t(
            self.config_space, max_t=max_t, max_resource_attr=max_resource_attr
        )
        self._spec = make_rung_spec(
            max_t=self.max_t,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            rung_increment=rung_increment,
            rung_levels=rung_levels,
            quantiles=rung_quantiles,
        )
        self.rung_levels: list[int] = list(self._spec.levels)
        self.rung_quantiles = rung_quantiles
        self.bracket_probabilities = async_bracket_probabilities(
            self._spec, brackets, bracket_distribution
        )
        self.brackets = brackets
        self.bracket_distribution = bracket_distribution
        self.rung_system_per_bracket = bool(rung_system_per_bracket)
        self.keep_size_ratios = bool(keep_size_ratios)
        self.maxt_pending = bool(maxt_pending)
        self._check_type_options(cost_attr, pasha_epsilon)
        self.cost_attr = cost_attr
        self._rush = None  # RUSH's hurdles (tunesmith.schedulers.rush), for the rush_* types
        if self.type.startswith("rush_") or transfer_learning_evaluations or custom_rush_points:
            from tunesmith.schedulers.rush import setup_rush

            self._rush, points_to_evaluate = setup_rush(
                self,
                searcher,
                points_to_evaluate,
                transfer_learning_evaluations=transfer_learning_evaluations,
                num_hyperparameters_per_task=num_hyperparameters_per_task,
                custom_rush_points=custom_rush_points,
            )
        self.searcher = make_searcher(
            searcher,
            self.config_space,
            metric=self.metric,
            mode=self.mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
        )
        self.random_seed = self.searcher.random_seed
        # numpy's default_rng([seed, 1]), numpy imported only if more than one bracket is drawn
        self._rng: Any = Stream([self.random_seed, 1])
        self.pauses = self.type not in ("stopping", "rush_stopping")
        self.early_checkpoint_removal_kwargs = _removal_kwargs(
            early_checkpoint_removal_kwargs, self.pauses, self.type
        )
        self._level_set = frozenset(self.rung_levels)
        self._build_rungs()
        self._trials: dict[int, _TrialState] = {}
        self._configs: dict[int, dict[str, Any]] = {}
        self._new_brackets: dict[int, int] = {}
        self._seq = 0
        self._pasha = (
            PashaState(len(self.rung_levels), pasha_epsilon) if self.type == "pasha" else None
        )

    def _check_type_options(self, cost_attr: Any, pasha_epsilon: Any) -> None:
        if self.keep_size_ratios and self.type in ("stopping", "rush_stopping"):
            raise ValueError(
                "`keep_size_ratios` caps promotions, so it applies to the pause-and-resume types "
                f"('promotion', 'pasha', 'cost_promotion'), but got type={self.type!r}"
            )
        if self.type == "cost_promotion" and self.cutoff != "rank":
            raise ValueError(
                "type='cost_promotion' ranks trials by cost, so it has no interpolated cutoff: "
                f"leave cutoff='rank', but got cutoff={self.cutoff!r}"
            )
        if self.type == "cost_promotion":
            if not isinstance(cost_attr, str) or not cost_attr:
                raise ValueError(
                    "type='cost_promotion' needs `cost_attr`, the name of the reported cost "
                    f"(e.g. cost_attr='cost'), but got cost_attr={cost_attr!r}"
                )
        elif cost_attr is not None:
            raise ValueError(
                f"`cost_attr` is used by type='cost_promotion' only, but got type={self.type!r}"
            )
        if self.type == "pasha":
            if self.brackets != 1:
                raise ValueError(
                    f"type='pasha' runs a single bracket, but got brackets={self.brackets}"
                )
            if pasha_epsilon is not None and not (
                isinstance(pasha_epsilon, int | float)
                and not isinstance(pasha_epsilon, bool)
                and math.isfinite(pasha_epsilon)
                and pasha_epsilon >= 0
            ):
                raise ValueError(
                    "`pasha_epsilon` must be a finite number >= 0, or None to estimate it from "
                    f"the learning curves, but got pasha_epsilon={pasha_epsilon!r}"
                )
        elif pasha_epsilon is not None:
            raise ValueError(
                f"`pasha_epsilon` is used by type='pasha' only, but got type={self.type!r}"
            )

    def _build_rungs(self) -> None:
        """``self._systems``: lists of Rung objects (one per bracket, or one shared);
        ``self._bracket_rungs[b]``: the rungs bracket ``b`` competes at (global index ``b`` on)."""
        spec = self._spec
        n = len(spec.levels)

        def system(first: int) -> list[Rung]:
            return [
                Rung(spec.levels[j], spec.quantiles[j], keyed=self.pauses, cutoff=self.cutoff)
                for j in range(first, n)
            ]

        if self.rung_system_per_bracket:
            self._systems = [system(b) for b in range(self.brackets)]
            self._bracket_rungs = self._systems
        else:
            shared = system(0)
            self._systems = [shared]
            self._bracket_rungs = [shared[b:] for b in range(self.brackets)]
        # promotion scan order: global rung index, highest first, each with its Rung objects
        # (bracket b's own system starts at global index b; the shared one at 0)
        starts = range(self.brackets) if self.rung_system_per_bracket else [0]
        self._scan = [
            (j, [rungs[j - b] for b, rungs in zip(starts, self._systems, strict=True) if j >= b])
            for j in range(n - 1, -1, -1)
        ]

    # -- suggest -------------------------------------------------------------------------------
    def suggest(self, trial_id: int) -> Suggestion | None:
        if self.pauses:
            promoted = self._promote()
            if promoted is not None:
                return promoted
        config = self.searcher.suggest()
        if config is None:
            return None
        self._new_brackets[trial_id] = self._draw_bracket()
        return Suggestion.start(config)

    def _draw_bracket(self) -> int:
        """The bracket of a new trial (subclasses may draw from another distribution)."""
        if self.brackets == 1:
            return 0
        return int(self._rng.choice(self.brackets, p=self.bracket_probabilities))

    def suggest_resume(self) -> Suggestion | None:
        """The promotion :meth:`suggest` would make now, or None (never a new config)."""
        return self._promote() if self.pauses else None

    def _promote(self) -> Suggestion | None:
        limit = len(self.rung_levels) if self._pasha is None else self._pasha.top
        options = {
            "keep_size_ratios": self.keep_size_ratios,
            "cost_based": self.type == "cost_promotion",
        }
        for j, rungs in self._scan:
            if j >= limit:
                continue
            best = None
            best_rung = None
            for rung in rungs:
                if self._rush is None:
                    entry = rung.promotable(**options)
                else:
                    entry = self._rush.promotable(rung, self._configs, options)
                if entry is not None and (best is None or entry < best):
                    best, best_rung = entry, rung
            if best is not None:
                trial_id = best[2]
                best_rung.waiting.remove(best)
                best_rung.promoted += 1
                state = self._trials[trial_id]
                state.waiting = None
                state.paused_at = state.last_level
                self.searcher.pending(self._configs[trial_id], resource=self._next_level(state))
                return Suggestion.resume(trial_id)
        return None

    # -- trial events --------------------------------------------------------------------------
    def on_trial_add(self, trial: Trial) -> None:
        bracket = self._new_brackets.pop(trial.trial_id, 0)
        state = _TrialState(bracket=bracket)
        self._trials[trial.trial_id] = state
        self._configs[trial.trial_id] = dict(trial.config)
        resource = self.max_t if self.maxt_pending else self._next_level(state)
        self.searcher.pending(trial.config, resource=resource)

    def _state(self, trial: Trial) -> _TrialState:
        state = self._trials.get(trial.trial_id)
        if state is None:  # not added through on_trial_add (e.g. added by hand): bracket 0
            self.on_trial_add(trial)
            state = self._trials[trial.trial_id]
        return state

    def _next_level(self, state: _TrialState) -> int:
        rungs = self._bracket_rungs[state.bracket]
        return rungs[state.next].level if state.next < len(rungs) else self.max_t

    def on_trial_result(self, trial: Trial, result: Mapping[str, Any]) -> Decision:
        score = self.score(result)
        level = resource_value(result, self.resource_attr)
        state = self._state(trial)
        if level <= state.paused_at:
            return Decision.CONTINUE  # a resumed trial repeating levels it had done
        if level <= state.last_level:
            raise ValueError(
                f"resource {self.resource_attr!r} must increase from one result to the next, "
                f"but trial {trial.trial_id} reported {level} after {state.last_level}"
            )
        state.last_level = level
        cost = self._cost(result)
        if self._pasha is not None:
            self._pasha.observe(trial.trial_id, level, score)
        rung = self._cross(trial.trial_id, state, score, cost)
        decision = Decision.CONTINUE
        if level > self.max_t:
            decision = Decision.STOP
        elif rung is not None and level < self.max_t:
            decision = self._decide(trial.trial_id, state, rung, score)
        self._feed_searcher(trial.trial_id, state, result, level, rung is not None)
        if decision is Decision.CONTINUE and rung is not None:
            self.searcher.pending(self._configs[trial.trial_id], resource=self._next_level(state))
        if decision is Decision.STOP:
            self._forget(trial.trial_id)
        return decision

    def _cost(self, result: Mapping[str, Any]) -> float | None:
        if self.cost_attr is None:
            return None
        if self.cost_attr not in result:
            raise ValueError(
                f"type='cost_promotion' needs cost {self.cost_attr!r} in every result "
                f"(reported keys: {sorted(result)})"
            )
        try:
            cost = float(result[self.cost_attr])
        except (TypeError, ValueError):
            cost = math.nan
        if not math.isfinite(cost) or cost < 0:
            raise ValueError(
                f"cost {self.cost_attr!r} must be a finite number >= 0, but got "
                f"{result[self.cost_attr]!r}"
            )
        return cost

    def _cross(
        self, trial_id: int, state: _TrialState, score: float, cost: float | None
    ) -> Rung | None:
        """Record ``score`` at the highest milestone the trial's level reached (lower ones it
        skipped are left out); return that rung, or None when no milestone was reached."""
        rungs = self._bracket_rungs[state.bracket]
        j = state.next
        while j < len(rungs) and rungs[j].level <= state.last_level:
            j += 1
        if j == state.next:
            return None
        state.next = j
        rung = rungs[j - 1]
        rung.add(trial_id, score, self._seq, cost=cost)
        self._seq += 1
        if self._pasha is not None:
            self._pasha.on_record(self, trial_id, state.bracket + j - 1)
        return rung

    def _decide(self, trial_id: int, state: _TrialState, rung: Rung, score: float) -> Decision:
        if self._rush is not None:
            self._rush.record(self._configs[trial_id], rung.level, score)
        if not self.pauses:
            go_on = rung.in_top_fraction(score)
            if go_on and self._rush is not None:
                go_on = self._rush.meets(self._configs[trial_id], rung.level, score)
            return Decision.CONTINUE if go_on else Decision.STOP
        rung.wait(trial_id)
        state.waiting = state.bracket + state.next - 1
        return Decision.PAUSE

    def on_trial_complete(self, trial: Trial, result: Mapping[str, Any]) -> None:
        score = self.score(result)
        level = resource_value(result, self.resource_attr)
        state = self._state(trial)
        if level > state.last_level:
            state.last_level = level
            if self._pasha is not None:
                self._pasha.observe(trial.trial_id, level, score)
            self._cross(trial.trial_id, state, score, self._cost(result))
        if state.observed < level:
            self._observe(trial.trial_id, state, result, level, keep=True)
        self._forget(trial.trial_id)

    def on_trial_error(self, trial: Trial) -> None:
        state = self._trials.get(trial.trial_id)
        config = self._configs.get(trial.trial_id, trial.config)
        self.searcher.failed(config)
        if state is not None:
            self._unwait(trial.trial_id, state)
            self._forget(trial.trial_id)

    def on_trial_remove(self, trial: Trial) -> None:
        state = self._trials.get(trial.trial_id)
        if state is None:
            return
        self._unwait(trial.trial_id, state)
        # stopped from outside: no result will come, so the config is no longer pending
        self.searcher.failed(self._configs.get(trial.trial_id, trial.config))
        self._forget(trial.trial_id)

    def _unwait(self, trial_id: int, state: _TrialState) -> None:
        if state.waiting is not None:
            rungs = self._bracket_rungs[state.bracket]
            rungs[state.waiting - state.bracket].unwait(trial_id)
            state.waiting = None

    def _forget(self, trial_id: int) -> None:
        state = self._trials.get(trial_id)
        if state is not None and state.waiting is None:
            del self._trials[trial_id]
            self._configs.pop(trial_id, None)

    # -- searcher data -------------------------------------------------------------------------
    def _feed_searcher(
        self,
        trial_id: int,
        state: _TrialState,
        result: Mapping[str, Any],
        level: int,
        at_rung: bool,
    ) -> None:
        at_rung = at_rung or level in self._level_set or level >= self.max_t
        if at_rung or self.searcher_data != "rungs":
            keep = at_rung or self.searcher_data == "all"
            self._observe(trial_id, state, result, level, keep=keep)

    def _observe(
        self, trial_id: int, state: _TrialState, result: Mapping[str, Any], level: int, keep: bool
    ) -> None:
        """Pass a result to the searcher, in place of the trial's observation between rung
        levels (``"rungs_and_last"``); ``keep=False``: it is such an observation."""
        config = self._configs[trial_id]
        if state.between:
            self.searcher.withdraw(config, resource=state.between)
        state.between = 0 if keep else level
        state.observed = level
        self.searcher.observe(config, result, resource=level)

    # -- inspection ----------------------------------------------------------------------------
    def bracket_of(self, trial_id: int) -> int:
        """The bracket of a trial that is running or paused."""
        return self._trials[trial_id].bracket

    def paused_trials(self) -> list[tuple[int, int, float]]:
        """``(trial_id, rung level, metric value)`` of the trials waiting for promotion."""
        out = []
        sign = 1.0 if self.mode == "min" else -1.0
        for rungs in self._systems:
            for rung in rungs:
                out.extend((tid, rung.level, sign * score) for score, _, tid in rung.waiting)
        return sorted(out)

    def paused_standing(self, trial_id: int) -> tuple[int, int, int, float] | None:
        """``(rung level, rank, n values at the rung, promotion quantile q)`` of a trial
        waiting for promotion (rank 0 is the best; with ``cutoff="rank"`` it may go on while
        ``rank < floor(q * n)``), else None."""
        state = self._trials.get(trial_id)
        if state is None or state.waiting is None:
            return None
        rung = self._bracket_rungs[state.bracket][state.waiting - state.bracket]
        rank = rung.entries.bisect_left(rung.by_trial[trial_id])
        return rung.level, rank, len(rung), rung.num / rung.den

    # -- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "searcher": self.searcher.state_dict(),
            "rng": stream_state(self._rng),
            "seq": self._seq,
            "rungs": [[rung.state() for rung in rungs] for rungs in self._systems],
            "trials": [[tid, *state.to_list()] for tid, state in self._trials.items()],
            "configs": [[tid, config] for tid, config in self._configs.items()],
            "new_brackets": [[tid, b] for tid, b in self._new_brackets.items()],
            "pasha": None if self._pasha is None else self._pasha.state(),
            **({} if self._rush is None else {"rush": self._rush.state()}),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.searcher.load_state_dict(state["searcher"])
        self._rng = Stream.from_state(state["rng"])
        self._seq = int(state["seq"])
        for rungs, rung_states in zip(self._systems, state["rungs"], strict=True):
            for rung, rung_state in zip(rungs, rung_states, strict=True):
                rung.load(rung_state)
        self._trials = {int(row[0]): _TrialState(*row[1:]) for row in state["trials"]}
        self._configs = {int(tid): dict(config) for tid, config in state["configs"]}
        for tid, trial in self._trials.items():
            held = trial.between  # a state from before withdraw(): a result held back, or None
            if not isinstance(held, int):
                trial.between = 0
                level = 0 if held is None else resource_value(held, self.resource_attr)
                if level > trial.observed:
                    self._observe(tid, trial, held, level, keep=False)
        self._new_brackets = {int(tid): int(b) for tid, b in state["new_brackets"]}
        if self._pasha is not None:
            self._pasha.load(state["pasha"])
        if self._rush is not None:
            self._rush.load(state["rush"])

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(type={self.type!r}, rung_levels={self.rung_levels}, "
            f"max_t={self.max_t}, brackets={self.brackets}, metric={self.metric!r}, "
            f"mode={self.mode!r})"
        )


class ASHA(HyperbandScheduler):
    """Asynchronous successive halving (Li, Jamieson, Rostamizadeh, Gonina, Hardt, Recht,
    Talwalkar, 2018: "A System for Massively Parallel Hyperparameter Tuning"), one bracket;
    ``type="stopping"`` (default) or ``"promotion"``. See :class:`HyperbandScheduler`.

    >>> from tunesmith import uniform
    >>> ASHA({"lr": uniform(0, 1), "epochs": 10}, metric="loss", random_seed=0).rung_levels
    [1, 3, 9]
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        mode: str = "min",
        resource_attr: str = "epoch",
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float = 3,
        type: str = "stopping",
        rung_quantiles: str = "ratio",
        cutoff: str = "rank",
        max_resource_attr: str | None = None,
        searcher: str | Searcher = "random",
        searcher_data: str = "rungs",
        early_checkpoint_removal_kwargs: Mapping[str, Any] | None = None,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
    ):
        if type not in ("stopping", "promotion"):
            raise ValueError(
                f"ASHA's `type` must be 'stopping' or 'promotion', but got type={type!r}; "
                "use PASHA or HyperbandScheduler for the other types"
            )
        super().__init__(
            config_space,
            searcher=searcher,
            metric=metric,
            mode=mode,
            resource_attr=resource_attr,
            max_t=max_t,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            rung_quantiles=rung_quantiles,
            cutoff=cutoff,
            max_resource_attr=max_resource_attr,
            type=type,
            searcher_data=searcher_data,
            early_checkpoint_removal_kwargs=early_checkpoint_removal_kwargs,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
        )


class PASHA(HyperbandScheduler):
    """Progressive ASHA (Bohdal, Balles, Wistuba, Ermis, Archambeau, Zappella, 2023: "PASHA:
    Efficient HPO and NAS with Progressive Resource Allocation", ICLR).

    Promotion-type ASHA whose maximum resource starts at the second rung level: trials reaching
    it pause there. Each time a trial arrives at the current top rung, the ranking of the trials
    in the top rung is compared with their ranking one rung below; if it changed by more than
    ``epsilon`` (soft ranking: two trials whose values at the lower rung differ by at most
    ``epsilon`` count as equivalent), the next rung level is unlocked, until ``max_t`` is.
    ``epsilon=None`` estimates it as in the paper: the 90th percentile of the distances between
    pairs of top-rung trials whose learning curves criss-crossed (changed order and changed
    back), measured at the top rung; 0 until such a pair is seen.
    """

    def __init__(
        self,
        config_space: Mapping[str, Any],
        *,
        metric: str,
        mode: str = "min",
        resource_attr: str = "epoch",
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float = 3,
        rung_levels: Sequence[int] | None = None,
        rung_quantiles: str = "ratio",
        cutoff: str = "rank",
        max_resource_attr: str | None = None,
        epsilon: float | None = None,
        searcher: str | Searcher = "random",
        searcher_data: str = "rungs",
        early_checkpoint_removal_kwargs: Mapping[str, Any] | None = None,
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
    ):
        super().__init__(
            config_space,
            searcher=searcher,
            metric=metric,
            mode=mode,
            resource_attr=resource_attr,
            max_t=max_t,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            rung_levels=rung_levels,
            rung_quantiles=rung_quantiles,
            cutoff=cutoff,
            max_resource_attr=max_resource_attr,
            type="pasha",
            searcher_data=searcher_data,
            early_checkpoint_removal_kwargs=early_checkpoint_removal_kwargs,
            pasha_epsilon=epsilon,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
        )

    @property
    def current_max_t(self) -> int:
        """The maximum resource PASHA allows now."""
        assert self._pasha is not None
        top = self._pasha.top
        return self.rung_levels[top] if top < len(self.rung_levels) else self.max_t
