"""The Ray actor of :class:`~tunesmith.backends.ray.RayBackend` (private).

A :class:`TrialHost` is one long-lived worker of the study on some node of a Ray cluster. It
does not run trials itself: it holds a one-worker :class:`~tunesmith.backends.local.LocalBackend`
(a function) or :class:`~tunesmith.backends.script.ScriptBackend` (a command) and relays calls
and events between it and the driver. So trials on Ray get the local backends' protocol as it
is: ``report()`` returns once the tuner stored the result and answered, stop and pause are
cooperative with a grace period then a kill of the trial's process group, a crashing trial is
a failed trial (its worker process is replaced, the actor stays), and trial output goes to
``stdout.log``/``stderr.log`` in the trial's folder.

Nothing here imports Ray: the driver wraps this class with ``ray.remote`` and its options.

Checkpoints: where the node sees the driver's run folder (one machine, or a shared file
system), trials use it directly. Elsewhere (``copy=True``) the host keeps trial folders under a
folder of its own on its node; a trial's checkpoint folder travels as a tar archive with its
end event back to the driver, and from the driver with the start of a resumed trial.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
import tarfile
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tunesmith.backends.base import Backend, EventKind, FailureReason, TrialEvent
from tunesmith.trial import Decision, Trial

__all__ = ["TrialHost", "pack_folder", "unpack_folder"]

_F = TypeVar("_F", bound=Callable[..., Any])


def _in_group(group: str) -> Callable[[_F], _F]:
    """Put a method in a Ray concurrency group (what ``ray.method(concurrency_group=...)``
    records, without importing Ray): the reader's long wait is in "events", the calls of the
    tuner in "control", one at a time in the order they were sent."""

    def mark(method: _F) -> _F:
        method.__ray_concurrency_group__ = group  # type: ignore[attr-defined]
        return method

    return mark


#: the name of the file the driver writes in its run folder; a host that reads the same token
#: there shares the driver's file system
MARKER = ".tunesmith-ray-marker"


def pack_folder(folder: Path) -> bytes | None:
    """The files of ``folder`` as a tar archive (None if it is missing or empty)."""
    try:
        if not folder.is_dir() or not any(folder.iterdir()):
            return None
    except OSError:
        return None
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(folder, arcname=".")
    return buffer.getvalue()


def unpack_folder(data: bytes | None, folder: Path) -> None:
    """Make ``folder`` hold exactly what ``data`` (from :func:`pack_folder`) holds."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    if data:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
                tar.extractall(folder, filter="data")
            else:
                tar.extractall(folder)  # our own archive


class TrialHost:
    """One worker of a RayBackend, as a Ray actor (see the module docstring).

    Args:
        kind: "function" (``target`` is the trial function) or "command" (``target`` is the
            command, a list of strings).
        target: the trial function or the command.
        options: keyword arguments of the local backend.
        metric: the tuner's metric (or metrics).
    """

    def __init__(self, kind: str, target: Any, options: dict[str, Any], metric: Any) -> None:
        self.metric = metric
        self.backend: Backend
        if kind == "function":
            from tunesmith.backends.local import LocalBackend

            self.backend = LocalBackend(target, import_main=False, echo_output=False, **options)
        else:
            from tunesmith.backends.script import ScriptBackend

            options = dict(options)
            factory = options.pop("factory", ScriptBackend)
            cwd = options.pop("cwd", None)
            if cwd is not None and not os.path.isdir(cwd):
                cwd = None  # the driver's working folder, where this node has it
            self.backend = factory(target, cwd=cwd, **options)
        self.copy = False
        self._root: Path | None = None
        self._closed = threading.Event()

    @_in_group("control")
    def setup(self, run_dir: str, token: str, copy: bool | None) -> dict[str, Any]:
        """Set up the local backend in the driver's ``run_dir`` where this node sees it (or
        where ``copy`` is False), else in a folder of its own (``copy`` True or None);
        returns where the host runs."""
        if copy is None:
            try:
                copy = (Path(run_dir) / MARKER).read_text() != token
            except OSError:
                copy = True
        self.copy = copy
        if copy:
            self._root = Path(tempfile.mkdtemp(prefix="tunesmith-ray-"))
            run_dir = str(self._root)
        self.backend.setup(Path(run_dir), 1, metric=self.metric)
        return {"pid": os.getpid(), "host": socket.gethostname(), "copy": copy}

    # -- events (the driver's reader thread waits here) -------------------------------------
    @_in_group("events")
    def next_events(self) -> list[tuple]:
        """Wait for the next event of the local backend; return it with those queued behind
        it, as tuples (the end event of a trial in copy mode carries its checkpoint)."""
        events: list[TrialEvent] = []
        event = self.backend.next_event(timeout=None)
        while event is not None:
            events.append(event)
            event = self.backend.next_event(timeout=0)
        return [self._as_tuple(e) for e in events]

    def _as_tuple(self, event: TrialEvent) -> tuple:
        checkpoint = None
        if self.copy and event.kind in (EventKind.PAUSED, EventKind.STOPPED, EventKind.COMPLETED):
            with contextlib.suppress(OSError, tarfile.TarError):
                checkpoint = pack_folder(self.backend.trial_dir(event.trial_id) / "checkpoint")
        reason = None if event.reason is None else event.reason.value
        kind = event.kind.value
        return (kind, event.trial_id, event.result, reason, event.detail, event.time, checkpoint)

    # -- control (one at a time, in the order the driver sent them) -------------------------
    @_in_group("control")
    def start(
        self, trial_id: int, config: dict[str, Any], resume: bool, checkpoint: bytes | None
    ) -> None:
        if self.copy and resume:
            folder = self.backend.trial_dir(trial_id) / "checkpoint"
            try:
                unpack_folder(checkpoint, folder)
            except (OSError, tarfile.TarError) as exc:
                detail = f"cannot restore the checkpoint of trial {trial_id} in {folder}: {exc}"
                reason = FailureReason.START_FAILED
                self.backend.events.put(
                    TrialEvent(EventKind.FAILED, trial_id, reason=reason, detail=detail)
                )
                return
        self.backend.start(Trial(trial_id, config), resume=resume)

    @_in_group("control")
    def reply(self, trial_id: int, decision: str) -> None:
        self.backend.reply(trial_id, Decision(decision))

    @_in_group("control")
    def stop(self, trial_id: int, reason: str | None) -> None:
        self.backend.stop(trial_id, reason=None if reason is None else FailureReason(reason))

    @_in_group("control")
    def pause(self, trial_id: int) -> None:
        self.backend.pause(trial_id)

    @_in_group("control")
    def shutdown(self) -> int:
        """Stop the local backend (no process of it lives on) and remove the own folder;
        returns the actor's process id."""
        self.backend.shutdown()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
        # wake the reader thread's call, if any: it returns an empty list
        self.backend.events.put(TrialEvent(EventKind.STOPPED, -1))
        return os.getpid()
