"""ClearML's ``OptimizerBOHB`` (``clearml.automation.hpbandster``) as :class:`tunesmith.BOHB`:
Hyperband over the objective's ``iteration`` from ``min_iteration_per_job`` to
``max_iteration_per_job``, with configs from a kernel-density model (hpbandster's BOHB)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tunesmith.compat.clearml.automation.objective import Objective, _positive
from tunesmith.compat.clearml.automation.parameters import Parameter
from tunesmith.compat.clearml.automation.strategy import SearchStrategy
from tunesmith.compat.clearml.task import ITERATIONS

__all__ = ["OptimizerBOHB"]

#: hpbandster's BOHB arguments and the tunesmith.BOHB argument each one is
_BOHB_ARGS = {
    "eta": "reduction_factor",
    "min_points_in_model": "num_min_data_points",
    "top_n_percent": "gamma",
    "num_samples": "num_candidates",
    "random_fraction": "random_fraction",
    "bandwidth_factor": "bandwidth_factor",
}


class OptimizerBOHB(SearchStrategy):
    """BOHB: :class:`tunesmith.BOHB` with ``resource_attr="iterations"`` (the iterations a job
    has done, its objective ``iteration + 1``: ClearML counts from 0), ``grace_period=
    min_iteration_per_job``, ``max_t=max_iteration_per_job`` and hpbandster's arguments
    (``eta`` is ``reduction_factor``, ``top_n_percent`` is ``gamma`` in percent,
    ``min_points_in_model``, ``num_samples``, ``random_fraction``, ``bandwidth_factor``).
    ``local_port`` is kept (no name server runs here). Other keyword arguments are a TypeError,
    as hpbandster's BOHB gives."""

    stops_at_max_t = True

    def __init__(
        self,
        base_task_id: str,
        hyper_parameters: Sequence[Parameter],
        objective_metric: Objective,
        execution_queue: str,
        num_concurrent_workers: int,
        min_iteration_per_job: int,
        max_iteration_per_job: int,
        total_max_jobs: int | None,
        pool_period_min: float = 2.0,
        time_limit_per_job: float | None = None,
        compute_time_limit: float | None = None,
        local_port: int = 9090,
        **bohb_kwargs: Any,
    ):
        unknown = sorted(set(bohb_kwargs) - set(_BOHB_ARGS))
        if unknown:
            raise TypeError(
                f"OptimizerBOHB got an unexpected keyword argument {unknown[0]!r}; hpbandster's "
                f"BOHB arguments are {sorted(_BOHB_ARGS)}"
            )
        _positive(
            "OptimizerBOHB",
            "min_iteration_per_job",
            min_iteration_per_job,
            integer=True,
            none=False,
        )
        _positive(
            "OptimizerBOHB",
            "max_iteration_per_job",
            max_iteration_per_job,
            integer=True,
            none=False,
        )
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
        self.local_port = local_port
        self.bohb_kwargs = dict(bohb_kwargs)

    def make_native(self) -> Any:
        from tunesmith import BOHB

        kwargs = {_BOHB_ARGS[k]: v for k, v in self.bohb_kwargs.items()}
        if "gamma" in kwargs:
            kwargs["gamma"] = kwargs["gamma"] / 100.0
        o = self._objective_metric
        return BOHB(
            self.config_space(),
            metric=o.metric,
            mode=o.mode,
            resource_attr=ITERATIONS,
            grace_period=self.min_iteration_per_job,
            max_t=self.max_iteration_per_job,
            random_seed=self.random_seed,
            **kwargs,
        )
