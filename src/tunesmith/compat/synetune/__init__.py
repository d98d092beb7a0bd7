"""Syne Tune's API on tunesmith: replace ``syne_tune`` by ``tunesmith.compat.synetune`` in the
import lines, and a Syne Tune launcher and training script run on tunesmith's native tuner,
schedulers, searchers, backends and store. See docs/migrate-synetune.md, argument by argument.

The layout is Syne Tune's, so imports change by their prefix only::

    from tunesmith.compat.synetune import Reporter, StoppingCriterion, Tuner
    from tunesmith.compat.synetune.backend import LocalBackend, PythonBackend
    from tunesmith.compat.synetune.config_space import randint, uniform
    from tunesmith.compat.synetune.optimizer.baselines import ASHA
    from tunesmith.compat.synetune.experiments import load_experiment

A training script's ``from tunesmith.compat.synetune import Reporter`` loads the reporter only:
the names are imported on first use.
"""

from typing import TYPE_CHECKING

from tunesmith._lazy import lazy_exports

_EXPORTS = {
    "Reporter": "tunesmith.compat.synetune.report",
    "StoppingCriterion": "tunesmith.compat.synetune.stopping_criterion",
    "Tuner": "tunesmith.compat.synetune.tuner",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from tunesmith.compat.synetune.report import Reporter
    from tunesmith.compat.synetune.stopping_criterion import StoppingCriterion
    from tunesmith.compat.synetune.tuner import Tuner

__all__ = ["Reporter", "StoppingCriterion", "Tuner"]
