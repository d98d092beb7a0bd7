"""What every plot shares: the lazy matplotlib import, new figures, colors, number checks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tunesmith.ranking import finite_number

__all__ = [
    "MATPLOTLIB_INSTALL",
    "STATUS_COLORS",
    "as_number",
    "check_mode",
    "check_records",
    "columns_of",
    "import_matplotlib",
    "missing_column",
    "new_axes",
]

MATPLOTLIB_INSTALL = 'pip install "tunesmith[plot]"'

#: one color per trial status, the same in every plot
STATUS_COLORS = {
    "completed": "#1f77b4",
    "stopped": "#8c8c8c",
    "failed": "#d62728",
    "running": "#2ca02c",
    "paused": "#ff7f0e",
    "pending": "#9467bd",
}
OTHER_COLOR = "#17becf"
MISSING_COLOR = "#c7c7c7"


def import_matplotlib():
    """matplotlib, or an ImportError with the install line."""
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError(f"plots need matplotlib: {MATPLOTLIB_INSTALL}") from err
    return matplotlib


def new_axes(ax: Any, size: tuple[float, float]) -> tuple[Any, Any]:
    """``(figure, axes)``: those of ``ax``, or a new figure of ``size`` inches with one axes.

    The new figure is not registered with pyplot: nothing is displayed, nothing stays open, and
    ``figure.savefig`` renders with Agg (PNG), or the writer of the file's suffix (SVG, PDF)."""
    if ax is not None:
        return ax.figure, ax
    import_matplotlib()
    from matplotlib.figure import Figure

    figure = Figure(figsize=size, layout="constrained")
    return figure, figure.add_subplot()


#: ``value`` as a finite float, or None (bools, text, NaN and infinities are no numbers)
as_number = finite_number


def check_mode(mode: Any) -> str:
    if mode not in ("min", "max"):
        raise ValueError(f"`mode` must be 'min' or 'max', but got mode={mode!r}")
    return mode


def check_records(records: Any, what: str = "records") -> list[dict[str, Any]]:
    if isinstance(records, dict) or not isinstance(records, Iterable):
        raise TypeError(
            f"`{what}` must be a list of dicts (e.g. from Store.{what}(study)), but got "
            f"{type(records).__name__}"
        )
    records = list(records)
    for row in records:
        if not isinstance(row, dict):
            raise TypeError(
                f"`{what}` must be a list of dicts (e.g. from Store.{what}(study)), but an item "
                f"is {type(row).__name__}: {row!r}"
            )
    return records


def missing_column(name: str, parameter: str, seen: Iterable[str]) -> ValueError:
    """The error for a metric or attribute that no record has, listing those they have."""
    names = sorted({str(s) for s in seen} - {"trial_id", "status"})
    return ValueError(
        f"no record has {name!r}, so {parameter}={name!r} cannot be plotted; the records have "
        f"{names or 'no columns'}"
    )


def columns_of(rows: Iterable[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)
