"""Schedulers decide when trials start, continue, pause, stop or resume."""

from tunesmith.schedulers.base import Scheduler
from tunesmith.schedulers.fifo import FIFOScheduler, GridSearch, RandomSearch
from tunesmith.schedulers.hyperband import ASHA, PASHA, HyperbandScheduler
from tunesmith.schedulers.median import MedianStoppingRule
from tunesmith.schedulers.synchronous import SyncHyperband, SyncSuccessiveHalving

__all__ = [
    "ASHA",
    "PASHA",
    "FIFOScheduler",
    "GridSearch",
    "HyperbandScheduler",
    "MedianStoppingRule",
    "RandomSearch",
    "Scheduler",
    "SyncHyperband",
    "SyncSuccessiveHalving",
]
