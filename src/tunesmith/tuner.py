"""The tuning loop: ask the scheduler, start trials on the backend, route results, stop.

The loop blocks on the backend's event queue (no polling sleeps): a worker that frees up gets
its next trial as soon as its end event arrives.
"""

from __future__ import annotations

import heapq
import logging
import math
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from tunesmith.backends.base import Backend, EventKind, FailureReason, TrialEvent
from tunesmith.callbacks.base import TunerCallback
from tunesmith.exploits import copy_donor_checkpoint, exploit_payload, flags_checkpoints
from tunesmith.interrupts import Interrupts
from tunesmith.reporting import RESERVED_NAMES, reserved_name_message
from tunesmith.results import TuningResult, constraint_attr_of
from tunesmith.resume import home, open_study, user_metadata
from tunesmith.runstate import Request, RunState, user_metrics
from tunesmith.schedulers.base import Scheduler
from tunesmith.sharing import check_shared
from tunesmith.stopping import StoppingCriterion, TuningStatus
from tunesmith.trial import Decision, Trial
from tunesmith.tuner_args import check_metadata, check_tuner_arguments, checkpoint_removal_of

logger = logging.getLogger("tunesmith")

__all__ = ["TooManyFailuresError", "Tuner"]

#: how long the tuner waits for running trials to end after it asked them to stop
DRAIN_TIMEOUT = 60.0

#: the stop reason of a run whose scheduler had no config left to try
EXHAUSTED = "the scheduler has no config left to try"

#: ``Tuner(storage=MEMORY)`` keeps the journal in memory (simulations, tests)
MEMORY = "memory"


class _MemoryJournal:
    """The store of ``storage="memory"``: the events are appended to a list."""

    url = MEMORY

    def __init__(self, events: list):
        self.events = events

    def append(self, study: Any, events: Sequence[Any], owner: Any = None) -> None:
        self.events.extend(events)

    def close(self) -> None:
        pass


class TooManyFailuresError(RuntimeError):
    """The run ended because more trials failed than ``max_failures`` allows; ``.result`` holds
    everything recorded up to then."""

    def __init__(self, message: str, result: TuningResult):
        super().__init__(message)
        self.result = result


class Tuner:
    """Runs trials of ``scheduler`` on ``backend`` with ``n_workers`` in parallel until
    ``stop_criterion`` says stop (or the scheduler has nothing left).

    ``stop_criterion``: a :class:`~tunesmith.stopping.StoppingCriterion`, any callable taking a
    :class:`~tunesmith.stopping.TuningStatus` and returning True to stop, or None (run until the
    scheduler is exhausted or Ctrl-C).
    ``max_trial_time``: seconds a trial may run (per start); past it the trial fails with reason
    ``"timeout"``. ``max_failures``: an int (more failed trials than this end the run) or a fraction
    in (0, 1] (checked once ``max(5, n_workers)`` trials finished); the run then raises
    :class:`TooManyFailuresError` with a summary of the reasons. ``synchronous=True`` starts
    trials in batches of ``n_workers``, each batch once the previous one ended.
    ``wait_trial_completion_when_stopping=True`` lets running trials finish when the criterion
    is met instead of stopping them. ``verbose``: 0 silent; 1 shows progress (a
    :class:`~tunesmith.callbacks.ProgressCallback`: a live view on a terminal, a display in a
    notebook, a plain line every 30 s elsewhere); 2 also prints a line per trial as it ends.

    Every run is a study in ``storage`` (a database URL; default: SQLite in
    ``$TUNESMITH_HOME`` or ``./tunesmith-results``), journaled before the tuner acts, so nothing a
    trial reported is lost. Running again with the same ``name`` resumes the study: its journal
    is replayed into the fresh scheduler, which then makes the decisions the uninterrupted run
    would have made; trials that were running restart from their checkpoint
    (``restart_from_checkpoint=True``) or from scratch. A larger stopping criterion extends a
    finished study (its counts are totals). ``if_exists``: ``"resume"`` (default), ``"error"``,
    or ``"overwrite"`` (delete the stored study and start anew). A different scheduler or config
    space under an existing name is a :class:`~tunesmith.resume.StudyMismatchError` saying what
    differs. Trial folders are in ``run_dir`` (default ``<home>/<name>``).
    ``storage="memory"`` keeps the journal in memory only (:attr:`journal`; for simulations and
    tests): nothing is written, the study cannot be resumed or loaded from another process;
    without a ``run_dir``, trial folders are in a temporary folder, removed when ``run()`` ends.
    With a backend whose trials cannot lose results (the simulator), the journal is written
    in batches of up to :attr:`journal_batch` events, and completely when the run ends.
    ``delete_checkpoints=True`` deletes the checkpoint folder of every trial that ends stopped
    or failed (paused and completed trials keep theirs); ``num_checkpoints_deleted`` counts them.
    A scheduler built with ``early_checkpoint_removal_kwargs`` (Hyperband's promotion types)
    gets its :class:`~tunesmith.callbacks.checkpoint_removal.RemoveCheckpointsCallback` added
    here (:attr:`checkpoint_removal`). A ``stop_criterion`` that is also a
    :class:`~tunesmith.callbacks.TunerCallback` (the automatic termination criteria of
    :mod:`tunesmith.termination`) is added to the callbacks too.

    ``metadata``: a dict of JSON data (dataset, git commit, ...) stored with a new study:
    ``load_study(name).metadata``, ``tunesmith show`` and :attr:`TuningResult.metadata
    <tunesmith.results.TuningResult.metadata>` give it back (a resumed study keeps what it was
    created with). :meth:`stop` ends a run from another thread.

    ``shared=True``: this driver is one of several (in other processes, on other machines) that
    run the study ``name`` together (see ``docs/shared-studies.md`` and
    :mod:`tunesmith.sharing`): trial ids come from the store, each decision is made after the
    other drivers' new results were told to the scheduler, a config is evaluated once, and the
    unfinished trials of a driver that died are re-run by a live one. Resume is not exact across
    drivers; schedulers that pause trials are refused.
    """

    tick_interval = 1.0
    #: with a backend whose trials cannot lose results (``durable_acks = False``, as the
    #: simulator's), events are journaled in transactions of up to this many events (and at the
    #: end of the run) instead of one before every answer to a trial
    journal_batch = 10_000

    def __init__(
        self,
        backend: Backend,
        scheduler: Scheduler,
        stop_criterion: Callable[[TuningStatus], bool] | None,
        n_workers: int = 1,
        *,
        max_trial_time: float | None = None,
        max_failures: int | float = 0.8,
        callbacks: Sequence[TunerCallback] | None = None,
        verbose: int = 1,
        synchronous: bool = False,
        wait_trial_completion_when_stopping: bool = False,
        name: str | None = None,
        storage: str | None = None,
        if_exists: str = "resume",
        restart_from_checkpoint: bool = True,
        run_dir: str | Path | None = None,
        delete_checkpoints: bool = False,
        metadata: Mapping[str, Any] | None = None,
        shared: bool = False,
    ):
        callbacks = list(callbacks or [])
        if isinstance(stop_criterion, TunerCallback) and stop_criterion not in callbacks:
            callbacks.append(stop_criterion)  # a criterion that follows the run (termination.py)
        check_tuner_arguments(
            backend=backend,
            scheduler=scheduler,
            stop_criterion=stop_criterion,
            n_workers=n_workers,
            max_trial_time=max_trial_time,
            max_failures=max_failures,
            callbacks=callbacks,
            verbose=verbose,
            if_exists=if_exists,
            delete_checkpoints=delete_checkpoints,
            name=name,
        )
        #: the user's metadata, stored with the study (see :attr:`TuningResult.metadata`)
        self.metadata = check_metadata(metadata)
        #: the callback ``early_checkpoint_removal_kwargs`` of the scheduler made, or None
        self.checkpoint_removal = checkpoint_removal_of(scheduler, callbacks)
        self.backend = backend
        self.scheduler = scheduler
        self.stop_criterion = stop_criterion
        self.n_workers = n_workers
        self.max_trial_time = max_trial_time
        self.max_failures = max_failures
        self.callbacks = callbacks
        self.verbose = verbose
        self.synchronous = bool(synchronous)
        self.wait_trial_completion_when_stopping = bool(wait_trial_completion_when_stopping)
        stem = "".join(c if c.isalnum() or c in "_-" else "-" for c in Path(sys.argv[0]).stem)
        stem = stem.strip("_-")
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        self.name = name or f"{stem or 'run'}-{stamp}"
        self.storage = storage
        self.if_exists = if_exists
        self.restart_from_checkpoint = bool(restart_from_checkpoint)
        #: with storage="memory" and no run_dir, a temporary folder made by run() and removed
        #: when it ends: nothing of such a run stays behind
        self._temporary_run_dir = storage == MEMORY and not run_dir
        self.run_dir = Path(run_dir) if run_dir else home() / self.name
        self.delete_checkpoints = delete_checkpoints
        self.num_checkpoints_deleted = 0
        self.cost_attr = getattr(stop_criterion, "cost_attr", "cost")
        # run state: what the journal implies (the same code live and in a replay)
        self.state = RunState(
            TuningResult(
                metric=scheduler.metric,
                mode=scheduler.mode,
                constraint_attr=constraint_attr_of(scheduler),
            ),
            TuningStatus(),
            cost_attr=self.cost_attr,
        )
        self.status = self.state.status
        self.result = self.state.result
        self.trials = self.result.trials
        # the live run's own: trials on the backend, their starts and deadlines
        self._running: set[int] = set()
        self._deadlines: list[tuple[float, int, int]] = []
        self._starts: dict[int, int] = {}
        self._started_at: dict[int, float] = {}
        self._stopping: str | None = None
        self._exhausted = False
        self._no_new_trials: str | None = None
        self._t0 = 0.0
        self._store = None
        self._study = None
        self._lease = None  # this driver's ownership of the study
        #: with shared=True: whether several drivers run the study, and this one's view of them
        self.shared = check_shared(shared, scheduler, storage, if_exists)
        self._follow = None
        self._interrupts = Interrupts()
        self._buffer: list = []
        self._to_restart: list[int] = []
        #: the live run's own requests to end a trial (the run is ending, a timeout, ...); the
        #: scheduler's (from journaled decisions) are in ``state.requests``
        self._ending: dict[int, Request] = {}
        #: per restarted trial, the stored reports it may repeat (see RunState), and the trials
        #: that repeated one already
        self._in_doubt: dict[int, list[dict[str, Any]]] = {}
        self._repeating: set[int] = set()
        self._resume_via = "suggest"
        self._durable_acks = bool(getattr(backend, "durable_acks", True))
        #: the journal's events with ``storage="memory"`` (else None: they are in the store)
        self.journal: list | None = [] if storage == MEMORY else None
        self._simulated = bool(getattr(backend, "simulated_clock", False))
        self._flag_checkpoints = flags_checkpoints(scheduler)  # PBT: see tunesmith.exploits
        #: why :meth:`stop` asked the run to end (set from any thread, read by the loop)
        self._stop_asked: str | None = None
        #: trials :meth:`stop_trial` asked to stop, with the reason (set from any thread)
        self._trial_stops_asked: dict[int, str] = {}
        self._stop_lock = threading.Lock()

    def stop(self, reason: str | None = None) -> None:
        """Ask the run to end, from any thread (a controller, a UI, a signal handler of
        your own): the loop ends it at its next turn (within :attr:`tick_interval` seconds of
        a real clock) as a met stopping criterion would: running trials are stopped (or
        finish, with ``wait_trial_completion_when_stopping=True``), everything they reported
        is stored, and ``result.stop_reason`` is ``reason`` (default ``"stop() was called"``).
        Called before :meth:`run`, the run ends at once."""
        text = "stop() was called" if reason is None else str(reason)
        with self._stop_lock:
            if self._stop_asked is None:
                self._stop_asked = text

    def stop_trial(self, trial_id: int, reason: str | None = None) -> None:
        """Ask one running trial to stop, from any thread (a controller aborting a job): at its
        next turn the loop journals the request as a decision ``{"decision": "stop", "by":
        "user"}`` (write-ahead, as a scheduler's STOP) and stops the trial; it ends ``stopped``,
        with :meth:`Scheduler.on_trial_remove` called (the scheduler did not decide it), and a
        report it made meanwhile is answered STOP. If the run dies before the trial ended, a
        resume settles it as stopped instead of restarting it. A trial that is not running
        then (paused, ended, unknown) is left as it is."""
        if isinstance(trial_id, bool) or not isinstance(trial_id, int):
            raise TypeError(f"trial_id must be an int, but got trial_id={trial_id!r}")
        text = "stop_trial() was called" if reason is None else str(reason)
        with self._stop_lock:
            self._trial_stops_asked.setdefault(trial_id, text)

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> TuningResult:
        """Run until done; returns the :class:`~tunesmith.results.TuningResult`.

        Ctrl-C or SIGTERM ends the run: running trials are asked to pause (their reports until
        then are stored and decided on as usual) and are recorded as ``interrupted``; a second
        Ctrl-C stops waiting for them. Running the study again resumes it as if it had not
        been interrupted: interrupted trials restart, from their checkpoint if they have one,
        as after a crash."""
        callbacks = self._default_callbacks() + self.callbacks
        if self.checkpoint_removal is not None:
            callbacks.append(self.checkpoint_removal)
        clean = False  # whether the run got to its end without an exception
        with self._interrupts:
            # the workers boot while the store opens and the journal is replayed
            self.backend.prepare(self.n_workers, metric=self.scheduler.metric)
            try:
                self._open_study()
            except BaseException:
                self.backend.shutdown()
                raise
            try:
                self.backend.setup(self.run_dir, self.n_workers, metric=self.scheduler.metric)
                self._t0 = self.backend.now() - self.state.previous_time
                payload = {"pid": os.getpid(), "n_workers": self.n_workers}
                if self._follow is not None:
                    payload["driver"] = self._lease.token[:12]
                self._journal("run_started", None, payload)
                self._settle_running()  # within the run: its events count for this run's time
                self._take_orphans(force=True)
                self._flush(force=True)
                for cb in callbacks:
                    cb.on_tuning_start(self)
                self._loop(callbacks)
                if self._interrupts.count:
                    self._begin_stopping(f"interrupted ({self._interrupts.by})", interrupt=True)
                    self._drain(callbacks)
                clean = True
            finally:
                with self._stop_lock:
                    self._stop_asked = None
                    self._trial_stops_asked.clear()
                self._end_run(clean)
        if self._interrupts.count > 1:
            logger.warning("interrupted twice: trials were killed without waiting")
        for cb in callbacks:
            cb.on_tuning_end(self, self.result)
        logger.info("tuning finished: %s", self.result.summary())
        if self._stopping and self._stopping.startswith("max_failures"):
            raise TooManyFailuresError(self._stopping, self.result)
        return self.result

    def _end_run(self, clean: bool) -> None:
        """Shut the backend down, record what was left running as interrupted, close the
        study; whatever happened before."""
        try:
            self.backend.shutdown()
        finally:
            for tid in sorted(self._running):  # they restart when the study is resumed
                self._journal("trial_interrupted", tid, {})
            self._running.clear()
            self.result.wallclock_time = self._elapsed()
            self.result.stop_reason = self._stopping or self._no_new_trials
            self.result.name, self.result.storage = self.name, self._store.url
            # elapsed: over all runs of the study (event times are each run's backend clock)
            ended = {
                "stop_reason": self.result.stop_reason,
                "elapsed": self.result.wallclock_time,
                "clean": clean and self._interrupts.count < 2,
            }
            self._journal("run_ended", None, ended)
            try:
                self._flush(force=True)
            except Exception as err:
                if clean:
                    raise
                # the run's own error goes on up: not hidden behind this one (often the same,
                # e.g. a full disk)
                logger.error("could not write the end of the run to the store: %s", err)
            finally:
                self._close_study()
                if self._temporary_run_dir:
                    shutil.rmtree(self.run_dir, ignore_errors=True)

    def _loop(self, callbacks: list[TunerCallback]) -> None:
        self._check_stop_criterion()  # a resumed run may have met it already
        while not self._interrupts.count:
            if not self._stopping:
                self._fill_workers(callbacks)
            elif self._to_restart:  # a resumed run that lets its trials finish
                self._restart_trials(callbacks)
            idle = not self._running and (self._stopping or self._exhausted)
            if idle and not self._waits_for_others():
                return
            self._flush()  # nothing waits unwritten while the tuner blocks
            event = self.backend.next_event(timeout=self._wait_time())
            if event is not None:
                self._handle(event, callbacks)
            self._check_deadlines()
            self._check_trial_stops()
            self._check_stop_criterion()
            self._take_orphans()
            for cb in callbacks:
                cb.on_tick(self)

    def _drain(self, callbacks: list[TunerCallback]) -> None:
        """Wait for the trials asked to stop, until a second interrupt or the timeout."""
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while self._running and time.monotonic() < deadline and self._interrupts.count < 2:
            self._flush()
            wait = min(self.tick_interval, deadline - time.monotonic())
            event = self.backend.next_event(timeout=max(wait, 0.0))
            if event is not None:
                self._handle(event, callbacks)

    def _fill_workers(self, callbacks: list[TunerCallback]) -> None:
        if self.synchronous and self._running:
            return
        self._exhausted = False
        limit = getattr(self.stop_criterion, "max_num_trials_started", None)
        self._restart_trials(callbacks)
        if any(request.kind == "pause" for request in self.state.requests.values()):
            return  # the scheduler may resume a trial still pausing: ask once it has paused
        while len(self._running) < self.n_workers:
            if self._interrupts.count:  # (the stop criterion is checked after each start)
                return
            self._sync()  # a shared driver: the others' results first
            trial_id = len(self.trials) if self._follow is None else self._follow.next_id(limit)
            if trial_id is None or (limit is not None and self.status.num_trials_started >= limit):
                # no new trial may start; running ones finish, paused ones may be resumed
                self._no_new_trials = f"max_num_trials_started={limit} reached"
                call, suggestion = "suggest_resume", self.scheduler.suggest_resume()
                if suggestion is not None and not suggestion.is_resume:
                    raise TypeError(
                        f"{type(self.scheduler).__name__}.suggest_resume() returned a new config; "
                        "it may only resume paused trials"
                    )
            else:
                call, suggestion = "suggest", self.scheduler.suggest(trial_id)
            if suggestion is None:
                if self._follow is None:  # (replayed calls: a shared study is not replayed)
                    self._journal("scheduler_call", None, {"call": call, "trial_id": trial_id})
                self._exhausted = True
                if self._no_new_trials is None and not self._running:
                    self._no_new_trials = EXHAUSTED
                return
            if suggestion.is_resume:
                trial = self.trials[suggestion.resume_trial_id]
                config = trial.config if suggestion.config is None else suggestion.config
                self._resume_via = call
                self._start(trial, True, callbacks, config=config, donor=suggestion.checkpoint_from)
            else:
                if self._follow is not None and not self._follow.take(trial_id, suggestion.config):
                    continue  # another driver has that config: ask again
                self._journal("trial_created", trial_id, dict(suggestion.config))
                trial = self.trials[trial_id]
                self.scheduler.on_trial_add(trial)
                self._start(trial, False, callbacks)
            self._check_stop_criterion()
            if self._stopping:
                return

    def _restart_trials(self, callbacks: list[TunerCallback]) -> None:
        """Start again the trials a crash or an interrupt left running, as workers free up."""
        while self._to_restart and len(self._running) < self.n_workers:
            trial = self.trials[self._to_restart.pop(0)]
            if self.restart_from_checkpoint:  # an exploit's copy may not have finished
                copy_donor_checkpoint(self.backend, self.state, trial.trial_id, restart=True)
            resume = self.restart_from_checkpoint and self.backend.has_checkpoint(trial.trial_id)
            self._start(trial, resume, callbacks, restart=True)

    def _start(
        self,
        trial: Trial,
        resumed: bool,
        callbacks: list[TunerCallback],
        *,
        restart: bool = False,
        config: dict[str, Any] | None = None,
        donor: int | None = None,
    ) -> None:
        payload: dict[str, Any] = {"resume": resumed}
        if self._follow is not None:  # a shared study: which driver runs it from here on
            payload["driver"] = self._lease.token[:12]
        if restart:
            payload["restart"] = True
        elif resumed:
            payload["config"] = dict(config if config is not None else trial.config)
            payload["via"] = self._resume_via
            if donor is not None:  # an exploit: journaled before the donor's checkpoint is copied
                payload.update(exploit_payload(self.state, trial, donor))
        self._journal("trial_started", trial.trial_id, payload)
        self._flush()
        if resumed and not restart and self.state.since_start.get(trial.trial_id):
            # a pause settled after a crash: the trial may repeat what it reported before it
            self._in_doubt[trial.trial_id] = self.state.repeatable(trial.trial_id)
            self._repeating.discard(trial.trial_id)
        if donor is not None:
            copy_donor_checkpoint(self.backend, self.state, trial.trial_id, restart=False)
        self._running.add(trial.trial_id)
        count = self._starts.get(trial.trial_id, 0) + 1
        self._starts[trial.trial_id] = count
        now = self.backend.now()
        self._started_at[trial.trial_id] = now
        if self.max_trial_time is not None:
            heapq.heappush(self._deadlines, (now + self.max_trial_time, trial.trial_id, count))
        if self.verbose >= 2:
            logger.info(
                "trial %d %s: %s", trial.trial_id, "resumed" if resumed else "started", trial.config
            )
        self.backend.start(trial, resume=resumed)
        for cb in callbacks:
            cb.on_trial_start(trial, resumed=resumed)

    # -- events ----------------------------------------------------------------------------
    def _handle(self, event: TrialEvent, callbacks: list[TunerCallback]) -> None:
        trial = self.trials.get(event.trial_id)
        if trial is None or event.trial_id not in self._running:
            logger.debug(
                "ignoring %s event of trial %s that is not running", event.kind, event.trial_id
            )
            return
        if event.kind is EventKind.RESULT:
            self._on_result(trial, event.result or {}, callbacks)
            return
        self._on_end(trial, event, callbacks)  # journaled with the next start, or before waiting

    def _on_end(self, trial: Trial, event: TrialEvent, callbacks) -> None:
        tid = trial.trial_id
        self._running.discard(tid)
        self._in_doubt.pop(tid, None)
        self._repeating.discard(tid)
        request = self._request_of(tid)
        self._ending.pop(tid, None)
        if request is not None and request.kind == "fail":
            event = TrialEvent(EventKind.FAILED, tid, reason=request.reason, detail=request.detail)
        kind = None if request is None else request.kind
        if event.kind is EventKind.COMPLETED:
            self._on_completed(trial, callbacks)
        elif event.kind is EventKind.FAILED:
            self._on_failed(trial, event.reason, event.detail, callbacks)
        elif kind == "interrupt":  # it restarts when the study is resumed
            self._journal("trial_interrupted", tid, {})
        elif kind == "pause" or (kind is None and event.kind is EventKind.PAUSED):
            self._journal("trial_paused", tid, {})
            for cb in callbacks:
                cb.on_trial_complete(trial)
        else:
            removed = kind == "remove"
            if removed:
                self.scheduler.on_trial_remove(trial)
            self._journal("trial_stopped", tid, {"removed": removed})
            self._delete_checkpoint(tid)
            for cb in callbacks:
                cb.on_trial_complete(trial)

    def _on_result(self, trial: Trial, result: dict[str, Any], callbacks) -> None:
        tid = trial.trial_id
        if self._redelivered(tid, result):
            self.backend.reply(tid, Decision.CONTINUE)  # as journaled: else it was not restarted
            return
        reserved = [name for name in RESERVED_NAMES if name in result]
        if reserved:  # from a backend that does not check names: it would overwrite a column
            detail = reserved_name_message(reserved[0])
            self._request(tid, Request("fail", FailureReason.INVALID_METRIC, detail))
            self.backend.reply(tid, Decision.STOP)
            return
        if self._flag_checkpoints:
            result = {**result, "ts_checkpoint": self.backend.has_checkpoint(tid)}
        self._journal("result", tid, result)
        invalid = None
        request = self._request_of(tid)
        if request is not None and request.kind != "interrupt":
            decision = Decision.STOP if request.kind != "pause" else Decision.PAUSE
            by = "tuner"
        else:  # an interrupted trial's results are decided on as if it went on
            self._sync()
            try:
                decision, by = self.scheduler.on_trial_result(trial, result), "scheduler"
            except ValueError as err:  # the result lacks the metric, or it is not finite
                invalid, decision, by = str(err), Decision.STOP, "invalid"
        payload = {"decision": decision.value, "by": by}
        if self._follow is not None:  # what this decision saw of the journal (for audits)
            payload["seen"] = self._follow.watermark
        if invalid is not None:
            payload["detail"] = invalid
        self._journal("decision", tid, payload)
        self._flush()  # the result is durable before the trial's report() returns
        if invalid is not None:
            self.backend.stop(tid, reason=FailureReason.INVALID_METRIC)
        answer = decision
        if decision is Decision.CONTINUE and request is not None:
            answer = Decision.PAUSE  # it is being interrupted: it keeps its checkpoint
        self.backend.reply(tid, answer)
        for cb in callbacks:
            cb.on_trial_result(trial, result, decision)

    def _redelivered(self, trial_id: int, result: dict[str, Any]) -> bool:
        """Whether a trial restarted after a crash repeats a report stored before it: its first
        repeat may be any stored report (it restarted from a checkpoint saved after some of
        them), each further one must be the next stored one; the first report that is not a
        repeat ends the check. (Reports that carry a step or epoch are told apart exactly.)"""
        doubt = self._in_doubt.get(trial_id)
        if not doubt:
            return False
        metrics = user_metrics(result)
        if trial_id in self._repeating:
            if doubt[0] == metrics:
                del doubt[0]
                return True
        elif metrics in doubt:
            del doubt[: doubt.index(metrics) + 1]
            self._repeating.add(trial_id)
            return True
        del self._in_doubt[trial_id]
        return False

    def _on_completed(self, trial: Trial, callbacks) -> None:
        if trial.last_result is None:
            detail = (
                f"the trial ended without reporting {_metric_words(self.scheduler.metric)}; "
                "call tunesmith.report(...) or return the value"
            )
            self._on_failed(trial, FailureReason.INVALID_METRIC, detail, callbacks)
            return
        try:
            self.scheduler.on_trial_complete(trial, trial.last_result)
        except ValueError as err:
            self._on_failed(trial, FailureReason.INVALID_METRIC, str(err), callbacks, "complete")
            return
        self._journal("trial_completed", trial.trial_id, {})
        for cb in callbacks:
            cb.on_trial_complete(trial)

    def _on_failed(self, trial: Trial, reason, detail, callbacks, via: str | None = None) -> None:
        reason = str(reason.value if isinstance(reason, FailureReason) else reason)
        payload = {"reason": reason, "detail": detail}
        if via:
            payload["via"] = via
        self._journal("trial_failed", trial.trial_id, payload)
        self.scheduler.on_trial_error(trial)
        self._delete_checkpoint(trial.trial_id)
        logger.warning(
            "trial %d failed (%s)%s",
            trial.trial_id,
            trial.failure_reason,
            f": {_last_line(detail)}" if detail else "",
        )
        for cb in callbacks:
            cb.on_trial_error(trial)
        self._check_failures()

    def _delete_checkpoint(self, trial_id: int) -> None:
        if not self.delete_checkpoints:
            return
        folder = self.backend.trial_dir(trial_id) / "checkpoint"
        if folder.is_dir():
            try:
                shutil.rmtree(folder)
            except OSError as err:
                logger.warning("could not delete the checkpoint of trial %d: %s", trial_id, err)
            else:
                self.num_checkpoints_deleted += 1

    # -- the study -------------------------------------------------------------------------
    def _open_study(self) -> None:
        """Open the store; create the study, or check and replay the stored one."""
        if self.journal is not None:
            self._store, self._study = _MemoryJournal(self.journal), self.name
            self.result.metadata = dict(self.metadata)
            if self._temporary_run_dir:
                prefix = f"tunesmith-{self.name[:40]}-".replace(os.sep, "-")
                self.run_dir = Path(tempfile.mkdtemp(prefix=prefix))
            return
        args = (self.storage, self.name, self.scheduler, self.state)
        kwargs = {
            "if_exists": self.if_exists,
            "run_dir": self.run_dir,
            "default_run_dir": self.run_dir == home() / self.name,
            "metadata": self.metadata,
        }
        if self.shared:
            from tunesmith.sharing import open_shared_study

            self._store, self._study, self._lease, self.run_dir, self._follow = open_shared_study(
                *args, **kwargs
            )
        else:
            self._store, self._study, self._lease, self.run_dir = open_study(*args, **kwargs)
        self.result.metadata = user_metadata(self._study.metadata)

    def _settle_running(self, trials: list[Trial] | None = None) -> None:
        """Trials the journal left running or interrupted (or those of ``trials``): settle
        those the scheduler had decided on, queue the others to restart (least recently active
        first, the order in which they were served). A shared driver settles only the trials
        it claimed (:meth:`_take_orphans`)."""
        if trials is None and self._follow is not None:
            return
        for trial in self.state.unsettled() if trials is None else trials:
            tid = trial.trial_id
            request = self.state.requests.get(tid)
            if request is not None and request.kind == "fail":
                self._on_failed(trial, request.reason, request.detail, [])
            elif request is not None and request.kind == "pause":
                # settled, not confirmed: the trial may have died before it checkpointed its
                # last report, so its resume may repeat the reports since its start
                self._journal("trial_paused", tid, {"settled": True})
            elif request is not None and request.kind == "remove":  # stop_trial()'s
                self.scheduler.on_trial_remove(trial)
                self._journal("trial_stopped", tid, {"removed": True})
                self._delete_checkpoint(tid)
            elif request is not None:
                self._journal("trial_stopped", tid, {"removed": False})
                self._delete_checkpoint(tid)
            else:
                self._to_restart.append(tid)
                # reports the trial may repeat: all of them since its last start
                self._in_doubt[tid] = self.state.repeatable(tid)

    def _close_study(self) -> None:
        if self._lease is not None:
            self._lease.release()
            self._lease = None
        if self._store is not None:
            self._store.close()

    def _journal(self, kind: str, trial_id: int | None, payload: dict[str, Any]) -> None:
        """Record an event: buffered for the store, and applied to the run state."""
        from tunesmith.store import Event

        now = self.backend.now()
        self._buffer.append(Event(kind, trial_id=trial_id, payload=payload, time=now))
        self.state.apply(kind, trial_id, payload, now)

    def _flush(self, *, force: bool = False) -> None:
        if self._lease is not None and self._lease.lost:  # seen by the heartbeat: stop now
            raise self._lease.lost_error()
        if not (force or self._durable_acks or len(self._buffer) >= self.journal_batch):
            return  # a simulation: nothing is lost if the tuner dies before the batch is written
        if self._buffer and self._study is not None:
            seqs = self._store.append(self._study, self._buffer, owner=self._lease)
            if self._follow is not None:
                self._follow.wrote(seqs)
            self._buffer = []

    # -- several drivers (shared=True) ------------------------------------------------------
    def _sync(self) -> None:
        """A shared driver: apply the other drivers' new events (see :mod:`tunesmith.sharing`)."""
        if self._follow is not None:
            self._follow.sync(self._store, self._study, self.scheduler, self.state)

    def _take_orphans(self, *, force: bool = False) -> None:
        """A shared driver: claim the unfinished trials of drivers that are gone, and settle
        or restart them as after a crash."""
        if self._follow is None or self._stopping or self._interrupts.count:
            return
        own = self._running | set(self._to_restart)
        claimed = self._follow.orphans(self.state, own, force=force)
        if claimed:
            self._sync()  # their driver can no longer write: the journal has their last events
            won = set(claimed)
            self._settle_running([t for t in self.state.unsettled() if t.trial_id in won])
            self._flush()
            logger.warning("re-running trials %s of a driver that is gone", sorted(won))

    def _waits_for_others(self) -> bool:
        """A shared driver without work stays while other drivers' trials run (it re-runs them
        if their driver dies), unless the run is stopping."""
        if self._follow is None or self._stopping or self._interrupts.count:
            return False
        self._take_orphans(force=True)  # a driver that is gone may hold trials, or trial ids
        if self._to_restart or self._follow.reopened:
            self._follow.reopened = False
            return True
        return self._follow.others_unsettled(self.state, self._running | set(self._to_restart))

    # -- stopping --------------------------------------------------------------------------
    def _request(self, trial_id: int, request: Request) -> None:
        """Ask the backend to end a running trial (a failure request is never replaced). An
        interrupt asks it to pause: the trial keeps its checkpoint, and a report it made in the
        meantime is answered PAUSE, as a scheduler's PAUSE would be."""
        current = self._ending.get(trial_id)
        if current is not None and current.kind == "fail":
            return
        self._ending[trial_id] = request
        if request.kind == "interrupt":
            self.backend.pause(trial_id)
        else:
            self.backend.stop(trial_id, reason=request.reason)

    def _request_of(self, trial_id: int) -> Request | None:
        """What ends a running trial: a failure the tuner asked for, else the scheduler's
        decision, else the tuner's other requests."""
        live = self._ending.get(trial_id)
        if live is not None and live.kind == "fail":
            return live
        return self.state.requests.get(trial_id) or live

    def _begin_stopping(self, reason: str, *, force: bool = False, interrupt: bool = False):
        if self._stopping is None or interrupt:
            self._stopping = reason
            logger.info("stopping the run: %s", reason)
        if force or interrupt or not self.wait_trial_completion_when_stopping:
            for tid in list(self._running):
                if tid not in self.state.requests and tid not in self._ending:
                    self._request(tid, Request("interrupt" if interrupt else "remove"))
            if not interrupt:  # trials that were to restart end as running ones do
                for tid in self._to_restart:
                    self.scheduler.on_trial_remove(self.trials[tid])
                    self._journal("trial_stopped", tid, {"removed": True})
                self._to_restart.clear()

    def _check_trial_stops(self) -> None:
        """Stop the trials :meth:`stop_trial` asked for: the request is journaled (a decision
        by ``"user"``, which the run state holds as a ``"remove"`` request) before the backend
        is asked, so a resume after a crash settles the trial as stopped."""
        with self._stop_lock:
            if not self._trial_stops_asked:
                return
            asked, self._trial_stops_asked = self._trial_stops_asked, {}
        for tid, reason in asked.items():
            if tid not in self._running:
                logger.info("stop_trial(%d): the trial is not running; nothing to stop", tid)
                continue
            if self._request_of(tid) is not None:
                continue  # already ending
            self._journal("decision", tid, {"decision": "stop", "by": "user", "detail": reason})
            self._flush()
            self._request(tid, Request("remove"))

    def _check_stop_criterion(self) -> None:
        if self._stopping:
            return
        with self._stop_lock:
            asked = self._stop_asked
        if asked is not None:
            self._begin_stopping(asked)
            return
        if self.stop_criterion is None:
            return
        self.status.wallclock_time = self._elapsed()
        if isinstance(self.stop_criterion, StoppingCriterion):
            reason = self.stop_criterion.reason(self.status, include_started=False)
        else:
            reason = "stop_criterion returned True" if self.stop_criterion(self.status) else None
        if reason:
            self._begin_stopping(reason)

    def _check_failures(self) -> None:
        failed = self.status.num_trials_failed
        finished = self.status.num_trials_finished
        limit = self.max_failures
        if isinstance(limit, float):
            too_many = finished >= max(5, self.n_workers) and failed / finished > limit
            rule = f"more than {limit:.0%} of finished trials"
        else:
            too_many = failed > limit
            rule = f"more than {limit}"
        if too_many and not (self._stopping or "").startswith("max_failures"):
            summary = ", ".join(f"{r}: {n}" for r, n in self.result.failure_summary().items())
            self._stopping = None
            self._begin_stopping(
                f"max_failures: {failed} of {finished} finished trials failed ({rule} allowed); "
                f"reasons: {summary}",
                force=True,
            )

    def _check_deadlines(self) -> None:
        now = self.backend.now()
        while self._deadlines and self._deadlines[0][0] <= now:
            _, tid, count = heapq.heappop(self._deadlines)
            if tid not in self._running or self._starts.get(tid) != count:
                continue
            since = self.backend.running_since(tid)  # it may have waited for a worker
            if since is not None and since + self.max_trial_time > now:
                due = (
                    now + self.max_trial_time if since == math.inf else since + self.max_trial_time
                )
                heapq.heappush(self._deadlines, (due, tid, count))
            else:
                detail = f"ran longer than max_trial_time={self.max_trial_time} s"
                self._request(tid, Request("fail", FailureReason.TIMEOUT, detail))

    def _wait_time(self) -> float | None:
        now = self.backend.now()
        # a simulated clock needs no tick: it would only advance simulated time in small steps
        wait = math.inf if self._simulated else self.tick_interval
        if self._deadlines:
            wait = min(wait, self._deadlines[0][0] - now)
        limit = getattr(self.stop_criterion, "max_wallclock_time", None)
        if limit is not None and not self._stopping:
            wait = min(wait, self._t0 + limit - now)
        return None if wait == math.inf else max(wait, 0.0)

    def _elapsed(self) -> float:
        return self.backend.now() - self._t0

    def _default_callbacks(self) -> list[TunerCallback]:
        if self.verbose < 1:
            return []
        from tunesmith.callbacks.progress import ProgressCallback

        if any(isinstance(cb, ProgressCallback) for cb in self.callbacks):
            return []  # the user's own view
        return [ProgressCallback(per_trial=self.verbose >= 2)]

    # -- views -----------------------------------------------------------------------------
    @property
    def num_running(self) -> int:
        return len(self._running)

    @property
    def elapsed(self) -> float:
        return self._elapsed()


def _metric_words(metric: str | list[str]) -> str:
    return f"metric {metric!r}" if isinstance(metric, str) else f"metrics {metric!r}"


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
