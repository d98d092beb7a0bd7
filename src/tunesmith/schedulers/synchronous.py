"""Synchronous Hyperband and successive halving (Li et al., 2017), run on asynchronous workers.

A bracket is a list of rungs ``(n_i, r_i)``: ``n_i`` trials are evaluated up to resource ``r_i``
(see :func:`~tunesmith.schedulers.rungs.sync_hyperband_brackets`). Rung 0 starts ``n_0`` new
configs; a trial reaching its rung's resource PAUSEs there, except at the bracket's top
(``r = max_t``), where it ends by itself. Once all ``n_i`` results of a rung are in, its best
``n_{i+1}`` paused trials are promoted and resumed (``Suggestion.resume``) towards ``r_{i+1}``;
the others stay paused for good. A bracket ends when its top rung is complete.

Brackets are opened in Hyperband's order (``s = s_max, ..., 0``, then again). A free worker is
given a job of the oldest open bracket that has one (a new config for rung 0, or a promoted trial
to resume); when none has (the remaining jobs of their rungs are running, and promotions must wait
for them), the next bracket is opened, so workers never idle while the searcher has configs.
``suggest()`` returns None only when the searcher is exhausted and no bracket has a job now; more
work can appear when running trials report (the tuner asks again when a worker frees up).

Failures: a failed rung-0 trial gives its slot to a new config; a failed trial of a higher rung
counts as the worst result there. A trial that completes before its rung's resource (its training
was shorter) fills its slot with its last value but cannot be promoted. When the searcher runs
out of configs, or no new trial may start (the tuner then asks ``suggest_resume()``), the
brackets still filling rung 0 shrink to the configs they started, and their later rungs shrink in
proportion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tunesmith.schedulers.base import Scheduler
from tunesmith.schedulers.fifo import make_searcher
from tunesmith.schedulers.rungs import resolve_max_t, resource_value, sync_hyperband_brackets
from tunesmith.searchers.base import Searcher
from tunesmith.space import check_space
from tunesmith.trial import Decision, Suggestion, Trial

__all__ = ["SyncHyperband", "SyncSuccessiveHalving"]


class _Bracket:
    __slots__ = (
        "id",
        "levels",
        "paused",
        "results",
        "rung",
        "running",
        "s",
        "sizes",
        "started",
        "todo",
    )

    def __init__(self, bracket_id: int, s: int, rungs: Sequence[tuple[int, int]]):
        self.id = bracket_id
        self.s = s
        self.sizes = [n for n, _ in rungs]
        self.levels = [r for _, r in rungs]
        self.rung = 0
        self.started = 0  # rung-0 configs started
        self.todo: list[int] = []  # promoted trials waiting for a worker (best first)
        self.running: set[int] = set()  # trials working towards the current rung
        self.results: dict[int, float | None] = {}  # current rung: score (None: failed)
        self.paused: set[int] = set()  # trials paused at the current rung (promotable)

    def state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "s": self.s,
            "sizes": self.sizes,
            "levels": self.levels,
            "rung": self.rung,
            "started": self.started,
            "todo": self.todo,
            "running": sorted(self.running),
            "results": [[tid, score] for tid, score in self.results.items()],
            "paused": sorted(self.paused),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> _Bracket:
        rungs = list(zip(state["sizes"], state["levels"], strict=True))
        bracket = cls(int(state["id"]), int(state["s"]), rungs)
        bracket.rung = int(state["rung"])
        bracket.started = int(state["started"])
        bracket.todo = [int(t) for t in state["todo"]]
        bracket.running = {int(t) for t in state["running"]}
        bracket.results = {int(t): s for t, s in state["results"]}
        bracket.paused = {int(t) for t in state["paused"]}
        return bracket


class SyncHyperband(Scheduler):
    """Synchronous Hyperband (Li, Jamieson, DeSalvo, Rostamizadeh, Talwalkar, 2017: "Hyperband:
    A Novel Bandit-Based Approach to Hyperparameter Optimization", JMLR 18(185), Algorithm 1).

    Brackets ``s = s_max, ..., 0`` with ``n = ceil((s_max + 1) / (s + 1) * eta**s)`` configs at
    resource ``r = max_t * eta**-s``, of which ``floor(n * eta**-i)`` go on to ``r * eta**i``;
    ``brackets`` keeps the first ones (``brackets=1``: successive halving). With ``max_t=81``,
    ``reduction_factor=3`` bracket ``s=3`` is ``[(34, 3), (11, 9), (3, 27), (1, 81)]``
    (``scheduler.bracket_table`` lists them all). ``bracket_rule="geometric"`` lays the
    brackets out as Syne Tune does (levels counted up from ``grace_period``, ``max_t`` on top,
    rung sizes rounded up; see :func:`~tunesmith.schedulers.rungs.sync_hyperband_brackets`).
    See the module docstring for how brackets share the workers.

    Results must carry ``resource_attr`` (1-based, increasing); results at or below the level
    where a resumed trial paused (a trial without checkpoints starting over) are ignored.
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
        brackets: int | None = None,
        bracket_rule: str = "paper",
        max_resource_attr: str | None = None,
        searcher: str | Searcher = "random",
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
    ):
        super().__init__(metric=metric, mode=mode)
        self.config_space = check_space(config_space)
        if not isinstance(resource_attr, str) or not resource_attr:
            raise ValueError(
                f"`resource_attr` must be the non-empty name of the reported resource, "
                f"but got resource_attr={resource_attr!r}"
            )
        self.resource_attr = resource_attr
        self.max_t = resolve_max_t(
            self.config_space, max_t=max_t, max_resource_attr=max_resource_attr
        )
        self.bracket_table = sync_hyperband_brackets(
            self.max_t, grace_period, reduction_factor, brackets, bracket_rule
        )
        self.bracket_rule = bracket_rule
        self.brackets = len(self.bracket_table)
        self.searcher = make_searcher(
            searcher,
            self.config_space,
            metric=self.metric,
            mode=self.mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
        )
        self.random_seed = self.searcher.random_seed
        self._active: list[_Bracket] = []
        self._opened = 0  # brackets opened so far (the next one is bracket_table[opened % B])
        # trial_id -> [bracket id, last level, level where it paused, level last observed]
        self._trials: dict[int, list[int]] = {}
        self._configs: dict[int, dict[str, Any]] = {}
        self._exhausted = False

    # -- suggest -------------------------------------------------------------------------------
    def suggest(self, trial_id: int) -> Suggestion | None:
        exhausted = self._exhausted
        suggestion = self._next_job(trial_id)
        if suggestion is None and self._exhausted and not exhausted:
            # the searcher ran out just now: the brackets shrank to the configs they started,
            # so a rung 0 that is complete now promotes (a job this very call must give)
            suggestion = self._next_job(trial_id)
        return suggestion

    def _next_job(self, trial_id: int) -> Suggestion | None:
        for bracket in list(self._active):
            suggestion = self._job(bracket, trial_id)
            if suggestion is not None:
                return suggestion
        while not self._exhausted:
            table_index = self._opened % self.brackets
            bracket = _Bracket(
                self._opened,
                len(self.bracket_table[table_index]) - 1,
                self.bracket_table[table_index],
            )
            self._opened += 1
            self._active.append(bracket)
            suggestion = self._job(bracket, trial_id)
            if suggestion is not None:
                return suggestion
        return None

    def _job(self, bracket: _Bracket, trial_id: int) -> Suggestion | None:
        if bracket.rung == 0:
            if self._exhausted or bracket.started >= bracket.sizes[0]:
                return None
            config = self.searcher.suggest()
            if config is None:
                self._exhausted = True
                for other in list(self._active):
                    self._shrink(other)
                return None
            bracket.started += 1
            bracket.running.add(trial_id)
            self._trials[trial_id] = [bracket.id, 0, 0, 0]
            return Suggestion.start(config)
        return self._resume(bracket)

    def suggest_resume(self) -> Suggestion | None:
        """The next promoted trial to resume, never a new config (None: none now). As no new
        trial may start, the brackets still filling rung 0 shrink to the configs they started
        (as when the searcher is exhausted), so that their promotions go on."""
        for bracket in list(self._active):
            self._shrink(bracket)
        for bracket in self._active:
            if bracket.rung > 0 and bracket.todo:
                return self._resume(bracket)
        return None

    def _resume(self, bracket: _Bracket) -> Suggestion | None:
        if not bracket.todo:
            return None
        resumed = bracket.todo.pop(0)
        bracket.running.add(resumed)
        state = self._trials[resumed]
        state[2] = state[1]  # paused at its last level
        self.searcher.pending(self._configs[resumed], resource=bracket.levels[bracket.rung])
        return Suggestion.resume(resumed)

    def _shrink(self, bracket: _Bracket) -> None:
        """The searcher is exhausted: rung 0 keeps the configs it started."""
        if bracket.rung != 0 or bracket.started >= bracket.sizes[0]:
            return
        planned = bracket.sizes[0]
        bracket.sizes = [bracket.started] + [
            max(1, size * bracket.started // planned) for size in bracket.sizes[1:]
        ]
        self._check_rung(bracket)

    # -- trial events --------------------------------------------------------------------------
    def on_trial_add(self, trial: Trial) -> None:
        self._configs[trial.trial_id] = dict(trial.config)
        state = self._trials.get(trial.trial_id)
        bracket = self._bracket(state)
        resource = bracket.levels[bracket.rung] if bracket is not None else self.max_t
        self.searcher.pending(trial.config, resource=resource)

    def _bracket(self, state: list[int] | None) -> _Bracket | None:
        if state is None:
            return None
        for bracket in self._active:
            if bracket.id == state[0]:
                return bracket
        return None

    def on_trial_result(self, trial: Trial, result: Mapping[str, Any]) -> Decision:
        score = self.score(result)
        level = resource_value(result, self.resource_attr)
        tid = trial.trial_id
        state = self._trials.get(tid)
        if state is None:  # not scheduled by this scheduler (or its bracket is over)
            return Decision.STOP if level > self.max_t else Decision.CONTINUE
        if level <= state[2]:
            return Decision.CONTINUE  # a resumed trial repeating levels it had done
        if level <= state[1]:
            raise ValueError(
                f"resource {self.resource_attr!r} must increase from one result to the next, "
                f"but trial {tid} reported {level} after {state[1]}"
            )
        state[1] = level
        bracket = self._bracket(state)
        if level > self.max_t:
            return Decision.STOP
        if bracket is None or tid not in bracket.running:
            return Decision.CONTINUE
        if level < bracket.levels[bracket.rung]:
            return Decision.CONTINUE
        self._observe(tid, result, level)
        top = bracket.rung == len(bracket.levels) - 1
        bracket.running.discard(tid)
        bracket.results[tid] = score
        if not top:
            bracket.paused.add(tid)
        self._check_rung(bracket)
        return Decision.CONTINUE if top else Decision.PAUSE

    def on_trial_complete(self, trial: Trial, result: Mapping[str, Any]) -> None:
        score = self.score(result)
        level = resource_value(result, self.resource_attr)
        tid = trial.trial_id
        state = self._trials.get(tid)
        bracket = self._bracket(state)
        self._observe(tid, result, level)  # before a complete rung may forget the trial
        if bracket is not None and tid in bracket.running:
            bracket.running.discard(tid)
            bracket.results[tid] = score
            self._check_rung(bracket)
        self._forget(tid)

    def on_trial_error(self, trial: Trial) -> None:
        self.searcher.failed(self._configs.get(trial.trial_id, trial.config))
        self._drop(trial, None)

    def on_trial_remove(self, trial: Trial) -> None:
        score = None
        if trial.last_result is not None:
            try:
                score = self.score(trial.last_result)
            except ValueError:
                score = None
        self._drop(trial, score)

    def _drop(self, trial: Trial, score: float | None) -> None:
        """``trial`` ended from outside: a running trial's slot gets ``score`` (None: failed,
        the worst; at rung 0 the slot goes to a new config); a paused or promoted one leaves."""
        tid = trial.trial_id
        bracket = self._bracket(self._trials.get(tid))
        self._forget(tid)
        if bracket is None:
            return
        if tid in bracket.running:
            bracket.running.discard(tid)
            if score is not None:
                bracket.results[tid] = score
            elif bracket.rung == 0:
                bracket.started -= 1
                if self._exhausted:
                    self._shrink(bracket)
            else:
                bracket.results[tid] = None
        elif tid in bracket.todo:
            bracket.todo.remove(tid)
            bracket.sizes[bracket.rung] -= 1
        bracket.paused.discard(tid)
        self._check_rung(bracket)

    def _observe(self, tid: int, result: Mapping[str, Any], level: int) -> None:
        state = self._trials.get(tid)
        config = self._configs.get(tid)
        if state is not None and config is not None and state[3] < level:
            state[3] = level
            self.searcher.observe(config, result, resource=level)

    def _forget(self, tid: int) -> None:
        self._trials.pop(tid, None)
        self._configs.pop(tid, None)

    def _check_rung(self, bracket: _Bracket) -> None:
        """Promote the best paused trials once every result of the current rung is in."""
        rung = bracket.rung
        if len(bracket.results) < bracket.sizes[rung] or bracket.running or bracket.todo:
            return
        last = rung == len(bracket.levels) - 1
        ranked = sorted(bracket.paused, key=lambda t: (bracket.results[t], t))
        chosen = [] if last else ranked[: bracket.sizes[rung + 1]]
        for tid in ranked[len(chosen) :]:
            self._forget(tid)  # paused for good
        if not chosen:
            self._active.remove(bracket)
            for tid in bracket.results:
                self._forget(tid)
            return
        bracket.rung += 1
        bracket.sizes[bracket.rung] = len(chosen)
        bracket.todo = chosen
        bracket.results = {}
        bracket.paused = set()

    # -- state ---------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "searcher": self.searcher.state_dict(),
            "active": [bracket.state() for bracket in self._active],
            "opened": self._opened,
            "trials": [[tid, *state] for tid, state in self._trials.items()],
            "configs": [[tid, config] for tid, config in self._configs.items()],
            "exhausted": self._exhausted,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.searcher.load_state_dict(state["searcher"])
        self._active = [_Bracket.from_state(b) for b in state["active"]]
        self._opened = int(state["opened"])
        self._trials = {int(row[0]): [int(v) for v in row[1:]] for row in state["trials"]}
        self._configs = {int(tid): dict(config) for tid, config in state["configs"]}
        self._exhausted = bool(state["exhausted"])

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(max_t={self.max_t}, brackets={self.brackets}, "
            f"metric={self.metric!r}, mode={self.mode!r})"
        )


class SyncSuccessiveHalving(SyncHyperband):
    """Synchronous successive halving (Jamieson & Talwalkar, 2016; as the most aggressive bracket
    of Hyperband, Li et al., 2017): ``SyncHyperband`` with ``brackets=1``, one bracket after
    another."""

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
        bracket_rule: str = "paper",
        max_resource_attr: str | None = None,
        searcher: str | Searcher = "random",
        random_seed: int | None = None,
        points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
    ):
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            resource_attr=resource_attr,
            max_t=max_t,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
            brackets=1,
            bracket_rule=bracket_rule,
            max_resource_attr=max_resource_attr,
            searcher=searcher,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
        )
