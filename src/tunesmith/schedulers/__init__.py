"""Schedulers decide when trials start, continue, pause, stop or resume.

The classes are imported on first use (PEP 562): ``from tunesmith.schedulers import
RandomSearch`` loads the FIFO module only, not the Gaussian-process code and scipy that
``BayesianOptimization`` needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunesmith._lazy import lazy_exports

#: public name -> the module of this package that defines it
_EXPORTS = {
    "ASHA": ".hyperband",
    "ASHABORE": ".surrogate",
    "ASHACQR": ".surrogate",
    "BORE": ".surrogate",
    "CQR": ".surrogate",
    "ASHACTS": ".transfer_learning",
    "BoundingBox": ".transfer_learning",
    "RUSH": ".transfer_learning",
    "ZeroShotTransfer": ".transfer_learning",
    "BOHB": ".model_based",
    "DEHB": ".model_based",
    "MOBSTER": ".bayesian",
    "DyHPO": ".dyhpo",
    "HyperTune": ".hypertune",
    "SyncMOBSTER": ".sync_mobster",
    "MOASHA": ".moasha",
    "MOREA": ".multiobjective",
    "NSGA2": ".multiobjective",
    "EpsilonNetPriority": ".moasha",
    "LinearScalarizationPriority": ".moasha",
    "LinearScalarizedScheduler": ".scalarized",
    "NonDominatedPriority": ".moasha",
    "EHVI": ".mobo",
    "MOLinearScalarizationBayesOpt": ".mobo",
    "MORandomScalarizationBayesOpt": ".mobo",
    "MOTPE": ".mobo",
    "PASHA": ".hyperband",
    "PopulationBasedTraining": ".pbt",
    "REA": ".model_based",
    "TPE": ".model_based",
    "BayesianOptimization": ".bayesian",
    "ConstrainedBayesianOptimization": ".bayesian",
    "CostAwareBayesianOptimization": ".bayesian",
    "FIFOScheduler": ".fifo",
    "GridSearch": ".fifo",
    "HyperbandScheduler": ".hyperband",
    "MedianStoppingRule": ".median",
    "RLScheduler": ".rl",
    "RandomSearch": ".fifo",
    "Scheduler": ".base",
    "SyncBOHB": ".model_based",
    "SyncHyperband": ".synchronous",
    "SyncSuccessiveHalving": ".synchronous",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # for type checkers and IDEs
    from tunesmith.schedulers.base import Scheduler
    from tunesmith.schedulers.bayesian import (
        MOBSTER,
        BayesianOptimization,
        ConstrainedBayesianOptimization,
        CostAwareBayesianOptimization,
    )
    from tunesmith.schedulers.dyhpo import DyHPO
    from tunesmith.schedulers.fifo import FIFOScheduler, GridSearch, RandomSearch
    from tunesmith.schedulers.hyperband import ASHA, PASHA, HyperbandScheduler
    from tunesmith.schedulers.hypertune import HyperTune
    from tunesmith.schedulers.median import MedianStoppingRule
    from tunesmith.schedulers.moasha import (
        MOASHA,
        EpsilonNetPriority,
        LinearScalarizationPriority,
        NonDominatedPriority,
    )
    from tunesmith.schedulers.mobo import (
        EHVI,
        MOTPE,
        MOLinearScalarizationBayesOpt,
        MORandomScalarizationBayesOpt,
    )
    from tunesmith.schedulers.model_based import BOHB, DEHB, REA, TPE, SyncBOHB
    from tunesmith.schedulers.multiobjective import MOREA, NSGA2
    from tunesmith.schedulers.pbt import PopulationBasedTraining
    from tunesmith.schedulers.rl import RLScheduler
    from tunesmith.schedulers.scalarized import LinearScalarizedScheduler
    from tunesmith.schedulers.surrogate import ASHABORE, ASHACQR, BORE, CQR
    from tunesmith.schedulers.sync_mobster import SyncMOBSTER
    from tunesmith.schedulers.synchronous import SyncHyperband, SyncSuccessiveHalving
    from tunesmith.schedulers.transfer_learning import ASHACTS, RUSH, BoundingBox, ZeroShotTransfer

__all__ = [
    "ASHA",
    "ASHABORE",
    "ASHACQR",
    "ASHACTS",
    "BOHB",
    "BORE",
    "CQR",
    "DEHB",
    "EHVI",
    "MOASHA",
    "MOBSTER",
    "MOREA",
    "MOTPE",
    "NSGA2",
    "PASHA",
    "REA",
    "RUSH",
    "TPE",
    "BayesianOptimization",
    "BoundingBox",
    "ConstrainedBayesianOptimization",
    "CostAwareBayesianOptimization",
    "DyHPO",
    "EpsilonNetPriority",
    "FIFOScheduler",
    "GridSearch",
    "HyperTune",
    "HyperbandScheduler",
    "LinearScalarizationPriority",
    "LinearScalarizedScheduler",
    "MOLinearScalarizationBayesOpt",
    "MORandomScalarizationBayesOpt",
    "MedianStoppingRule",
    "NonDominatedPriority",
    "PopulationBasedTraining",
    "RLScheduler",
    "RandomSearch",
    "Scheduler",
    "SyncBOHB",
    "SyncHyperband",
    "SyncMOBSTER",
    "SyncSuccessiveHalving",
    "ZeroShotTransfer",
]
