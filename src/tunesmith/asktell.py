"""Ask/tell for users who run trials themselves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tunesmith.results import constrained_key, constraint_attr_of
from tunesmith.schedulers.base import Scheduler
from tunesmith.trial import Decision, Trial, TrialStatus

__all__ = ["AskTell"]


class AskTell:
    """Drive a scheduler by hand::

        at = AskTell(RandomSearch(space, metric="loss", random_seed=0))
        for _ in range(20):
            trial = at.ask()
            at.tell(trial, {"loss": train(**trial.config)})
        print(at.best().config)

    ``ask()`` returns None when the scheduler has nothing left. For multi-fidelity schedulers,
    ``report(trial, result)`` passes an intermediate result and returns the scheduler's
    :class:`~tunesmith.trial.Decision` (a paused trial may later come back from ``ask()``).
    """

    def __init__(self, scheduler: Scheduler):
        if not isinstance(scheduler, Scheduler):
            raise TypeError(
                f"AskTell needs a Scheduler (e.g. RandomSearch(...)), but got {scheduler!r}"
            )
        self.scheduler = scheduler
        self.trials: dict[int, Trial] = {}

    def ask(self) -> Trial | None:
        """The next trial to run (new, or a paused one to resume), or None when done."""
        trial_id = len(self.trials)
        suggestion = self.scheduler.suggest(trial_id)
        if suggestion is None:
            return None
        if suggestion.is_resume:
            trial = self._get(suggestion.resume_trial_id)
            if suggestion.config is not None:
                trial.config = dict(suggestion.config)
        else:
            trial = Trial(trial_id, dict(suggestion.config))
            self.trials[trial_id] = trial
            self.scheduler.on_trial_add(trial)
        trial.status = TrialStatus.RUNNING
        return trial

    def report(self, trial: Trial, result: Mapping[str, Any]) -> Decision:
        """An intermediate result of a running trial; returns CONTINUE, PAUSE or STOP."""
        trial = self._running(trial)
        result = dict(result)
        decision = self.scheduler.on_trial_result(trial, result)
        trial.last_result, trial.num_results = result, trial.num_results + 1
        if decision is Decision.STOP:
            trial.status = TrialStatus.STOPPED
        elif decision is Decision.PAUSE:
            trial.status = TrialStatus.PAUSED
        return decision

    def tell(self, trial: Trial, result: Mapping[str, Any]) -> None:
        """The final result of ``trial``: it is complete."""
        trial = self._running(trial)
        result = dict(result)
        self.scheduler.on_trial_complete(trial, result)
        trial.last_result, trial.num_results = result, trial.num_results + 1
        trial.status = TrialStatus.COMPLETED

    def fail(self, trial: Trial, reason: str = "exception") -> None:
        """``trial`` could not be evaluated."""
        trial = self._running(trial)
        trial.status, trial.failure_reason = TrialStatus.FAILED, reason
        self.scheduler.on_trial_error(trial)

    def best(self) -> Trial | None:
        """The trial whose last result has the best metric (None before any result; ties: the
        lower trial id).

        Under a constraint (a scheduler or searcher with ``constraint_attr``, e.g.
        :class:`~tunesmith.schedulers.bayesian.ConstrainedBayesianOptimization`), the best
        feasible trial (constraint value ``<= 0``); when none is feasible, the least infeasible
        one (smallest constraint value), so the answer never violates the constraint needlessly.
        """
        constraint = constraint_attr_of(self.scheduler)
        best, best_key = None, None
        for trial in self.trials.values():
            if trial.last_result is None or trial.status is TrialStatus.FAILED:
                continue
            score = self.scheduler.score(trial.last_result)
            key = (
                (0, 0.0, score)
                if constraint is None
                else constrained_key(score, trial.last_result.get(constraint))
            )
            if best_key is None or key < best_key:
                best, best_key = trial, key
        return best

    def _get(self, trial_id: int | None) -> Trial:
        if trial_id not in self.trials:
            raise ValueError(f"unknown trial id {trial_id!r}; known: {sorted(self.trials)}")
        return self.trials[trial_id]

    def _running(self, trial: Trial | int) -> Trial:
        trial = self._get(trial if isinstance(trial, int) else trial.trial_id)
        if trial.status is not TrialStatus.RUNNING:
            raise ValueError(
                f"trial {trial.trial_id} is {trial.status.value}, not running; "
                "only a trial returned by ask() can be reported on"
            )
        return trial
