"""Named studies: where they live, whether a script still describes the same study, and the
replay of a study's journal into a fresh tuner and scheduler.

The journal is write-ahead: the tuner records what happened before it acts on it. Scheduler
calls are implied by the events, in the order they were made:

==================================  ==========================================================
event                               scheduler calls replayed
==================================  ==========================================================
trial_created                       ``suggest(trial_id)`` -> start that config; ``on_trial_add``
trial_started, resume (not restart)  ``suggest(next_id)`` (or ``suggest_resume()`` when
                                    ``via="suggest_resume"``) -> resume that trial
scheduler_call ``suggest`` / None   ``suggest(trial_id)`` (or ``suggest_resume()``) -> None
decision, by ``scheduler``          ``on_trial_result`` (must give the same decision)
decision, by ``invalid``            ``on_trial_result`` raising ``ValueError``
trial_completed                     ``on_trial_complete``
trial_failed                        (``on_trial_complete`` raising, when ``via="complete"``),
                                    ``on_trial_error``
trial_stopped, ``removed``          ``on_trial_remove``
==================================  ==========================================================

Trials that were running at a crash restart (from their checkpoint, if any). A restarted trial
may repeat reports that were stored but whose acknowledgement it never saw; a report equal (but
for the ``ts_`` fields) to one stored since the trial's last start is recognized as such a
redelivery: it gets the stored answer and is not stored twice. So a deterministic trial's
reports are stored exactly once across crashes.

A study stores the scheduler's ``state_dict()`` from before its first call, so a fresh scheduler
built by the same script (even with a seed drawn from OS entropy) starts from the same state.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunesmith.backends.base import FailureReason
from tunesmith.spec import diff_specs
from tunesmith.store.engine import home_directory
from tunesmith.trial import Decision, Trial, TrialStatus

logger = logging.getLogger("tunesmith")

if TYPE_CHECKING:
    from tunesmith.store import Event, Study
    from tunesmith.tuner import Tuner

__all__ = ["ReplayError", "StudyMismatchError", "home", "mismatches", "open_study", "replay"]


def home() -> Path:
    """``$TUNESMITH_HOME`` or ``./tunesmith-results``: the default store's folder and the parent
    of each study's trial folders."""
    return home_directory()


class StudyMismatchError(ValueError):
    """The script describes a different study than the one stored under that name."""


class ReplayError(RuntimeError):
    """Replaying the journal gave other scheduler answers than the original run."""


_ENDS = ("trial_completed", "trial_failed", "trial_stopped", "trial_paused")


def _without_seeds(diffs: Iterable[str]) -> list[str]:
    return [d for d in diffs if "random_seed" not in d.split(":")[0]]


def mismatches(study: Study, scheduler_spec: dict[str, Any], metric: Any, mode: Any) -> list[str]:
    """What differs between the stored study and the scheduler of this run (seeds aside: the
    stored scheduler state carries them)."""
    out = _without_seeds(diff_specs(study.scheduler_spec, scheduler_spec))
    if study.metric != metric:
        out.append(f"metric: was {study.metric!r}, now {metric!r}")
    if study.mode != mode:
        out.append(f"mode: was {study.mode!r}, now {mode!r}")
    return out


def user_metrics(result: dict[str, Any]) -> dict[str, Any]:
    """A result without tunesmith's automatic ``ts_`` fields."""
    return {k: v for k, v in result.items() if not k.startswith("ts_")}


def _same(a: Any, b: Any) -> bool:
    """Equality of configs as stored (JSON) and as suggested."""
    return json.loads(json.dumps(a)) == json.loads(json.dumps(b))


def replay(tuner: Tuner, events: Iterable[Event]) -> dict[int, int]:
    """Rebuild ``tuner``'s trials, results, counts and its scheduler's state from ``events``;
    return the journal position (``seq``) of each trial's last start or result."""
    last_active: dict[int, int] = {}
    scheduler, status = tuner.scheduler, tuner.status
    trials = tuner.trials
    since_start: dict[int, list[dict[str, Any]]] = {}  # results since each trial's last start
    tuner._since_start = since_start
    run_start = None
    last_time = None
    previous = 0.0
    for event in events:
        kind, tid, payload = event.kind.value, event.trial_id, event.payload
        where = f"event {event.seq} ({kind}, trial {tid})"
        if kind == "run_started":
            if run_start is not None and last_time is not None:
                previous += last_time - run_start
            run_start = event.time
        elif kind == "trial_created":
            suggestion = scheduler.suggest(tid)
            if suggestion is None or suggestion.is_resume or not _same(suggestion.config, payload):
                raise ReplayError(
                    f"at {where} the scheduler suggested {suggestion} but the journal has a new "
                    f"trial with config {payload}; is the scheduler deterministic and its code "
                    "unchanged?"
                )
            trial = Trial(tid, dict(suggestion.config))
            trials[tid] = trial
            scheduler.on_trial_add(trial)
            status.num_trials_started += 1
        elif kind == "trial_started":
            trial = trials[tid]
            if payload.get("resume") and not payload.get("restart"):
                if payload.get("via") == "suggest_resume":
                    suggestion = scheduler.suggest_resume()
                else:
                    suggestion = scheduler.suggest(len(trials))
                if suggestion is None or suggestion.resume_trial_id != tid:
                    raise ReplayError(
                        f"at {where} the scheduler suggested {suggestion} but the journal "
                        f"resumed trial {tid}"
                    )
                status.num_trials_paused -= 1
            if "config" in payload:
                trial.config = dict(payload["config"])
            trial.status = TrialStatus.RUNNING
            since_start[tid] = []
        elif kind == "scheduler_call":
            call = payload.get("call")
            if call in ("suggest", "suggest_resume"):
                if call == "suggest":
                    suggestion = scheduler.suggest(payload["trial_id"])
                else:
                    suggestion = scheduler.suggest_resume()
                if suggestion is not None:
                    raise ReplayError(
                        f"at {where} the scheduler suggested {suggestion} where the original "
                        "run got None"
                    )
        elif kind == "result":
            tuner._record_result(trials[tid], dict(payload))
            since_start.setdefault(tid, []).append(user_metrics(payload))
        elif kind == "decision":
            trial = trials[tid]
            by = payload.get("by")
            if by == "scheduler":
                decision = scheduler.on_trial_result(trial, trial.last_result)
                if decision.value != payload["decision"]:
                    raise ReplayError(
                        f"at {where} the scheduler decided {decision.value!r} where the original "
                        f"run decided {payload['decision']!r}"
                    )
                if decision is not Decision.CONTINUE:
                    kind_ = "pause" if decision is Decision.PAUSE else "decided"
                    tuner._requests[tid] = (kind_, None, None)
            elif by == "invalid":
                with contextlib.suppress(ValueError):
                    scheduler.on_trial_result(trial, trial.last_result)
                detail = payload.get("detail")
                tuner._requests[tid] = ("fail", FailureReason.INVALID_METRIC, detail)
        elif kind == "trial_completed":
            trial = trials[tid]
            scheduler.on_trial_complete(trial, trial.last_result)
            trial.status = TrialStatus.COMPLETED
            status.num_trials_completed += 1
        elif kind == "trial_failed":
            trial = trials[tid]
            if payload.get("via") == "complete":
                with contextlib.suppress(ValueError):
                    scheduler.on_trial_complete(trial, trial.last_result)
            trial.status = TrialStatus.FAILED
            trial.failure_reason, trial.failure_detail = payload["reason"], payload.get("detail")
            scheduler.on_trial_error(trial)
            status.num_trials_failed += 1
        elif kind == "trial_stopped":
            trial = trials[tid]
            trial.status = TrialStatus.STOPPED
            if payload.get("removed"):
                scheduler.on_trial_remove(trial)
            status.num_trials_stopped += 1
        elif kind == "trial_paused":
            trials[tid].status = TrialStatus.PAUSED
            status.num_trials_paused += 1
        if kind in _ENDS or kind == "trial_started":
            tuner._requests.pop(tid, None)
        if kind in ("trial_started", "result"):
            last_active[tid] = event.seq
        if event.time is not None:
            last_time = event.time
    if run_start is not None and last_time is not None:
        previous += last_time - run_start
    tuner._previous_time = previous
    return last_active


def open_study(tuner: Tuner) -> None:
    """Open ``tuner``'s store; create its study, or check the stored one and replay it."""
    from tunesmith.space import space_to_json
    from tunesmith.store import Store

    tuner._store = Store(tuner.storage)
    try:
        study = tuner._store.get_study(tuner.name)
        if study is not None and tuner.if_exists == "error":
            raise StudyMismatchError(
                f"a study named {tuner.name!r} already exists in {tuner._store.url}; pass "
                "if_exists='resume' to continue it or 'overwrite' to start anew"
            )
        if study is not None and tuner.if_exists == "overwrite":
            tuner._store.delete_study(study)
            study = None
        spec = tuner.scheduler.spec()
        if study is None:
            space = getattr(tuner.scheduler, "config_space", None)
            tuner._study = tuner._store.create_study(
                tuner.name,
                config_space_json=space_to_json(space) if space is not None else "{}",
                scheduler_spec=spec,
                metric=tuner.scheduler.metric,
                mode=tuner.scheduler.mode,
                seed=getattr(tuner.scheduler, "random_seed", None),
                metadata={
                    "scheduler_state": tuner.scheduler.state_dict(),
                    "run_dir": str(tuner.run_dir.resolve()),
                },
            )
            return
        diffs = mismatches(study, spec, tuner.scheduler.metric, tuner.scheduler.mode)
        if diffs:
            raise StudyMismatchError(
                f"the study {tuner.name!r} in {tuner._store.url} was run with another "
                f"scheduler or config space: {'; '.join(diffs)}. Use another name, or "
                "if_exists='overwrite' to replace it"
            )
        tuner._study = study
        if "run_dir" in study.metadata and tuner.run_dir == home() / tuner.name:
            tuner.run_dir = Path(study.metadata["run_dir"])
        tuner.scheduler.load_state_dict(study.metadata["scheduler_state"])
        last_active = replay(tuner, tuner._store.read_events(study))
        settle_running(tuner, last_active)
        logger.info(
            "resuming study %r: %d trials, %d results",
            tuner.name,
            len(tuner.trials),
            len(tuner.result.results),
        )
    except BaseException:
        tuner._store.close()
        raise


def settle_running(tuner: Tuner, last_active: Mapping[int, int] | None = None) -> None:
    """Trials the journal left running: settle those the scheduler had decided on, queue
    the others to restart, least recently active first (by ``last_active``, the journal
    position of each trial's last start or result), the order in which they were served."""
    last_active = last_active or {}
    by_activity = sorted(tuner.trials.values(), key=lambda t: last_active.get(t.trial_id, -1))
    for trial in by_activity:
        if trial.status is not TrialStatus.RUNNING:
            continue
        request = tuner._requests.pop(trial.trial_id, None)
        if request is not None and request[0] == "fail":
            tuner._on_failed(trial, request[1], request[2], [])
        elif request is not None and request[0] == "pause":
            trial.status = TrialStatus.PAUSED
            tuner.status.num_trials_paused += 1
            tuner._journal("trial_paused", trial.trial_id, {})
        elif request is not None:
            trial.status = TrialStatus.STOPPED
            tuner.status.num_trials_stopped += 1
            tuner._journal("trial_stopped", trial.trial_id, {"removed": False})
        else:
            tuner._to_restart.append(trial.trial_id)
            # reports the trial may not have seen acknowledged before the crash
            tuner._in_doubt[trial.trial_id] = tuner._since_start.get(trial.trial_id, [])
