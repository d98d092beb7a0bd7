"""ClearML's :class:`Objective` (which scalar of a job is optimized, its last value or its
extremum) and :class:`Budget` (what the jobs have used of their limits), and :class:`Job`, a
trial seen as a ClearML job."""

from __future__ import annotations

import contextlib
import logging
import math
import numbers
import time
from typing import Any

from tunesmith.compat.clearml._errors import InvalidValue
from tunesmith.compat.clearml.task import Task, add_task

__all__ = ["Budget", "Job", "Objective"]

logger = logging.getLogger("tunesmith")


_SIGNS = ("min", "max", "min_global", "max_global")


def _positive(
    owner: str, name: str, value: Any, *, integer: bool = False, none: bool = True
) -> Any:
    if value is None and none:
        return None
    kind = numbers.Integral if integer else numbers.Real
    if (
        isinstance(value, bool)
        or not isinstance(value, kind)
        or not value > 0
        or (not integer and not math.isfinite(value))
    ):
        what = "a positive int" if integer else "a positive number"
        raise InvalidValue(
            f"{owner}: {name} must be {what}{' or None' if none else ''}, but got {name}={value!r}"
        )
    return value


# -- Objective and Budget ------------------------------------------------------------------------
class Objective:
    """The scalar ``title``/``series`` to minimize (``order="min"``) or maximize (``"max"``):
    by the last value a job reported (``extremum=False``, the default) or by its smallest
    (``min``) / largest (``max``) value (``extremum=True``).

    Natively: the metric ``"title/series"``, mode ``order``, ranked with scope ``"last"``
    (``extremum=False``) or ``"all"`` (``extremum=True``) (:mod:`tunesmith.ranking`)."""

    def __init__(self, title: str, series: str, order: str = "max", extremum: bool = False):
        for name, value in (("title", title), ("series", series)):
            if not isinstance(value, str):
                raise InvalidValue(f"Objective: {name} must be a str, but got {name}={value!r}")
        if order not in ("min", "max"):
            raise InvalidValue(f"Objective: order must be 'min' or 'max', but got order={order!r}")
        self.title, self.series = title, series
        self.sign = -1 if order == "min" else +1
        self.extremum = bool(extremum)

    # the native view
    @property
    def metric(self) -> str:
        return f"{self.title}/{self.series}"

    @property
    def mode(self) -> str:
        return "min" if self.sign < 0 else "max"

    @property
    def scope(self) -> str:
        return "all" if self.extremum else "last"

    def _job(self, task_id: Any) -> Job | None:
        if isinstance(task_id, Job):
            return task_id
        if isinstance(task_id, Task):
            return task_id.job
        try:
            return Task.get_task(task_id=str(task_id)).job
        except ValueError:
            return None

    def get_objective(self, task_id: Any) -> float | None:
        """The job's value: its last one, or its min/max with ``extremum`` (None before any)."""
        job = self._job(task_id)
        if job is None:
            return None
        values = [v for _, v in job.objective_points(self.metric)]
        if not values:
            return None
        if not self.extremum:
            return values[-1]
        return min(values) if self.sign < 0 else max(values)

    def get_current_raw_objective(self, task: Any) -> tuple[int, float] | None:
        """``(iteration, value)`` of the job's last report of the objective, or None."""
        job = self._job(task)
        if job is None:
            if not isinstance(task, Job | Task | str):
                raise ValueError("Task object could not be found")
            return None
        points = job.objective_points(self.metric)
        return points[-1] if points else None

    def get_objective_sign(self) -> float:
        return self.sign

    def get_objective_metric(self) -> tuple[str, str]:
        return self.title, self.series

    def get_normalized_objective(self, task_id: Any) -> float | None:
        value = self.get_objective(task_id)
        return None if value is None else self.sign * value

    def __repr__(self) -> str:
        return (
            f"Objective(title={self.title!r}, series={self.series!r}, order={self.mode!r}, "
            f"extremum={self.extremum})"
        )


class Budget:
    """What the jobs used of the limits: ``jobs`` (started jobs, of ``total_max_jobs``),
    ``iterations`` (each job's last objective iteration, of ``total_max_jobs *
    max_iteration_per_job``) and ``compute_time`` (each job's minutes, of
    ``compute_time_limit``). A field's ``used`` is the sum over jobs divided by its limit (None
    without a limit or before any job)."""

    class Field:
        def __init__(self, limit: float | None = None):
            self.limit = limit
            self.current: dict[Any, float] = {}

        def update(self, uid: Any, value: Any) -> None:
            if value is not None:
                with contextlib.suppress(TypeError, ValueError):
                    self.current[uid] = float(value)

        @property
        def used(self) -> float | None:
            if self.limit is None or not self.current:
                return None
            return sum(self.current.values()) / float(self.limit)

    def __init__(
        self, jobs_limit: int | None, iterations_limit: int | None, compute_time_limit: float | None
    ):
        self.jobs = self.Field(jobs_limit)
        self.iterations = self.Field(iterations_limit)
        self.compute_time = self.Field(compute_time_limit)

    def to_dict(self) -> dict[str, dict[str, float | None]]:
        """``{"jobs" | "iterations" | "compute_time": {"limit": ..., "used": fraction or 0}}``."""
        return {
            name: {"limit": field.limit, "used": field.used or 0}
            for name, field in (
                ("jobs", self.jobs),
                ("iterations", self.iterations),
                ("compute_time", self.compute_time),
            )
        }


# -- jobs ----------------------------------------------------------------------------------------
class Job:
    """One job (a tunesmith trial): ClearML's ``ClearmlJob`` view, with its :attr:`task`."""

    def __init__(self, task_id: str, trial_id: int, parameters: dict[str, Any], name: str):
        self._id = task_id
        self.trial_id = trial_id
        self.parameters = parameters
        self.reports: list[dict[str, Any]] = []
        self._status = "queued"
        self._started: float | None = None
        self._ended: float | None = None
        self.task = Task(task_id, name=name, parameters=parameters)
        self.task.job = self
        add_task(self.task)
        #: asks the tuner to stop this job's trial (set by the strategy that runs it)
        self._stop_trial: Any = None

    def task_id(self) -> str:
        return self._id

    def status(self) -> str:
        return self._status

    def elapsed(self) -> float:
        """Seconds since it started (until it ended); -1 before it started."""
        if self._started is None:
            return -1.0
        return (self._ended or time.monotonic()) - self._started

    def objective_points(self, metric: str) -> list[tuple[int, float]]:
        return [(r.get("iteration", -1), r[metric]) for r in list(self.reports) if metric in r]

    def is_running(self) -> bool:
        return self._status == "in_progress"

    def is_pending(self) -> bool:
        return self._status == "queued"

    def is_stopped(self) -> bool:
        return self._status in ("completed", "stopped", "failed")

    def is_completed(self) -> bool:
        return self._status == "completed"

    def is_failed(self) -> bool:
        return self._status == "failed"

    def is_aborted(self) -> bool:
        return self._status == "stopped"

    def abort(self) -> None:
        """Stop this job, from any thread (the native :meth:`tunesmith.Tuner.stop_trial`): the
        tuner journals the request and stops the trial at its next turn; the job ends
        ``stopped`` (``is_aborted()``) and the optimization goes on. A job that already ended
        is left as it is."""
        if self._stop_trial is not None and not self.is_stopped():
            self._stop_trial(self.trial_id, "Job.abort()")

    def __repr__(self) -> str:
        return f"<Job {self._id} trial={self.trial_id} status={self._status} {self.parameters}>"
