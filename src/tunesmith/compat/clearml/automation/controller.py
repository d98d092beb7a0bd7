"""ClearML's :class:`HyperParameterOptimizer` controller on tunesmith: it runs a search strategy
in a thread, so that ``start()`` returns at once, and adds what ClearML's controller adds: the
time limit, the job-complete callback and the periodic report."""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from tunesmith.compat.clearml._errors import InvalidValue
from tunesmith.compat.clearml.automation.objective import _SIGNS, Job, Objective, _positive
from tunesmith.compat.clearml.automation.parameters import Parameter
from tunesmith.compat.clearml.automation.strategy import (
    RandomSearch,
    SearchStrategy,
    _strategy_class,
)
from tunesmith.compat.clearml.task import Task, base_task

__all__ = ["HyperParameterOptimizer"]

logger = logging.getLogger("tunesmith")


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
