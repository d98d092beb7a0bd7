"""``syne_tune.Reporter``: reports a training script's metrics.

It prints each report as Syne Tune does, ``[tune-metric]: {json}`` on stdout, with the fields
``st_worker_timestamp`` (``time.time()``), ``st_worker_time`` (seconds since the reporter was
made; ``add_time``) and ``st_worker_iter`` (0, 1, ...). tunesmith's
:class:`~tunesmith.ScriptBackend` (and so :class:`~tunesmith.compat.synetune.backend.LocalBackend`)
reads these lines. In a function run by a :class:`~tunesmith.LocalBackend` worker (as
:class:`~tunesmith.compat.synetune.backend.PythonBackend` runs it), whose output is not read,
the report also goes through :func:`tunesmith.report`, which stops the trial when the tuner says
so. This module imports nothing heavy: a training script pays for ``json`` and ``time`` only.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from tunesmith.compat.synetune.constants import (
    ST_WORKER_ITER,
    ST_WORKER_TIME,
    ST_WORKER_TIMESTAMP,
    TUNE_METRIC_PREFIX,
)

__all__ = ["Reporter"]


class Reporter:
    """``report = Reporter(); report(epoch=1, loss=0.3)``.

    ``add_time``: add ``st_worker_time``; ``add_cost``: Syne Tune adds a dollar cost on
    SageMaker only, and so never here."""

    def __init__(self, add_time: bool = True, add_cost: bool = True) -> None:
        self.add_time = bool(add_time)
        self.add_cost = bool(add_cost)
        self.start = time.perf_counter()
        self.iter = 0

    def __call__(self, **kwargs: Any) -> None:
        result = dict(kwargs)
        result[ST_WORKER_TIMESTAMP] = time.time()
        if self.add_time:
            result[ST_WORKER_TIME] = time.perf_counter() - self.start
        result[ST_WORKER_ITER] = self.iter
        self.iter += 1
        print(f"{TUNE_METRIC_PREFIX} {json.dumps(result)}", flush=True)
        sys.stdout.flush()
        if "TUNESMITH_TRIAL_ID" in os.environ:
            return  # a ScriptBackend trial: the backend reads the line just printed
        import tunesmith

        if tunesmith.trial_id() is not None:  # a LocalBackend worker: its output is not read
            tunesmith.report(**result)
