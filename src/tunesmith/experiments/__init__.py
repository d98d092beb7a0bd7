"""Experiments: run HPO methods on simulated benchmarks and compare them.

::

    tunesmith bench run --methods RandomSearch,ASHA --benchmarks mlp-digits --seeds 10 \\
        --budget 3600 --workers 4
    tunesmith bench plot --out comparison.png
    tunesmith bench table

Every (method, benchmark, seed) is a study named ``bench.<benchmark>.<method>.<seed>`` in the
experiments' store (``$TUNESMITH_HOME/bench.db`` by default), so runs resume and results stay
queryable like any study. See ``docs/bench.md``.
"""

from tunesmith.experiments.methods import METHODS, make_method
from tunesmith.experiments.runner import Experiment, run_experiments

__all__ = ["METHODS", "Experiment", "make_method", "run_experiments"]
