"""ClearML's ``Task`` and ``Logger``, locally, and :func:`register_task`, which makes a function
or a command the "base task" a :class:`~tunesmith.compat.clearml.HyperParameterOptimizer`
clones.

On a ClearML server the base task is an experiment that ran once; the optimizer clones it with
other parameters and a worker runs each clone. Here the base task is registered in this
process::

    def train(params, logger):
        for it in range(10):
            loss = (params["lr"] - 0.1) ** 2
            logger.report_scalar("validation", "loss", value=loss, iteration=it)

    base_task_id = register_task(train, name="train")

A function is called as ``fn(params, logger)`` in a worker process; a command (``"python
train.py"``) runs as a :class:`~tunesmith.ScriptBackend` trial: its parameters come in
``task.connect(...)`` / ``task.get_parameters()``, and those of ClearML's argparse section
(``Args/lr``) or without a section (``lr``) also as ``--lr value`` arguments (see
:func:`script_arguments`); its logger is ``Logger.current_logger()`` (or
``Task.current_task().get_logger()``).

A base task can also be registered outside the optimizer's script, so that a ClearML script
runs with only its imports changed: the JSON file :func:`registry_path` names
(``$TUNESMITH_CLEARML_TASKS``, default ``clearml-tasks.json`` in the tunesmith home) maps task
ids to commands (``{"fa30...": "python train.py"}`` or ``{"fa30...": {"command": [...], "name":
..., "project": ...}}``), and a training script run by itself that calls ``Task.init(project,
name)`` adds itself there, as the first run of a script creates its task on a ClearML server
(the id is logged; running the same script with the same project and name again keeps it).

``logger.report_scalar(title, series, value, iteration)`` is a tunesmith report of the metric
``"title/series"`` when it is the objective's scalar: ``{"title/series": value, "iteration":
iteration, "iterations": iteration + 1, <the latest value of each other scalar>}`` (``iterations``,
the iterations done, is the resource of Optuna's pruners). Other scalars are kept and go with
the next report of the objective.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tunesmith.backends.script import ScriptBackend, config_arguments
from tunesmith.compat.clearml._errors import InvalidValue, NotSupported

__all__ = ["Logger", "Task", "register_task"]

log = logging.getLogger("tunesmith")

#: environment of a script trial: the objective's scalar name, the job id prefix and the
#: ParameterSet combinations (JSON)
ENV_OBJECTIVE = "TUNESMITH_CLEARML_OBJECTIVE"
ENV_JOB_PREFIX = "TUNESMITH_CLEARML_JOB_PREFIX"
ENV_SETS = "TUNESMITH_CLEARML_SETS"
#: the report field holding ``iteration + 1``, the iterations done (ClearML's iterations count
#: from 0; a scheduler's resource counts from 1): Optuna's pruners run on it
ITERATIONS = "iterations"
#: the JSON file of base tasks registered outside the optimizer's script (see registry_path)
ENV_REGISTRY = "TUNESMITH_CLEARML_TASKS"
REGISTRY_FILENAME = "clearml-tasks.json"

_LOCK = threading.RLock()
#: every task this process knows: registered base tasks, Task.init tasks and the optimizers' jobs
_TASKS: dict[str, Task] = {}


def job_id(prefix: str, trial_id: int) -> str:
    """The id of the job that runs trial ``trial_id`` of the optimizer with id ``prefix``."""
    return f"{prefix}{trial_id:08x}"


def expand(config: Mapping[str, Any], sets: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict:
    """The task's parameters from a tunesmith config: a ParameterSet's index (under its key in
    ``sets``) becomes the values of that combination."""
    params: dict[str, Any] = {}
    for key, value in config.items():
        if key in sets:
            params.update(sets[key][int(value)])
        else:
            params[key] = value
    return params


class Logger:
    """ClearML's ``Logger``: ``report_scalar(title, series, value, iteration)`` (see the module
    docstring for how a scalar becomes a tunesmith report); the other ``report_*`` methods
    keep nothing (there is no web UI) except ``report_text``, which prints."""

    _current: Logger | None = None

    def __init__(self, objective: str | None = None, task: Task | None = None):
        self._objective = objective
        self._task = task
        self._latest: dict[str, float] = {}
        #: ``{title: {series: {"x": [iterations], "y": [values]}}}``, as ClearML returns them
        self.scalars: dict[str, dict[str, dict[str, list]]] = {}
        #: the tables reported, ``(title, series, iteration, table)``
        self.tables: list[tuple[str, str, int, Any]] = []

    @classmethod
    def current_logger(cls) -> Logger:
        """The logger of the running job (or of the current task, or a new one)."""
        if cls._current is None:
            task = Task.current_task()
            cls._current = task.get_logger() if task is not None else Logger()
        return cls._current

    def report_scalar(self, title: str, series: str, value: float, iteration: int) -> None:
        if not isinstance(title, str) or not isinstance(series, str):
            raise InvalidValue(
                f"report_scalar: title and series must be str, but got title={title!r}, "
                f"series={series!r}"
            )
        name = f"{title}/{series}"
        with _LOCK:
            points = self.scalars.setdefault(title, {}).setdefault(series, {"x": [], "y": []})
            points["x"].append(iteration)
            points["y"].append(value)
        if name != self._objective:
            self._latest[name] = value
            return
        import tunesmith

        report = {**self._latest, name: value, "iteration": iteration}
        if isinstance(iteration, int) and not isinstance(iteration, bool) and iteration >= 0:
            # the iterations done (ClearML counts from 0): a resource for pruning schedulers
            report[ITERATIONS] = iteration + 1
        tunesmith.report(**report)

    def report_text(self, msg: str, *args: Any, **kwargs: Any) -> None:
        print(msg)

    def report_table(
        self, title: str, series: str, iteration: int = 0, table_plot: Any = None, **kwargs: Any
    ) -> None:
        self.tables.append((title, series, iteration, table_plot))

    def _ignored(self, *args: Any, **kwargs: Any) -> None:
        """Plots have nowhere to go without a ClearML server: kept nowhere."""

    report_scatter2d = report_histogram = report_matplotlib_figure = report_image = _ignored
    report_plotly = report_confusion_matrix = report_line_plot = report_media = _ignored
    report_single_value = _ignored

    def flush(self, wait: bool = False) -> bool:
        return True

    def get_reported_scalars(self) -> dict[str, dict[str, dict[str, list]]]:
        with _LOCK:
            return {
                t: {s: {"x": list(p["x"]), "y": list(p["y"])} for s, p in d.items()}
                for t, d in self.scalars.items()
            }


class Task:
    """ClearML's ``Task``, locally: ``Task.init(project_name, task_name)``,
    ``Task.current_task()``, ``Task.get_task(task_id=...)``, ``connect``, ``get_logger``,
    ``get_parameters``; the optimizer's jobs are Tasks too (``get_top_experiments()`` returns
    them) with ``get_last_scalar_metrics()``, ``get_reported_scalars()`` and ``status``."""

    _current: Task | None = None

    class TaskTypes:
        training = "training"
        testing = "testing"
        optimizer = "optimizer"
        data_processing = "data_processing"
        inference = "inference"
        controller = "controller"

    def __init__(
        self,
        task_id: str | None = None,
        name: str | None = None,
        project: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        logger: Logger | None = None,
    ):
        self.id = task_id or uuid.uuid4().hex
        self.name = name
        self.project = project
        self._parameters = dict(parameters or {})
        self._logger = logger or Logger(task=self)
        self._status = "created"
        self._tags: list[str] = []
        self.configuration: dict[str, Any] = {}
        #: the job behind an optimizer's task (see optimization.Job), or None
        self.job: Any = None

    # -- class methods -------------------------------------------------------------------------
    @classmethod
    def init(
        cls,
        project_name: str | None = None,
        task_name: str | None = None,
        task_type: str = "training",
        **kwargs: Any,
    ) -> Task:
        """The current task: inside a job, that job's task; else a new local task (ClearML's
        other arguments, such as ``reuse_last_task_id`` or ``output_uri``, change nothing here)."""
        if cls._current is not None:
            return cls._current
        task = _job_task_from_env()
        if task is None:
            script = _running_script()
            task_id = None if script is None else record_script(script, project_name, task_name)
            task = cls(task_id, name=task_name, project=project_name)
        task._status = "in_progress"
        with _LOCK:
            _TASKS[task.id] = task
        cls._current = task
        return task

    @classmethod
    def current_task(cls) -> Task | None:
        if cls._current is None:
            cls._current = _job_task_from_env()
        return cls._current

    @classmethod
    def get_task(
        cls,
        task_id: str | None = None,
        project_name: str | None = None,
        task_name: str | None = None,
        **kwargs: Any,
    ) -> Task:
        """A task this process knows, by id (or by name): registered base tasks, ``Task.init``
        tasks and the optimizers' jobs."""
        with _LOCK:
            if task_id is not None and task_id in _TASKS:
                return _TASKS[task_id]
            if task_id is None and task_name is not None:
                for task in reversed(list(_TASKS.values())):
                    if task.name == task_name and project_name in (None, task.project):
                        return task
        raise ValueError(
            f"Could not find task id={task_id!r} name={task_name!r}: register the base task "
            "first with tunesmith.compat.clearml.register_task(fn_or_command, name=...)"
        )

    # -- instance methods ----------------------------------------------------------------------
    def get_logger(self) -> Logger:
        return self._logger

    def connect(self, mutable: Any, name: str | None = None) -> Any:
        """Inside a job, a dict's keys (``key`` or ``<name or General>/key``) and an object's
        attributes take the job's values; the values are also the task's parameters."""
        section = name or "General"
        if isinstance(mutable, dict):
            for key in list(mutable):
                for full in (key, f"{section}/{key}"):
                    if full in self._parameters:
                        mutable[key] = self._parameters[full]
            for key, value in mutable.items():
                self._parameters.setdefault(f"{section}/{key}", value)
            return mutable
        if hasattr(mutable, "__dict__"):
            for key in vars(mutable):
                for full in (key, f"{section}/{key}"):
                    if full in self._parameters:
                        setattr(mutable, key, self._parameters[full])
            return mutable
        raise NotSupported(
            f"Task.connect: only dicts and objects are supported, not {type(mutable).__name__}"
        )

    def connect_configuration(
        self, configuration: Any, name: str | None = None, description: str | None = None
    ) -> Any:
        self.configuration[name or "General"] = configuration
        return configuration

    def get_parameters(self) -> dict[str, Any]:
        return dict(self._parameters)

    def get_parameters_as_dict(self) -> dict[str, Any]:
        """The parameters nested by section: ``{"General": {"lr": 0.1}}``; names without a
        section stay at the top."""
        out: dict[str, Any] = {}
        for key, value in self._parameters.items():
            section, _, name = key.rpartition("/")
            (out.setdefault(section, {}) if section else out)[name] = value
        return out

    def set_parameters(self, *args: Any, **kwargs: Any) -> None:
        self._parameters.update(*args, **kwargs)

    def add_tags(self, tags: Sequence[str] | str) -> None:
        self._tags.extend([tags] if isinstance(tags, str) else tags)

    def get_tags(self) -> list[str]:
        return list(self._tags)

    def get_project_name(self) -> str | None:
        return self.project

    @property
    def status(self) -> str:
        """ClearML's status words: ``created``, ``in_progress``, ``completed``, ``stopped``
        (aborted: by the optimizer's limits or a stop), ``failed``."""
        return self.job.status() if self.job is not None else self._status

    def get_status(self) -> str:
        return self.status

    def get_reported_scalars(self) -> dict[str, dict[str, dict[str, list]]]:
        return self._logger.get_reported_scalars()

    def get_last_scalar_metrics(self) -> dict[str, dict[str, dict[str, float]]]:
        """``{title: {series: {"last": v, "min": v, "max": v}}}``."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for title, series in self.get_reported_scalars().items():
            for name, points in series.items():
                ys = points["y"]
                if ys:
                    out.setdefault(title, {})[name] = {
                        "last": ys[-1],
                        "min": min(ys),
                        "max": max(ys),
                    }
        return out

    def mark_completed(self) -> None:
        self._status = "completed"

    def close(self) -> None:
        if Task._current is self:
            Task._current = None

    def __repr__(self) -> str:
        return f"<Task id={self.id} name={self.name!r} status={self.status}>"


def _job_task_from_env() -> Task | None:
    """In a script trial: the job's task, with its parameters and a logger reporting the
    objective."""
    prefix = os.environ.get(ENV_JOB_PREFIX)
    trial = os.environ.get("TUNESMITH_TRIAL_ID")
    if prefix is None or trial is None:
        return None
    with open(os.environ["TUNESMITH_CONFIG"]) as f:
        config = json.load(f)
    params = expand(config, json.loads(os.environ.get(ENV_SETS, "{}")))
    task = Task(job_id(prefix, int(trial)), parameters=params)
    task._logger = Logger(os.environ.get(ENV_OBJECTIVE), task)
    Logger._current = task._logger
    return task


class BaseTask:
    """A registered base task: a function ``fn(params, logger)`` or a command."""

    def __init__(
        self, target: Callable[..., Any] | str | Sequence[str], name: str | None, task_id: str
    ):
        self.target, self.name, self.id = target, name, task_id

    @property
    def is_function(self) -> bool:
        return callable(self.target)

    def backend(
        self, objective: str, prefix: str, sets: Mapping[str, Any], queue: str = "default"
    ) -> Any:
        """The backend of the jobs: this machine's, or a Ray cluster's where ``queue`` (the
        execution queue) names one (:func:`ray_address`)."""
        address = ray_address(queue)
        env = {ENV_OBJECTIVE: objective, ENV_JOB_PREFIX: prefix, ENV_SETS: json.dumps(sets)}
        if address is not None:
            from tunesmith import RayBackend

            where = None if address == "" else address
            if self.is_function:
                function = _JobFunction(self.target, objective, prefix, dict(sets))
                return RayBackend(function, address=where)
            factory = functools.partial(_JobScript, sets=dict(sets))
            return RayBackend(self.target, address=where, env=env, script_backend=factory)
        if self.is_function:
            from tunesmith import LocalBackend

            return LocalBackend(
                _JobFunction(self.target, objective, prefix, dict(sets)),
                import_main=False,
                echo_output=True,
            )
        return _JobScript(self.target, env=env, sets=dict(sets))


def ray_address(queue: str) -> str | None:
    """Where the jobs of an execution queue run: ``"ray"`` on the Ray cluster this process is
    connected to, else the one at ``RAY_ADDRESS``, else a Ray instance started here (returns
    ""); ``"ray:auto"`` on the cluster started on this machine with ``ray start --head``;
    ``"ray://host:10001"`` or ``"ray:host:6379"`` on the cluster at that address. Any other
    queue: on this machine (None), as tunesmith has no agents."""
    if not isinstance(queue, str):
        return None
    if queue == "ray":
        return ""
    if queue.startswith("ray://"):
        return queue
    if queue.startswith("ray:") and len(queue) > 4:
        return queue[4:]
    return None


def script_arguments(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a command base task gets as ``--name value``: those of ClearML's argparse
    section ``Args/`` (``Args/lr`` is ``--lr``) and those without a section; the other sections
    (``General/``, a ``connect(..., name=...)``'s) reach the script through ``Task.connect`` and
    ``get_parameters()`` only, as on ClearML."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        section, _, name = key.rpartition("/")
        if section in ("", "Args"):
            out[name] = value
    return out


class _JobScript(ScriptBackend):
    """A command base task's jobs: ClearML's argparse section on the command line."""

    def __init__(self, command: Any, *, sets: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(command, **kwargs)
        self.sets = sets

    def arguments(self, config: Mapping[str, Any]) -> list[str]:
        return config_arguments(script_arguments(expand(config, self.sets)))


class _JobFunction:
    """What a LocalBackend worker runs: ``fn(params, logger)`` with the job's task current."""

    def __init__(self, fn: Callable[..., Any], objective: str, prefix: str, sets: dict):
        self.fn, self.objective, self.prefix, self.sets = fn, objective, prefix, sets

    def __call__(self, config: dict[str, Any]) -> None:
        import tunesmith

        params = expand(config, self.sets)
        task = Task(job_id(self.prefix, tunesmith.trial_id() or 0), parameters=params)
        task._logger = Logger(self.objective, task)
        Task._current, Logger._current = task, task._logger
        try:
            self.fn(params, task._logger)
        finally:
            Task._current = Logger._current = None


def register_task(
    fn_or_command: Callable[..., Any] | str | Sequence[str],
    name: str | None = None,
    task_id: str | None = None,
    project: str | None = None,
) -> str:
    """Make ``fn_or_command`` a base task and return its id (``task_id``, or a new one), the
    ``base_task_id`` to give the optimizer. A function is called as ``fn(params, logger)``; a
    command (a string or a list) runs as a script trial."""
    if not (callable(fn_or_command) or isinstance(fn_or_command, str | list | tuple)):
        raise TypeError(
            "register_task: fn_or_command must be a function fn(params, logger) or a command "
            f"(str or list of str), but got {fn_or_command!r}"
        )
    if task_id is not None and (not isinstance(task_id, str) or not task_id):
        raise InvalidValue(
            f"register_task: task_id must be a non-empty str, but got task_id={task_id!r}"
        )
    if name is None:
        name = getattr(fn_or_command, "__name__", None) or str(fn_or_command)
    task = Task(task_id, name=name, project=project)
    task.base = BaseTask(fn_or_command, name, task.id)
    task._status = "completed"
    with _LOCK:
        _TASKS[task.id] = task
    return task.id


def base_task(task_id: str) -> BaseTask:
    """The base task ``task_id``: registered in this process, else in the file of
    :func:`registry_path` (ClearML: ``Could not find base task id``)."""
    with _LOCK:
        task = _TASKS.get(task_id)
    base = getattr(task, "base", None)
    if base is None:
        entry = read_registry().get(task_id)
        if entry is not None:
            register_task(entry["command"], entry.get("name"), task_id, entry.get("project"))
            return base_task(task_id)
        raise ValueError(
            f"Could not find base task id {task_id}: register it first with "
            "tunesmith.compat.clearml.register_task(fn_or_command, name=..., task_id=...), or "
            f"map it to a command in {registry_path()} ({ENV_REGISTRY}), e.g. "
            f'{{"{task_id}": "python train.py"}}'
        )
    return base


def registry_path() -> Path:
    """The JSON file of base tasks registered outside the optimizer's script:
    ``$TUNESMITH_CLEARML_TASKS``, else ``clearml-tasks.json`` in the tunesmith home
    (``$TUNESMITH_HOME``, default ``./tunesmith-results``)."""
    named = os.environ.get(ENV_REGISTRY)
    if named:
        return Path(named)
    from tunesmith.store.home import home_directory

    return Path(home_directory()) / REGISTRY_FILENAME


def read_registry() -> dict[str, dict[str, Any]]:
    """The file's entries, ``{task_id: {"command": ..., "name": ..., "project": ...}}`` (a
    plain command string is ``{"command": it}``); a file that is not such JSON is a
    ``ValueError`` naming it."""
    path = registry_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} ({ENV_REGISTRY}) is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(
            f"{path} ({ENV_REGISTRY}) must be a JSON object {{task_id: command}}, but got "
            f"{type(data).__name__}"
        )
    out = {}
    for task_id, entry in data.items():
        if isinstance(entry, str | list):
            entry = {"command": entry}
        if not isinstance(entry, dict) or not isinstance(entry.get("command"), str | list):
            raise ValueError(
                f"{path} ({ENV_REGISTRY}): the entry of task {task_id!r} must be a command (a "
                f'str or a list of str) or {{"command": ..., "name": ...}}, but got {entry!r}'
            )
        out[task_id] = entry
    return out


def _running_script() -> list[str] | None:
    """The command that runs this process's script (None outside a script: a notebook, ``-c``,
    an interactive session)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not os.path.isfile(path) or getattr(sys, "ps1", None) is not None:
        return None
    return [sys.executable, os.path.abspath(path), *sys.argv[1:]]


def record_script(command: list[str], project: str | None, name: str | None) -> str:
    """The id of ``command`` as a base task in the file of :func:`registry_path`: the id of an
    entry with the same command, project and name (ClearML reuses a task's id so), else a new
    one, written there."""
    with _LOCK:
        entries = read_registry()
        for task_id, entry in entries.items():
            same = (entry["command"], entry.get("project"), entry.get("name"))
            if same == (command, project, name):
                return task_id
        task_id = uuid.uuid4().hex
        path = registry_path()
        try:
            raw = json.loads(path.read_text()) if path.exists() else {}
            raw[task_id] = {"command": command, "name": name, "project": project}
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(raw, indent=1))
            os.replace(partial, path)
        except OSError as exc:
            log.warning("ClearML task %s not recorded in %s: %s", task_id, path, exc)
            return task_id
    log.info("ClearML Task: created new task id=%s (recorded in %s)", task_id, path)
    return task_id


def add_task(task: Task) -> None:
    with _LOCK:
        _TASKS[task.id] = task
