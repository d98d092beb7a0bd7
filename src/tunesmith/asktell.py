"""Ask/tell for users who run trials themselves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tunesmith.ranking import DEFAULT_SCOPE
from tunesmith.results import TuningResult, constraint_attr_of
from tunesmith.runstate import RunState, user_metrics
from tunesmith.schedulers.base import Scheduler
from tunesmith.stopping import TuningStatus
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
    The trials' statuses, results and counts are kept by the same run state as the tuner's
    (:class:`~tunesmith.runstate.RunState`), fed with the same events. A trial that ``ask()``
    returns with ``trial.metadata["checkpoint_from"]`` set (population based training) is to go
    on from a copy of that trial's checkpoint, with its new config.
    """

    def __init__(self, scheduler: Scheduler):
        if not isinstance(scheduler, Scheduler):
            raise TypeError(
                f"AskTell needs a Scheduler (e.g. RandomSearch(...)), but got {scheduler!r}"
            )
        self.scheduler = scheduler
        result = TuningResult(
            metric=scheduler.metric,
            mode=scheduler.mode,
            constraint_attr=constraint_attr_of(scheduler),
        )
        self._state = RunState(result, TuningStatus())

    @property
    def trials(self) -> dict[int, Trial]:
        """The trials by id."""
        return self._state.trials

    @trials.setter
    def trials(self, trials: Mapping[int, Trial]) -> None:
        self._state.trials.clear()
        self._state.trials.update(trials)

    def ask(self) -> Trial | None:
        """The next trial to run (new, or a paused one to resume), or None when done."""
        trial_id = len(self.trials)
        suggestion = self.scheduler.suggest(trial_id)
        if suggestion is None:
            return None
        if suggestion.is_resume:
            trial = self._get(suggestion.resume_trial_id)
            config = trial.config if suggestion.config is None else suggestion.config
            payload: dict[str, Any] = {"resume": True, "config": dict(config)}
            donor = suggestion.checkpoint_from
            if donor is not None:  # PBT: trial.metadata["checkpoint_from"] tells the caller
                last = self._get(donor).last_result
                payload.update(checkpoint_from=donor, previous_config=dict(trial.config))
                payload.update(donor_result=None if last is None else user_metrics(last))
            self._apply("trial_started", trial.trial_id, payload)
            return trial
        self._apply("trial_created", trial_id, dict(suggestion.config))
        trial = self.trials[trial_id]
        self.scheduler.on_trial_add(trial)
        self._apply("trial_started", trial_id, {"resume": False})
        return trial

    def report(self, trial: Trial, result: Mapping[str, Any]) -> Decision:
        """An intermediate result of a running trial; returns CONTINUE, PAUSE or STOP."""
        trial = self._running(trial)
        result = dict(result)
        decision = self.scheduler.on_trial_result(trial, result)  # (raises for a bad result)
        self._apply("result", trial.trial_id, result)
        payload = {"decision": decision.value, "by": "scheduler"}
        self._apply("decision", trial.trial_id, payload)
        if decision is Decision.STOP:
            self._apply("trial_stopped", trial.trial_id, {"removed": False})
        elif decision is Decision.PAUSE:
            self._apply("trial_paused", trial.trial_id, {})
        return decision

    def tell(self, trial: Trial, result: Mapping[str, Any]) -> None:
        """The final result of ``trial``: it is complete."""
        trial = self._running(trial)
        result = dict(result)
        self.scheduler.on_trial_complete(trial, result)  # (raises for a bad result)
        self._apply("result", trial.trial_id, result)
        self._apply("trial_completed", trial.trial_id, {})

    def fail(self, trial: Trial, reason: str = "exception") -> None:
        """``trial`` could not be evaluated."""
        trial = self._running(trial)
        self._apply("trial_failed", trial.trial_id, {"reason": reason, "detail": None})
        self.scheduler.on_trial_error(trial)

    def best(self, scope: str = DEFAULT_SCOPE) -> Trial | None:
        """The best trial (None before any result; ties: the lower trial id), ranked as
        everywhere in tunesmith (see :mod:`tunesmith.ranking`): by each trial's last result
        (``scope="last"``) or its best one (``"all"``).

        Under a constraint (a scheduler or searcher with ``constraint_attr``, e.g.
        :class:`~tunesmith.schedulers.bayesian.ConstrainedBayesianOptimization`), the best
        feasible trial (constraint value ``<= 0``); when none is feasible, the least infeasible
        one (smallest constraint value), so the answer never violates the constraint needlessly.
        """
        return self._state.result.best_trial(scope)

    def pareto_front(self, scope: str = DEFAULT_SCOPE) -> list[Trial]:
        """With several objectives: the trials on the Pareto front (see
        :meth:`~tunesmith.results.TuningResult.pareto_front`); :meth:`best` raises for them."""
        return self._state.result.pareto_front(scope)

    def _apply(self, kind: str, trial_id: int, payload: dict[str, Any]) -> None:
        self._state.apply(kind, trial_id, payload)

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
