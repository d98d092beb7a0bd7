"""Several drivers on one study (``Tuner(..., shared=True)``): what a driver does besides the
single-driver loop.

* It joins the study (:meth:`Store.join_study <tunesmith.store.Store.join_study>`) instead of
  owning it; its appends are fenced by its driver row (:mod:`tunesmith.store.drivers`).
* Its trial ids are allocated by the store, and a new config is claimed there first, so no two
  trials of the study get the same id or (by accident) the same config.
* Before each decision (each ``suggest`` and each ``on_trial_result``) it reads the journal's
  new events and applies those of other drivers to its run state and, as observations, to its
  scheduler (:class:`Follower`): their trials are added, their results, ends and failures told,
  the decisions its scheduler returns for them ignored (their own driver decides).
* Its searcher's random streams are drawn apart from the other drivers' (:func:`reseed`).
* It looks for drivers that are gone and re-runs their unfinished trials (one live driver
  claims each, atomically), from their checkpoint when it can read it.

Schedulers that pause and resume trials (promotion-type ASHA and Hyperband, PBT, DyHPO,
synchronous Hyperband, ...) are refused with ``shared=True`` (:func:`check_shared`): a paused
trial would need one driver to resume it while the others' schedulers promote it too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunesmith.runstate import RunState

if TYPE_CHECKING:
    from tunesmith.schedulers.base import Scheduler
    from tunesmith.store import Event, Store, Study
    from tunesmith.store.drivers import SharedLease

logger = logging.getLogger("tunesmith")

__all__ = ["Follower", "check_shared", "may_pause", "open_shared_study", "reseed"]

#: a driver whose suggestions were all taken by other drivers this many times in a row stops
#: asking for new configs (a finite space the drivers have covered)
MAX_TAKEN = 1000

#: events of other drivers that are not applied (each driver's own runs)
_SKIPPED = ("run_started", "run_ended", "scheduler_call")


def may_pause(scheduler: Any) -> bool:
    """Whether ``scheduler`` may pause trials and resume them later: its ``pauses`` attribute
    when it has one; for a scheduler that delegates to another (``scheduler`` or
    ``base_scheduler``, as the median stopping rule and the scalarized schedulers do), that
    one's; else whether its class can resume trials (overrides ``suggest_resume``)."""
    from tunesmith.schedulers.base import Scheduler

    pauses = getattr(scheduler, "pauses", None)
    if pauses is not None:
        return bool(pauses)
    for name in ("scheduler", "base_scheduler"):
        inner = getattr(scheduler, name, None)
        if isinstance(inner, Scheduler) and inner is not scheduler:
            return may_pause(inner)
    return type(scheduler).suggest_resume is not Scheduler.suggest_resume


def check_shared(shared: Any, scheduler: Any, storage: Any, if_exists: Any = "resume") -> bool:
    """``shared`` checked against the scheduler, the storage and ``if_exists`` (when the
    ``Tuner`` is made)."""
    if not isinstance(shared, bool):
        raise TypeError(f"`shared` must be True or False, but got shared={shared!r}")
    if not shared:
        return False
    if storage == "memory":
        raise ValueError(
            "shared=True needs a store that several drivers can open (a SQLite file for "
            "drivers on one machine, PostgreSQL for several), but got storage='memory'"
        )
    if if_exists == "overwrite":
        raise ValueError(
            "shared=True does not take if_exists='overwrite' (one driver would delete the study "
            "the others run); delete the study first (tunesmith delete NAME), then start the "
            "drivers with if_exists='resume'"
        )
    if may_pause(scheduler):
        raise ValueError(
            f"shared=True does not take {type(scheduler).__name__}: it pauses trials and resumes "
            "them later, and with several drivers each one's scheduler would promote the same "
            "paused trial. Use a scheduler that stops trials instead (e.g. ASHA(..., "
            "type='stopping'), MedianStoppingRule, or a searcher with FIFOScheduler), or run "
            "one driver (shared=False)"
        )
    return True


def reseed(scheduler: Scheduler, number: int, token: str) -> None:
    """Give ``scheduler`` random streams of this driver's own: every numpy bit generator state
    in its ``state_dict()`` is replaced by one seeded from the stored seed, the driver's number
    and its token (drivers that run the same script with the same seed would otherwise suggest
    the same configs)."""
    import numpy as np

    seed = getattr(scheduler, "random_seed", None) or 0
    counter = [0]

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            if "bit_generator" in value and "state" in value:
                counter[0] += 1
                entropy = [int(seed), int(number), int(token[:8], 16), counter[0]]
                return np.random.default_rng(entropy).bit_generator.state
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    state = scheduler.state_dict()
    scheduler.load_state_dict(walk(json.loads(json.dumps(state))))


class Follower:
    """A shared driver's view of the other drivers: the journal's events it has applied (up to
    :attr:`watermark`, its own left out) and its trial id reservation."""

    def __init__(self, lease: SharedLease):
        self.lease = lease
        #: the journal's events up to this seq are applied
        self.watermark = 0
        self._mine: set[int] = set()
        self._reserved: int | None = None
        self._limit_reached = False  # the store allocated the last id the limit allows
        self._covered = False  # the drivers took every config this one suggested
        #: a driver that was gone held trial ids: new trials may start again (once)
        self.reopened = False
        self._taken = 0  # suggestions taken by other drivers in a row
        self._next_reap = 0.0

    def wrote(self, seqs: Sequence[int]) -> None:
        """This driver appended the events ``seqs`` (already applied)."""
        self._mine.update(seq for seq in seqs if seq > self.watermark)

    def sync(self, store: Store, study: Study, scheduler: Scheduler, state: RunState) -> int:
        """Apply the other drivers' new events; returns how many there were."""
        events = store.read_events(study, self.watermark)
        n = 0
        for event in events:
            self.watermark = event.seq
            if event.seq in self._mine:
                self._mine.discard(event.seq)
                continue
            observe(scheduler, state, event)
            n += 1
        return n

    # -- new trials ----------------------------------------------------------------------------
    def next_id(self, limit: int | None) -> int | None:
        """The id of this driver's next trial (allocated by the store), None when no new trial
        may start (``limit`` trials exist, or the drivers covered the space)."""
        if self._limit_reached or self._covered:
            return None
        if self._reserved is None:
            self._reserved = self.lease.allocate(limit)
            self._limit_reached = self._reserved is None
        return self._reserved

    def take(self, trial_id: int, config: dict[str, Any]) -> bool:
        """Claim ``config`` for trial ``trial_id``; False if another trial has it (ask the
        scheduler again, after a :meth:`sync`)."""
        if self.lease.claim_config(trial_id, config):
            self._reserved, self._taken = None, 0
            return True
        self._taken += 1
        if self._taken >= MAX_TAKEN:
            logger.warning(
                "the last %d configs suggested were taken by other drivers: no new trials",
                MAX_TAKEN,
            )
            self._covered = True
        return False

    # -- drivers that are gone -----------------------------------------------------------------
    def orphans(self, state: RunState, own: set[int], *, force: bool = False) -> list[int]:
        """Trials that no live driver runs, claimed for this one (at most every
        :data:`~tunesmith.store.drivers.REAP_INTERVAL` s unless ``force``); deletes the rows of
        the drivers that are gone first."""
        from tunesmith.store.drivers import REAP_INTERVAL

        now = time.monotonic()
        if not force and now < self._next_reap:
            return []
        self._next_reap = now + REAP_INTERVAL
        if self.lease.reap() and self._limit_reached:
            # the ids it had allocated for trials it never created no longer count
            self._limit_reached, self.reopened = False, True
        candidates = [t.trial_id for t in state.unsettled() if t.trial_id not in own]
        return [tid for tid in self.lease.orphans(candidates) if self.lease.claim(tid)]

    def others_unsettled(self, state: RunState, own: set[int]) -> bool:
        """Whether trials of other drivers are still running (this driver may have to take
        them over if their driver dies)."""
        return any(t.trial_id not in own for t in state.unsettled())


def observe(scheduler: Scheduler, state: RunState, event: Event) -> None:
    """Apply another driver's event to ``state`` and tell ``scheduler`` (its decisions about
    that driver's trials are ignored)."""
    kind, tid, payload = event.kind.value, event.trial_id, event.payload
    if kind in _SKIPPED:
        return
    state.apply(kind, tid, payload, event.time)
    trial = state.trials.get(tid) if tid is not None else None
    if trial is None:
        return
    with contextlib.suppress(ValueError):  # an invalid result: its driver fails the trial
        if kind == "trial_created":
            scheduler.on_trial_add(trial)
        elif kind == "result":
            scheduler.on_trial_result(trial, trial.last_result)
        elif kind == "trial_completed":
            scheduler.on_trial_complete(trial, trial.last_result)
        elif kind == "trial_failed":
            scheduler.on_trial_error(trial)
        elif kind == "trial_stopped" and payload.get("removed"):
            scheduler.on_trial_remove(trial)


def open_shared_study(
    storage: str | None,
    name: str,
    scheduler: Scheduler,
    state: RunState,
    *,
    if_exists: str,
    run_dir: Path,
    default_run_dir: bool,
    metadata: dict[str, Any] | None = None,
) -> tuple[Store, Study, SharedLease, Path, Follower]:
    """Open ``storage``, create the study ``name`` or check the stored one, join it as a
    shared driver, reseed the scheduler and apply the journal to it and ``state`` as other
    drivers' events. Returns the store, the study, the lease, the run folder and the
    :class:`Follower`."""
    from tunesmith.resume import (
        StudyMismatchError,
        _create,
        check_stored_metadata,
        continue_hint,
        mismatches,
        stored_run_dir,
    )
    from tunesmith.store import Store, StudyExistsError

    store = Store(storage)
    lease = None
    try:
        study = store.find_study(name)
        if study is not None and if_exists == "error":
            raise StudyMismatchError(
                f"a study named {name!r} already exists in {store.url}; pass "
                "if_exists='resume' to join it"
            )
        spec = scheduler.spec()
        created = False
        if study is None:
            try:
                study = _create(store, name, scheduler, spec, run_dir, metadata or {})
                created = True
            except StudyExistsError:  # another driver created it just now: join it
                study = store.find_study(name)
        diffs = mismatches(study, spec, scheduler.metric, scheduler.mode)
        if diffs:
            raise StudyMismatchError(
                f"the study {name!r} in {store.url} is run with another scheduler or config "
                f"space: {'; '.join(diffs)}. Every driver of a shared study must run the same "
                f"scheduler and space{continue_hint(study, spec, scheduler, to='join it')}"
            )
        lease = store.join_study(study)
        if "run_dir" in study.metadata and default_run_dir and not created:
            run_dir = stored_run_dir(study)
        scheduler.load_state_dict(study.metadata["scheduler_state"])
        reseed(scheduler, lease.number, lease.token)
        follower = Follower(lease)
        follower.sync(store, study, scheduler, state)
        if not created:
            check_stored_metadata(study, metadata or {})
        logger.info(
            "joined study %r as shared driver %d: %d trials, %d results so far",
            name,
            lease.number,
            len(state.trials),
            len(state.result.results),
        )
        return store, study, lease, run_dir, follower
    except BaseException:
        if lease is not None:
            lease.release()
        store.close()
        raise
