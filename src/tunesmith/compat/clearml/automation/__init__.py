"""``clearml.automation`` on tunesmith: the parameter ranges, :class:`Objective`,
:class:`Budget`, the search strategies and :class:`HyperParameterOptimizer`
(``OptimizerBOHB`` and ``OptimizerOptuna`` are also in ``.hpbandster`` and ``.optuna``, as in
ClearML)."""

from tunesmith.compat.clearml.automation.hpbandster import OptimizerBOHB
from tunesmith.compat.clearml.automation.optimization import (
    Budget,
    GridSearch,
    HyperParameterOptimizer,
    Job,
    Objective,
    RandomSearch,
    SearchStrategy,
)
from tunesmith.compat.clearml.automation.optuna import OptimizerOptuna
from tunesmith.compat.clearml.automation.parameters import (
    DiscreteParameterRange,
    LogUniformParameterRange,
    Parameter,
    ParameterSet,
    RandomSeed,
    UniformIntegerParameterRange,
    UniformParameterRange,
)

__all__ = [
    "Budget",
    "DiscreteParameterRange",
    "GridSearch",
    "HyperParameterOptimizer",
    "Job",
    "LogUniformParameterRange",
    "Objective",
    "OptimizerBOHB",
    "OptimizerOptuna",
    "Parameter",
    "ParameterSet",
    "RandomSearch",
    "RandomSeed",
    "SearchStrategy",
    "UniformIntegerParameterRange",
    "UniformParameterRange",
]
