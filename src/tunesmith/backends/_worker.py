"""The worker process of :class:`~tunesmith.backends.local.LocalBackend` (private).

A worker is started once and runs many trials. It talks to the tuner over one socket with
length-prefixed pickled tuples:

- tuner -> worker: ``("init", data)`` (first, once: the pickled trial function, the metric
  and what is needed to import the user's main module; through the socket, never a file),
  ``("run", trial_id, config, trial_dir, resume)``, ``("ack", decision)``
- worker -> tuner: ``("ready",)``, ``("init_failed", traceback)``,
  ``("result", trial_id, metrics)``, ``("retire", why)`` (the worker exits after this trial),
  ``("end", trial_id, outcome, reason, detail)`` with ``outcome`` one of "completed",
  "failed", "stopped", "paused".

The worker's stdout and stderr (file descriptors 1 and 2, inherited by what trials start) are
pipes that the tuner reads; it flushes them before it sends "end", so everything before "end"
belongs to that trial. After each trial the worker kills what the trial left running and puts
back the environment, working folder, umask and resource limits (:mod:`._hygiene`).
"""

from __future__ import annotations

import contextlib
import numbers
import os
import pickle
import shutil
import socket
import struct
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tunesmith.backends._hygiene import (
    ProcessState,
    become_subreaper,
    flush_c_stdio,
    kill_leftovers,
)
from tunesmith.reporting import (
    InvalidMetricError,
    TrialContext,
    TrialPaused,
    TrialStopped,
    _set_context,
)

_HEADER = struct.Struct("!I")

#: ``python -c`` code that starts a worker; ``{path}`` is the folder holding the tunesmith package
WORKER_CODE = (
    "import sys; sys.path.insert(0, {path!r}); "
    "from tunesmith.backends._worker import main; main()"
)


def frame(message: Any) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def split_frames(buffer: bytearray) -> list[Any]:
    """Remove and return the complete messages at the start of ``buffer``."""
    messages = []
    while len(buffer) >= _HEADER.size:
        (size,) = _HEADER.unpack_from(buffer)
        if len(buffer) < _HEADER.size + size:
            break
        messages.append(pickle.loads(buffer[_HEADER.size : _HEADER.size + size]))
        del buffer[: _HEADER.size + size]
    return messages


def main_is_importable() -> bool:
    """Whether a fresh Python process can import the user's ``__main__`` module: a script file
    or ``python -m module`` can be; a REPL, ``python -c``, ``python - < script.py`` or a notebook
    cannot."""
    main = sys.modules.get("__main__")
    if getattr(getattr(main, "__spec__", None), "name", None) is not None:
        return True
    path = getattr(main, "__file__", None)
    return isinstance(path, str) and os.path.isfile(path)


def pickle_function(fn: Callable[[dict[str, Any]], Any], *, by_value: bool = False) -> bytes:
    """The trial function as the workers get it: by reference (module and name, as pickle
    does) where they can import it, else by value with cloudpickle: its code and the globals it
    uses, as they are now (``by_value=True``: always by value, for workers that do not import
    the user's script). A function that cannot be sent is a TypeError naming it and why."""
    if not callable(fn):
        raise TypeError(f"LocalBackend needs a function fn(config), but got {fn!r}")
    if not by_value and main_is_importable():
        try:
            return pickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            pass  # a lambda, a closure, a function made inside another one: by value
    # a notebook, a REPL, python -c or python - < script.py: workers cannot import __main__;
    # cloudpickle still sends what importable modules define by reference
    import cloudpickle

    try:
        return cloudpickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        why = " and ".join(_unpicklable_parts(fn, cloudpickle.dumps)) or (
            f"pickling it by value with cloudpickle failed ({type(exc).__name__}: {exc})"
        )
        raise TypeError(
            f"LocalBackend cannot send the trial function {_describe(fn)} to its worker "
            f"processes: {why}. Make such objects inside the function (or from values in the "
            "config) instead of using them from outside it."
        ) from None


def _describe(fn: Any) -> str:
    name = getattr(fn, "__qualname__", None) or repr(fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return repr(name)
    return f"{name!r} (defined at {code.co_filename}:{code.co_firstlineno})"


def _global_names(code: Any) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):  # the code of a nested function or comprehension
            names |= _global_names(const)
    return names


def _unpicklable_parts(fn: Any, dumps: Callable[[Any], bytes]) -> list[str]:
    """What the function uses from outside (globals, variables of enclosing functions) that
    cannot be pickled: the usual reason a function cannot be sent."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return []
    used: list[tuple[str, Any]] = []
    namespace = getattr(fn, "__globals__", {})
    for name in sorted(_global_names(code)):
        if name in namespace:
            used.append((f"the global `{name}`", namespace[name]))
    for name, cell in zip(code.co_freevars, getattr(fn, "__closure__", None) or (), strict=False):
        with contextlib.suppress(ValueError):  # an empty cell
            used.append((f"the variable `{name}` of the enclosing function", cell.cell_contents))
    parts = []
    for what, value in used:
        try:
            dumps(value)
        except Exception as exc:
            kind = type(value).__qualname__
            if type(value).__module__ != "builtins":
                kind = f"{type(value).__module__}.{kind}"
            parts.append(f"it uses {what} (a {kind}), which cannot be pickled ({exc})")
    return parts


def main_module_data(*, import_main: bool = True) -> dict[str, Any]:
    """What a worker needs to import the user's ``__main__`` module as ``__mp_main__`` (so
    functions defined in the user's script can be unpickled), for multiprocessing's
    ``spawn.prepare``. Nothing to import where :func:`main_is_importable` is False or
    ``import_main`` is False (the trial function then came by value)."""
    cwd = os.getcwd()
    data: dict[str, Any] = {
        "sys_path": [path or cwd for path in sys.path],
        "sys_argv": list(sys.argv),
        "dir": cwd,
    }
    main = sys.modules.get("__main__")
    spec_name = getattr(getattr(main, "__spec__", None), "name", None)
    path = getattr(main, "__file__", None)
    if not import_main:
        pass
    elif spec_name is not None:
        data["init_main_from_name"] = spec_name
    elif isinstance(path, str) and os.path.isfile(path):
        data["init_main_from_path"] = os.path.abspath(path)
    return data


class _Connection:
    """The worker's blocking end of the socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def send(self, message: Any) -> None:
        self._sock.sendall(frame(message))

    def _read(self, size: int) -> bytes:
        chunks = []
        while size:
            chunk = self._sock.recv(size)
            if not chunk:
                raise EOFError("the tuner closed the connection")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def recv(self) -> Any:
        (size,) = _HEADER.unpack(self._read(_HEADER.size))
        return pickle.loads(self._read(size))


class _WorkerChannel:
    """report() inside a worker: send the result, wait for the decision."""

    def __init__(self, conn: _Connection, trial_id: int) -> None:
        self._conn = conn
        self._trial_id = trial_id

    def exchange(self, result: dict[str, Any]) -> str:
        try:
            self._conn.send(("result", self._trial_id, result))
            while True:
                message = self._conn.recv()
                if message[0] == "ack":
                    return message[1]
        except (EOFError, OSError):
            raise TrialStopped("the tuner is gone (its connection is closed)") from None

    def invalid(self, detail: str) -> None:
        pass  # the worker fails the trial when the function returns or raises


def _as_metrics(value: Any, metric: str | list[str] | None) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    if isinstance(metric, list):  # several objectives: a tuple of numbers, one per metric
        if isinstance(value, list | tuple) and len(value) == len(metric):
            return dict(zip(metric, value, strict=True))
        raise InvalidMetricError(
            f"the trial function returned {value!r}, but the tuner has several metrics "
            f"{metric!r}; return a dict such as {dict.fromkeys(metric, 0.0)!r} or a tuple of "
            f"{len(metric)} numbers in that order"
        )
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if metric is None:
            raise InvalidMetricError(
                f"the trial function returned {value!r}, but no metric name is known to report "
                "it under; return a dict such as {'loss': value}, or pass metric=... to the tuner"
            )
        return {metric: value}
    raise InvalidMetricError(
        f"the trial function returned {value!r} ({type(value).__name__}); return None, a number "
        "or a dict of numbers"
    )


def _format(exc: BaseException) -> str:
    tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None  # skip this module
    return "".join(traceback.format_exception(type(exc), exc, tb))


def run_trial(
    conn: _Connection,
    fn: Any,
    metric: str | list[str] | None,
    trial_id: int,
    config: dict[str, Any],
    trial_dir: str,
    resume: bool,
) -> tuple[str, str | None, str | None]:
    """Run one trial; return ``(outcome, reason, detail)``."""
    checkpoint = Path(trial_dir) / "checkpoint"
    try:
        if not resume and checkpoint.exists():
            shutil.rmtree(checkpoint, ignore_errors=True)
        checkpoint.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return ("failed", "start_failed", f"cannot write the trial folder {trial_dir}: {exc}")
    context = TrialContext(
        trial_id=trial_id,
        channel=_WorkerChannel(conn, trial_id),
        trial_dir=Path(trial_dir),
        checkpoint=checkpoint,
    )
    previous = _set_context(context)
    outcome: tuple[str, str | None, str | None] = ("completed", None, None)
    try:
        value = fn(config)
        if value is not None:
            context.report(_as_metrics(value, metric))
    except TrialStopped:
        outcome = ("stopped", None, None)
    except TrialPaused:
        outcome = ("paused", None, None)
    except InvalidMetricError as exc:
        outcome = ("failed", "invalid_metric", str(exc))
    except SystemExit as exc:
        if exc.code not in (None, 0):
            outcome = ("failed", "exit_code", f"the trial called sys.exit({exc.code!r})")
    except BaseException as exc:
        outcome = ("failed", "exception", _format(exc))
    finally:
        _set_context(previous)
    if context.invalid is not None:
        outcome = ("failed", "invalid_metric", context.invalid)
    return outcome


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    flush_c_stdio()


#: True while a worker imports the user's main module (starting a backend then is a mistake)
importing_main = False


def _load(message: Any) -> tuple[Any, str | None]:
    from multiprocessing import spawn

    global importing_main
    if not (isinstance(message, tuple) and message[:1] == ("init",)):
        raise RuntimeError(f"a worker expected its start-up data first, but got {message!r}")
    init = pickle.loads(message[1])
    importing_main = True
    try:
        spawn.prepare(init["main"])  # sys.path, cwd, the user's __main__ module as __mp_main__
    finally:
        importing_main = False
    return pickle.loads(init["fn"]), init["metric"]


def main() -> None:
    fd = int(os.environ.pop("TUNESMITH_WORKER_FD"))
    conn = _Connection(socket.socket(fileno=fd))
    line_buffered_output()
    try:
        fn, metric = _load(conn.recv())
    except BaseException:
        with contextlib.suppress(OSError):
            conn.send(("init_failed", traceback.format_exc()))
        sys.exit(1)
    serve(conn, fn, metric)


def line_buffered_output() -> None:
    """Make the worker's prints reach the tuner line by line (its stdout and stderr are pipes)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(line_buffering=True)


def serve(conn: _Connection, fn: Any, metric: str | list[str] | None) -> None:
    """Say "ready", then run the trials the tuner sends until it closes the connection."""
    become_subreaper()
    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message[0] != "run":
            continue  # a late answer to a trial that already ended
        _, trial_id, config, trial_dir, resume = message
        state = ProcessState()
        outcome = run_trial(conn, fn, metric, trial_id, config, trial_dir, resume)
        _flush()
        kill_leftovers()
        problem = state.restore()
        try:
            if problem is not None:
                conn.send(("retire", f"trial {trial_id} changed what it cannot undo: {problem}"))
            conn.send(("end", trial_id, *outcome))
        except OSError:
            return
        if problem is not None:
            os._exit(0)  # even if threads of the trial still run: the tuner starts a new worker
