"""Ctrl-C and SIGTERM for the tuner: counted by a signal handler, acted on by the loop.

A handler that raises (Python's default for SIGINT) can land anywhere, half-way through
journaling an event for example. While :class:`Interrupts` is active (in the main thread), a
SIGINT or SIGTERM only increments :attr:`Interrupts.count`; the tuner's loop looks at it at each
step (within its tick) and ends the run cleanly. The second signal stops the waiting for
running trials; from then on the handlers of before are back, so a third Ctrl-C raises as usual.
"""

from __future__ import annotations

import logging
import signal
import threading

logger = logging.getLogger("tunesmith")

__all__ = ["Interrupts"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    """Counts SIGINT and SIGTERM while used as a context manager (in the main thread; in other
    threads signals cannot be handled and the count stays 0)."""

    def __init__(self) -> None:
        self.count = 0
        #: what the first interrupt was: ``"Ctrl-C"`` or ``"SIGTERM"``
        self.by = ""
        self._previous: dict[int, object] = {}

    def _handler(self, signum, frame) -> None:
        self.count += 1
        self.by = self.by or ("Ctrl-C" if signum == signal.SIGINT else "SIGTERM")
        if self.count == 1:
            logger.warning("interrupted: stopping the running trials (again to not wait)")
        else:
            self._restore()

    def _restore(self) -> None:
        for sig, old in self._previous.items():
            signal.signal(sig, old)
        self._previous = {}

    def __enter__(self) -> Interrupts:
        self.count, self.by = 0, ""
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
            for sig in _SIGNALS:
                signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        self._restore()
