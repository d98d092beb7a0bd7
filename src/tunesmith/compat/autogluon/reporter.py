"""The ``reporter`` a training function gets: ``reporter(epoch=1, accuracy=0.9)`` is
``tunesmith.report(epoch=1, accuracy=0.9)`` (AutoGluon's ``done=True`` and empty reports are
skipped). Values must be finite numbers, as for ``tunesmith.report``."""

from __future__ import annotations

import logging
from typing import Any

import tunesmith

__all__ = ["FakeReporter", "Reporter"]

logger = logging.getLogger("tunesmith")


class Reporter:
    """Sends each report of a trial to the tuner (through :func:`tunesmith.report`). When the
    scheduler stops the trial, the call raises ``TrialStopped`` (a ``SystemExit``), which ends
    the training function."""

    def __call__(self, **kwargs: Any) -> None:
        kwargs.pop("done", None)
        if kwargs:
            tunesmith.report(**kwargs)


class FakeReporter:
    """The reporter of a run outside the tuner (``run_with_config``, calling the decorated
    function by hand): keeps the reports in :attr:`results`."""

    def __init__(self) -> None:
        self.results: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> None:
        kwargs.pop("done", None)
        if kwargs:
            logger.debug("reporter: %s", kwargs)
            self.results.append(dict(kwargs))
