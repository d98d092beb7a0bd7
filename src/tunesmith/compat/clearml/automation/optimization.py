"""ClearML's ``clearml.automation.optimization`` on tunesmith: :class:`Objective`,
:class:`Budget`, the search strategies (:class:`RandomSearch`, :class:`GridSearch`; BOHB and
Optuna in their own modules) and the :class:`HyperParameterOptimizer` controller.

A search strategy is a front for one native tunesmith scheduler (:attr:`SearchStrategy.native`)
run by the native :class:`~tunesmith.Tuner` on the base task's backend (a
:class:`~tunesmith.LocalBackend` for a function, a :class:`~tunesmith.ScriptBackend` for a
command); the jobs are its trials. The controller runs the strategy in a thread, so that
``start()`` returns at once, and adds what ClearML's controller adds: the time limit, the
job-complete callback and the periodic report. See docs/migrate-clearml.md.

The pieces live in :mod:`.objective`, :mod:`.strategy` and :mod:`.controller`; this module
gathers them under ClearML's module path.
"""

from tunesmith.compat.clearml.automation.controller import HyperParameterOptimizer
from tunesmith.compat.clearml.automation.objective import Budget, Job, Objective
from tunesmith.compat.clearml.automation.strategy import GridSearch, RandomSearch, SearchStrategy

__all__ = [
    "Budget",
    "GridSearch",
    "HyperParameterOptimizer",
    "Job",
    "Objective",
    "RandomSearch",
    "SearchStrategy",
]
