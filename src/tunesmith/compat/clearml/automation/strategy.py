"""ClearML's search strategies on tunesmith: :class:`SearchStrategy` is a front for one native
scheduler run by the native :class:`~tunesmith.Tuner` on the base task's backend;
:class:`RandomSearch` and :class:`GridSearch` are its two kinds here (BOHB and Optuna are in
their own modules)."""

from __future__ import annotations

import logging
import numbers
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tunesmith.callbacks.base import TunerCallback
from tunesmith.compat.clearml._errors import InvalidValue, NotSupported
from tunesmith.compat.clearml.automation.objective import Budget, Job, Objective, _positive
from tunesmith.compat.clearml.automation.parameters import Parameter, ParameterSet, RandomSeed
from tunesmith.compat.clearml.task import _LOCK as _TASK_LOCK
from tunesmith.compat.clearml.task import Task, base_task, job_id
from tunesmith.schedulers.base import Scheduler
from tunesmith.trial import Decision

__all__ = ["GridSearch", "RandomSearch", "SearchStrategy"]

logger = logging.getLogger("tunesmith")


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
    changes nothing (the tuner acts on each event, not by polling); ``execution_queue`` ``"ray"``,
    ``"ray:auto"``, ``"ray://host:10001"`` or ``"ray:host:6379"`` runs the jobs on a Ray cluster
    (:func:`tunesmith.compat.clearml.task.ray_address`), any other name on this machine. Other
    keyword arguments are ignored, as ClearML ignores them, with a warning naming them.
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

        backend = self._base.backend(
            self._objective_metric.metric, self._id, self._sets, self._execution_queue
        )
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
            name=self.study_name,  # in the default store: every job's reports are kept
        )

    @property
    def study_name(self) -> str:
        """The name of the study this optimization is in the default store (``tunesmith show
        NAME``, ``tunesmith.load_study(NAME)``): ``clearml-<optimizer id>``."""
        return f"clearml-{self._id}"

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
                job._stop_trial = self.tuner.stop_trial
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
