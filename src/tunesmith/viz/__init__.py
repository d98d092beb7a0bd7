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
from tunesmith.viz.pareto import (
    HypervolumeData,
    ParetoData,
    default_reference_point,
    hypervolume_over_time,
    pareto_points,
    plot_hypervolume,
    plot_pareto_front,
)

__all__ = [
    "MATPLOTLIB_INSTALL",
    "BestData",
    "CurvesData",
    "HypervolumeData",
    "ParallelAxis",
    "ParallelData",
    "ParetoData",
    "TrialCurve",
    "best_so_far",
    "default_reference_point",
    "hypervolume_over_time",
    "import_matplotlib",
    "parallel_coordinates",
    "pareto_points",
    "plot_best_so_far",
    "plot_hypervolume",
    "plot_parallel_coordinates",
    "plot_pareto_front",
    "plot_training_curves",
    "timed_results",
    "training_curves",
]
