"""Named studies: where they live, whether a script still describes the same study, and the
replay of a study's journal into a fresh tuner and scheduler.

The journal is write-ahead: the tuner records what happened before it acts on it. Scheduler
calls are implied by the events, in the order they were made:

==================================  ==========================================================
event                               scheduler calls replayed
==================================  ==========================================================
trial_created                       ``suggest(trial_id)`` -> start that config; ``on_trial_add``
trial_started, resume (not restart)  ``suggest(next_id)`` (or ``suggest_resume()`` when
                                    ``via="suggest_resume"``) -> resume that trial (with
                                    that config and ``checkpoint_from``, when recorded)
scheduler_call ``suggest`` / None   ``suggest(trial_id)`` (or ``suggest_resume()``) -> None
decision, by ``scheduler``          ``on_trial_result`` (must give the same decision)
decision, by ``invalid``            ``on_trial_result`` raising ``ValueError``
decision, by ``user``               none (``Tuner.stop_trial``: its end is ``trial_stopped``,
                                    ``removed``)
trial_completed                     ``on_trial_complete``
trial_failed                        (``on_trial_complete`` raising, when ``via="complete"``),
                                    ``on_trial_error``
trial_stopped, ``removed``          ``on_trial_remove``
==================================  ==========================================================

Each event is then applied to the run state (:mod:`tunesmith.runstate`) by the same code the
live run applied it with. Trials that were running at a crash, or were interrupted, restart
(from their checkpoint, if any). A restarted trial may repeat reports that were stored but whose
acknowledgement it never saw; a report equal (but for the ``ts_`` fields) to one stored since
the trial's last start (restarts are not starts) is recognized as such a redelivery: it gets
the stored answer and is not stored twice. So a deterministic trial's reports are stored
exactly once, however many times the run is killed.

A study stores the scheduler's ``state_dict()`` from before its first call, so a fresh scheduler
built by the same script (even with a seed drawn from OS entropy) starts from the same state.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunesmith.runstate import RunState, user_metrics
from tunesmith.spec import changed_since, diff_specs, stored_arguments, without_seeds
from tunesmith.store.home import home_directory

logger = logging.getLogger("tunesmith")

if TYPE_CHECKING:
    from tunesmith.schedulers.base import Scheduler
    from tunesmith.store import Event, Lease, Store, Study

__all__ = [
    "ReplayError",
    "StudyMismatchError",
    "check_stored_metadata",
    "home",
    "mismatches",
    "open_study",
    "replay",
    "stored_run_dir",
    "user_metadata",
    "user_metrics",
]

#: the keys of a study's stored metadata that tunesmith writes (the user's are the others)
STUDY_KEYS = ("scheduler_state", "run_dir")


def home() -> Path:
    """``$TUNESMITH_HOME`` or ``./tunesmith-results``: the default store's folder and the parent
    of each study's trial folders."""
    return home_directory()


class StudyMismatchError(ValueError):
    """The script describes a different study than the one stored under that name."""


class ReplayError(RuntimeError):
    """Replaying the journal gave other scheduler answers than the original run."""


def mismatches(study: Study, scheduler_spec: dict[str, Any], metric: Any, mode: Any) -> list[str]:
    """What differs between the stored study and the scheduler of this run (seeds aside: the
    stored scheduler state carries them)."""
    out = without_seeds(diff_specs(study.scheduler_spec, scheduler_spec))
    if study.metric != metric:
        out.append(f"metric: was {study.metric!r}, now {metric!r}")
    if study.mode != mode:
        out.append(f"mode: was {study.mode!r}, now {mode!r}")
    return out


def _same(a: Any, b: Any) -> bool:
    """Equality of configs as stored (JSON) and as suggested."""
    return json.loads(json.dumps(a)) == json.loads(json.dumps(b))


def replay(scheduler: Scheduler, state: RunState, events: Iterable[Event]) -> None:
    """Rebuild a run's ``state`` and ``scheduler`` from a study's ``events``: each event's
    scheduler calls are made again in the live run's order around it (before the event was
    journaled, or after) and checked against the journal (:class:`ReplayError` if an answer
    differs), and the event is applied to ``state`` as the live run applied it."""
    for event in events:
        _before(scheduler, state, event)
        state.apply(event.kind.value, event.trial_id, event.payload, event.time)
        _after(scheduler, state, event)
    state.end_replay()


def _before(scheduler: Scheduler, state: RunState, event: Event) -> None:
    """The scheduler calls the live run made before it journaled ``event``."""
    kind, tid, payload = event.kind.value, event.trial_id, event.payload
    where = f"event {event.seq} ({kind}, trial {tid})"
    trial = state.trials.get(tid) if tid is not None else None
    if kind == "trial_created":
        suggestion = scheduler.suggest(tid)
        if suggestion is None or suggestion.is_resume or not _same(suggestion.config, payload):
            raise ReplayError(
                f"at {where} the scheduler suggested {suggestion} but the journal has a new "
                f"trial with config {payload}; is the scheduler deterministic and its code "
                "unchanged?"
            )
    elif kind == "trial_started" and payload.get("resume") and not payload.get("restart"):
        if payload.get("via") == "suggest_resume":
            suggestion = scheduler.suggest_resume()
        else:
            suggestion = scheduler.suggest(len(state.trials))
        if (
            suggestion is None
            or suggestion.resume_trial_id != tid
            or suggestion.checkpoint_from != payload.get("checkpoint_from")
            or not (suggestion.config is None or _same(suggestion.config, payload.get("config")))
        ):
            raise ReplayError(
                f"at {where} the scheduler suggested {suggestion} but the journal resumed "
                f"trial {tid} with config {payload.get('config')}"
                + (
                    f" from the checkpoint of trial {payload['checkpoint_from']}"
                    if payload.get("checkpoint_from") is not None
                    else ""
                )
            )
    elif kind == "scheduler_call" and payload.get("call") in ("suggest", "suggest_resume"):
        if payload["call"] == "suggest":
            suggestion = scheduler.suggest(payload["trial_id"])
        else:
            suggestion = scheduler.suggest_resume()
        if suggestion is not None:
            raise ReplayError(
                f"at {where} the scheduler suggested {suggestion} where the original run got None"
            )
    elif kind == "decision" and payload.get("by") == "scheduler":
        decision = scheduler.on_trial_result(trial, trial.last_result)
        if decision.value != payload["decision"]:
            raise ReplayError(
                f"at {where} the scheduler decided {decision.value!r} where the original run "
                f"decided {payload['decision']!r}"
            )
    elif kind == "decision" and payload.get("by") == "invalid":
        with contextlib.suppress(ValueError):
            scheduler.on_trial_result(trial, trial.last_result)
    elif kind == "trial_completed":
        scheduler.on_trial_complete(trial, trial.last_result)
    elif kind == "trial_failed" and payload.get("via") == "complete":
        with contextlib.suppress(ValueError):
            scheduler.on_trial_complete(trial, trial.last_result)
    elif kind == "trial_stopped" and payload.get("removed"):
        scheduler.on_trial_remove(trial)


def _after(scheduler: Scheduler, state: RunState, event: Event) -> None:
    """The scheduler calls the live run made after it journaled ``event``."""
    kind = event.kind.value
    if kind == "trial_created":
        scheduler.on_trial_add(state.trials[event.trial_id])
    elif kind == "trial_failed":
        scheduler.on_trial_error(state.trials[event.trial_id])


def open_study(
    storage: str | None,
    name: str,
    scheduler: Scheduler,
    state: RunState,
    *,
    if_exists: str,
    run_dir: Path,
    default_run_dir: bool,
    metadata: dict[str, Any] | None = None,
) -> tuple[Store, Study, Lease, Path]:
    """Open ``storage`` and take the study ``name`` for this driver
    (:class:`~tunesmith.store.StudyLockedError` if another driver runs it); create it, or
    check the stored one and replay its journal into ``scheduler`` and ``state``. Returns the
    store, the study, the driver's lease on it and the run folder (the stored one when
    ``default_run_dir``: the tuner was not given one). A new study stores ``metadata`` (the
    user's, see :func:`user_metadata`); a stored one keeps its own."""
    from tunesmith.store import Store, StudyExistsError

    store = Store(storage)
    lease = None
    try:
        study = store.find_study(name)
        if study is not None and if_exists == "error":
            raise StudyMismatchError(
                f"a study named {name!r} already exists in {store.url}; pass "
                "if_exists='resume' to continue it or 'overwrite' to start anew"
            )
        if study is not None and if_exists == "overwrite":
            store.delete_study(study)  # (not while another driver runs it)
            study = None
        spec = scheduler.spec()
        created = False
        if study is None:
            try:
                study = _create(store, name, scheduler, spec, run_dir, metadata or {})
                created = True
            except StudyExistsError:  # another driver created it just now
                if if_exists == "error":
                    raise StudyMismatchError(
                        f"a study named {name!r} was created in {store.url} by another driver "
                        "just now; pass if_exists='resume' to continue it"
                    ) from None
                study = store.find_study(name)
        # a study this driver just created holds this spec (comparing costs a large spec's
        # decoding, e.g. a tabulated benchmark's configs)
        diffs = [] if created else mismatches(study, spec, scheduler.metric, scheduler.mode)
        if diffs:
            raise StudyMismatchError(
                f"the study {name!r} in {store.url} was run with another "
                f"scheduler or config space: {'; '.join(diffs)}. Use another name, or "
                f"if_exists='overwrite' to replace it{continue_hint(study, spec, scheduler)}"
            )
        lease = store.acquire_study(study)
        if "run_dir" in study.metadata and default_run_dir and not created:
            run_dir = stored_run_dir(study)
        scheduler.load_state_dict(study.metadata["scheduler_state"])
        events = store.read_events(study)
        if any(e.kind.value == "run_started" and "driver" in e.payload for e in events):
            raise StudyMismatchError(
                f"the study {name!r} in {store.url} was run by drivers with shared=True: one "
                "driver cannot replay its journal exactly; run this one with shared=True too "
                "(alone, it continues the study as a shared driver)"
            )
        try:
            replay(scheduler, state, events)
        except ReplayError as err:
            changed = changed_since(study.scheduler_spec, spec)
            if not changed:
                raise
            args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
            raise ReplayError(
                f"{err}. The study was stored by an earlier tunesmith, before "
                f"{', '.join(changed)} existed, and ran as {args} does now: pass {args} to "
                "the scheduler to resume it as it ran"
            ) from None
        if not created:
            _say_resumed(name, state)
            check_stored_metadata(study, metadata or {})
        return store, study, lease, run_dir
    except BaseException:
        if lease is not None:
            lease.release()
        store.close()
        raise


def continue_hint(
    study: Study, spec: dict[str, Any], scheduler: Scheduler, *, to: str = "continue it"
) -> str:
    """The end of a spec-mismatch message, ``"; pass max_t=9 to ASHA (as stored) to continue
    it"``, when the scheduler differs from the stored one only in plain keyword
    arguments (a changed default, an edited value) and the metric and mode are the same; else
    empty."""
    if study.metric != scheduler.metric or study.mode != scheduler.mode:
        return ""
    stored = stored_arguments(study.scheduler_spec, spec)
    if not stored:
        return ""
    args = ", ".join(f"{k}={v!r}" for k, v in stored.items())
    return f"; pass {args} to {type(scheduler).__name__} (as stored) to {to}"


def _say_resumed(name: str, state: RunState) -> None:
    """Log that a stored study goes on: at WARNING when its last run had ended (running the
    same script again continues it, which may not be what was meant), with what to do."""
    counts = state.status
    what = (
        f"{len(state.trials)} trials ({counts.num_trials_completed} completed, "
        f"{counts.num_trials_failed} failed), {len(state.result.results)} results"
    )
    end = state.last_run_end
    if end is None:
        logger.info("resuming study %r after its last run was killed: %s", name, what)
        return
    reason = end.get("stop_reason") or ""
    if not end.get("clean", True) or reason.startswith("interrupted"):
        why = reason or "an error"
        logger.info("resuming study %r after its last run was cut short (%s): %s", name, why, what)
        return
    logger.warning(
        "study %r already ran (%s; its last run ended: %s); this run continues it. Pass "
        "if_exists='overwrite' to start anew, another name for a new study, or a larger "
        "stopping criterion to extend it",
        name,
        what,
        reason or "stopped",
    )


def user_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """The user's part of a study's stored metadata (``Tuner(metadata=...)``): all but the
    keys tunesmith writes itself (:data:`STUDY_KEYS`)."""
    return {k: v for k, v in metadata.items() if k not in STUDY_KEYS}


def check_stored_metadata(study: Study, metadata: dict[str, Any]) -> None:
    """Log a warning when a resumed study was created with other user metadata than this run
    passes: the stored metadata stays (it describes the study since its first run)."""
    stored = user_metadata(study.metadata)
    if not metadata or metadata == stored:
        return
    keys = sorted(k for k in set(stored) | set(metadata) if stored.get(k) != metadata.get(k))
    logger.warning(
        "study %r was created with other metadata (differing keys: %s); it keeps the stored "
        "metadata. Use another name, or if_exists='overwrite', to store the new one",
        study.name,
        ", ".join(keys),
    )


def _create(
    store: Store,
    name: str,
    scheduler: Scheduler,
    spec: dict,
    run_dir: Path,
    metadata: dict[str, Any],
) -> Study:
    from tunesmith.space import space_to_json

    space = getattr(scheduler, "config_space", None)
    return store.create_study(
        name,
        config_space_json=space_to_json(space) if space is not None else "{}",
        scheduler_spec=spec,
        metric=scheduler.metric,
        mode=scheduler.mode,
        seed=getattr(scheduler, "random_seed", None),
        metadata={
            **metadata,
            "scheduler_state": scheduler.state_dict(),
            "run_dir": str(run_dir.resolve()),
        },
    )


def stored_run_dir(study: Study) -> Path:
    """The run folder a study recorded, after checking it is one: the tuner deletes trial
    checkpoints under it."""
    text = study.metadata["run_dir"]
    path = Path(text) if isinstance(text, str) and text else None
    problem = None
    if path is None or not path.is_absolute():
        problem = "is not an absolute path"
    elif ".." in path.parts or path == Path(path.anchor) or path == Path.home():
        problem = "is not a run folder (a root, the home folder, or a path with '..')"
    elif path.exists() and not path.is_dir():
        problem = "is not a folder"
    if problem:
        raise StudyMismatchError(
            f"the study {study.name!r} records run_dir={text!r}, which {problem}; pass "
            "run_dir=... to the Tuner to say where its trial folders are"
        )
    return path
