"""ClearML's ``OptimizerOptuna`` (``clearml.automation.optuna``) on tunesmith's native schedulers.

Optuna's defaults are its TPE sampler and its median pruner: tunesmith's :class:`~tunesmith.TPE`
under a :class:`~tunesmith.MedianStoppingRule`. Optuna ``optuna_sampler`` / ``optuna_pruner``
objects are mapped by their class name (optuna is never imported here: an object of it is read,
its settings from its attributes where Optuna keeps them, Optuna's defaults otherwise):

=============================  ========================================================
Optuna                         tunesmith
=============================  ========================================================
``TPESampler``                 :class:`~tunesmith.TPE` (``n_startup_trials``:
                               ``num_min_data_points``)
``RandomSampler``              :class:`~tunesmith.RandomSearch`
``GridSampler(search_space)``  :class:`~tunesmith.GridSearch` over ``search_space``
``MedianPruner``               :class:`~tunesmith.MedianStoppingRule` of the values at
                               each iteration (``n_startup_trials``:
                               ``grace_population``, ``n_warmup_steps``: ``grace_time``)
``SuccessiveHalvingPruner``    one bracket of asynchronous successive halving: with TPE
                               :class:`~tunesmith.BOHB`, random :class:`~tunesmith.ASHA`,
                               grid :class:`~tunesmith.HyperbandScheduler`; ``max_t`` is
                               ``max_iteration_per_job``
``HyperbandPruner``            the same with Optuna's number of brackets (random:
                               :class:`~tunesmith.HyperbandScheduler`)
``NopPruner`` (or ``False``)   no pruning
=============================  ========================================================

The pruners' resource is ``iterations``, the iterations a job has done (its ``iteration``
plus 1: ClearML counts from 0). Other Optuna classes are
:class:`~tunesmith.compat.clearml.NotSupported` naming the closest tunesmith method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tunesmith.compat.clearml._errors import InvalidValue, NotSupported
from tunesmith.compat.clearml.automation.objective import Objective, _positive
from tunesmith.compat.clearml.automation.parameters import Parameter
from tunesmith.compat.clearml.automation.strategy import SearchStrategy
from tunesmith.compat.clearml.task import ITERATIONS

__all__ = ["OptimizerOptuna"]

#: Optuna samplers without a counterpart here, and the closest tunesmith method
_SAMPLERS_CLOSEST = {
    "CmaEsSampler": "tunesmith.DifferentialEvolution (an evolutionary search of continuous "
    "spaces; tunesmith has no CMA-ES)",
    "QMCSampler": "tunesmith.RandomSearch (RandomSampler)",
    "GPSampler": "tunesmith.BayesianOptimization (a Gaussian process)",
    "BoTorchSampler": "tunesmith.BayesianOptimization (a Gaussian process)",
    "NSGAIISampler": "tunesmith.NSGA2 (multi-objective; ClearML optimizes one objective)",
    "NSGAIIISampler": "tunesmith.NSGA2 (multi-objective; ClearML optimizes one objective)",
    "MOTPESampler": "tunesmith.MOTPE (multi-objective; ClearML optimizes one objective)",
    "BruteForceSampler": "GridSampler, tunesmith.GridSearch",
    "PartialFixedSampler": "fixed values as constants of the config space (a "
    "DiscreteParameterRange of one value)",
}
#: Optuna pruners without a counterpart here, and the closest tunesmith method
_PRUNERS_CLOSEST = {
    "PercentilePruner": "MedianPruner, tunesmith.MedianStoppingRule (its rank_cutoff)",
    "ThresholdPruner": "tunesmith.MedianStoppingRule, or max_iteration_per_job",
    "PatientPruner": "tunesmith.MedianStoppingRule",
    "WilcoxonPruner": "tunesmith.MedianStoppingRule",
}
_SAMPLERS = ("TPESampler", "RandomSampler", "GridSampler")
_PRUNERS = ("MedianPruner", "SuccessiveHalvingPruner", "HyperbandPruner", "NopPruner")


def _setting(obj: Any, name: str, default: Any) -> Any:
    """Optuna keeps its constructor arguments as ``_name``; ``default`` (Optuna's) without."""
    value = getattr(obj, f"_{name}", getattr(obj, name, default))
    return default if value is None else value


def _kind(obj: Any, what: str, known: Sequence[str], closest: dict[str, str]) -> str:
    name = type(obj).__name__
    if name in known:
        return name
    hint = closest.get(name)
    if hint is not None:
        raise NotSupported(f"OptimizerOptuna: {what}={name} is not supported here; closest: {hint}")
    raise NotSupported(
        f"OptimizerOptuna: {what}={obj!r} is not supported; tunesmith maps Optuna's "
        f"{', '.join(known)}"
    )


class OptimizerOptuna(SearchStrategy):
    """Optuna's defaults: TPE configs, median pruning by ``iterations`` (``optuna_pruner=False``
    turns pruning off); Optuna sampler and pruner objects as the module docstring lists.
    ``continue_previous_study`` is not supported (a NotSupported error says what to use); other
    keyword arguments are a TypeError (``optuna.create_study`` gives one)."""

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
        self.sampler_kind = (
            "TPESampler"
            if optuna_sampler is None
            else _kind(optuna_sampler, "optuna_sampler", _SAMPLERS, _SAMPLERS_CLOSEST)
        )
        if optuna_pruner is None:
            self.pruner_kind = "MedianPruner"
        elif optuna_pruner is False:
            self.pruner_kind = "NopPruner"
        else:
            self.pruner_kind = _kind(optuna_pruner, "optuna_pruner", _PRUNERS, _PRUNERS_CLOSEST)
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
        self.sampler, self.pruner = optuna_sampler, optuna_pruner
        self.prune = self.pruner_kind != "NopPruner"
        if self.pruner_kind in ("SuccessiveHalvingPruner", "HyperbandPruner"):
            self._hyperband_arguments()  # checked now: a missing max_t is an error before start
            self.stops_at_max_t = True

    # -- the native schedulers -------------------------------------------------------------------
    def _grid_space(self) -> dict[str, Any]:
        from tunesmith import choice

        given = _setting(self.sampler, "search_space", None)
        if given is None:
            return self.grid_space()
        names = set(self.config_space())
        if not isinstance(given, dict) or set(given) != names:
            raise InvalidValue(
                "OptimizerOptuna: the GridSampler's search_space must name the hyper-parameters "
                f"{sorted(names)}, but got {sorted(given) if isinstance(given, dict) else given!r}"
            )
        return {name: choice(list(values)) for name, values in given.items()}

    def _hyperband_arguments(self) -> dict[str, Any]:
        pruner = self.pruner
        reduction_factor = _setting(
            pruner, "reduction_factor", 4 if self.pruner_kind == "SuccessiveHalvingPruner" else 3
        )
        min_resource = _setting(pruner, "min_resource", "auto")
        if min_resource == "auto":
            min_resource = self.min_iteration_per_job or 1
        max_t = _setting(pruner, "max_resource", "auto")
        if max_t == "auto":
            max_t = self.max_iteration_per_job
        if max_t is None:
            raise InvalidValue(
                f"OptimizerOptuna: {self.pruner_kind} needs the largest number of iterations: "
                "pass max_iteration_per_job (or the pruner's max_resource)"
            )
        out = {
            "resource_attr": ITERATIONS,
            "reduction_factor": reduction_factor,
            "max_t": int(max_t),
        }
        if self.pruner_kind == "SuccessiveHalvingPruner":
            rate = _setting(pruner, "min_early_stopping_rate", 0)
            out["grace_period"] = int(min_resource * reduction_factor**rate)
            out["brackets"] = 1
        else:  # Optuna's count: one bracket per rung level from min_resource to max_resource
            out["grace_period"] = int(min_resource)
            ratio = max(int(max_t) / int(min_resource), 1.0)
            out["brackets"] = int(math.floor(math.log(ratio, reduction_factor) + 1e-9)) + 1
        return out

    def make_native(self) -> Any:
        import tunesmith

        o = self._objective_metric
        common = {"metric": o.metric, "mode": o.mode, "random_seed": self.random_seed}
        if self.pruner_kind in ("SuccessiveHalvingPruner", "HyperbandPruner"):
            kwargs = {**common, **self._hyperband_arguments()}
            if self.sampler_kind == "TPESampler":
                return tunesmith.BOHB(self.config_space(), **kwargs)
            if self.sampler_kind == "RandomSampler" and kwargs["brackets"] == 1:
                del kwargs["brackets"]
                return tunesmith.ASHA(self.config_space(), **kwargs)
            if self.sampler_kind == "RandomSampler":
                return tunesmith.HyperbandScheduler(self.config_space(), **kwargs)
            return tunesmith.HyperbandScheduler(self._grid_space(), searcher="grid", **kwargs)
        if self.sampler_kind == "TPESampler":
            startup = _setting(self.sampler, "n_startup_trials", None)
            extra = {} if startup is None else {"num_min_data_points": int(startup)}
            base = tunesmith.TPE(self.config_space(), **common, **extra)
        elif self.sampler_kind == "RandomSampler":
            base = tunesmith.RandomSearch(self.config_space(), **common)
        else:
            base = tunesmith.GridSearch(self._grid_space(), shuffle=False, **common)
        if not self.prune:
            return base
        return tunesmith.MedianStoppingRule(
            base,
            resource_attr=ITERATIONS,
            running_average=False,  # Optuna compares values at a step, not running averages
            grace_population=int(_setting(self.pruner, "n_startup_trials", 5)),
            grace_time=int(_setting(self.pruner, "n_warmup_steps", 0)),
        )
