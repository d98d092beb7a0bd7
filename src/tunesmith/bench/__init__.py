"""Benchmark problems: blackboxes that answer instead of training, for simulated tuning.

::

    from tunesmith import bench
    from tunesmith.backends.simulator import SimulatorBackend

    blackbox = bench.load("mlp-digits")          # see bench.names(), bench.describe(name)
    backend = SimulatorBackend(blackbox, seed=0)

See ``docs/bench.md``.
"""

from tunesmith.bench.base import Blackbox
from tunesmith.bench.catalogue import BlackboxTrainable, describe, load, names, register
from tunesmith.bench.functions import FunctionBlackbox
from tunesmith.bench.surrogate import SurrogateBlackbox
from tunesmith.bench.tabular import TabularBlackbox

__all__ = [
    "Blackbox",
    "BlackboxTrainable",
    "FunctionBlackbox",
    "SurrogateBlackbox",
    "TabularBlackbox",
    "describe",
    "load",
    "names",
    "register",
]
