"""The trial side of every backend: :func:`report`, :func:`checkpoint_dir` and :func:`trial_id`.

Training code calls these the same way whatever runs it::

    import tunesmith

    def train(config):
        for epoch in range(1, 11):
            loss = ...
            tunesmith.report(epoch=epoch, loss=loss)  # may raise TrialStopped / TrialPaused

``report()`` is acknowledged: it returns only after the tuner stored the result, and the tuner's
answer comes back with it. When the answer is to stop (or pause) the trial, ``report()`` raises
:class:`TrialStopped` (or :class:`TrialPaused`). Both derive from :class:`SystemExit` with status
0, so ``except Exception:`` in training code does not swallow them and a script that does not
catch them ends quietly with exit status 0.

Where the context comes from:

- in a :class:`~tunesmith.backends.local.LocalBackend` worker, the worker sets it before calling
  the trial function;
- in a :class:`~tunesmith.backends.script.ScriptBackend` trial, from the ``TUNESMITH_*``
  environment variables (``TUNESMITH_REPORT_FD``/``TUNESMITH_ACK_FD`` carry the acknowledged
  exchange; without them, results are printed as ``[tunesmith] {...}`` lines);
- anywhere else (the user calls ``train(config)`` directly), ``report()`` checks the metrics,
  logs once that it is not inside a trial, and returns.

Each report gets two automatic fields: ``ts_time`` (seconds since the trial (re)started) and
``ts_report`` (0-based index of the report since the trial (re)started). Metric names starting
with ``ts_`` are reserved, and so are ``trial_id`` and ``status`` (the columns that
``records()`` and exports put beside the config and the metrics); a report using one fails the
trial with reason ``invalid_metric``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import numbers
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "AUTO_FIELDS",
    "RESERVED_NAMES",
    "TRIAL_ENV_VARS",
    "InvalidMetricError",
    "TrialContext",
    "TrialInterrupt",
    "TrialPaused",
    "TrialStopped",
    "check_metrics",
    "checkpoint_dir",
    "report",
    "trial_id",
]

logger = logging.getLogger("tunesmith")

#: fields that report() adds to every result
AUTO_FIELDS = ("ts_time", "ts_report")
RESERVED_PREFIX = "ts_"
#: columns of ``records()`` and exports (besides config keys): a metric may not take their name
RESERVED_NAMES = ("trial_id", "status")
#: the environment variables that make a process a ScriptBackend trial
TRIAL_ENV_VARS = frozenset(
    f"TUNESMITH_{name}"
    for name in (
        "TRIAL_ID",
        "TRIAL_DIR",
        "CHECKPOINT_DIR",
        "CONFIG",
        "RESUMED",
        "REPORT_FD",
        "ACK_FD",
        "START_TIME",
    )
)
#: the prefix of a result line printed on stdout (the protocol for non-Python trials)
LINE_PREFIX = "[tunesmith]"


class TrialInterrupt(SystemExit):
    """Raised by :func:`report` when the tuner ends the trial. A :class:`SystemExit` with status
    0: not caught by ``except Exception``, and a quiet exit when nothing catches it."""

    def __init__(self, message: str) -> None:
        super().__init__(0)
        self.message = message

    def __str__(self) -> str:
        return self.message


class TrialStopped(TrialInterrupt):
    """The tuner stopped the trial (a scheduler decision, a stop criterion, or the tuner is
    gone). Let it propagate; clean up in ``finally`` blocks if needed."""


class TrialPaused(TrialInterrupt):
    """The tuner paused the trial; it may be resumed later from its checkpoint folder."""


class InvalidMetricError(ValueError):
    """A reported value is not a finite real number, or its name is reserved. Inside a trial,
    the trial fails with reason ``invalid_metric``."""


def check_metrics(metrics: Any, *, allow_auto: bool = False) -> dict[str, int | float]:
    """Return ``metrics`` with every value converted to a Python ``int`` or ``float``.

    Raises :class:`InvalidMetricError` naming the metric and its value when a value is not a
    finite real number (bools and strings are rejected), when a name is empty, starts with
    ``ts_`` (reserved; ``allow_auto`` accepts the automatic fields) or is one of
    :data:`RESERVED_NAMES`, or when there is none.
    """
    if not isinstance(metrics, Mapping):
        raise InvalidMetricError(
            f"a result must be a dict of metric names to numbers, but got {metrics!r}"
        )
    if not metrics:
        raise InvalidMetricError("a report needs at least one metric, e.g. report(loss=0.25)")
    out: dict[str, int | float] = {}
    for name, value in metrics.items():
        if not isinstance(name, str) or not name:
            raise InvalidMetricError(f"metric names must be non-empty strings, but got {name!r}")
        if name.startswith(RESERVED_PREFIX) and not (allow_auto and name in AUTO_FIELDS):
            raise InvalidMetricError(
                f"metric name {name!r} is reserved: names starting with {RESERVED_PREFIX!r} are "
                f"set by tunesmith ({', '.join(AUTO_FIELDS)}); rename the metric"
            )
        if name in RESERVED_NAMES:
            raise InvalidMetricError(reserved_name_message(name))
        out[name] = _number(name, value)
    return out


def reserved_name_message(name: str) -> str:
    """Why a metric may not be named ``name`` (one of :data:`RESERVED_NAMES`)."""
    return (
        f"metric name {name!r} is reserved: records and exports have a {name!r} column "
        f"of their own (reserved: {', '.join(RESERVED_NAMES)} and names starting with "
        f"{RESERVED_PREFIX!r}); rename the metric, e.g. {'my_' + name!r}"
    )


def _number(name: str, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidMetricError(
            f"metric {name!r} must be a real number, but got {value!r} "
            f"({type(value).__name__}); report plain numbers (use float(x) or x.item() for "
            "arrays and tensors)"
        )
    if isinstance(value, numbers.Integral):
        return int(value)
    number = float(value)
    if not math.isfinite(number):
        raise InvalidMetricError(f"metric {name!r} must be finite, but got {value!r}")
    return number


class Channel(Protocol):
    """How a trial context talks to its backend."""

    def exchange(self, result: dict[str, Any]) -> str:
        """Send one result; return the tuner's decision ("continue", "stop" or "pause")."""
        ...

    def invalid(self, detail: str) -> None:
        """Tell the backend that the trial reported an invalid metric (``detail`` says why)."""
        ...


@dataclass(eq=False)
class TrialContext:
    """What :func:`report` and :func:`checkpoint_dir` need inside one run of a trial."""

    trial_id: int
    channel: Channel
    trial_dir: Path | None = None
    checkpoint: Path | None = None
    started: float = field(default_factory=time.monotonic)  # time.monotonic() at (re)start
    reports: int = 0
    invalid: str | None = None  # set by the first invalid report; the trial is failed
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def report(self, metrics: Mapping[str, Any]) -> None:
        with self._lock:
            if self.invalid is not None:
                raise InvalidMetricError(self.invalid)
            try:
                result: dict[str, Any] = check_metrics(metrics)
            except InvalidMetricError as exc:
                self.invalid = str(exc)
                self.channel.invalid(self.invalid)
                raise
            result["ts_time"] = time.monotonic() - self.started
            result["ts_report"] = self.reports
            self.reports += 1
            decision = self.channel.exchange(result)
        if decision == "stop":
            raise TrialStopped(
                f"trial {self.trial_id} was stopped by the tuner at report {result['ts_report']}"
            )
        if decision == "pause":
            raise TrialPaused(
                f"trial {self.trial_id} was paused by the tuner at report {result['ts_report']}"
            )


_current: TrialContext | None = None
_env_checked = False
_warned_outside = False


def _set_context(context: TrialContext | None) -> TrialContext | None:
    """Make ``context`` the current trial (for backends); return the previous one."""
    global _current
    previous, _current = _current, context
    return previous


def _get_context() -> TrialContext | None:
    global _current, _env_checked
    if _current is None and not _env_checked:
        _env_checked = True
        _current = _context_from_env()
    return _current


def report(**metrics: Any) -> None:
    """Report metrics of the running trial, e.g. ``report(epoch=3, loss=0.25)``.

    Values must be finite real numbers. Returns once the tuner stored the result; raises
    :class:`TrialStopped` or :class:`TrialPaused` when the tuner ends the trial, and
    :class:`InvalidMetricError` (a ``ValueError``) for a bad value, which fails the trial.
    Outside a trial, the metrics are checked and a warning is logged once.
    """
    context = _get_context()
    if context is None:
        check_metrics(metrics)
        global _warned_outside
        if not _warned_outside:
            _warned_outside = True
            logger.warning(
                "tunesmith.report() was called outside a trial: the metrics were checked but "
                "are not recorded (run the function through a tuner to record them)"
            )
        return
    context.report(metrics)


def checkpoint_dir() -> Path | None:
    """The running trial's checkpoint folder (created; empty on a fresh start, as left before
    the pause when the trial is resumed), or None outside a trial."""
    context = _get_context()
    if context is None or context.checkpoint is None:
        return None
    context.checkpoint.mkdir(parents=True, exist_ok=True)
    return context.checkpoint


def trial_id() -> int | None:
    """The running trial's id, or None outside a trial."""
    context = _get_context()
    return None if context is None else context.trial_id


# -- trials started by ScriptBackend: the context comes from the environment --------------------


class FdChannel:
    """Results as JSON lines on one pipe, decisions as lines on another (ScriptBackend)."""

    def __init__(self, report_fd: int, ack_fd: int) -> None:
        self._report_fd = report_fd
        self._acks = os.fdopen(ack_fd, "rb", closefd=False)

    def _send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        try:
            while data:
                data = data[os.write(self._report_fd, data) :]
        except OSError:
            raise TrialStopped("the tuner is gone (its result pipe is closed)") from None

    def exchange(self, result: dict[str, Any]) -> str:
        self._send({"result": result})
        try:
            line = self._acks.readline()
        except OSError:
            line = b""
        if not line:
            raise TrialStopped("the tuner is gone (its answer pipe is closed)")
        return line.decode().strip()

    def invalid(self, detail: str) -> None:
        with contextlib.suppress(TrialStopped):
            self._send({"invalid": detail})


class PrintChannel:
    """Results printed as ``[tunesmith] {...}`` lines (no answer: always "continue")."""

    def exchange(self, result: dict[str, Any]) -> str:
        print(f"{LINE_PREFIX} {json.dumps(result)}", flush=True)
        return "continue"

    def invalid(self, detail: str) -> None:
        pass


def _context_from_env() -> TrialContext | None:
    env = os.environ
    if "TUNESMITH_TRIAL_ID" not in env:
        return None
    try:
        trial = int(env["TUNESMITH_TRIAL_ID"])
        channel: Channel = PrintChannel()
        if "TUNESMITH_REPORT_FD" in env and "TUNESMITH_ACK_FD" in env:
            report_fd, ack_fd = int(env["TUNESMITH_REPORT_FD"]), int(env["TUNESMITH_ACK_FD"])
            os.fstat(report_fd)
            os.fstat(ack_fd)
            channel = FdChannel(report_fd, ack_fd)
    except (ValueError, OSError) as exc:
        logger.warning("ignoring a malformed tunesmith trial environment: %s", exc)
        return None
    started = time.monotonic()
    if "TUNESMITH_START_TIME" in env:
        with contextlib.suppress(ValueError):
            started -= max(0.0, time.time() - float(env["TUNESMITH_START_TIME"]))
    trial_dir = env.get("TUNESMITH_TRIAL_DIR")
    checkpoint = env.get("TUNESMITH_CHECKPOINT_DIR")
    return TrialContext(
        trial_id=trial,
        channel=channel,
        trial_dir=Path(trial_dir) if trial_dir else None,
        checkpoint=Path(checkpoint) if checkpoint else None,
        started=started,
    )
