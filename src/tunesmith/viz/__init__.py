"""Plots of studies, each in two steps: compute a plain data object, then draw it.

::

    from tunesmith.store import Store
    from tunesmith.viz import plot_training_curves, training_curves

    store = Store()
    data = training_curves(store.records("mnist-asha"), "loss", resource_attr="epoch")
    data.curves[0].y                      # numbers to test or to draw elsewhere (the dashboard)
    plot_training_curves(data).savefig("curves.png")   # needs pip install "tunesmith[plot]"

The data functions need only numpy; matplotlib is imported by the ``plot_*`` functions, which
draw on a new figure (no pyplot, no display: it works on a server) or on the ``ax`` they are given.
"""

from tunesmith.viz.best import BestData, best_so_far, plot_best_so_far, timed_results
from tunesmith.viz.curves import CurvesData, TrialCurve, plot_training_curves, training_curves
from tunesmith.viz.figure import MATPLOTLIB_INSTALL, import_matplotlib
from tunesmith.viz.parallel import (
    ParallelAxis,
    ParallelData,
    parallel_coordinates,
    plot_parallel_coordinates,
)

__all__ = [
    "MATPLOTLIB_INSTALL",
    "BestData",
    "CurvesData",
    "ParallelAxis",
    "ParallelData",
    "TrialCurve",
    "best_so_far",
    "import_matplotlib",
    "parallel_coordinates",
    "plot_best_so_far",
    "plot_parallel_coordinates",
    "plot_training_curves",
    "timed_results",
    "training_curves",
]
