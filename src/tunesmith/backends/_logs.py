"""Trial logs of the local backends (private): size-capped log files and the per-trial output of
LocalBackend (a log file per stream, lines echoed to the tuner's own stdout/stderr with the
trial id).

A log file never grows past ``max_log_bytes``: when ``stdout.log`` is full it becomes
``stdout.log.1`` (replacing an older one) and a new ``stdout.log`` starts, so the last
``max_log_bytes`` to ``2 * max_log_bytes`` bytes of output are kept. A log that cannot be
written (a full disk) is dropped with one warning; the trial goes on.
"""

from __future__ import annotations

import logging
import numbers
import os
import sys
import threading
from pathlib import Path

logger = logging.getLogger("tunesmith")

__all__ = ["DEFAULT_MAX_LOG_BYTES", "CappedLog", "TrialOutput", "check_max_log_bytes"]

#: the default cap of each trial log file (10 MB)
DEFAULT_MAX_LOG_BYTES = 10_000_000
_MAX_PARTIAL_LINE = 1 << 16  # an echoed line without a newline is cut after this many bytes


def check_max_log_bytes(value: int | None) -> int | None:
    """Validate ``max_log_bytes``: an integer >= 1, or None for no cap."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(
            f"`max_log_bytes` must be an integer >= 1 (bytes per log file) or None (no cap), "
            f"but got {value!r}"
        )
    return int(value)


def open_log(path: Path) -> int:
    """Open ``path`` for appending (created if missing); the raw file descriptor."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o666)


class CappedLog:
    """An append-only log file of at most ``max_bytes`` bytes, rotated once (``NAME.1``).
    Thread-safe; writes after :meth:`close` are ignored. Opening raises ``OSError``."""

    def __init__(self, path: Path, max_bytes: int | None) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._fd: int | None = open_log(self.path)
        self._size = os.fstat(self._fd).st_size

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._fd is None or not data:
                return
            try:
                self._write(data)
            except OSError as exc:
                self._close()
                logger.warning("tunesmith: stopped writing the log %s: %s", self.path, exc)

    def _write(self, data: bytes) -> None:
        cap = self.max_bytes
        if cap is not None and len(data) > 2 * cap:
            data = data[-2 * cap :]  # no more than this can be kept
        view = memoryview(data)
        while view:
            room = len(view) if cap is None else cap - self._size
            if room <= 0:
                self._rotate()
                continue
            written = os.write(self._fd, view[:room])  # type: ignore[arg-type]
            self._size += written
            view = view[written:]

    def _rotate(self) -> None:
        assert self._fd is not None
        os.close(self._fd)
        self._fd = None
        os.replace(self.path, self.path.with_name(self.path.name + ".1"))
        self._fd = open_log(self.path)
        self._size = 0

    def _close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def close(self) -> None:
        with self._lock:
            self._close()


def echo(stream: int, data: bytes) -> None:
    """Write ``data`` to the tuner's stdout (``stream`` 1) or stderr (2), as they are now."""
    out = sys.stdout if stream == 1 else sys.stderr
    if out is None:
        return
    try:
        binary = getattr(out, "buffer", None)
        if binary is not None:
            out.flush()
            binary.write(data)
            binary.flush()
        else:
            out.write(data.decode(errors="replace"))
            out.flush()
    except (OSError, ValueError):  # a closed or broken stream: the log file still has it
        pass


class TrialOutput:
    """What a LocalBackend trial writes on its stdout (``stream`` 1) and stderr (2): kept in
    ``stdout.log`` and ``stderr.log`` in its trial folder (each made when the first byte comes:
    a file costs a fraction of a millisecond to create, more than a quiet trial's whole
    overhead) and, when ``prefix`` is given, echoed line by line to the tuner's stdout/stderr
    with ``prefix`` (such as ``"[trial 3] "``) in front."""

    _NAMES = {1: "stdout.log", 2: "stderr.log"}

    def __init__(self, trial_dir: Path, max_bytes: int | None, prefix: str | None) -> None:
        self._lock = threading.Lock()
        self._dir = trial_dir
        self._max_bytes = max_bytes
        self._prefix = None if prefix is None else prefix.encode()
        self._partial = {1: bytearray(), 2: bytearray()}
        self._closed = False
        self._logs: dict[int, CappedLog | None] = {}

    def _log(self, stream: int) -> CappedLog | None:  # with the lock held
        if stream not in self._logs:
            path = self._dir / self._NAMES[stream]
            try:
                self._logs[stream] = CappedLog(path, self._max_bytes)
            except OSError as exc:
                self._logs[stream] = None
                logger.warning("tunesmith: cannot write the log %s: %s", path, exc)
        return self._logs[stream]

    def write(self, stream: int, data: bytes) -> None:
        with self._lock:
            if self._closed:  # late output (the trial ended): echoed only
                if self._prefix is not None:
                    echo(stream, self._prefixed(data))
                return
            log = self._log(stream)
            if log is not None:
                log.write(data)
            if self._prefix is None:
                return
            partial = self._partial[stream]
            partial += data
            end = partial.rfind(b"\n") + 1
            if end == 0 and len(partial) < _MAX_PARTIAL_LINE:
                return
            if end == 0:
                end = len(partial)
            lines = bytes(partial[:end])
            del partial[:end]
        echo(stream, self._prefixed(lines))

    def _prefixed(self, text: bytes) -> bytes:
        assert self._prefix is not None
        lines = text.split(b"\n")
        if not lines[-1]:
            lines.pop()
        return b"".join(self._prefix + line + b"\n" for line in lines)

    def close(self) -> None:
        """Echo what is left of an unfinished line, close the logs. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            rests = [(s, bytes(p)) for s, p in self._partial.items() if p and self._prefix]
            for log in self._logs.values():
                if log is not None:
                    log.close()
        for stream, rest in rests:
            echo(stream, self._prefixed(rest))
