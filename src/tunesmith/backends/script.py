"""ScriptBackend: run any executable as a trial, one process (group) per trial.

The config reaches the program twice: as ``--name value`` arguments appended to the command,
and as JSON in ``<trial_dir>/config.json`` (path in ``$TUNESMITH_CONFIG``). The program reports
either with :func:`tunesmith.report` (Python; acknowledged through two pipes whose descriptors
are in ``$TUNESMITH_REPORT_FD`` and ``$TUNESMITH_ACK_FD``) or, in any language, by printing
lines such as ``[tunesmith] {"epoch": 2, "loss": 0.3}`` on stdout (not acknowledged). Lines in
Syne Tune's format, ``[tune-metric]: {"epoch": 2, "loss": 0.3}`` (what its ``Reporter`` and
``tunesmith.compat.synetune.Reporter`` print), are read the same way.

Other environment variables: ``TUNESMITH_TRIAL_ID``, ``TUNESMITH_TRIAL_DIR``,
``TUNESMITH_CHECKPOINT_DIR`` (empty on a fresh start, kept when a paused trial is resumed),
``TUNESMITH_RESUMED`` ("1" or "0") and ``TUNESMITH_START_TIME``. Its stdout and stderr are
kept in ``<trial_dir>/stdout.log`` and ``stderr.log``, each capped at ``max_log_bytes`` (a full
log becomes ``stdout.log.1`` and a new one starts, so the tail is kept).

Each trial is a new session (process group). Stopping or pausing a trial sends SIGTERM to the
whole group, waits ``stop_grace_period`` seconds, then sends SIGKILL, so children the program
started go too; a Python program blocked in ``report()`` is told to stop through its answer
pipe instead. Whatever the trial leaves running when its main process exits is killed, and if the
tuner dies, the backend's reaper process kills every trial's process group.
"""

from __future__ import annotations

import contextlib
import json
import logging
import numbers
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunesmith.backends._logs import DEFAULT_MAX_LOG_BYTES, CappedLog, check_max_log_bytes
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
from tunesmith.backends._resources import GpuRotation, check_gpus, detect_gpus
from tunesmith.backends.base import EventKind, FailureReason, TrialEvent, folder_error
from tunesmith.reporting import LINE_PREFIX, check_metrics
from tunesmith.trial import Decision, Trial

__all__ = ["SYNETUNE_LINE_PREFIX", "ScriptBackend", "config_arguments"]

logger = logging.getLogger("tunesmith")

_MAX_LINE = 1 << 20  # longer stdout lines are logged but not parsed
_STDOUT_EOF_WAIT = 0.5  # seconds to wait for the last output after the process exited
_STDERR_TAIL = 4000  # bytes of stderr kept for the failure detail
_PREFIX = LINE_PREFIX.encode()
#: the prefix of Syne Tune's result lines (its ``Reporter`` prints ``[tune-metric]: {...}``)
SYNETUNE_LINE_PREFIX = "[tune-metric]:"
#: the result-line prefixes read on stdout: tunesmith's and Syne Tune's
_PREFIXES = (_PREFIX, SYNETUNE_LINE_PREFIX.encode())
#: program names that mean "the Python running the tuner"
_PYTHONS = ("python", "python3")


def config_arguments(config: Mapping[str, Any]) -> list[str]:
    """``--name value`` for each entry: strings and numbers as ``str()``, other values as
    JSON (lists, dicts, None)."""
    args = []
    for name, value in config.items():
        if (isinstance(value, str | numbers.Number) and not isinstance(value, bool)) or isinstance(
            value, bool
        ):
            text = str(value)
        else:
            text = json.dumps(value, default=_json_default)
        args += [f"--{name}", text]
    return args


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"{value!r} ({type(value).__name__}) is not JSON serializable")


@dataclass(eq=False)
class _ScriptRun(Run):
    config: dict[str, Any] = field(default_factory=dict)
    resume: bool = False
    proc: subprocess.Popen | None = None
    reaped: bool = False
    started: float = 0.0  # time.monotonic() when started
    reports: int = 0
    invalid: str | None = None  # reported through report(): the trial fails
    stdout_fd: int | None = None
    stdout_buffer: bytearray = field(default_factory=bytearray)
    stdout_log: CappedLog | None = None
    stderr_fd: int | None = None
    stderr_log: CappedLog | None = None
    stderr_tail: bytearray = field(default_factory=bytearray)  # the last output, for failures
    report_fd: int | None = None
    report_buffer: bytearray = field(default_factory=bytearray)
    ack_fd: int | None = None
    signalled: bool = False
    finish_timer: Any = None
    devices: str | None = None  # its CUDA_VISIBLE_DEVICES, given back when it ends


class ScriptBackend(ProcessBackend):
    """Run ``command`` (a string split like a shell would, or a list) for each trial.

    Args:
        command: the program and its fixed arguments; ``--name value`` config arguments are
            appended. A command whose program is ``python`` or ``python3`` (no path) runs with
            the interpreter that runs the tuner (``sys.executable``), so trials see the same
            virtual environment and packages, activated or not.
        env: extra environment variables for every trial.
        cwd: the working folder of the trials (default: the tuner's).
        stop_grace_period: seconds between SIGTERM and SIGKILL when a trial is stopped.
        max_log_bytes: the cap of each trial's ``stdout.log`` and ``stderr.log`` (None: no
            cap); a full log becomes ``stdout.log.1`` and a new one starts, keeping the tail.
        gpus_per_trial: GPUs each trial gets through ``CUDA_VISIBLE_DEVICES`` (0, the
            default: the variable is left as it is). A trial gets free devices first, else the
            least busy ones that were given out least often (devices are shared, not trials
            delayed, when running trials need more than there are).
        gpus: the devices to share out (a count or a list of ids); by default those in
            ``CUDA_VISIBLE_DEVICES``, else those listed by ``nvidia-smi -L``.
    """

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        stop_grace_period: float = 5.0,
        max_log_bytes: int | None = DEFAULT_MAX_LOG_BYTES,
        gpus_per_trial: int = 0,
        gpus: int | Sequence[int | str] | None = None,
    ) -> None:
        super().__init__()
        if isinstance(command, str):
            command = shlex.split(command)
        elif not isinstance(command, Sequence) or not all(isinstance(a, str) for a in command):
            raise TypeError(f"`command` must be a string or a list of strings, but got {command!r}")
        if not command:
            raise ValueError("`command` is empty; give the program to run, e.g. 'python train.py'")
        self.command = list(command)
        if self.command[0] in _PYTHONS:
            self.command[0] = sys.executable
        env = dict(env or {})
        for key, value in env.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(f"`env` must map strings to strings, but has {key!r}: {value!r}")
        self.env = env
        self.cwd = None if cwd is None else Path(cwd)
        value = stop_grace_period
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value < 0:
            raise ValueError(f"`stop_grace_period` must be seconds >= 0, but got {value!r}")
        self.stop_grace_period = float(stop_grace_period)
        self.max_log_bytes = check_max_log_bytes(max_log_bytes)
        if (
            isinstance(gpus_per_trial, bool)
            or not isinstance(gpus_per_trial, numbers.Integral)
            or gpus_per_trial < 0
        ):
            raise ValueError(
                f"`gpus_per_trial` must be an integer >= 0, but got {gpus_per_trial!r}"
            )
        self.gpus_per_trial = int(gpus_per_trial)
        self.gpus = check_gpus(gpus)
        self._rotation: GpuRotation | None = None
        self._lock = threading.Lock()
        self._loop: Loop | None = None
        self._reaper: Reaper | None = None
        self._runs: dict[int, _ScriptRun] = {}
        self._closed = False

    def setup(
        self, run_dir: Path, n_workers: int, *, metric: str | list[str] | None = None
    ) -> None:
        if self._loop is not None:
            raise RuntimeError("ScriptBackend.setup() was already called")
        super().setup(run_dir, n_workers, metric=metric)
        if self.gpus_per_trial:
            if self.gpus is not None:
                devices, source = self.gpus, f"gpus={self.gpus!r}"
            else:
                devices, source = detect_gpus()
            try:
                self._rotation = GpuRotation(self.gpus_per_trial, devices)
            except ValueError as err:
                raise ValueError(f"ScriptBackend: {err}, from {source}") from None
        program = self.command[0]
        if os.sep in program:
            found = os.access(Path(self.cwd or ".") / program, os.X_OK)
        else:
            found = shutil.which(program) is not None
        if not found:
            logger.warning(
                "ScriptBackend: %r is not an executable program; trials will fail to start",
                program,
            )
        script = self.command[1] if len(self.command) > 1 else ""
        folder = Path(self.cwd or ".").resolve()
        if program == sys.executable and script.endswith(".py") and not (folder / script).exists():
            logger.warning(
                "ScriptBackend: the script %r is not in %s (where trials start; cwd= sets it); "
                "trials will fail",
                script,
                folder,
            )
        self._reaper = Reaper()
        self._loop = Loop("tunesmith-script-backend")
        self._loop.start()
        self._loop.call_soon(self._reaper.start)  # before any script, on the loop thread

    # -- starting (loop thread) ------------------------------------------------------------------
    def start(self, trial: Trial, *, resume: bool = False) -> None:
        if self._loop is None:
            raise RuntimeError("call ScriptBackend.setup() before start()")
        run = _ScriptRun(trial.trial_id, config=dict(trial.config), resume=resume)
        with self._lock:
            if self._closed:
                raise RuntimeError("the backend was shut down")
            if trial.trial_id in self._runs:
                raise ValueError(f"trial {trial.trial_id} is already running")
            self._runs[trial.trial_id] = run
        self._loop.call_soon(self._spawn, run)  # PDEATHSIG follows the loop thread

    def _spawn(self, run: _ScriptRun) -> None:
        with self._lock:
            if run.finished or self._closed:
                return
            if run.request is not None:  # stopped before it started
                self._finish(run, EventKind.STOPPED)
                return
        opened: list[int] = []
        try:
            trial_dir = self._prepare(run)
            proc = self._popen(run, trial_dir, opened)
        except (OSError, subprocess.SubprocessError, TypeError, ValueError) as exc:
            if isinstance(exc, _FolderProblem):
                detail = str(exc.args[0])
            else:
                detail = f"could not start {self.command[0]!r}: {exc}"
            with self._lock:
                self._finish(run, EventKind.FAILED, FailureReason.START_FAILED, detail)
            self._close(run)
            return
        finally:
            for fd in opened:  # the child's ends of the pipes
                os.close(fd)
        assert self._reaper is not None
        self._reaper.add(proc.pid)  # its process group, with what the script starts
        assert self._loop is not None and proc.stdout is not None and run.report_fd is not None
        assert proc.stderr is not None
        run.stdout_fd = os.dup(proc.stdout.fileno())  # ours to close; Popen's copy goes now
        proc.stdout.close()
        run.stderr_fd = os.dup(proc.stderr.fileno())
        proc.stderr.close()
        for fd, callback in (
            (run.stdout_fd, self._on_stdout),
            (run.stderr_fd, self._on_stderr),
            (run.report_fd, self._on_report),
        ):
            os.set_blocking(fd, False)
            self._loop.add_reader(fd, lambda callback=callback: callback(run))
        self._loop.watch_exit(proc.pid, lambda: self._on_exit(run))
        with self._lock:
            run.proc = proc
            if run.request is not None:  # stop() came while it was starting
                self._signal(run, immediately=run.request[1] is FailureReason.TIMEOUT)

    def _prepare(self, run: _ScriptRun) -> Path:
        """The trial's folder with its fresh (or kept) checkpoint folder, ``config.json`` and
        open logs; a folder that cannot be written raises ``_FolderProblem``."""
        try:
            text = json.dumps(run.config, indent=1, default=_json_default)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"the config cannot be written as JSON: {exc}") from None
        assert self.run_dir is not None
        trial_dir = self.run_dir / "trials" / str(run.trial_id)
        try:
            self.make_trial_dir(run.trial_id)
            checkpoint = trial_dir / "checkpoint"
            if not run.resume and checkpoint.exists():
                shutil.rmtree(checkpoint, ignore_errors=True)
            checkpoint.mkdir(parents=True, exist_ok=True)
            (trial_dir / "config.json").write_text(text)
            run.stdout_log = CappedLog(trial_dir / "stdout.log", self.max_log_bytes)
            run.stderr_log = CappedLog(trial_dir / "stderr.log", self.max_log_bytes)
        except OSError as exc:
            raise _FolderProblem(str(folder_error(trial_dir, exc))) from exc
        return trial_dir

    def arguments(self, config: Mapping[str, Any]) -> list[str]:
        """The arguments appended to the command for a trial's ``config``:
        :func:`config_arguments` (a front end overrides this to change their form)."""
        return config_arguments(config)

    def _popen(self, run: _ScriptRun, trial_dir: Path, opened: list[int]) -> subprocess.Popen:
        checkpoint = trial_dir / "checkpoint"
        config_path = trial_dir / "config.json"
        args = self.command + self.arguments(run.config)
        run.report_fd, report_w = os.pipe()
        opened.append(report_w)
        ack_r, run.ack_fd = os.pipe()
        opened.append(ack_r)
        env = dict(os.environ)
        env.update(self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        env.update(
            TUNESMITH_TRIAL_ID=str(run.trial_id),
            TUNESMITH_TRIAL_DIR=str(trial_dir),
            TUNESMITH_CHECKPOINT_DIR=str(checkpoint),
            TUNESMITH_CONFIG=str(config_path),
            TUNESMITH_RESUMED="1" if run.resume else "0",
            TUNESMITH_REPORT_FD=str(report_w),
            TUNESMITH_ACK_FD=str(ack_r),
            TUNESMITH_START_TIME=repr(time.time()),
        )
        if self._rotation is not None:
            with self._lock:
                run.devices = self._rotation.take()
            env["CUDA_VISIBLE_DEVICES"] = run.devices
        run.started = time.monotonic()
        return popen(
            args,
            cwd=self.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(report_w, ack_r),
        )

    # -- output (loop thread) --------------------------------------------------------------------
    def _read(self, fd: int | None) -> tuple[bytes, bool]:
        """What can be read now from ``fd`` without blocking, and whether it reached EOF."""
        chunks = []
        while fd is not None:
            try:
                data = os.read(fd, 1 << 16)
            except (BlockingIOError, InterruptedError):
                return b"".join(chunks), False
            except OSError:
                data = b""
            if not data:
                break
            chunks.append(data)
        return b"".join(chunks), True

    def _on_stdout(self, run: _ScriptRun) -> None:
        data, eof = self._read(run.stdout_fd)
        if data:
            if run.stdout_log is not None:
                run.stdout_log.write(data)
            for line in _lines(run.stdout_buffer, data):
                found = _payload(line)
                if found is not None:
                    self._on_line(run, *found)
        if eof:
            found = _payload(bytes(run.stdout_buffer))  # a last line without a newline
            if found is not None:
                self._on_line(run, *found)
            run.stdout_buffer.clear()
            self._close_fd(run, "stdout_fd")
            if run.reaped and run.stderr_fd is None:
                self._finish_exited(run)

    def _on_stderr(self, run: _ScriptRun) -> None:
        data, eof = self._read(run.stderr_fd)
        if data:
            if run.stderr_log is not None:
                run.stderr_log.write(data)
            run.stderr_tail += data
            del run.stderr_tail[:-_STDERR_TAIL]
        if eof:
            self._close_fd(run, "stderr_fd")
            if run.reaped and run.stdout_fd is None:
                self._finish_exited(run)

    def _on_line(self, run: _ScriptRun, prefix: bytes, payload: bytes) -> None:
        try:
            result = check_metrics(json.loads(payload))
        except (ValueError, UnicodeDecodeError) as exc:  # InvalidMetricError is a ValueError
            text = payload.decode(errors="replace").strip()
            detail = f"bad result line {prefix.decode()} {text[:200]}: {exc}"
            with self._lock:
                if run.add_request(EventKind.FAILED, FailureReason.INVALID_METRIC, detail):
                    self._signal(run)
            return
        result["ts_time"] = time.monotonic() - run.started
        self._emit(run, result, "line")

    def _on_report(self, run: _ScriptRun) -> None:
        data, eof = self._read(run.report_fd)
        for line in _lines(run.report_buffer, data):
            try:
                message = json.loads(line)
                if "invalid" in message:
                    run.invalid = str(message["invalid"])
                    continue
                result = check_metrics(message["result"], allow_auto=True)
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
                detail = f"bad message on the report pipe {line[:200]!r}: {exc}"
                with self._lock:
                    if run.add_request(EventKind.FAILED, FailureReason.INVALID_METRIC, detail):
                        self._signal(run)
                continue
            result.setdefault("ts_time", time.monotonic() - run.started)
            self._emit(run, result, "ack")
        if eof:
            self._close_fd(run, "report_fd")

    def _emit(self, run: _ScriptRun, result: dict[str, Any], slot: str) -> None:
        with self._lock:
            if run.finished:
                return
            result["ts_report"] = run.reports
            run.reports += 1
            forced = run.forced_decision()
            run.pending.append(slot if forced is None else "done")
            self.events.put(TrialEvent(EventKind.RESULT, run.trial_id, result=result))
            if forced is not None and slot == "ack":
                self._write_ack(run, forced)

    def _on_exit(self, run: _ScriptRun) -> None:
        self._on_report(run)  # results sent before it exited come first
        self._on_stdout(run)
        self._on_stderr(run)
        with self._lock:
            assert run.proc is not None
            kill_group(run.proc.pid, signal.SIGKILL)  # what it left behind; before reaping
            run.proc.wait()
            run.reaped = True
        assert self._reaper is not None
        self._reaper.discard(run.proc.pid)
        self._close_fd(run, "ack_fd")
        if run.stdout_fd is None and run.stderr_fd is None:
            self._finish_exited(run)
        else:  # a child that escaped its process group may still hold stdout or stderr
            assert self._loop is not None
            run.finish_timer = self._loop.call_later(_STDOUT_EOF_WAIT, self._finish_exited, run)

    def _finish_exited(self, run: _ScriptRun) -> None:
        assert run.proc is not None
        returncode = run.proc.returncode
        with self._lock:
            if run.invalid is not None:
                self._finish(run, EventKind.FAILED, FailureReason.INVALID_METRIC, run.invalid)
            elif returncode == 0:
                self._finish(run, EventKind.COMPLETED)
            else:
                reason, detail = describe_exit(returncode)
                tail = _tail(run.stderr_tail)
                if tail:
                    detail += "; last lines of stderr:\n" + tail
                self._finish(run, EventKind.FAILED, reason, detail)
        self._close(run)

    def _finish(
        self,
        run: _ScriptRun,
        kind: EventKind,
        reason: FailureReason | None = None,
        detail: str | None = None,
    ) -> None:  # with the lock held
        if run.finished:
            return
        if run.finish_timer is not None:
            run.finish_timer.cancel()
        if run.devices is not None and self._rotation is not None:
            self._rotation.give_back(run.devices)
            run.devices = None
        self._runs.pop(run.trial_id, None)
        self.events.put(run.end_event(kind, reason, detail))

    def _close_fd(self, run: _ScriptRun, name: str) -> None:
        fd = getattr(run, name)
        if fd is None:
            return
        setattr(run, name, None)
        if self._loop is not None:
            self._loop.remove_reader(fd)
        with contextlib.suppress(OSError):
            os.close(fd)

    def _close(self, run: _ScriptRun) -> None:
        for name in ("stdout_fd", "stderr_fd", "report_fd", "ack_fd"):
            self._close_fd(run, name)
        for log in (run.stdout_log, run.stderr_log):
            if log is not None:
                log.close()

    # -- tuner side ------------------------------------------------------------------------------
    def _write_ack(self, run: _ScriptRun, decision: Decision) -> None:  # with the lock held
        if run.ack_fd is not None:
            with contextlib.suppress(OSError):  # it exited: its end is handled by the loop
                os.write(run.ack_fd, f"{decision.value}\n".encode())

    def _signal(self, run: _ScriptRun, *, immediately: bool = False) -> None:
        """SIGTERM now (or SIGKILL when ``immediately``), SIGKILL after the grace period."""
        if run.proc is None or run.reaped:
            return  # not started yet (``_spawn`` calls this again) or already gone
        if immediately:
            kill_group(run.proc.pid, signal.SIGKILL)
            return
        if not run.signalled:
            run.signalled = True
            kill_group(run.proc.pid, signal.SIGTERM)
        self._arm_kill(run)

    def _arm_kill(self, run: _ScriptRun) -> None:  # with the lock held
        if run.kill_timer is None and self._loop is not None:
            run.kill_timer = self._loop.call_later(self.stop_grace_period, self._kill_late, run)

    def _kill_late(self, run: _ScriptRun) -> None:
        with self._lock:
            if not run.reaped and run.proc is not None:
                kill_group(run.proc.pid, signal.SIGKILL)

    def _end(self, trial_id: int, kind: EventKind, reason: FailureReason | None) -> None:
        with self._lock:
            run = self._runs.get(trial_id)
            if run is None or run.finished or not run.add_request(kind, reason):
                return
            if reason is FailureReason.TIMEOUT:
                self._signal(run, immediately=True)
            elif "ack" in run.pending:  # blocked in report(): answer it instead of a signal
                run.pending[run.pending.index("ack")] = "done"
                forced = run.forced_decision()
                assert forced is not None
                self._write_ack(run, forced)
                self._arm_kill(run)
            else:
                self._signal(run)

    def reply(self, trial_id: int, decision: Decision) -> None:
        with self._lock:
            run = self._runs.get(trial_id)
            if run is None or run.finished or not run.pending:
                return
            slot = run.pending.popleft()
            requested = decision_request(decision)
            if requested is not None:
                run.add_request(requested)
            if slot == "ack":
                self._write_ack(run, run.forced_decision() or Decision(decision))
                if requested is not None:
                    self._arm_kill(run)
            elif slot == "line" and requested is not None:
                self._signal(run)

    # -- shutdown --------------------------------------------------------------------------------
    def shutdown(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        loop = self._loop
        if loop is not None:
            if loop.alive:
                loop.call_soon(self._terminate_all)
                loop.stop()
            self._terminate_all()  # safety net if the loop thread did not finish

    def _terminate_all(self) -> None:
        with self._lock:
            runs = list(self._runs.values())
            procs = [r.proc for r in runs if r.proc is not None and not r.reaped]
        terminate(procs, grace=min(self.stop_grace_period, 1.0))
        with self._lock:
            for run in runs:
                run.reaped = run.proc is not None
                run.finished = True
            self._runs.clear()
        for run in runs:
            self._close(run)
        if self._reaper is not None:
            self._reaper.close()


def _lines(buffer: bytearray, data: bytes) -> list[bytes]:
    """Append ``data`` to ``buffer``; remove and return its complete lines."""
    buffer += data
    if b"\n" not in data:
        if len(buffer) > _MAX_LINE:
            buffer.clear()
        return []
    *lines, rest = bytes(buffer).split(b"\n")
    buffer[:] = rest
    return [line.rstrip(b"\r") for line in lines]


def _payload(line: bytes) -> tuple[bytes, bytes] | None:
    """The result-line prefix (one of :data:`_PREFIXES`) of ``line`` and the JSON after it, or
    None for another line."""
    for prefix in _PREFIXES:
        if line.startswith(prefix):
            return prefix, line[len(prefix) :]
    return None


def _tail(data: bytes | bytearray, lines: int = 20) -> str:
    """The last ``lines`` lines of ``data``."""
    text = bytes(data).decode(errors="replace")
    return "\n".join(text.strip().splitlines()[-lines:])


class _FolderProblem(OSError):
    """The trial folder cannot be written (args[0]: the START_FAILED detail)."""
