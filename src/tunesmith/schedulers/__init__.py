"""Schedulers decide when trials start, continue, pause, stop or resume."""

from tunesmith.schedulers.base import Scheduler
from tunesmith.schedulers.bayesian import (
    MOBSTER,
    BayesianOptimization,
    ConstrainedBayesianOptimization,
    CostAwareBayesianOptimization,
)
from tunesmith.schedulers.fifo import FIFOScheduler, GridSearch, RandomSearch
from tunesmith.schedulers.hyperband import ASHA, PASHA, HyperbandScheduler
from tunesmith.schedulers.median import MedianStoppingRule
from tunesmith.schedulers.model_based import BOHB, DEHB, REA, TPE, SyncBOHB
from tunesmith.schedulers.synchronous import SyncHyperband, SyncSuccessiveHalving

__all__ = [
    "ASHA",
    "BOHB",
    "DEHB",
    "MOBSTER",
    "PASHA",
    "REA",
    "TPE",
    "BayesianOptimization",
    "ConstrainedBayesianOptimization",
    "CostAwareBayesianOptimization",
    "FIFOScheduler",
    "GridSearch",
    "HyperbandScheduler",
    "MedianStoppingRule",
    "RandomSearch",
    "Scheduler",
    "SyncBOHB",
    "SyncHyperband",
    "SyncSuccessiveHalving",
]
