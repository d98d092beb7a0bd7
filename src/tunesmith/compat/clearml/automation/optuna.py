"""ClearML's ``OptimizerOptuna`` (``clearml.automation.optuna``) as tunesmith's
:class:`~tunesmith.TPE` (Optuna's default sampler is TPE) under a
:class:`~tunesmith.MedianStoppingRule` over the objective's ``iteration`` (Optuna's default
pruner is the median pruner, which waits for 5 trials)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tunesmith.compat.clearml._errors import NotSupported
from tunesmith.compat.clearml.automation.objective import Objective, _positive
from tunesmith.compat.clearml.automation.parameters import Parameter
from tunesmith.compat.clearml.automation.strategy import SearchStrategy

__all__ = ["OptimizerOptuna"]


class OptimizerOptuna(SearchStrategy):
    """Optuna's defaults: TPE configs, median pruning by ``iteration`` (``optuna_pruner=False``
    turns pruning off). ``optuna_sampler`` / ``optuna_pruner`` objects of Optuna itself and
    ``continue_previous_study`` are not supported (a NotSupported error says what to use);
    other keyword arguments are a TypeError (``optuna.create_study`` gives one)."""

    def __init__(
        self,
        base_task_id: str,
        hyper_parameters: Sequence[Parameter],
        objective_metric: Objective,
        execution_queue: str,
        num_concurrent_workers: int,
        max_iteration_per_job: int | None,
        total_max_jobs: int | None,
        pool_period_min: float = 2.0,
        min_iteration_per_job: int | None = None,
        time_limit_per_job: float | None = None,
        compute_time_limit: float | None = None,
        optuna_sampler: Any = None,
        optuna_pruner: Any = None,
        continue_previous_study: Any = None,
        **optuna_kwargs: Any,
    ):
        if optuna_kwargs:
            raise TypeError(
                f"OptimizerOptuna got an unexpected keyword argument {sorted(optuna_kwargs)[0]!r}"
            )
        if optuna_sampler is not None:
            raise NotSupported(
                "OptimizerOptuna: optuna_sampler objects are not supported; the configs come from "
                "tunesmith's TPE (write a SearchStrategy subclass whose make_native() returns "
                "another tunesmith scheduler)"
            )
        if optuna_pruner not in (None, False):
            raise NotSupported(
                "OptimizerOptuna: optuna_pruner objects are not supported; None is Optuna's "
                "median pruner (tunesmith.MedianStoppingRule), False turns pruning off"
            )
        if continue_previous_study is not None:
            raise NotSupported(
                "OptimizerOptuna: continue_previous_study is not supported; tunesmith resumes a "
                "study stored by the native Tuner (name=..., storage=...)"
            )
        _positive("OptimizerOptuna", "min_iteration_per_job", min_iteration_per_job, integer=True)
        super().__init__(
            base_task_id=base_task_id,
            hyper_parameters=hyper_parameters,
            objective_metric=objective_metric,
            execution_queue=execution_queue,
            num_concurrent_workers=num_concurrent_workers,
            pool_period_min=pool_period_min,
            time_limit_per_job=time_limit_per_job,
            compute_time_limit=compute_time_limit,
            min_iteration_per_job=min_iteration_per_job,
            max_iteration_per_job=max_iteration_per_job,
            total_max_jobs=total_max_jobs,
        )
        self.prune = optuna_pruner is None

    def make_native(self) -> Any:
        from tunesmith import TPE, MedianStoppingRule

        o = self._objective_metric
        tpe = TPE(self.config_space(), metric=o.metric, mode=o.mode, random_seed=self.random_seed)
        if not self.prune:
            return tpe
        return MedianStoppingRule(tpe, resource_attr="iteration", grace_population=5)
