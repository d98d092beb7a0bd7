"""LocalBackend: run a Python function in a pool of worker processes on this machine.

Workers start once (in :meth:`LocalBackend.setup`) and run one trial after another, so a trial
starts in well under a millisecond of tuner time and nothing is imported again per trial. Each
worker is its own session (its process group can be killed as a whole, and a Ctrl-C in the
terminal does not reach it) and dies with the tuner (``PR_SET_PDEATHSIG`` on Linux); what a
trial started in its worker's process group is killed by the backend's reaper process if the
tuner dies. A worker that crashes or is killed is replaced.

Trials do not see each other's leftovers: after each trial its worker kills what the trial left
running and puts back its environment, working folder, umask and resource limits. A worker's
stdout and stderr are pipes read here: each trial's output goes to ``stdout.log`` and
``stderr.log`` in its folder (capped at ``max_log_bytes``) and, with ``echo_output``, to the
tuner's own stdout/stderr as lines prefixed ``[trial N]``. The start-up data of a worker (the
pickled trial function) reaches it through its socket, never through a file.
"""

from __future__ import annotations

import contextlib
import logging
import math
import numbers
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunesmith.backends import _worker, _zygote
from tunesmith.backends._logs import DEFAULT_MAX_LOG_BYTES, TrialOutput, check_max_log_bytes, echo
from tunesmith.backends._procs import (
    Loop,
    ProcessBackend,
    Reaper,
    Run,
    decision_request,
    describe_exit,
    kill_group,
    popen,
    terminate,
)
from tunesmith.backends._resources import assign_gpus, check_gpus, check_resources
from tunesmith.backends._worker import (
    WORKER_CODE,
    frame,
    main_module_data,
    pickle_function,
    split_frames,
)
from tunesmith.backends.base import EventKind, FailureReason, TrialEvent, folder_error
from tunesmith.reporting import TRIAL_ENV_VARS
from tunesmith.trial import Decision, Trial

logger = logging.getLogger("tunesmith")

__all__ = ["LocalBackend", "check_resources"]

_START_METHODS = ("forkserver", "spawn")

_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
_OUTCOMES = {
    "completed": EventKind.COMPLETED,
    "failed": EventKind.FAILED,
    "stopped": EventKind.STOPPED,
    "paused": EventKind.PAUSED,
}


@dataclass(eq=False)
class _LocalRun(Run):
    payload: bytes = b""
    worker: _Worker | None = None
    output: TrialOutput | None = None
    dispatched: float | None = None  # when a worker got it (time.time())


@dataclass(eq=False)
class _Worker:
    index: int
    proc: subprocess.Popen | _zygote.ForkedProcess
    sock: socket.socket
    state: str = "starting"  # starting -> idle <-> busy; dead
    run: _LocalRun | None = None
    doomed: bool = False  # being killed: never give it another trial
    buffer: bytearray = field(default_factory=bytearray)
    init_error: str | None = None
    was_ready: bool = False
    output_fds: dict[int, int] = field(default_factory=dict)  # stream (1, 2) -> our read end


class LocalBackend(ProcessBackend):
    """Run ``fn(config)`` in ``n_workers`` worker processes that stay up between trials.

    Workers are Python processes that import the script running the tuner, never copies of
    the tuner itself. By default (``start_method="forkserver"``, on Linux) one fork server
    starts as soon as the backend is made: a fresh interpreter that imports that script once
    and then forks each worker, ready in about a millisecond; with ``"spawn"`` (and where
    the system cannot fork safely, or importing the script started threads) each worker is a
    fresh interpreter of its own. Workers get ``fn`` by reference (its module and name)
    where they can import it: a function at module level of a module, or of the script that
    runs the tuner (workers import that script, so start tuning under
    ``if __name__ == "__main__":``). Otherwise, as for functions defined in a notebook, the REPL,
    ``python -c`` or ``python - < script.py``, and for lambdas and closures, they get it by value
    (cloudpickle): its code and the globals and helper functions it uses, as they are when the
    backend is made. A function that cannot be sent (it uses a lock, an open file, ...) is a
    TypeError here, naming what it uses.

    ``fn`` reports with :func:`tunesmith.report`; its return value, if not None, is a final
    report: a number is reported as the tuner's metric, a dict as it is (with several metrics,
    a tuple of numbers is reported under them, in order).

    Args:
        fn: the trial function.
        resources: per trial, ``{"cpus": 1, "gpus": 0}``. ``cpus`` sets ``OMP_NUM_THREADS``,
            ``MKL_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS`` in the workers (unless already set);
            with ``gpus`` > 0, each worker gets its own devices for life via
            ``CUDA_VISIBLE_DEVICES`` (worker ``i`` gets devices ``i*gpus`` to ``i*gpus+gpus-1``).
        gpus: the devices to share out (a count or a list of ids); by default those in
            ``CUDA_VISIBLE_DEVICES``, else those listed by ``nvidia-smi -L``.
        stop_grace_period: seconds a stopped or paused trial has to reach its next
            ``report()`` before its worker is killed (and replaced).
        start_timeout: seconds :meth:`setup` waits for the workers to be ready.
        max_log_bytes: the cap of each trial's ``stdout.log`` and ``stderr.log`` (None: no
            cap); a full log becomes ``stdout.log.1`` and a new one starts, keeping the tail.
        echo_output: also show the trials' output on the tuner's stdout/stderr, each line
            prefixed ``[trial N]``.
        import_main: False: the workers do not import the script that runs the tuner, and
            ``fn`` (with what it uses from that script) is always sent by value (cloudpickle).
            For scripts that start tuning at top level, without ``if __name__ ==
            "__main__":``, as notebook-style code does (the AutoGluon front end uses it).
        start_method: ``"forkserver"`` (default): workers are forked from a server process
            that imported the script once (each worker's global random streams are seeded
            anew, as in a fresh interpreter); ``"spawn"``: each worker is a fresh interpreter.
    """

    def __init__(
        self,
        fn: Callable[[dict[str, Any]], Any],
        *,
        resources: Mapping[str, Any] | None = None,
        gpus: int | Sequence[int | str] | None = None,
        stop_grace_period: float = 5.0,
        start_timeout: float = 120.0,
        max_log_bytes: int | None = DEFAULT_MAX_LOG_BYTES,
        echo_output: bool = True,
        import_main: bool = True,
        start_method: str = "forkserver",
    ) -> None:
        super().__init__()
        if not isinstance(import_main, bool):
            raise TypeError(f"`import_main` must be True or False, but got {import_main!r}")
        if start_method not in _START_METHODS:
            raise ValueError(
                f"`start_method` must be one of {', '.join(map(repr, _START_METHODS))}, "
                f"but got {start_method!r}"
            )
        self.start_method = start_method
        self.import_main = import_main
        self._fn = pickle_function(fn, by_value=not import_main)
        self.resources = check_resources(resources)
        self.gpus = check_gpus(gpus)
        for name, value in (
            ("stop_grace_period", stop_grace_period),
            ("start_timeout", start_timeout),
        ):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
                raise ValueError(f"`{name}` must be a number of seconds >= 0, but got {value!r}")
        self.stop_grace_period = float(stop_grace_period)
        self.start_timeout = float(start_timeout)
        self.max_log_bytes = check_max_log_bytes(max_log_bytes)
        if not isinstance(echo_output, bool):
            raise TypeError(f"`echo_output` must be True or False, but got {echo_output!r}")
        self.echo_output = echo_output
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._loop: Loop | None = None
        self._reaper: Reaper | None = None
        self._workers: list[_Worker | None] = []
        self._devices: list[str | None] = []
        self._runs: dict[int, _LocalRun] = {}
        self._queue: deque[_LocalRun] = deque()
        self._init_frame = b""
        self._cwd = os.getcwd()
        self._zygote: _zygote.Zygote | None = None
        self._setting_up = False
        self._setup_error: str | None = None
        self._broken: str | None = None  # a replacement worker could not start
        self._closed = False
        if threading.current_thread() is threading.main_thread():
            # the fork server boots while the rest of the tuner is made (its parent-death
            # signal follows this thread: only the main thread lives as long as the tuner)
            self._start_zygote()

    def _start_zygote(self) -> None:
        """Start the fork server, unless workers are to be fresh interpreters."""
        if (
            self._zygote is not None
            or self.start_method != "forkserver"
            or not _zygote.available()
            or _worker.importing_main  # a worker importing a script that makes a backend
        ):
            return
        main = main_module_data(import_main=self.import_main)
        init = pickle.dumps(
            {"fn": self._fn, "metric": None, "main": main}, protocol=pickle.HIGHEST_PROTOCOL
        )
        env = {k: v for k, v in os.environ.items() if k not in TRIAL_ENV_VARS}
        for var in _THREAD_VARS:
            env.setdefault(var, str(self.resources["cpus"]))
        try:
            self._zygote = _zygote.Zygote(init, env, popen)
        except _zygote.ZygoteError as exc:
            logger.debug("LocalBackend: workers start as fresh interpreters: %s", exc)

    # -- setup ---------------------------------------------------------------------------------
    def prepare(self, n_workers: int, *, metric: str | list[str] | None = None) -> None:
        """Start the worker processes; :meth:`setup` waits until they are ready. The tuner
        calls this before it opens the store, so the workers boot (a fresh interpreter that
        imports the trial function's module) while the store opens."""
        if self._loop is not None:
            raise RuntimeError("LocalBackend.prepare() or setup() was already called")
        if _worker.importing_main:
            raise RuntimeError(
                "a LocalBackend was set up while a worker process imported your main script; "
                "workers import it to find the trial function, so start tuning only under "
                '`if __name__ == "__main__":`'
            )
        if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
            raise ValueError(f"`n_workers` must be an integer >= 1, but got {n_workers!r}")
        self.n_workers, self.metric = n_workers, metric
        self._devices = assign_gpus(self.resources["gpus"], n_workers, self.gpus)
        main = main_module_data(import_main=self.import_main)
        self._cwd = main["dir"]
        init = {"fn": self._fn, "metric": metric, "main": main}
        self._init_frame = frame(("init", pickle.dumps(init, protocol=pickle.HIGHEST_PROTOCOL)))
        self._workers = [None] * n_workers
        self._setting_up = True
        self._reaper = Reaper()
        self._loop = Loop("tunesmith-local-backend")
        self._loop.start()
        self._loop.call_soon(self._reaper.start)  # before any worker, on the loop thread
        self._loop.call_soon(self._watch_zygote)
        for index in range(n_workers):
            self._loop.call_soon(self._spawn, index)

    def setup(
        self, run_dir: Path, n_workers: int, *, metric: str | list[str] | None = None
    ) -> None:
        if self._loop is None:
            self.prepare(n_workers, metric=metric)
        elif not self._setting_up:
            raise RuntimeError("LocalBackend.setup() was already called")
        elif (n_workers, metric) != (self.n_workers, self.metric):
            raise ValueError(
                f"LocalBackend.setup() got n_workers={n_workers!r}, metric={metric!r}, but "
                f"prepare() started the workers for n_workers={self.n_workers!r}, "
                f"metric={self.metric!r}"
            )
        try:
            super().setup(run_dir, n_workers, metric=metric)
        except BaseException:
            self.shutdown()
            raise
        assert self.run_dir is not None
        for stale in self.run_dir.glob(".tunesmith-worker-*.pkl"):  # left by older versions
            with contextlib.suppress(OSError):
                stale.unlink()
        try:
            with self._changed:
                ready = self._changed.wait_for(
                    lambda: self._setup_error is not None
                    or all(w is not None and w.state == "idle" for w in self._workers),
                    timeout=self.start_timeout,
                )
                self._setting_up = False
                error = self._setup_error
        except BaseException:  # Ctrl-C while the workers start
            self.shutdown()
            raise
        if error is not None or not ready:
            self.shutdown()
            raise RuntimeError(
                "LocalBackend could not start its worker processes: "
                + (error or f"they were not ready after start_timeout={self.start_timeout} s")
            )

    def _worker_env(self, index: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in TRIAL_ENV_VARS}
        for var in _THREAD_VARS:
            env.setdefault(var, str(self.resources["cpus"]))
        devices = self._devices[index]
        if devices is not None:
            env["CUDA_VISIBLE_DEVICES"] = devices
        return env

    def _watch_zygote(self) -> None:  # loop thread, before the workers
        if self._zygote is None:  # made in another thread than the main one
            self._start_zygote()
        if self._zygote is not None and self._zygote.pid is not None:
            assert self._reaper is not None
            self._reaper.add(self._zygote.pid)

    def _fork(self, index: int) -> tuple[_zygote.ForkedProcess, socket.socket, dict[int, int]]:
        """A worker forked by the fork server (raises ZygoteError: spawn one instead)."""
        assert self._zygote is not None
        parent, child = socket.socketpair()
        pipes = [os.pipe(), os.pipe()]
        try:
            proc = self._zygote.fork(
                self._worker_env(index),
                self._cwd,
                self.metric,
                (child.fileno(), pipes[0][1], pipes[1][1]),
                timeout=self.start_timeout,
            )
        except BaseException:
            parent.close()
            for read_end, _ in pipes:
                os.close(read_end)
            raise
        finally:
            child.close()
            for _, write_end in pipes:
                os.close(write_end)
        return proc, parent, {1: pipes[0][0], 2: pipes[1][0]}

    def _popen(self, index: int) -> tuple[subprocess.Popen, socket.socket, dict[int, int]]:
        """A worker that is a fresh interpreter."""
        parent, child = socket.socketpair()
        path = str(Path(__file__).resolve().parents[2])  # the folder holding tunesmith/
        try:
            proc = popen(
                [sys.executable, "-c", WORKER_CODE.format(path=path)],
                env={**self._worker_env(index), "TUNESMITH_WORKER_FD": str(child.fileno())},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(child.fileno(),),
            )
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        with contextlib.suppress(OSError):  # a worker that died at once: its exit tells why
            parent.sendall(self._init_frame)  # its start-up data, through the socket
        fds = {}
        for stream, pipe in ((1, proc.stdout), (2, proc.stderr)):
            assert pipe is not None
            fds[stream] = os.dup(pipe.fileno())  # ours to close
            pipe.close()
        return proc, parent, fds

    def _spawn(self, index: int) -> None:  # loop thread only (PDEATHSIG follows this thread)
        try:
            try:
                if self._zygote is None:
                    raise _zygote.ZygoteError("no fork server")
                proc, parent, fds = self._fork(index)
            except _zygote.ZygoteError as exc:
                if self._zygote is not None:
                    logger.debug("LocalBackend: workers start as fresh interpreters: %s", exc)
                    self._zygote.close()
                    self._zygote = None
                proc, parent, fds = self._popen(index)
        except (OSError, subprocess.SubprocessError) as exc:
            with self._lock:
                self._worker_lost(f"could not start a worker process: {exc}")
            return
        assert self._reaper is not None
        self._reaper.add(proc.pid)  # the worker's process group, with what its trials start
        worker = _Worker(index, proc, parent)
        for stream, fd in fds.items():
            worker.output_fds[stream] = fd
            os.set_blocking(fd, False)
        with self._lock:
            self._workers[index] = worker
        assert self._loop is not None
        self._loop.add_reader(parent.fileno(), lambda: self._on_readable(worker))
        for stream, fd in worker.output_fds.items():
            self._loop.add_reader(fd, lambda s=stream: self._on_output(worker, s))
        self._loop.watch_exit(proc.pid, lambda: self._on_exit(worker))

    # -- output of workers (loop thread) ---------------------------------------------------------
    def _on_output(self, worker: _Worker, stream: int) -> None:
        """Read what the worker wrote on ``stream``: to its trial's logs, or (between trials)
        to the tuner's own stream."""
        fd = worker.output_fds.get(stream)
        while fd is not None:
            try:
                data = os.read(fd, 1 << 16)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:  # end of file: the worker and what it started are gone
                self._close_output(worker, stream)
                return
            run = worker.run
            if run is not None and run.output is not None:
                run.output.write(stream, data)
            elif self.echo_output:
                echo(stream, data)

    def _close_output(self, worker: _Worker, stream: int) -> None:
        fd = worker.output_fds.pop(stream, None)
        if fd is not None:
            if self._loop is not None:
                self._loop.remove_reader(fd)
            with contextlib.suppress(OSError):
                os.close(fd)

    # -- messages from workers (loop thread) -----------------------------------------------------
    def _on_readable(self, worker: _Worker) -> None:
        eof = False
        while True:
            try:
                data = worker.sock.recv(1 << 16, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                data = b""
            if not data:
                eof = True
                break
            worker.buffer += data
        for message in split_frames(worker.buffer):
            if message[0] == "end":  # what the trial wrote before is in the pipes: read it first
                for stream in (1, 2):
                    self._on_output(worker, stream)
            self._on_message(worker, message)
        if eof:
            assert self._loop is not None
            self._loop.remove_reader(worker.sock.fileno())

    def _on_message(self, worker: _Worker, message: tuple) -> None:
        kind = message[0]
        with self._lock:
            if kind == "ready":
                worker.state, worker.was_ready = "idle", True
                self._changed.notify_all()
                self._dispatch()
            elif kind == "init_failed":
                worker.init_error = message[1]
            elif kind == "retire":  # it exits after this trial; a new worker replaces it
                worker.doomed = True
                logger.info("LocalBackend: replacing a worker: %s", message[1])
            elif kind == "result":
                run = worker.run
                if run is None or run.trial_id != message[1] or run.finished:
                    return
                forced = run.forced_decision()
                run.pending.append("ack" if forced is None else "done")
                self.events.put(TrialEvent(EventKind.RESULT, run.trial_id, result=message[2]))
                if forced is not None:
                    self._send(worker, ("ack", forced.value))
            elif kind == "end":
                run = worker.run
                if run is None or run.trial_id != message[1]:
                    return
                _, _, outcome, reason, detail = message
                worker.run = None
                if not worker.doomed:
                    worker.state = "idle"
                self._finish(
                    run,
                    _OUTCOMES[outcome],
                    None if reason is None else FailureReason(reason),
                    detail,
                )
                self._dispatch()

    def _on_exit(self, worker: _Worker) -> None:
        self._on_readable(worker)  # what it sent before dying comes first
        for stream in (1, 2):  # and what it wrote (a crash report, for one)
            self._on_output(worker, stream)
        assert self._loop is not None
        self._loop.remove_reader(worker.sock.fileno())
        with self._lock:
            kill_group(worker.proc.pid, signal.SIGKILL)  # what it left behind; before reaping
            returncode = worker.proc.wait()
            assert self._reaper is not None
            self._reaper.discard(worker.proc.pid)
            worker.state = "dead"
            worker.sock.close()
            for stream in (1, 2):
                self._close_output(worker, stream)
            reason, detail = describe_exit(returncode)
            if worker.run is not None:
                run, worker.run = worker.run, None
                self._finish(run, EventKind.FAILED, reason, detail)
            if self._closed:
                return
            if not worker.was_ready:
                self._worker_lost(
                    worker.init_error or f"a worker process ended before it was ready ({detail})"
                )
                return
        self._spawn(worker.index)

    def _worker_lost(self, error: str) -> None:  # with the lock held
        """A worker could not start: fail setup, or (later) the trials nobody can run."""
        if self._setting_up:
            self._setup_error = error
            self._changed.notify_all()
            return
        self._broken = f"a replacement worker process could not start: {error}"
        logger.error("LocalBackend: %s", self._broken)
        while self._queue and not self._has_live_worker():
            run = self._queue.popleft()
            self._finish(run, EventKind.FAILED, FailureReason.START_FAILED, self._broken)

    # -- tuner side ------------------------------------------------------------------------------
    def _send(self, worker: _Worker, message: Any) -> None:  # with the lock held
        with contextlib.suppress(OSError):  # a dead worker: its exit is handled by the loop
            worker.sock.sendall(frame(message))

    def _has_live_worker(self) -> bool:  # with the lock held
        return any(w is not None and w.state != "dead" and not w.doomed for w in self._workers)

    def _dispatch(self) -> None:  # with the lock held
        while self._queue:
            worker = next(
                (w for w in self._workers if w is not None and w.state == "idle" and not w.doomed),
                None,
            )
            if worker is None:
                return
            run = self._queue.popleft()
            worker.state, worker.run, run.worker = "busy", run, worker
            run.dispatched = time.time()
            with contextlib.suppress(OSError):  # a dead worker: the trial fails with its exit
                worker.sock.sendall(run.payload)

    def _finish(
        self,
        run: _LocalRun,
        kind: EventKind,
        reason: FailureReason | None = None,
        detail: str | None = None,
    ) -> None:  # with the lock held
        if run.finished:
            return
        self._runs.pop(run.trial_id, None)
        if run.output is not None:
            run.output.close()
        self.events.put(run.end_event(kind, reason, detail))

    def start(self, trial: Trial, *, resume: bool = False) -> None:
        if self._loop is None:
            raise RuntimeError("call LocalBackend.setup() before start()")
        run = _LocalRun(trial.trial_id)
        with self._lock:
            if self._closed:
                raise RuntimeError("the backend was shut down")
            if trial.trial_id in self._runs:
                raise ValueError(f"trial {trial.trial_id} is already running")
        trial_dir = self.run_dir / "trials" / str(trial.trial_id)  # type: ignore[operator]
        try:
            run.payload = frame(("run", trial.trial_id, trial.config, str(trial_dir), resume))
        except Exception as exc:
            self._start_failed(run, f"the config cannot be pickled to send it to a worker: {exc}")
            return
        try:
            self.make_trial_dir(trial.trial_id)
        except OSError as exc:
            self._start_failed(run, str(folder_error(trial_dir, exc)))
            return
        prefix = f"[trial {trial.trial_id}] " if self.echo_output else None
        run.output = TrialOutput(trial_dir, self.max_log_bytes, prefix)
        with self._lock:
            if self._closed:
                run.output.close()
                raise RuntimeError("the backend was shut down")
            if trial.trial_id in self._runs:
                run.output.close()
                raise ValueError(f"trial {trial.trial_id} is already running")
            self._runs[trial.trial_id] = run
            if self._broken is not None and not self._has_live_worker():
                self._finish(run, EventKind.FAILED, FailureReason.START_FAILED, self._broken)
                return
            self._queue.append(run)
            self._dispatch()

    def running_since(self, trial_id: int) -> float | None:
        """When a worker got the trial; ``math.inf`` while it waits for one (e.g. a worker
        being started again after the previous trial was killed)."""
        with self._lock:
            run = self._runs.get(trial_id)
            if run is None:
                return None
            return math.inf if run.dispatched is None else run.dispatched

    def _start_failed(self, run: _LocalRun, detail: str) -> None:
        run.finished = True
        reason = FailureReason.START_FAILED
        self.events.put(TrialEvent(EventKind.FAILED, run.trial_id, reason=reason, detail=detail))

    def _end(self, trial_id: int, kind: EventKind, reason: FailureReason | None) -> None:
        with self._lock:
            run = self._runs.get(trial_id)
            if run is None or run.finished:
                return
            run.add_request(kind, reason)
            if run.worker is None:  # still waiting for a worker
                self._queue.remove(run)
                self._finish(run, kind, reason)
                return
            if reason is FailureReason.TIMEOUT:
                self._kill(run)
                return
            if "ack" in run.pending:  # it waits for an answer: give it now
                run.pending[run.pending.index("ack")] = "done"
                forced = run.forced_decision()
                assert forced is not None
                self._send(run.worker, ("ack", forced.value))
            self._arm_kill(run)

    def _arm_kill(self, run: _LocalRun) -> None:  # with the lock held
        if run.kill_timer is None and self._loop is not None:
            run.kill_timer = self._loop.call_later(self.stop_grace_period, self._kill_late, run)

    def _kill_late(self, run: _LocalRun) -> None:
        with self._lock:
            self._kill(run)

    def _kill(self, run: _LocalRun) -> None:  # with the lock held
        worker = run.worker
        if run.finished or worker is None or worker.run is not run or worker.state == "dead":
            return
        worker.doomed = True
        kill_group(worker.proc.pid, signal.SIGKILL)

    def reply(self, trial_id: int, decision: Decision) -> None:
        with self._lock:
            run = self._runs.get(trial_id)
            if run is None or run.finished or not run.pending:
                return
            if run.pending.popleft() != "ack":
                return
            requested = decision_request(decision)
            if requested is not None:
                run.add_request(requested)
                self._arm_kill(run)
            answer = run.forced_decision() or Decision(decision)
            assert run.worker is not None
            self._send(run.worker, ("ack", answer.value))

    # -- shutdown --------------------------------------------------------------------------------
    def shutdown(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._changed.notify_all()
        loop = self._loop
        if loop is not None:
            if loop.alive:
                loop.call_soon(self._terminate_all)
                loop.stop()
            self._terminate_all()  # safety net if the loop thread did not finish
        elif self._zygote is not None:  # made, never set up
            self._zygote.close()

    def _terminate_all(self) -> None:
        with self._lock:
            procs = [w.proc for w in self._workers if w is not None and w.proc.returncode is None]
        terminate(procs, grace=min(self.stop_grace_period, 1.0))
        if self._zygote is not None:  # after its workers are reaped
            self._zygote.close()
        for worker in self._workers:
            if worker is not None:
                with contextlib.suppress(OSError):
                    worker.sock.close()
                for stream in (1, 2):
                    if self._loop is not None and self._loop.in_loop():
                        self._on_output(worker, stream)  # the last words of the killed trials
                    self._close_output(worker, stream)
        with self._lock:
            outputs = [run.output for run in self._runs.values() if run.output is not None]
        for output in outputs:
            output.close()
        if self._reaper is not None:
            self._reaper.close()
