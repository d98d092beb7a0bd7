"""What the progress view shows, computed from the tuner's public state (no drawing here):
:class:`Snapshot`, the budget the run is closest to using up, and the plain one-line form used
when stdout is not a terminal."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tunesmith.stopping import TuningStatus
    from tunesmith.tuner import Tuner

__all__ = [
    "Budget",
    "Snapshot",
    "budgets",
    "duration",
    "format_line",
    "short_config",
    "start_marks",
]


@dataclass(frozen=True)
class Budget:
    """One limit of the stopping criterion: ``done`` of ``total`` ``label`` (``unit``: ``"s"``
    for time, else empty); ``eta``: seconds left at this run's rate (None: no rate yet)."""

    label: str
    done: float
    total: float
    unit: str = ""
    eta: float | None = None

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total > 0 else 1.0

    def amount(self) -> str:
        if self.unit == "s":
            return f"{duration(self.done)}/{duration(self.total)}"
        if self.label == "cost":
            return f"{self.done:.4g}/{self.total:.4g}"
        return f"{int(self.done)}/{int(self.total)}"


#: (label, StoppingCriterion attribute, how far the run is) in the order ties are broken
def _measures(status: TuningStatus, elapsed: float, running: int) -> list[tuple[str, str, float]]:
    return [
        # max_num_trials_started lets started trials finish: the run ends when they have
        ("trials", "max_num_trials_started", status.num_trials_started - running),
        ("completed trials", "max_num_trials_completed", status.num_trials_completed),
        ("finished trials", "max_num_trials_finished", status.num_trials_finished),
        ("results", "max_num_evaluations", status.num_evaluations),
        ("cost", "max_cost", status.cost),
        ("time", "max_wallclock_time", elapsed),
    ]


def budgets(
    criterion: Any,
    status: TuningStatus,
    *,
    elapsed: float,
    running: int,
    start: dict[str, float],
) -> list[Budget]:
    """The finite limits of ``criterion`` (a :class:`~tunesmith.stopping.StoppingCriterion`,
    or anything with its ``max_*`` attributes; others have none), the one that binds first
    first: the smallest ETA where every limit has one, else the largest fraction used.
    ``start`` holds each measure and ``"elapsed"`` when this run began (a resumed study
    counts its earlier runs in ``done`` but not in the rate)."""
    out = []
    for label, attribute, done in _measures(status, elapsed, running):
        total = getattr(criterion, attribute, None)
        if total is None or isinstance(total, bool) or not math.isfinite(total):
            continue
        eta = None
        if label == "time":
            eta = max(0.0, total - done)
        else:
            spent = elapsed - start.get("elapsed", 0.0)
            gained = done - start.get(label, 0.0)
            if spent > 0 and gained > 0:
                eta = max(0.0, total - done) * spent / gained
            elif done >= total:
                eta = 0.0
        out.append(Budget(label, float(done), float(total), "s" if label == "time" else "", eta))
    if all(b.eta is not None for b in out):
        out.sort(key=lambda b: b.eta)  # stable: ties keep the order above
    else:
        out.sort(key=lambda b: -b.fraction)
    return out


def start_marks(tuner: Tuner) -> dict[str, float]:
    """Each measure of :func:`budgets` now (call it when the run starts)."""
    marks = {
        label: float(done)
        for label, _, done in _measures(tuner.status, tuner.elapsed, tuner.num_running)
    }
    marks["elapsed"] = tuner.elapsed
    return marks


@dataclass
class Snapshot:
    """The progress of a run at one moment. ``best``: the best value and its trial (one
    objective), ``front``: the number of trials on the Pareto front (several); ``rungs``:
    ``(level, trials that reached it)`` for schedulers with ``rung_levels``."""

    name: str
    elapsed: float
    budget: Budget | None
    running: int
    completed: int
    stopped: int
    paused: int
    failed: int
    results: int
    trials_per_min: float | None = None
    results_per_s: float | None = None
    best: str | None = None
    best_config: str | None = None
    front: int | None = None
    rungs: list[tuple[int, int]] = field(default_factory=list)

    def counts(self) -> str:
        return (
            f"running {self.running}, completed {self.completed}, stopped {self.stopped}, "
            f"paused {self.paused}, failed {self.failed}, results {self.results}"
        )

    def rate(self) -> str:
        if self.trials_per_min is None:
            return "rate -"
        return f"{_num(self.trials_per_min)} trials/min, {_num(self.results_per_s)} results/s"

    def eta(self) -> str:
        if self.budget is None or self.budget.eta is None:
            return "ETA -"
        return f"ETA {duration(self.budget.eta)}"

    def best_text(self) -> str | None:
        if self.front is not None:
            return f"Pareto front {self.front} trial{'s' if self.front != 1 else ''}"
        if self.best is None:
            return None
        return f"best {self.best}" + (f": {self.best_config}" if self.best_config else "")

    def rung_text(self) -> str | None:
        if not self.rungs:
            return None
        return "rungs " + " ".join(f"{level}:{n}" for level, n in self.rungs)


def format_line(snap: Snapshot) -> str:
    """The one-line form printed every ``line_interval`` seconds when stdout is not a
    terminal (a CI log), e.g. ``tunesmith lr-width | trials 7/20 35% | 12.3 s | ETA 23 s |
    ...``."""
    parts = [f"tunesmith {snap.name}"]
    if snap.budget is not None:
        b = snap.budget
        parts.append(f"{b.label} {b.amount()} {b.fraction:.0%}")
    parts += [duration(snap.elapsed), snap.eta(), snap.rate(), snap.counts()]
    parts += [t for t in (snap.best_text(), snap.rung_text()) if t]
    return " | ".join(parts)


def short_config(config: dict[str, Any], limit: int = 6) -> str:
    items = list(config.items())
    shown = ", ".join(f"{k}={_short(v)}" for k, v in items[:limit])
    return shown + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")


def _num(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, s = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}:{s:02d} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{s:02d} h"
