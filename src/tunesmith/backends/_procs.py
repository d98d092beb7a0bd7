"""Process plumbing shared by the local backends (private).

- :class:`Loop`: one long-lived thread that owns the backend's child processes. It starts them
  (``PR_SET_PDEATHSIG`` is tied to the *thread* that forks, so children must never be started
  from short-lived threads), reads their pipes, watches their exits (pidfd) and runs timers
  (grace periods). Nothing polls: the thread sleeps in ``select`` until something happens.
- :func:`popen`: ``subprocess.Popen`` in a new session, killed by the kernel if the tuner dies.
- :class:`Reaper`: one helper process per backend that kills the backend's process groups if
  the tuner dies, with what workers and scripts started (``PR_SET_PDEATHSIG`` is not inherited
  by grandchildren); see :mod:`tunesmith.backends._reaper`.
- :class:`Run`: the bookkeeping of one started trial shared by both backends: stop/pause
  requests, the results waiting for an answer, and the one end event.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import heapq
import itertools
import logging
import os
import select
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tunesmith.backends.base import Backend, EventKind, FailureReason, TrialEvent
from tunesmith.trial import Decision

logger = logging.getLogger("tunesmith")

_PR_SET_PDEATHSIG = 1


class ProcessBackend(Backend):
    """What the local backends share: stop and pause end a trial through :meth:`_end`."""

    def _end(self, trial_id: int, kind: EventKind, reason: FailureReason | None) -> None:
        raise NotImplementedError

    def stop(self, trial_id: int, *, reason: FailureReason | None = None) -> None:
        kind = EventKind.STOPPED if reason is None else EventKind.FAILED
        self._end(trial_id, kind, None if reason is None else FailureReason(reason))

    def pause(self, trial_id: int) -> None:
        self._end(trial_id, EventKind.PAUSED, None)


class Timer:
    __slots__ = ("args", "callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[..., Any], args: tuple) -> None:
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Loop:
    """A select loop on a dedicated thread. ``call_soon``/``call_later`` work from any thread;
    ``add_reader``/``remove_reader``/``watch_exit`` only on the loop thread."""

    def __init__(self, name: str) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._calls: deque[tuple[Callable[..., Any], tuple]] = deque()
        self._timers: list[tuple[float, int, Timer]] = []
        self._timer_lock = threading.Lock()
        self._seq = itertools.count()
        self._stopping = False
        self._pidfds: set[int] = set()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def in_loop(self) -> bool:
        return threading.current_thread() is self._thread

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"x")

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        self._calls.append((callback, args))
        if not self.in_loop():
            self._wake()

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Timer:
        timer = Timer(time.monotonic() + delay, callback, args)
        with self._timer_lock:
            heapq.heappush(self._timers, (timer.when, next(self._seq), timer))
            first = self._timers[0][2] is timer
        if first and not self.in_loop():
            self._wake()
        return timer

    def add_reader(self, fd: int, callback: Callable[[], Any]) -> None:
        self._selector.register(fd, selectors.EVENT_READ, callback)

    def remove_reader(self, fd: int) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(fd)

    def watch_exit(self, pid: int, callback: Callable[[], Any]) -> None:
        """Call ``callback`` on the loop thread once child ``pid`` exits (it is not reaped)."""
        try:
            pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            threading.Thread(
                target=self._wait_exit, args=(pid, callback), name="tunesmith-wait", daemon=True
            ).start()
            return

        def ready() -> None:
            self.remove_reader(pidfd)
            self._pidfds.discard(pidfd)
            os.close(pidfd)
            callback()

        self._pidfds.add(pidfd)
        self.add_reader(pidfd, ready)

    def _wait_exit(self, pid: int, callback: Callable[[], Any]) -> None:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        self.call_soon(callback)

    def stop(self, timeout: float = 10.0) -> None:
        """Run the calls already queued, then end the thread (and wait for it)."""
        self.call_soon(self._set_stopping)
        if self._thread.is_alive() and not self.in_loop():
            self._thread.join(timeout)

    def _set_stopping(self) -> None:
        self._stopping = True

    def _run(self) -> None:
        try:
            while not self._stopping:
                self._run_calls()
                if self._stopping:
                    break
                for key, _ in self._selector.select(self._timeout()):
                    if key.data is None:
                        with contextlib.suppress(BlockingIOError, OSError):
                            os.read(self._wake_r, 4096)
                    elif self._selector.get_map().get(key.fd) is key:  # still registered
                        self._safely(key.data, ())
                self._run_timers()
        except BaseException:
            logger.exception("a tunesmith backend thread failed; its trials are killed")
            raise
        finally:
            for pidfd in self._pidfds:
                os.close(pidfd)
            self._selector.close()
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _run_calls(self) -> None:
        while self._calls:
            callback, args = self._calls.popleft()
            self._safely(callback, args)

    def _timeout(self) -> float | None:
        if self._calls:
            return 0.0
        with self._timer_lock:
            while self._timers and self._timers[0][2].cancelled:
                heapq.heappop(self._timers)
            if not self._timers:
                return None
            return max(0.0, self._timers[0][0] - time.monotonic())

    def _run_timers(self) -> None:
        now = time.monotonic()
        while True:
            with self._timer_lock:
                if not self._timers or self._timers[0][0] > now:
                    return
                timer = heapq.heappop(self._timers)[2]
            if not timer.cancelled:
                self._safely(timer.callback, timer.args)

    @staticmethod
    def _safely(callback: Callable[..., Any], args: tuple) -> None:
        try:
            callback(*args)
        except Exception:
            logger.exception("internal error in a tunesmith backend thread (continuing)")


# -- processes ------------------------------------------------------------------------------------


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


_prctl = _load_prctl()


def _die_with_parent(parent_pid: int) -> None:  # runs in the child between fork and exec
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def popen(args: list[str], **kwargs: Any) -> subprocess.Popen:
    """Start ``args`` in a new session (its own process group, away from the terminal's
    Ctrl-C), killed with SIGKILL by the kernel if the calling thread (or the tuner) dies.
    Call it from a long-lived thread only."""
    return subprocess.Popen(
        args,
        start_new_session=True,
        preexec_fn=functools.partial(_die_with_parent, os.getpid()),
        close_fds=True,
        **kwargs,
    )


def kill_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group led by ``pid`` (and to ``pid`` itself). Only call it
    while ``pid`` is not reaped, so that the id cannot belong to another process."""
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, sig)


def _has_exited(pid: int) -> bool:
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _open_pidfd(pid: int) -> int | None:
    """A pidfd for ``pid`` (not reaped yet), or None (gone, or no pidfds on this system)."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def terminate(procs: Iterable[Any], grace: float) -> None:
    """SIGTERM every process group, wait up to ``grace`` seconds, SIGKILL the groups (their
    leftover members too) and reap the leaders. Used at shutdown only."""
    alive = [proc for proc in procs if proc.returncode is None]
    for proc in alive:
        kill_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in alive:
        exited = getattr(proc, "has_exited", None) or functools.partial(_has_exited, proc.pid)
        pidfd = _open_pidfd(proc.pid)  # readable once it exits: no polling
        try:
            while not exited() and (left := deadline - time.monotonic()) > 0:
                if pidfd is None:
                    time.sleep(min(0.005, left))
                else:
                    select.select([pidfd], [], [], left)
        finally:
            if pidfd is not None:
                os.close(pidfd)
    for proc in alive:
        kill_group(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5.0)


_REAPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_reaper.py")


class Reaper:
    """The tuner's end of a reaper process (:mod:`tunesmith.backends._reaper`).

    Make it in ``setup()``, :meth:`start` it on the loop thread before any child (its
    parent-death signal follows that thread), :meth:`add` every process group the backend
    creates and :meth:`discard` it once killed and reaped; :meth:`close` it after the backend
    killed everything at shutdown. Messages sent before the process runs wait in the pipe.
    """

    def __init__(self) -> None:
        self._read_fd: int | None
        self._write_fd: int | None
        self._read_fd, self._write_fd = os.pipe()  # not inherited by other children
        os.set_blocking(self._write_fd, False)  # never block the loop thread on it
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._warned = False

    def start(self) -> None:
        with self._lock:
            if self._read_fd is None:  # closed before it started
                return
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-I", "-S", _REAPER, str(os.getpid())],
                    stdin=self._read_fd,
                    stdout=subprocess.DEVNULL,
                    cwd="/",
                    start_new_session=True,  # a kill of the tuner's process group spares it
                    close_fds=True,
                )
            except (OSError, subprocess.SubprocessError) as exc:
                self._warned = True
                logger.warning(
                    "tunesmith could not start its reaper process (%s); if the tuner is killed, "
                    "processes started by trials may outlive it",
                    exc,
                )
            os.close(self._read_fd)
            self._read_fd = None

    def add(self, pgid: int) -> None:
        self._send(b"+%d\n" % pgid)

    def discard(self, pgid: int) -> None:
        self._send(b"-%d\n" % pgid)

    def _send(self, message: bytes) -> None:
        with self._lock:
            if self._write_fd is None:
                return
            try:
                try:
                    os.write(self._write_fd, message)
                except BlockingIOError:  # a full pipe (thousands of messages): let it read
                    select.select([], [self._write_fd], [], 1.0)
                    os.write(self._write_fd, message)
            except OSError as exc:  # still full (it does not read) or broken (it is gone)
                if not self._warned:
                    self._warned = True
                    logger.warning(
                        "tunesmith's reaper process does not listen (%s); if the tuner is "
                        "killed, processes started by trials may outlive it",
                        exc,
                    )

    def close(self) -> None:
        """Tell the reaper to exit without killing anything, and reap it. Idempotent. Call it
        once the backend killed its processes: the reaper has nothing left to do then, so it
        is killed too rather than waited for (it may still be starting)."""
        with self._lock:
            read_fd, write_fd, proc = self._read_fd, self._write_fd, self._proc
            self._read_fd = self._write_fd = self._proc = None
        if read_fd is not None:  # never started
            os.close(read_fd)
        if write_fd is not None:
            with contextlib.suppress(OSError):
                os.write(write_fd, b"q\n")
            os.close(write_fd)
        if proc is not None:
            proc.kill()
            proc.wait()


def describe_exit(returncode: int) -> tuple[FailureReason, str]:
    """The failure reason and detail for a non-zero exit status (negative: killed by signal)."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return FailureReason.SIGNAL, f"killed by {name}"
    return FailureReason.EXIT_CODE, f"exit code {returncode}"


# -- trial bookkeeping ----------------------------------------------------------------------------

_RANK = {EventKind.PAUSED: 1, EventKind.STOPPED: 2, EventKind.FAILED: 3}


@dataclass(eq=False)
class Run:
    """One start of one trial.

    ``pending`` has one entry per RESULT event not yet answered by ``reply()``, in order:
    ``"ack"`` (the trial waits for the answer), ``"line"`` (a printed result: no answer, but a
    STOP/PAUSE decision signals the process) or ``"done"`` (already answered).
    """

    trial_id: int
    pending: deque[str] = field(default_factory=deque)
    request: tuple[EventKind, FailureReason | None, str | None] | None = None
    kill_timer: Timer | None = None
    finished: bool = False

    def add_request(
        self, kind: EventKind, reason: FailureReason | None = None, detail: str | None = None
    ) -> bool:
        """Record that the trial must end as ``kind``; a stronger request wins
        (FAILED > STOPPED > PAUSED). True if the request changed."""
        if self.request is not None and _RANK[self.request[0]] >= _RANK[kind]:
            return False
        self.request = (kind, reason, detail)
        return True

    def forced_decision(self) -> Decision | None:
        """The answer every further report gets, once the trial must end."""
        if self.request is None:
            return None
        return Decision.PAUSE if self.request[0] is EventKind.PAUSED else Decision.STOP

    def end_event(
        self, kind: EventKind, reason: FailureReason | None = None, detail: str | None = None
    ) -> TrialEvent:
        """The end event: what was requested if anything was, else what happened."""
        self.finished = True
        if self.kill_timer is not None:
            self.kill_timer.cancel()
        if self.request is not None:
            kind, reason, requested_detail = self.request
            detail = requested_detail or (
                f"ended by the tuner ({reason})" if reason is not None else None
            )
        return TrialEvent(kind, self.trial_id, reason=reason, detail=detail)


def decision_request(decision: Decision) -> EventKind | None:
    """The end kind a decision asks for (None for CONTINUE)."""
    decision = Decision(decision)
    if decision is Decision.STOP:
        return EventKind.STOPPED
    if decision is Decision.PAUSE:
        return EventKind.PAUSED
    return None
