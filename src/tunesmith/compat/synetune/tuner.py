"""``syne_tune.Tuner``: runs the native :class:`tunesmith.Tuner` with the backend, the
scheduler (a tunesmith scheduler, as ``optimizer.baselines`` builds them) and the stopping
criterion it is given. The experiment is a tunesmith study named ``tuner.name`` in the default
store (``$TUNESMITH_HOME``, default ``./tunesmith-results``), its trial folders and
``metadata.json`` in ``tuner.tuner_path``; ``experiments.load_experiment(tuner.name)`` reads it.
The ``metadata`` is stored with the study too (``Tuner(metadata=...)`` of the native tuner:
``tunesmith.load_study(name).metadata``, ``tunesmith show``).
"""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from tunesmith.compat.synetune.constants import ST_METADATA_FILENAME
from tunesmith.compat.synetune.errors import NotSupported

__all__ = ["Tuner"]

logger = logging.getLogger("tunesmith")

_NAME = re.compile(r"^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$")


def _native_scheduler(scheduler: Any) -> Any:
    from tunesmith.schedulers import Scheduler

    native = getattr(scheduler, "native", scheduler)
    if not isinstance(native, Scheduler):
        raise TypeError(
            "scheduler must be a scheduler of tunesmith.compat.synetune.optimizer (baselines or "
            f"schedulers) or a tunesmith scheduler, but got {scheduler!r}"
        )
    return native


def _check_callbacks(callbacks: Any) -> list[Any]:
    from tunesmith.callbacks import TunerCallback

    out = list(callbacks or [])
    for callback in out:
        if not isinstance(callback, TunerCallback):
            raise NotSupported(
                f"callback {callback!r} is not a tunesmith.TunerCallback: Syne Tune's callback "
                "classes are not translated; write a tunesmith.TunerCallback (on_trial_result, "
                "on_trial_end, on_tuning_end, ...), see docs/tuner.md"
            )
    return out


class Tuner:
    """Syne Tune's ``Tuner``; ``run()`` runs the experiment, ``best_config()`` gives
    ``(trial_id, config)`` of the best result. The native tuner is :attr:`native`, its result
    :attr:`result` (a :class:`tunesmith.TuningResult`) after ``run()``.

    ``sleep_time``, ``results_update_interval``, ``print_update_interval``, ``save_tuner`` and
    ``start_jobs_without_delay`` are accepted and have nothing to set: tunesmith reacts to
    events instead of polling, journals every result before answering, and never starts more
    than ``n_workers`` trials."""

    def __init__(
        self,
        trial_backend: Any,
        scheduler: Any,
        stop_criterion: Any,
        n_workers: int,
        sleep_time: float = 5.0,
        results_update_interval: float = 10.0,
        print_update_interval: float = 30.0,
        max_failures: int = 1,
        tuner_name: str | None = None,
        asynchronous_scheduling: bool = True,
        wait_trial_completion_when_stopping: bool = False,
        callbacks: list[Any] | None = None,
        metadata: dict[str, Any] | None = None,
        suffix_tuner_name: bool = True,
        save_tuner: bool = True,
        start_jobs_without_delay: bool = True,
        trial_backend_path: str | None = None,
    ) -> None:
        from tunesmith import Tuner as NativeTuner

        self.trial_backend = trial_backend
        self.scheduler = scheduler
        self.stop_criterion = stop_criterion
        self.n_workers = n_workers
        self.max_failures = max_failures
        self.asynchronous_scheduling = bool(asynchronous_scheduling)
        self.wait_trial_completion_when_stopping = bool(wait_trial_completion_when_stopping)
        self.metadata = dict(metadata or {})  # checked by the native tuner (JSON, keys)
        name = tuner_name or getattr(trial_backend, "default_tuner_name", None) or "tuner"
        name = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") if tuner_name is None else name
        if not _NAME.match(name or ""):
            raise ValueError(
                f"tuner_name {tuner_name!r} must consist of letters and digits, possibly "
                "separated by '-'"
            )
        if suffix_tuner_name:
            name = f"{name}-{datetime.now().strftime('%Y-%m-%d-%H-%M-%S-%f')[:-3]}"
        self.name = name
        self.native = NativeTuner(
            trial_backend,
            _native_scheduler(scheduler),
            stop_criterion,
            n_workers,
            max_failures=max_failures,
            callbacks=_check_callbacks(callbacks),
            synchronous=not self.asynchronous_scheduling,
            wait_trial_completion_when_stopping=self.wait_trial_completion_when_stopping,
            name=name,
            run_dir=trial_backend_path,
            delete_checkpoints=bool(getattr(trial_backend, "delete_checkpoints", False)),
            metadata=self.metadata,
        )
        self.result: Any = None

    @property
    def tuner_path(self) -> Path:
        """The folder of the experiment: trial folders (``trials/<id>/``) and
        ``metadata.json``."""
        return Path(self.native.run_dir)

    def _write_metadata(self) -> None:
        scheduler = self.native.scheduler
        metadata = {
            **self.metadata,
            "metric_names": list(scheduler.metrics),
            "metric_mode": scheduler.mode,
            "entrypoint": getattr(self.trial_backend, "entry_point", None),
            "scheduler_name": type(scheduler).__name__,
            "st_tuner_creation_timestamp": time.time(),
        }
        self.tuner_path.mkdir(parents=True, exist_ok=True)
        # Syne Tune's file, for scripts that read it (the study stores the user's part)
        (self.tuner_path / ST_METADATA_FILENAME).write_text(json.dumps(metadata, default=str))

    def run(self) -> None:
        """Run the experiment until the stopping criterion is met (or the scheduler has no
        more configs); the result is in :attr:`result`."""
        self._write_metadata()
        self.result = self.native.run()

    def best_config(self, metric: str | int | None = 0) -> tuple[int, dict[str, Any]]:
        """``(trial_id, config)`` of the trial with the best reported value of the scheduler's
        metric (any report counts, as in Syne Tune: ``scope="all"``)."""
        if self.result is None:
            raise RuntimeError("best_config() is known once run() has run")
        metrics = self.result.metrics
        if metric is None:
            metric = 0
        if isinstance(metric, int) and not isinstance(metric, bool):
            if not 0 <= metric < len(metrics):
                raise IndexError(f"metric index {metric} out of range for metrics {metrics}")
            metric = metrics[metric]
        if metric not in metrics:
            raise ValueError(f"metric {metric!r} is not one of the scheduler's {metrics}")
        if len(metrics) > 1:
            raise NotSupported(
                "best_config() of a multi-objective experiment: use tuner.result.pareto_front()"
            )
        trial = self.result.best_trial(scope="all")
        if trial is None:
            raise ValueError(f"no trial reported a finite value of {metric!r}")
        return trial.trial_id, dict(trial.config)

    def __repr__(self) -> str:
        return f"Tuner(name={self.name!r}, native={self.native!r})"
