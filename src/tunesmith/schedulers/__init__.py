"""Schedulers decide when trials start, continue, pause, stop or resume."""

from tunesmith.schedulers.base import Scheduler
from tunesmith.schedulers.fifo import FIFOScheduler, GridSearch, RandomSearch

__all__ = ["FIFOScheduler", "GridSearch", "RandomSearch", "Scheduler"]
