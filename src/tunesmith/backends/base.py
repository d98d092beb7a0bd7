"""The backend contract: where trials run.

The tuner calls ``start``/``stop``/``pause`` and blocks in :meth:`Backend.next_event`; backends
push :class:`TrialEvent` objects into their queue from reader threads (real backends) or from a
simulated clock (the simulator). There are no polling sleeps: an event wakes the tuner at once.

Results are acknowledged: a trial's ``tunesmith.report()`` returns only after the tuner called
:meth:`Backend.reply` for that result (after storing it), and the reply carries the scheduler's
decision, so a STOP or PAUSE reaches the trial at that very ``report()``. Trials that report by
printing ``[tunesmith] {...}`` lines cannot be answered; they are stopped by signals instead.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import shutil
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from tunesmith.trial import Decision, Trial

__all__ = ["Backend", "EventKind", "FailureReason", "FolderError", "TrialEvent"]


class EventKind(str, Enum):
    RESULT = "result"  # one report; answer it with Backend.reply
    COMPLETED = "completed"  # the trial's code returned / exited 0
    FAILED = "failed"  # see TrialEvent.reason
    STOPPED = "stopped"  # ended after a stop() or a STOP decision
    PAUSED = "paused"  # ended after a pause() or a PAUSE decision; may be resumed


class FailureReason(str, Enum):
    EXCEPTION = "exception"  # the trial's code raised (traceback in detail)
    EXIT_CODE = "exit_code"  # a process exited with a non-zero status
    SIGNAL = "signal"  # a process died by a signal (OOM killer, segfault, ...)
    TIMEOUT = "timeout"  # ran past the tuner's max_trial_time
    INVALID_METRIC = "invalid_metric"  # NaN/inf, non-number, reserved name, missing metric
    START_FAILED = "start_failed"  # could not be started (bad command, unpicklable config)
    WORKER_LOST = "worker_lost"  # its worker or machine went away (a Ray actor or node lost)

    def __str__(self) -> str:
        return self.value


class FolderError(OSError):
    """A folder of the run cannot be created or written: the message names the folder and the
    operating system's error (``errno``, ``strerror`` and ``filename`` are those of the cause)."""

    def __init__(self, message: str, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror, cause.filename)
        self.message = message

    def __str__(self) -> str:
        return self.message


def folder_error(trial_dir: Path, exc: OSError) -> FolderError:
    """The error of a trial folder that cannot be written (the START_FAILED detail)."""
    if isinstance(exc, FolderError):
        return exc
    return FolderError(f"cannot write the trial folder {trial_dir}: {exc}", exc)


@dataclass
class TrialEvent:
    kind: EventKind
    trial_id: int
    result: dict[str, Any] | None = None
    reason: FailureReason | None = None
    detail: str | None = None
    time: float = field(default_factory=time.time)


class Backend(ABC):
    """Runs trials on ``n_workers`` workers and reports what happens as events.

    Lifecycle: optionally ``prepare(n_workers, metric=...)`` (the tuner calls it before it opens
    the store, so that slow-starting workers boot meanwhile), then ``setup(run_dir, n_workers,
    metric=...)`` once (workers may start here), then any number of ``start``/``stop``/``pause``
    calls while the tuner reads ``next_event``, then ``shutdown()``, which must leave no process
    of the run alive, whatever state trials are in (also after ``prepare`` without ``setup``).
    """

    #: False where a trial cannot lose a result if the tuner dies (a simulation): the tuner then
    #: journals events in batches instead of committing each result before answering it
    durable_acks: bool = True
    #: True where :meth:`now` is a simulated clock that only :meth:`next_event` advances: the
    #: tuner then waits only for events and deadlines, with no periodic tick
    simulated_clock: bool = False

    def __init__(self) -> None:
        self.events: queue.Queue[TrialEvent] = queue.Queue()
        self.run_dir: Path | None = None
        self.n_workers = 1
        self.metric: str | list[str] | None = None

    def prepare(self, n_workers: int, *, metric: str | list[str] | None = None) -> None:
        """Start what takes long to start (worker processes) before the run folder is known;
        :meth:`setup` follows with the same ``n_workers`` and ``metric``, or :meth:`shutdown`
        alone if the run ends before it (e.g. the study could not be opened). Does nothing by
        default."""

    def setup(
        self, run_dir: Path, n_workers: int, *, metric: str | list[str] | None = None
    ) -> None:
        """Prepare ``n_workers`` workers writing under ``run_dir``. ``metric`` names the value
        of a trial function that returns a plain number (a list: the values of one that
        returns a tuple, one per metric)."""
        self.run_dir = Path(run_dir)
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            if not os.access(self.run_dir, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self.run_dir))
        except OSError as exc:
            raise FolderError(
                f"{type(self).__name__} cannot create or write its trial folders under "
                f"run_dir={str(self.run_dir)!r}: {exc}",
                exc,
            ) from exc
        self.n_workers = n_workers
        self.metric = metric

    def trial_dir(self, trial_id: int) -> Path:
        """The trial's folder (logs, config); its ``checkpoint/`` subfolder is what
        ``tunesmith.checkpoint_dir()`` returns inside the trial. Created if possible (a
        backend reports a folder it cannot create when the trial starts)."""
        assert self.run_dir is not None, "setup() first"
        path = self.run_dir / "trials" / str(trial_id)
        with contextlib.suppress(OSError):
            path.mkdir(parents=True, exist_ok=True)
        return path

    def make_trial_dir(self, trial_id: int) -> Path:
        """The trial's folder, created; raises :class:`FolderError` naming it if it cannot be."""
        assert self.run_dir is not None, "setup() first"
        path = self.run_dir / "trials" / str(trial_id)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise folder_error(path, exc) from exc
        return path

    def has_checkpoint(self, trial_id: int) -> bool:
        """Whether the trial's checkpoint folder holds anything now."""
        folder = self.trial_dir(trial_id) / "checkpoint"
        try:
            return any(folder.iterdir())
        except OSError:
            return False

    def copy_checkpoint(
        self,
        source_id: int,
        target_id: int,
        *,
        token: str,
        source_result: dict[str, Any] | None = None,
    ) -> bool:
        """Make trial ``target_id``'s checkpoint a copy of trial ``source_id``'s (an exploit of
        population based training), before ``target_id`` is resumed; False when the source
        has no checkpoint (the target keeps its own). ``source_result``: the source's last
        report when it was chosen (a simulated backend restores from it).

        Crash-safe and done once per ``token``: the copy goes to a side folder that replaces
        the target's checkpoint folder by renames, then a marker with ``token`` is written in
        the target's trial folder; a call with the token of a finished copy does nothing (the
        trial may have trained on since), one after a crash in the middle copies again."""
        target_dir = self.trial_dir(target_id)
        marker = target_dir / ".checkpoint-source"
        with contextlib.suppress(OSError):
            if marker.read_text() == token:
                return True
        source = self.trial_dir(source_id) / "checkpoint"
        if not self.has_checkpoint(source_id):
            return False
        incoming, replaced = target_dir / ".checkpoint-incoming", target_dir / ".checkpoint-old"
        shutil.rmtree(incoming, ignore_errors=True)
        shutil.rmtree(replaced, ignore_errors=True)
        shutil.copytree(source, incoming)
        checkpoint = target_dir / "checkpoint"
        if checkpoint.exists():
            os.replace(checkpoint, replaced)
        os.replace(incoming, checkpoint)
        partial = marker.with_name(".checkpoint-source.tmp")
        partial.write_text(token)
        os.replace(partial, marker)
        shutil.rmtree(replaced, ignore_errors=True)
        return True

    @abstractmethod
    def start(self, trial: Trial, *, resume: bool = False) -> None:
        """Run ``trial.config`` on a free worker. ``resume=True``: a paused trial continues and
        finds its checkpoint in its checkpoint folder. Errors are reported as FAILED events with
        reason START_FAILED, not raised (except for programming errors)."""

    @abstractmethod
    def stop(self, trial_id: int, *, reason: FailureReason | None = None) -> None:
        """End a running trial: its next ``report()`` raises, a signal is sent to scripts, and it
        is killed after the grace period. The trial ends with a STOPPED event, or FAILED with
        ``reason`` when given (e.g. TIMEOUT)."""

    @abstractmethod
    def pause(self, trial_id: int) -> None:
        """Like :meth:`stop` but the trial ends with a PAUSED event and keeps its checkpoint."""

    def reply(self, trial_id: int, decision: Decision) -> None:
        """Acknowledge the trial's last RESULT event (it is stored) with the scheduler's
        decision. A no-op for trials that cannot be answered."""

    def running_since(self, trial_id: int) -> float | None:
        """When the trial began to run (:meth:`now`'s clock), ``math.inf`` while it still
        waits for a worker, None if the backend does not tell (the tuner then counts from
        :meth:`start`). ``max_trial_time`` counts from this time."""
        return None

    def next_event(self, timeout: float | None = None) -> TrialEvent | None:
        """The next event, waiting at most ``timeout`` seconds (None: forever)."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def now(self) -> float:
        """The backend's clock (wall clock; the simulator's simulated clock)."""
        return time.time()

    @abstractmethod
    def shutdown(self) -> None:
        """Stop everything; no process of the run may outlive this call."""
