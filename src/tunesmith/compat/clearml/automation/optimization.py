"""ClearML's ``clearml.automation.optimization`` on tunesmith: :class:`Objective`,
:class:`Budget`, the search strategies (:class:`RandomSearch`, :class:`GridSearch`; BOHB and
Optuna in their own modules) and the :class:`HyperParameterOptimizer` controller.

A search strategy is a front for one native tunesmith scheduler (:attr:`SearchStrategy.native`)
run by the native :class:`~tunesmith.Tuner` on the base task's backend (a
:class:`~tunesmith.LocalBackend` for a function, a :class:`~tunesmith.ScriptBackend` for a
command); the jobs are its trials. The controller runs the strategy in a thread, so that
``start()`` returns at once, and adds what ClearML's controller adds: the time limit, the
job-complete callback and the periodic report. See docs/migrate-clearml.md.
"""

from __future__ import annotations

import contextlib
import logging
import math
import numbers
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from tunesmith.callbacks.base import TunerCallback
from tunesmith.compat.clearml._errors import InvalidValue, NotSupported
from tunesmith.compat.clearml.automation.parameters import Parameter, ParameterSet, RandomSeed
from tunesmith.compat.clearml.task import _LOCK as _TASK_LOCK
from tunesmith.compat.clearml.task import Task, add_task, base_task, job_id
from tunesmith.schedulers.base import Scheduler
from tunesmith.trial import Decision

__all__ = [
    "Budget",
    "GridSearch",
    "HyperParameterOptimizer",
    "Job",
    "Objective",
    "RandomSearch",
    "SearchStrategy",
]

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
        raise NotSupported(
            "Job.abort(): a single job cannot be aborted from outside here; use "
            "time_limit_per_job / max_iteration_per_job, or HyperParameterOptimizer.stop()"
        )

    def __repr__(self) -> str:
        return f"<Job {self._id} trial={self.trial_id} status={self._status} {self.parameters}>"


class _Recorder(TunerCallback):
    """Keeps the strategy's jobs and budget in step with the tuner (runs in its thread)."""

    def __init__(self, strategy: SearchStrategy):
        self.s = strategy

    def on_trial_start(self, trial: Any, *, resumed: bool) -> None:
        self.s._job_started(trial)

    def on_trial_result(self, trial: Any, result: dict[str, Any], decision: Decision) -> None:
        self.s._job_result(trial, result)

    def on_trial_complete(self, trial: Any) -> None:
        self.s._job_ended(trial)

    def on_trial_error(self, trial: Any) -> None:
        self.s._job_ended(trial)

    def on_tick(self, tuner: Any) -> None:
        self.s._update_compute_time()


class _Until:
    """The run's stop criterion: a stop request, the controller's time limit, the compute-time
    budget; ``total_max_jobs`` is the tuner's ``max_num_trials_started`` (running jobs finish)."""

    max_wallclock_time = None
    cost_attr = "cost"

    def __init__(self, strategy: SearchStrategy):
        self.s = strategy
        self.max_num_trials_started = strategy.total_max_jobs

    def __call__(self, status: Any) -> bool:
        reason = self.s._stop_reason_now()
        if reason and self.s.stop_reason is None:
            self.s.stop_reason = reason
        return reason is not None


class _IterationLimit(Scheduler):
    """``max_iteration_per_job`` for a scheduler without a resource limit of its own: a job
    whose objective iteration exceeds it is stopped (ClearML aborts it); everything else is
    the wrapped native scheduler's."""

    def __init__(self, scheduler: Scheduler, max_iteration: int):
        super().__init__(metric=scheduler.metric, mode=scheduler.mode)
        self.scheduler, self.max_iteration = scheduler, max_iteration

    def suggest(self, trial_id: int) -> Any:
        return self.scheduler.suggest(trial_id)

    def suggest_resume(self) -> Any:
        return self.scheduler.suggest_resume()

    def on_trial_add(self, trial: Any) -> None:
        self.scheduler.on_trial_add(trial)

    def on_trial_result(self, trial: Any, result: Mapping[str, Any]) -> Decision:
        decision = self.scheduler.on_trial_result(trial, result)
        iteration = result.get("iteration")
        if isinstance(iteration, numbers.Real) and iteration > self.max_iteration:
            return Decision.STOP
        return decision

    def on_trial_complete(self, trial: Any, result: Mapping[str, Any]) -> None:
        self.scheduler.on_trial_complete(trial, result)

    def on_trial_error(self, trial: Any) -> None:
        self.scheduler.on_trial_error(trial)

    def on_trial_remove(self, trial: Any) -> None:
        self.scheduler.on_trial_remove(trial)

    def state_dict(self) -> dict[str, Any]:
        return self.scheduler.state_dict()

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.scheduler.load_state_dict(state)


# -- search strategies ---------------------------------------------------------------------------
_STRATEGY_KEYS = {
    "base_task_id", "hyper_parameters", "objective_metric", "execution_queue",
    "num_concurrent_workers", "pool_period_min", "time_limit_per_job", "compute_time_limit",
    "min_iteration_per_job", "max_iteration_per_job", "total_max_jobs",
}  # fmt: skip


class SearchStrategy:
    """The base of the search strategies: the arguments ClearML's have, one native scheduler
    (:meth:`make_native`, built by :meth:`start`) and the jobs.

    ``time_limit_per_job`` (minutes) is the tuner's ``max_trial_time``: a job running longer is
    aborted (status ``stopped``). ``max_iteration_per_job``: a job whose objective ``iteration``
    exceeds it is stopped. ``total_max_jobs``: no job starts after that many (running ones
    finish). ``compute_time_limit`` (minutes, summed over jobs): the run stops once used.
    ``num_concurrent_workers`` is the tuner's ``n_workers``; ``pool_period_min`` is kept but
    changes nothing (the tuner acts on each event, not by polling); ``execution_queue`` is kept
    (every job runs on this machine). Other keyword arguments are ignored, as ClearML ignores
    them, with a warning naming them.
    """

    _tag = "optimization"
    #: whether the native scheduler itself stops a job at ``max_iteration_per_job`` (Hyperband's
    #: ``max_t``); else a job past it is stopped by a thin wrapper around the native scheduler
    stops_at_max_t = False

    def __init__(
        self,
        base_task_id: str,
        hyper_parameters: Sequence[Parameter],
        objective_metric: Objective,
        execution_queue: str,
        num_concurrent_workers: int,
        pool_period_min: float = 2.0,
        time_limit_per_job: float | None = None,
        compute_time_limit: float | None = None,
        min_iteration_per_job: int | None = None,
        max_iteration_per_job: int | None = None,
        total_max_jobs: int | None = None,
        **_: Any,
    ):
        name = type(self).__name__
        if _:
            logger.warning(
                "%s: ignoring unknown argument(s) %s (as ClearML does); the arguments are %s",
                name,
                sorted(_),
                sorted(_STRATEGY_KEYS),
            )
        if not isinstance(objective_metric, Objective):
            raise InvalidValue(
                f"{name}: objective_metric must be an Objective(title, series, order), but got "
                f"objective_metric={objective_metric!r}"
            )
        if isinstance(hyper_parameters, Parameter) or not isinstance(hyper_parameters, Sequence):
            raise InvalidValue(
                f"{name}: hyper_parameters must be a list of parameter ranges, but got "
                f"hyper_parameters={hyper_parameters!r}"
            )
        for p in hyper_parameters:
            if not isinstance(p, Parameter):
                raise InvalidValue(
                    f"{name}: every hyper_parameters entry must be a parameter range "
                    "(UniformParameterRange, DiscreteParameterRange, ...), but got "
                    f"{p!r} ({type(p).__name__})"
                )
        self._base = base_task(base_task_id)
        self._base_task_id = base_task_id
        self._base_task_name = self._base.name
        self._hyper_parameters = list(hyper_parameters)
        self._objective_metric = objective_metric
        self._execution_queue = execution_queue
        self._num_concurrent_workers = _positive(
            name, "num_concurrent_workers", num_concurrent_workers, integer=True, none=False
        )
        self.pool_period_minutes = _positive(name, "pool_period_min", pool_period_min, none=False)
        self.time_limit_per_job = _positive(name, "time_limit_per_job", time_limit_per_job)
        self.compute_time_limit = _positive(name, "compute_time_limit", compute_time_limit)
        self.min_iteration_per_job = _positive(
            name, "min_iteration_per_job", min_iteration_per_job, integer=True
        )
        self.max_iteration_per_job = _positive(
            name, "max_iteration_per_job", max_iteration_per_job, integer=True
        )
        self.total_max_jobs = _positive(name, "total_max_jobs", total_max_jobs, integer=True)
        self.budget = Budget(
            jobs_limit=self.total_max_jobs,
            iterations_limit=(
                self.total_max_jobs * self.max_iteration_per_job
                if self.total_max_jobs and self.max_iteration_per_job
                else None
            ),
            compute_time_limit=self.compute_time_limit,
        )
        self.random_seed = RandomSeed.get_random_seed()
        self._id = uuid.uuid4().hex[:24]
        self._sets = self._set_keys()
        self._lock = threading.RLock()
        self._jobs: dict[int, Job] = {}
        self._stop_event = threading.Event()
        self._naming_function: Callable[[str, dict], str] | bool | None = None
        self._job_parent_id: str | None = None
        self._optimizer_task: Task | None = None
        #: set by the controller: the absolute time limit (time.time()), and the job-end hook
        self._deadline: Callable[[], float | None] = lambda: None
        self._on_job_end: Callable[[Job], None] | None = None
        #: the native scheduler and the tuner of the run (built by :meth:`start`)
        self.native: Scheduler | None = None
        self.tuner: Any = None
        self.result: Any = None
        #: why the run stopped ("time limit", "compute_time_limit", "stopped"), or None
        self.stop_reason: str | None = None

    def _set_keys(self) -> dict[str, list[dict[str, Any]]]:
        sets, n = {}, 0
        for p in self._hyper_parameters:
            if isinstance(p, ParameterSet):
                p.key = "parameter_set" if n == 0 else f"parameter_set_{n}"
                sets[p.key] = p.to_list()
                n += 1
        return sets

    # -- the native side -------------------------------------------------------------------------
    def config_space(self) -> dict[str, Any]:
        """The tunesmith config space random and model-based search sample."""
        return {
            (p.key if isinstance(p, ParameterSet) else p.name): p.domain()
            for p in self._hyper_parameters
        }

    def grid_space(self) -> dict[str, Any]:
        """The config space grid search visits: each parameter's ``to_list()`` values."""
        from tunesmith.space import choice

        return {
            (p.key if isinstance(p, ParameterSet) else p.name): choice(p.grid_values())
            for p in self._hyper_parameters
        }

    def make_native(self) -> Scheduler:
        """The native tunesmith scheduler this strategy is (override in subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} has no native scheduler")

    def _scheduler(self) -> Scheduler:
        native = self.make_native()
        self.native = native
        if self.max_iteration_per_job and not self.stops_at_max_t:
            return _IterationLimit(native, self.max_iteration_per_job)
        return native

    def _make_tuner(self) -> Any:
        from tunesmith import Tuner

        backend = self._base.backend(self._objective_metric.metric, self._id, self._sets)
        return Tuner(
            backend,
            self._scheduler(),
            _Until(self),
            n_workers=self._num_concurrent_workers,
            max_trial_time=None
            if self.time_limit_per_job is None
            else self.time_limit_per_job * 60.0,
            max_failures=1.0,
            callbacks=[_Recorder(self)],
            verbose=0,
            storage="memory",
            name=f"clearml-{self._id}",
        )

    # -- running ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Run the optimization here; returns when it is over (time or job limits, no config
        left, or :meth:`stop`)."""
        if self.tuner is not None:
            raise RuntimeError(f"{type(self).__name__}.start(): this strategy already ran")
        self.tuner = self._make_tuner()
        self.result = self.tuner.run()
        if self.stop_reason is None:
            self.stop_reason = self.result.stop_reason

    def stop(self) -> None:
        """Ask the running optimization to stop (from another thread); running jobs are
        aborted. The native tuner's thread-safe :meth:`tunesmith.Tuner.stop` ends its run at
        the next loop turn (before the tuner exists, the stop criterion sees the request)."""
        self._stop_event.set()
        tuner = self.tuner
        if tuner is not None:
            tuner.stop("stopped")

    def _stop_reason_now(self) -> str | None:
        if self._stop_event.is_set():
            return "stopped"
        deadline = self._deadline()
        if deadline is not None and time.time() > deadline:
            return "time limit"
        self._update_compute_time()
        used = self.budget.compute_time.used
        if used is not None and used >= 1.0:
            return "compute_time_limit"
        return None

    def process_step(self) -> bool:
        raise NotSupported(
            "process_step(): tunesmith's Tuner runs the loop (start() runs it to the end)"
        )

    def create_job(self) -> None:
        raise NotSupported(
            "create_job(): the native scheduler picks the configs (see make_native())"
        )

    # -- jobs (called in the tuner's thread) -----------------------------------------------------
    def _job_name(self, params: dict[str, Any]) -> str | None:
        if self._naming_function:
            return self._naming_function(self._base_task_name, params)  # type: ignore[operator]
        if self._naming_function is False:
            return None
        text = " ".join(f"{k}={params[k]}" for k in sorted(params))
        return f"{self._base_task_name}: {text}"

    def _job_started(self, trial: Any) -> None:
        from tunesmith.compat.clearml.task import expand

        with self._lock:
            job = self._jobs.get(trial.trial_id)
            if job is None:
                params = expand(trial.config, self._sets)
                job = Job(
                    job_id(self._id, trial.trial_id), trial.trial_id, params, self._job_name(params)
                )
                self._jobs[trial.trial_id] = job
            job._status, job._started, job._ended = "in_progress", time.monotonic(), None
            self.budget.jobs.update(job.task_id(), 1)

    def _job_result(self, trial: Any, result: dict[str, Any]) -> None:
        with self._lock:
            job = self._jobs[trial.trial_id]
            job.reports.append(dict(result))
            metric = self._objective_metric.metric
            if metric in result:
                title, series = self._objective_metric.get_objective_metric()
                with _TASK_LOCK:  # get_reported_scalars() copies them from other threads
                    scalars = job.task._logger.scalars
                    points = scalars.setdefault(title, {}).setdefault(series, {"x": [], "y": []})
                    points["x"].append(result.get("iteration", -1))
                    points["y"].append(result[metric])
                if self.max_iteration_per_job:
                    self.budget.iterations.update(job.task_id(), result.get("iteration"))

    def _job_ended(self, trial: Any) -> None:
        from tunesmith.trial import TrialStatus

        with self._lock:
            job = self._jobs.get(trial.trial_id)
            if job is None:
                return
            job._ended = time.monotonic()
            if trial.status is TrialStatus.COMPLETED:
                job._status = "completed"
            elif trial.status is TrialStatus.FAILED and trial.failure_reason != "timeout":
                job._status = "failed"
            else:  # stopped by a limit, the scheduler or stop(); or past time_limit_per_job
                job._status = "stopped"
            self._update_compute_time()
        if self._on_job_end is not None:
            self._on_job_end(job)

    def _update_compute_time(self) -> None:
        if not (self.time_limit_per_job or self.compute_time_limit):
            return
        with self._lock:
            for job in self._jobs.values():
                elapsed = job.elapsed()
                if elapsed > 0:
                    self.budget.compute_time.update(job.task_id(), elapsed / 60.0)

    # -- ClearML's methods -----------------------------------------------------------------------
    def get_running_jobs(self) -> list[Job]:
        """The jobs running now."""
        with self._lock:
            return [j for j in self._jobs.values() if j.is_running()]

    def get_created_jobs_ids(self) -> dict[str, dict[str, Any]]:
        """``{job id: parameters}`` of every job so far (running and ended)."""
        with self._lock:
            return {j.task_id(): dict(j.parameters) for j in self._jobs.values()}

    def get_created_jobs_tasks(self) -> dict[str, Job]:
        """``{job id: Job}`` of every job so far."""
        with self._lock:
            return {j.task_id(): j for j in self._jobs.values()}

    def get_top_experiments(self, top_k: int) -> list[Task]:
        """The tasks of the ``top_k`` best jobs so far (running ones too), best first, ranked by
        the objective (:func:`tunesmith.ranking.per_trial`, scope ``"last"`` or ``"all"``)."""
        from tunesmith.ranking import per_trial, ranked

        _positive(
            type(self).__name__ + ".get_top_experiments", "top_k", top_k, integer=True, none=False
        )
        objective = self._objective_metric
        with self._lock:
            jobs = dict(self._jobs)
            reports = [(tid, r) for tid, job in jobs.items() for r in list(job.reports)]
        chosen = per_trial(reports, objective.metric, objective.mode, objective.scope)
        return [jobs[tid].task for tid in ranked(chosen)[: int(top_k)]]

    def get_objective_metric(self) -> tuple[str, str]:
        return self._objective_metric.get_objective_metric()

    def set_job_naming_scheme(self, naming_function: Callable[[str, dict], str] | None) -> None:
        self._naming_function = naming_function

    def set_job_default_parent(self, job_parent_task_id: str | None) -> None:
        self._job_parent_id = job_parent_task_id

    def set_optimizer_task(self, task: Task | None) -> None:
        self._optimizer_task = task

    def set_job_class(self, job_class: Any) -> None:
        raise NotSupported(
            "set_job_class(): jobs are tunesmith trials; register the base task as a function "
            "or a command instead (register_task)"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(native={self.native!r}, jobs={len(self._jobs)})"


class RandomSearch(SearchStrategy):
    """ClearML's random search: :class:`tunesmith.RandomSearch` over the parameters' domains,
    seeded with ClearML's global seed (``RandomSeed.set_random_seed``), no config twice (the
    run ends when a finite space is exhausted)."""

    def make_native(self) -> Scheduler:
        from tunesmith import RandomSearch as NativeRandomSearch

        o = self._objective_metric
        return NativeRandomSearch(
            self.config_space(), metric=o.metric, mode=o.mode, random_seed=self.random_seed
        )


class GridSearch(SearchStrategy):
    """ClearML's grid search: :class:`tunesmith.GridSearch` over each parameter's
    ``to_list()`` values, in ClearML's order (``shuffle=False``: the last parameter varies
    fastest)."""

    def make_native(self) -> Scheduler:
        from tunesmith import GridSearch as NativeGridSearch

        o = self._objective_metric
        return NativeGridSearch(
            self.grid_space(),
            metric=o.metric,
            mode=o.mode,
            shuffle=False,
            random_seed=self.random_seed,
        )


# -- the controller ------------------------------------------------------------------------------
def _strategy_class(optimizer_class: Any) -> Any:
    """ClearML's names of the strategies (``"RandomSearch"``, ``"GridSearch"``,
    ``"OptimizerBOHB"``, ``"OptimizerOptuna"``) or a class or instance."""
    if isinstance(optimizer_class, str):
        if optimizer_class == "RandomSearch":
            return RandomSearch
        if optimizer_class == "GridSearch":
            return GridSearch
        if optimizer_class == "OptimizerBOHB":
            from tunesmith.compat.clearml.automation.hpbandster import OptimizerBOHB

            return OptimizerBOHB
        if optimizer_class == "OptimizerOptuna":
            from tunesmith.compat.clearml.automation.optuna import OptimizerOptuna

            return OptimizerOptuna
        raise InvalidValue(
            "HyperParameterOptimizer: optimizer_class must be a SearchStrategy class or instance "
            "or one of 'RandomSearch', 'GridSearch', 'OptimizerBOHB', 'OptimizerOptuna', but got "
            f"optimizer_class={optimizer_class!r}"
        )
    if isinstance(optimizer_class, SearchStrategy) or (
        isinstance(optimizer_class, type) and issubclass(optimizer_class, SearchStrategy)
    ):
        return optimizer_class
    raise InvalidValue(
        "HyperParameterOptimizer: optimizer_class must be a SearchStrategy class (RandomSearch, "
        "GridSearch, OptimizerBOHB, OptimizerOptuna) or instance, but got "
        f"optimizer_class={optimizer_class!r}"
    )


class HyperParameterOptimizer:
    """ClearML's controller: runs the search strategy ``optimizer_class`` (built with the
    arguments here and ``optimizer_kwargs``) on the base task, in a thread.

    ``objective_metric_sign``: ``"min"``/``"max"`` rank jobs by their last value of the
    scalar ``objective_metric_title``/``objective_metric_series``, ``"min_global"``/
    ``"max_global"`` by their smallest/largest one. ``optimization_time_limit`` and
    ``compute_time_limit`` are minutes; ``max_number_of_concurrent_tasks`` is the number of
    jobs running at once. See docs/migrate-clearml.md, argument by argument.
    """

    _tag = "optimization"

    def __init__(
        self,
        base_task_id: str,
        hyper_parameters: Sequence[Parameter],
        objective_metric_title: str,
        objective_metric_series: str,
        objective_metric_sign: str = "min",
        optimizer_class: Any = RandomSearch,
        max_number_of_concurrent_tasks: int = 10,
        execution_queue: str = "default",
        optimization_time_limit: float | None = None,
        compute_time_limit: float | None = None,
        auto_connect_task: bool = True,
        always_create_task: bool = False,
        **optimizer_kwargs: Any,
    ):
        if objective_metric_sign not in _SIGNS:
            raise InvalidValue(
                "HyperParameterOptimizer: objective_metric_sign must be one of "
                f"{', '.join(map(repr, _SIGNS))}, but got objective_metric_sign="
                f"{objective_metric_sign!r}"
            )
        _positive(
            "HyperParameterOptimizer",
            "max_number_of_concurrent_tasks",
            max_number_of_concurrent_tasks,
            integer=True,
            none=False,
        )
        _positive("HyperParameterOptimizer", "optimization_time_limit", optimization_time_limit)
        strategy = _strategy_class(optimizer_class)
        base = base_task(base_task_id)
        self._task = Task.current_task()
        if self._task is None and always_create_task:
            self._task = Task.init(
                project_name=None,
                task_name=f"Optimizing: {base.name}",
                task_type=Task.TaskTypes.optimizer,
            )
        if self._task is not None:
            self._task.add_tags([self._tag])
            if auto_connect_task:
                self._task.connect_configuration(
                    {"parameter_optimization_space": [p.to_dict() for p in hyper_parameters]}
                )
                opts = dict(
                    base_task_id=base_task_id,
                    objective_metric_title=objective_metric_title,
                    objective_metric_series=objective_metric_series,
                    objective_metric_sign=objective_metric_sign,
                    max_number_of_concurrent_tasks=max_number_of_concurrent_tasks,
                    execution_queue=execution_queue,
                    optimization_time_limit=optimization_time_limit,
                    compute_time_limit=compute_time_limit,
                    optimizer_class=getattr(strategy, "__name__", type(strategy).__name__),
                    **optimizer_kwargs,
                )
                self._task.connect(opts, name="opt")
        self.base_task_id = base_task_id
        self.hyper_parameters = list(hyper_parameters)
        self.max_number_of_concurrent_tasks = max_number_of_concurrent_tasks
        self.execution_queue = execution_queue
        self.objective_metric = Objective(
            title=objective_metric_title,
            series=objective_metric_series,
            order="min" if objective_metric_sign in ("min", "min_global") else "max",
            extremum=objective_metric_sign.endswith("_global"),
        )
        if isinstance(strategy, SearchStrategy):
            self.optimizer = strategy
        else:
            self.optimizer = strategy(
                base_task_id=base_task_id,
                hyper_parameters=hyper_parameters,
                objective_metric=self.objective_metric,
                execution_queue=execution_queue,
                num_concurrent_workers=max_number_of_concurrent_tasks,
                compute_time_limit=compute_time_limit,
                **optimizer_kwargs,
            )
        self.optimizer.set_optimizer_task(self._task)
        self.optimizer._deadline = lambda: self.optimization_timeout
        self.optimizer._on_job_end = self._job_ended
        self.optimization_timeout: float | None = None
        self.optimization_start_time: float | None = None
        self._thread: threading.Thread | None = None
        self._runner: threading.Thread | None = None
        self._stop_event: threading.Event | None = None
        self._report_period_min = 5.0
        self._thread_reporter: threading.Thread | None = None
        self._experiment_completed_cb: Callable[..., Any] | None = None
        self._best: tuple[float, str] | None = None
        self._reported: set[str] = set()
        self._report_count = 0
        #: the last summary table printed by the periodic report (text)
        self.summary = ""
        self.error: BaseException | None = None
        if self._task is not None:
            self.optimizer.set_job_default_parent(self._task.id)
        self.set_time_limit(in_minutes=optimization_time_limit)

    # -- running ---------------------------------------------------------------------------------
    def start(
        self, job_complete_callback: Callable[[str, float, int, dict, str], Any] | None = None
    ) -> bool:
        """Start the optimization in a thread and return True at once (True too when it is
        already running). ``job_complete_callback(job_id, objective_value,
        objective_iteration, job_parameters, top_performance_job_id)`` is called once per
        ended job that reported the objective (``job_parameters`` with its ``"status"``)."""
        if job_complete_callback is not None and not callable(job_complete_callback):
            raise InvalidValue(
                f"start: job_complete_callback must be callable, but got {job_complete_callback!r}"
            )
        if self._thread is not None:
            return True
        if self.optimizer.tuner is not None:
            raise RuntimeError("HyperParameterOptimizer.start(): this optimizer already ran")
        self.optimization_start_time = time.time()
        self._experiment_completed_cb = job_complete_callback
        self._stop_event = threading.Event()
        self._thread = self._runner = threading.Thread(
            target=self._daemon, name="clearml-optimizer", daemon=True
        )
        self._thread.start()
        self._thread_reporter = threading.Thread(
            target=self._report_daemon, name="clearml-reporter", daemon=True
        )
        self._thread_reporter.start()
        return True

    def _daemon(self) -> None:
        try:
            self.optimizer.start()
        except BaseException as err:  # shown by wait()/stop(), as the thread cannot raise
            self.error = err
            logger.error("the optimization failed:\n%s", traceback.format_exc())
        finally:
            self._thread = None
            if self._stop_event is not None:
                self._stop_event.set()  # wakes the reporter for its last report

    def stop(self, timeout: float | None = None, wait_for_reporter: bool = True) -> None:
        """Stop the optimization: running jobs are aborted. Waits ``timeout`` minutes at most
        for them to end (None: until they ended), then for the last report."""
        runner = self._runner
        if runner is None:
            return
        self.optimizer.stop()
        if self._stop_event is not None:
            self._stop_event.set()
        runner.join(None if timeout is None else timeout * 60.0)
        self._thread = None
        if wait_for_reporter and self._thread_reporter is not None:
            self._thread_reporter.join()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the optimization to end (``timeout`` minutes at most; None: until it ends,
        which a time limit bounds); True when it ended. It is not stopped: see :meth:`stop`."""
        runner = self._thread
        if runner is None:
            return True
        runner.join(None if timeout is None else timeout * 60.0)
        return not runner.is_alive()

    def is_active(self) -> bool:
        """True until the optimization ended (also before :meth:`start`)."""
        return self._stop_event is None or self._thread is not None

    def is_running(self) -> bool:
        """True while the optimization runs."""
        return self._thread is not None

    def set_time_limit(
        self, in_minutes: float | None = None, specific_time: datetime | None = None
    ) -> None:
        """The optimization stops ``in_minutes`` from now, or at ``specific_time``."""
        if specific_time is not None:
            if not isinstance(specific_time, datetime):
                raise InvalidValue(
                    "set_time_limit: specific_time must be a datetime, but got "
                    f"specific_time={specific_time!r}"
                )
            self.optimization_timeout = specific_time.timestamp()
        else:
            if in_minutes is not None:
                _positive("set_time_limit", "in_minutes", in_minutes)
            self.optimization_timeout = (
                float(in_minutes) * 60.0 + time.time() if in_minutes else None
            )

    def get_time_limit(self) -> datetime | None:
        """When the optimization stops (None: no time limit)."""
        return (
            None
            if self.optimization_timeout is None
            else datetime.fromtimestamp(self.optimization_timeout)
        )

    def elapsed(self) -> float:
        """Minutes since :meth:`start` (-1.0 before)."""
        if self.optimization_start_time is None:
            return -1.0
        return (time.time() - self.optimization_start_time) / 60.0

    def reached_time_limit(self) -> bool:
        """True once the time limit passed while the optimization ran (and after it stopped
        because of it); False before :meth:`start`, without a time limit, or when it ended
        for another reason."""
        if self.optimization_start_time is None or self.optimization_timeout is None:
            return False
        if not self.is_running() and self.optimizer.stop_reason != "time limit":
            return False
        return time.time() > self.optimization_timeout

    # -- results ---------------------------------------------------------------------------------
    def get_top_experiments(self, top_k: int) -> list[Task]:
        """The tasks of the ``top_k`` best jobs, best first (see the objective)."""
        return self.optimizer.get_top_experiments(top_k=top_k)

    def get_optimizer(self) -> SearchStrategy:
        return self.optimizer

    def get_num_active_experiments(self) -> int:
        return len(self.optimizer.get_running_jobs())

    def get_active_experiments(self) -> list[Task]:
        return [j.task for j in self.optimizer.get_running_jobs()]

    def set_default_job_class(self, job_class: Any) -> None:
        self.optimizer.set_job_class(job_class)

    # -- the callback and the report -------------------------------------------------------------
    def _job_ended(self, job: Job) -> None:
        """In the tuner's thread, once per ended job."""
        value = self.objective_metric.get_objective(job)
        if value is None:
            return
        normalized = self.objective_metric.sign * value
        if self._best is None or normalized > self._best[0]:
            self._best = (normalized, job.task_id())
        if self._experiment_completed_cb is None:
            return
        raw = self.objective_metric.get_current_raw_objective(job)
        params = dict(job.parameters, status=job.status())
        try:
            self._experiment_completed_cb(
                job.task_id(), value, raw[0] if raw else -1, params, self._best[1]
            )
        except Exception:  # as ClearML's reporter thread: the optimization goes on
            logger.error("job_complete_callback failed:\n%s", traceback.format_exc())

    def set_report_period(self, report_period_minutes: float) -> None:
        """Report progress and the summary table every ``report_period_minutes`` (default 5)."""
        self._report_period_min = float(
            _positive(
                "set_report_period", "report_period_minutes", report_period_minutes, none=False
            )
        )

    def _report_daemon(self) -> None:
        event = self._stop_event
        while self._thread is not None and event is not None:
            if event.wait(timeout=self._report_period_min * 60.0):
                break
            self._report()
        self._report(force=True)

    def _report(self, force: bool = False) -> None:
        self._report_count += 1
        task = self._task or Task.current_task()
        task_logger = task.get_logger() if task is not None else None
        if task_logger is not None:
            for part, value in self.optimizer.budget.to_dict().items():
                task_logger.report_scalar(
                    "remaining budget",
                    f"{part} %",
                    round(100 - value["used"] * 100.0, 1),
                    self._report_count,
                )
        done = {
            j.task_id() for j in self.optimizer.get_created_jobs_tasks().values() if j.is_stopped()
        }
        if not force and done == self._reported:
            return
        self._reported = done
        table = self.summary_table()
        if not table:
            return
        self.summary = table
        title = "/".join(self.objective_metric.get_objective_metric())
        print(
            f"Job performance summary (objective: {title}), report #{self._report_count}:\n{table}",
            flush=True,
        )
        if task_logger is not None:
            task_logger.report_table("summary", "job", 0, table_plot=table)

    def summary_rows(self) -> list[dict[str, Any]]:
        """A row per job with an objective value (best first): ``task id``, ``objective``,
        ``iteration``, the parameters and ``status``."""
        rows = []
        for job in self.optimizer.get_created_jobs_tasks().values():
            value = self.objective_metric.get_objective(job)
            if value is None:
                continue
            raw = self.objective_metric.get_current_raw_objective(job)
            rows.append(
                {
                    "task id": job.task_id(),
                    "objective": value,
                    "iteration": raw[0] if raw else -1,
                    **job.parameters,
                    "status": job.status(),
                }
            )
        rows.sort(key=lambda r: r["objective"], reverse=self.objective_metric.sign > 0)
        return rows

    def summary_table(self) -> str:
        """:meth:`summary_rows` as a text table ('' before any value)."""
        rows = self.summary_rows()
        if not rows:
            return ""
        columns = list(dict.fromkeys(k for r in rows for k in r))
        cells = [[_cell(r.get(c, "")) for c in columns] for r in rows]
        widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
        lines = [columns, *cells]
        return "\n".join(
            "  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip()
            for line in lines
        )

    def __repr__(self) -> str:
        return (
            f"HyperParameterOptimizer(optimizer={self.optimizer!r}, "
            f"objective={self.objective_metric!r})"
        )


def _cell(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)
