"""Draw a :class:`~tunesmith.experiments.compare.Comparison`: one panel per benchmark, the IQM
over seeds with its bootstrap band, against simulated time."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from tunesmith.experiments.compare import Comparison
from tunesmith.viz.figure import import_matplotlib

__all__ = ["plot_comparison"]


def plot_comparison(comparison: Comparison, path: str | Path | None = None, *, dpi: int = 120):
    """The figure (saved to ``path`` as PNG when given)."""
    import_matplotlib()
    from matplotlib.figure import Figure

    n = len(comparison.benchmarks)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(5.0 * cols, 3.8 * rows), layout="constrained")
    colors = {m: f"C{i % 10}" for i, m in enumerate(comparison.methods)}
    for k, benchmark in enumerate(comparison.benchmarks):
        ax = fig.add_subplot(rows, cols, k + 1)
        normalized = comparison.normalized.get(benchmark, False)
        floor = 1e-6 if normalized else None  # zero regret, on a log axis
        counts = {m: len(c.seeds) for m, c in comparison.curves[benchmark].items()}
        uneven = len(set(counts.values())) > 1  # then each legend entry says its seeds
        for method, curve in comparison.curves[benchmark].items():
            center, lower, upper = (
                (np.maximum(a, floor) for a in (curve.center, curve.lower, curve.upper))
                if floor
                else (curve.center, curve.lower, curve.upper)
            )
            label = f"{method} ({counts[method]} seeds)" if uneven else method
            ax.plot(curve.times, center, color=colors[method], label=label, lw=1.6)
            ax.fill_between(curve.times, lower, upper, color=colors[method], alpha=0.2)
        if normalized:
            ax.set_yscale("log")
            several = comparison.several_objectives.get(benchmark, False)
            ax.set_ylabel(f"{'hypervolume' if several else 'normalized'} regret (IQM)")
        else:
            ax.set_ylabel("best value (IQM)")
        if uneven:
            ax.set_title(benchmark)
        else:
            ax.set_title(f"{benchmark} ({max(counts.values(), default=0)} seeds)")
        ax.set_xlabel("simulated time (s)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig
