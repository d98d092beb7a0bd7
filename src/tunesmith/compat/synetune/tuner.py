"""``syne_tune.Tuner``: runs the native :class:`tunesmith.Tuner` with the backend, the
scheduler (a tunesmith scheduler, as ``optimizer.baselines`` builds them) and the stopping
criterion it is given. The experiment is a tunesmith study named ``tuner.name`` in the default
store (``$TUNESMITH_HOME``, default ``./tunesmith-results``), its trial folders and
``metadata.json`` in ``tuner.tuner_path``; ``experiments.load_experiment(tuner.name)`` reads it.
The ``metadata`` is stored with the study too (``Tuner(metadata=...)`` of the native tuner:
``tunesmith.load_study(name).metadata``, ``tunesmith show``), and under
:data:`REBUILD_KEY` what ``load_experiment(name, load_tuner=True)`` needs to build the tuner
again: the script backend's entry point and arguments, ``n_workers``, the stopping criterion
and the tuner's options (the native store keeps the scheduler's spec and the journal).
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from tunesmith.compat.synetune.constants import ST_METADATA_FILENAME
from tunesmith.compat.synetune.errors import NotSupported

__all__ = ["REBUILD_KEY", "Tuner", "TuningStatusView"]

#: the key of the study's metadata under which the tuner stores how to build it again
REBUILD_KEY = "synetune_tuner"
_LIMITS = (
    "max_wallclock_time", "max_num_trials_started", "max_num_trials_completed",
    "max_num_trials_finished", "max_num_evaluations", "max_cost",
)  # fmt: skip

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


def _criterion_data(criterion: Any) -> dict[str, Any] | None:
    """A tunesmith ``StoppingCriterion`` as JSON data (None for another callable)."""
    from tunesmith.stopping import StoppingCriterion

    if not isinstance(criterion, StoppingCriterion):
        return None
    data: dict[str, Any] = {}
    for key in _LIMITS:
        value = getattr(criterion, key)
        data[key] = None if value is None or math.isinf(value) else value
    for key in ("min_metric_value", "max_metric_value"):
        value = getattr(criterion, key)
        data[key] = None if value is None else dict(value)
    data["cost_attr"] = criterion.cost_attr
    return data


def criterion_from_data(data: dict[str, Any]) -> Any:
    """The stopping criterion :func:`_criterion_data` stored."""
    from tunesmith.compat.synetune.constants import ST_WORKER_COST
    from tunesmith.compat.synetune.stopping_criterion import StoppingCriterion
    from tunesmith.stopping import StoppingCriterion as NativeCriterion

    kwargs = {k: v for k, v in data.items() if k != "cost_attr"}
    if data.get("cost_attr") == ST_WORKER_COST:
        return StoppingCriterion(**kwargs)
    return NativeCriterion(**kwargs, cost_attr=data.get("cost_attr", "cost"))


def _backend_data(backend: Any) -> dict[str, Any]:
    """How to build ``backend`` again: Syne Tune's ``LocalBackend`` (a script) can be; a
    function's backend is named only (a function is not stored)."""
    from tunesmith.compat.synetune.backend import LocalBackend

    if type(backend) is LocalBackend:
        return {
            "class": "LocalBackend",
            "entry_point": backend.entry_point,
            "delete_checkpoints": backend.delete_checkpoints,
            "pass_args_as_json": backend.pass_args_as_json,
            "rotate_gpus": backend.rotate_gpus,
            "num_gpus_per_trial": backend.num_gpus_per_trial,
            "gpus_to_use": backend.gpus_to_use,
        }
    function = getattr(backend, "tune_function", None)
    name = getattr(function, "__qualname__", None) if function is not None else None
    module = getattr(function, "__module__", None) if function is not None else None
    return {
        "class": type(backend).__name__,
        "function": f"{module}.{name}" if module and name else None,
    }


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
        self.callbacks = _check_callbacks(callbacks)
        self.trial_backend_path = trial_backend_path
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
        #: the store (None: the default one); a tuner load_experiment rebuilt sets it
        self._storage: str | None = None
        self._loaded = False  # whether load_experiment(..., load_tuner=True) built it
        self._native_scheduler: Any = _native_scheduler(scheduler)
        self.native = self._make_native(NativeTuner)
        self.result: Any = None

    def rebuild_data(self) -> dict[str, Any]:
        """What the study's metadata stores under :data:`REBUILD_KEY` (JSON data)."""
        return {
            "backend": _backend_data(self.trial_backend),
            "n_workers": self.n_workers,
            "stop_criterion": _criterion_data(self.stop_criterion),
            "max_failures": self.max_failures,
            "asynchronous_scheduling": self.asynchronous_scheduling,
            "wait_trial_completion_when_stopping": self.wait_trial_completion_when_stopping,
            "trial_backend_path": self.trial_backend_path,
        }

    def _stored_rebuild_data(self) -> dict[str, Any] | None:
        """What the stored study of this name keeps under :data:`REBUILD_KEY` (None: no such
        study yet)."""
        from tunesmith.store import StudyNotFoundError
        from tunesmith.studies import load_study

        try:
            study = load_study(self.name, self._storage)
        except StudyNotFoundError:
            return None
        return study.study.metadata.get(REBUILD_KEY)

    def _make_native(self, native_tuner: Any = None, rebuild: dict[str, Any] | None = None) -> Any:
        if native_tuner is None:
            from tunesmith import Tuner as native_tuner
        return native_tuner(
            self.trial_backend,
            self._native_scheduler,
            self.stop_criterion,
            self.n_workers,
            max_failures=self.max_failures,
            callbacks=self.callbacks,
            synchronous=not self.asynchronous_scheduling,
            wait_trial_completion_when_stopping=self.wait_trial_completion_when_stopping,
            name=self.name,
            storage=self._storage,
            run_dir=self.trial_backend_path,
            delete_checkpoints=bool(getattr(self.trial_backend, "delete_checkpoints", False)),
            metadata={**self.metadata, REBUILD_KEY: rebuild or self.rebuild_data()},
        )

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
        more configs); the result is in :attr:`result`. A stopping criterion set on
        :attr:`stop_criterion` since (a larger one, to continue a loaded tuner's study) is the
        one used. Running again resumes the study: its trials go on after the stored ones."""
        stored = self._stored_rebuild_data()
        if stored is not None and stored != self.rebuild_data():
            # a resumed study keeps the metadata it was created with: pass that, so that only
            # the user's metadata is compared (a larger stopping criterion is no difference)
            self.native = self._make_native(rebuild=stored)
        elif self.stop_criterion is not self.native.stop_criterion:
            self.native = self._make_native()
        self._write_metadata()
        self.result = self.native.run()
        if self._loaded:  # the scheduler that ran on: the study's state now
            self.scheduler = self.native.scheduler

    @property
    def tuning_status(self) -> TuningStatusView:
        """Syne Tune's ``tuner.tuning_status``: ``get_dataframe()`` gives one row per trial."""
        if self.result is None:
            raise RuntimeError("tuning_status is known once run() has run")
        return TuningStatusView(self.result)

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


#: tunesmith's trial statuses -> Syne Tune's names
_STATUS_NAMES = {
    "completed": "Completed",
    "stopped": "Stopped",
    "failed": "Failed",
    "paused": "Paused",
    "running": "InProgress",
    "pending": "InProgress",
    "interrupted": "InProgress",
}


class TuningStatusView:
    """Syne Tune's ``TuningStatus`` of a finished run: :meth:`get_dataframe`."""

    def __init__(self, result: Any) -> None:
        self.result = result

    @property
    def num_trials_started(self) -> int:
        return len(self.result.trials)

    def get_dataframe(self) -> Any:
        """One row per trial (pandas): ``trial_id``, ``status`` (Syne Tune's names:
        ``Completed``, ``Stopped``, ``Failed``, ``Paused``, ``InProgress``), its config's
        entries, and the values of its last report."""
        import pandas as pd

        rows = []
        for trial_id in sorted(self.result.trials):
            trial = self.result.trials[trial_id]
            status = _STATUS_NAMES.get(trial.status.value, trial.status.value)
            rows.append(
                {
                    "trial_id": trial_id,
                    "status": status,
                    **dict(trial.config),
                    **dict(trial.last_result or {}),
                }
            )
        return pd.DataFrame(rows)
