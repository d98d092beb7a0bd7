"""ClearML's (formerly Trains) ``HyperParameterOptimizer`` API on tunesmith: change
``from clearml import Task`` / ``from clearml.automation import ...`` (or ``trains``) to
``from tunesmith.compat.clearml import Task`` / ``from tunesmith.compat.clearml.automation
import ...`` and register the base task locally with :func:`register_task`; the search runs on
tunesmith's native schedulers, searchers and tuner. See docs/migrate-clearml.md.

::

    from tunesmith.compat.clearml import register_task
    from tunesmith.compat.clearml.automation import (
        DiscreteParameterRange, HyperParameterOptimizer, RandomSearch, UniformParameterRange)

    def train(params, logger):
        for it in range(5):
            logger.report_scalar("val", "loss", value=params["lr"] / (it + 1), iteration=it)

    optimizer = HyperParameterOptimizer(
        base_task_id=register_task(train, name="train"),
        hyper_parameters=[UniformParameterRange("lr", 0.01, 0.3)],
        objective_metric_title="val", objective_metric_series="loss",
        objective_metric_sign="min", optimizer_class=RandomSearch,
        max_number_of_concurrent_tasks=2, total_max_jobs=4)
    optimizer.start()
    optimizer.wait()
    print(optimizer.get_top_experiments(top_k=1))
"""

from tunesmith.compat.clearml import automation
from tunesmith.compat.clearml._errors import InvalidValue, NotSupported
from tunesmith.compat.clearml.automation import *  # noqa: F403
from tunesmith.compat.clearml.automation import __all__ as _automation
from tunesmith.compat.clearml.task import Logger, Task, register_task

__all__ = [
    "InvalidValue",
    "Logger",
    "NotSupported",
    "Task",
    "automation",
    "register_task",
    *_automation,
]
