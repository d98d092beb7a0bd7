"""A run's state of its trials, built by applying journal events: the same code for the live
loop (each event as the tuner journals it) and for a resume (each event as the journal is
replayed), so the two cannot drift.

The state holds what the journal implies: the trials with their configs and statuses, the
results and counts, the scheduler's pending requests to end a trial (a STOP or PAUSE decision,
an invalid result, a :meth:`~tunesmith.Tuner.stop_trial` request), and, for each trial, the
results stored since its last start. A restart
after a crash or an interrupt is not a new start: the restarted trial may repeat any report
stored since its last start (from scratch, or from a checkpoint saved before some of them), and
each such repeat is recognized and not stored again, however many times the run is killed.

Scheduler calls are not made here: the tuner makes them live, the replay repeats and checks
them (:mod:`tunesmith.resume`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tunesmith.backends.base import FailureReason
from tunesmith.results import TuningResult, exploit_of
from tunesmith.stopping import TuningStatus
from tunesmith.trial import Trial, TrialStatus

__all__ = ["Request", "RunState", "user_metrics"]


def user_metrics(result: dict[str, Any]) -> dict[str, Any]:
    """A result without tunesmith's automatic ``ts_`` fields."""
    return {k: v for k, v in result.items() if not k.startswith("ts_")}


@dataclass(frozen=True)
class Request:
    """Why a running trial is being ended: ``kind`` is ``"decided"`` (the scheduler said STOP),
    ``"pause"`` (it said PAUSE), ``"fail"`` (an invalid result, a timeout; with ``reason`` and
    ``detail``), ``"remove"`` (the run is ending) or ``"interrupt"`` (Ctrl-C, SIGTERM: the trial
    restarts when the study is resumed)."""

    kind: str
    reason: FailureReason | None = None
    detail: str | None = None


#: the trial ends that settle a request (an interrupted trial keeps the scheduler's decision:
#: a resume settles it as after a crash)
_ENDS = ("trial_completed", "trial_failed", "trial_stopped", "trial_paused")


@dataclass
class RunState:
    """Trials, results, counts and pending requests of a run, from its journal's events."""

    result: TuningResult
    status: TuningStatus
    cost_attr: str = "cost"
    #: per running trial, what the scheduler decided that ends it (a STOP or PAUSE decision,
    #: an invalid result), from the journaled decisions
    requests: dict[int, Request] = field(default_factory=dict)
    #: per trial, the results stored since its last start (see :meth:`repeatable`)
    since_start: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    #: per paused trial whose pause a resumed run settled from the journal (the tuner died
    #: after the PAUSE decision, before the trial confirmed it): the results stored since its
    #: last start, which it may not have checkpointed; its resume may repeat them
    paused_in_doubt: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    #: per trial, the position (count of events applied) of its last start or result
    last_active: dict[int, int] = field(default_factory=dict)
    #: per trial whose last start (restarts aside) was an exploit (PBT), that exploit's number
    #: in ``result.exploits``: a restart first makes sure the donor's checkpoint was copied
    exploited_at_start: dict[int, int] = field(default_factory=dict)
    #: seconds the study ran in the runs before this one (set when a replay ends)
    previous_time: float = 0.0
    #: the ``run_ended`` payload of the journal's last run, None if it did not end (a crash)
    last_run_end: dict[str, Any] | None = None
    _position: int = 0
    _costs: dict[int, float] = field(default_factory=dict)
    _run_start: float | None = None
    _last_time: float | None = None
    _earlier: float = 0.0
    _event_time: float | None = None

    @property
    def trials(self) -> dict[int, Trial]:
        return self.result.trials

    def apply(self, kind: str, trial_id: int | None, payload: dict[str, Any], time=None) -> None:
        """Apply one event (its kind's value, trial id, payload and time)."""
        self._position += 1
        self._event_time = time
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, trial_id, payload)
        if kind in _ENDS:
            self.requests.pop(trial_id, None)
            done = self.since_start.pop(trial_id, None)  # a resume is a new start
            self.paused_in_doubt.pop(trial_id, None)
            if kind == "trial_paused" and payload.get("settled") and done:
                self.paused_in_doubt[trial_id] = done
        if kind == "run_ended":
            self.last_run_end = dict(payload)
        if kind == "run_started":
            self.last_run_end = None
            if self._run_start is not None and self._last_time is not None:
                self._earlier += self._last_time - self._run_start
            self._run_start = time
        if time is not None:
            self._last_time = time

    def end_replay(self) -> None:
        """Close the replayed journal: sets :attr:`previous_time`."""
        earlier = self._earlier
        if self._run_start is not None and self._last_time is not None:
            earlier += self._last_time - self._run_start
        self.previous_time = earlier

    def repeatable(self, trial_id: int) -> list[dict[str, Any]]:
        """The reports a restarted trial may repeat: those stored since its last start, without
        their ``ts_`` fields (computed when asked: a live run never needs them)."""
        return [user_metrics(r) for r in self.since_start.get(trial_id, [])]

    def unsettled(self) -> list[Trial]:
        """Trials the journal leaves running or interrupted, least recently active first (the
        order in which they were served)."""
        waiting = [
            t
            for t in self.trials.values()
            if t.status in (TrialStatus.RUNNING, TrialStatus.INTERRUPTED)
        ]
        return sorted(waiting, key=lambda t: self.last_active.get(t.trial_id, -1))

    # -- the events ----------------------------------------------------------------------------
    def _created(self, tid: int, payload: dict[str, Any]) -> None:
        self.trials[tid] = Trial(tid, dict(payload))
        self.status.num_trials_started += 1

    def _started(self, tid: int, payload: dict[str, Any]) -> None:
        trial = self.trials[tid]
        restart = bool(payload.get("restart"))
        in_doubt = self.paused_in_doubt.pop(tid, [])
        if payload.get("resume") and not restart:
            self.status.num_trials_paused -= 1
        if not restart:
            exploit = exploit_of(len(self.result.exploits), tid, payload, self._event_time)
            if exploit is not None:
                in_doubt = []  # it continues from the donor's checkpoint, not its own
                self.result.exploits.append(exploit)
                self.exploited_at_start[tid] = exploit.number
                trial.metadata["checkpoint_from"] = exploit.donor
            else:
                self.exploited_at_start.pop(tid, None)
                trial.metadata.pop("checkpoint_from", None)
        if "config" in payload:
            trial.config = dict(payload["config"])
        trial.status = TrialStatus.RUNNING
        self.requests.pop(tid, None)
        if not restart:  # a restart repeats the reports since the last start
            self.since_start[tid] = in_doubt if payload.get("resume") else []
        self.last_active[tid] = self._position

    def _result(self, tid: int, payload: dict[str, Any]) -> None:
        trial, result = self.trials[tid], dict(payload)
        trial.last_result, trial.num_results = result, trial.num_results + 1
        self.result.results.append({"trial_id": tid, **result})
        self.status.add_result(result)
        if self.cost_attr in result:  # total of each trial's last cost, kept in O(1)
            cost = float(result[self.cost_attr])
            self.status.cost += cost - self._costs.get(tid, 0.0)
            self._costs[tid] = cost
        self.since_start.setdefault(tid, []).append(result)
        self.last_active[tid] = self._position

    def _decision(self, tid: int, payload: dict[str, Any]) -> None:
        by, decision = payload.get("by"), payload.get("decision")
        if by == "scheduler" and decision in ("pause", "stop"):
            self.requests[tid] = Request("pause" if decision == "pause" else "decided")
        elif by == "invalid":
            self.requests[tid] = Request(
                "fail", FailureReason.INVALID_METRIC, payload.get("detail")
            )
        elif by == "user" and decision == "stop":  # Tuner.stop_trial(): stopped from outside
            self.requests[tid] = Request("remove", detail=payload.get("detail"))

    def _completed(self, tid: int, payload: dict[str, Any]) -> None:
        self.trials[tid].status = TrialStatus.COMPLETED
        self.status.num_trials_completed += 1

    def _failed(self, tid: int, payload: dict[str, Any]) -> None:
        trial = self.trials[tid]
        trial.status = TrialStatus.FAILED
        trial.failure_reason, trial.failure_detail = payload["reason"], payload.get("detail")
        self.status.num_trials_failed += 1

    def _stopped(self, tid: int, payload: dict[str, Any]) -> None:
        self.trials[tid].status = TrialStatus.STOPPED
        self.status.num_trials_stopped += 1

    def _paused(self, tid: int, payload: dict[str, Any]) -> None:
        self.trials[tid].status = TrialStatus.PAUSED
        self.status.num_trials_paused += 1

    def _interrupted(self, tid: int, payload: dict[str, Any]) -> None:
        self.trials[tid].status = TrialStatus.INTERRUPTED


_HANDLERS = {
    "trial_created": RunState._created,
    "trial_started": RunState._started,
    "result": RunState._result,
    "decision": RunState._decision,
    "trial_completed": RunState._completed,
    "trial_failed": RunState._failed,
    "trial_stopped": RunState._stopped,
    "trial_paused": RunState._paused,
    "trial_interrupted": RunState._interrupted,
}
