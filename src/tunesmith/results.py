"""What a tuning run returns: its trials and every reported result."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tunesmith.trial import Trial, TrialStatus

__all__ = ["TuningResult", "constrained_key", "constraint_attr_of", "import_pandas"]


def import_pandas():
    """pandas, or an ImportError with the install line."""
    try:
        import pandas
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError('dataframe() needs pandas: pip install "tunesmith[pandas]"') from err
    return pandas


def constraint_attr_of(scheduler: Any) -> str | None:
    """The name of the reported value that must be ``<= 0`` for a result to be feasible, when
    ``scheduler`` (or its searcher, e.g. ``GPSearcher(constraint_attr=...)`` inside
    :class:`~tunesmith.schedulers.bayesian.ConstrainedBayesianOptimization`) has one, else None."""
    for obj in (scheduler, getattr(scheduler, "searcher", None)):
        attr = getattr(obj, "constraint_attr", None)
        if isinstance(attr, str) and attr:
            return attr
    return None


def constrained_key(score: float, constraint: Any) -> tuple[int, float, float]:
    """Sort key (smaller is better) of a result whose metric, as a value to minimize, is
    ``score`` and whose constraint value is ``constraint`` (feasible when ``<= 0``).

    Every feasible result comes before every infeasible one; feasible results rank by score,
    infeasible ones by how far they violate the constraint (smallest value first), then by
    score. A missing or non-finite constraint value counts as the worst violation."""
    try:
        c = float(constraint)
    except (TypeError, ValueError):
        c = math.nan
    if isinstance(constraint, bool) or not math.isfinite(c):
        return (1, math.inf, score)
    if c <= 0:
        return (0, 0.0, score)
    return (1, c, score)


@dataclass
class TuningResult:
    """Trials and results of a run. ``results`` holds one dict per report, in arrival order,
    each with its ``trial_id``.

    With ``constraint_attr`` (a reported value that must be ``<= 0``, as in constrained
    Bayesian optimization), the best result is the best *feasible* one; when no result is
    feasible, it is the least infeasible one (smallest constraint value), see
    :func:`constrained_key`."""

    metric: str
    mode: str
    trials: dict[int, Trial] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    wallclock_time: float = 0.0
    #: the study's name and the URL of the store holding it
    name: str | None = None
    storage: str | None = None
    #: name of a reported value that must be ``<= 0`` (None: no constraint)
    constraint_attr: str | None = None

    def _score(self, value: Any) -> float:
        try:
            v = float(value)
        except (TypeError, ValueError):
            return math.inf
        if not math.isfinite(v):
            return math.inf
        return v if self.mode == "min" else -v

    def best_result(self) -> dict[str, Any] | None:
        """The result with the best value of the metric over all trials (None if none); under
        ``constraint_attr``, feasible results first (see the class docstring). Ties: the
        earliest result."""
        best, best_key = None, None
        for row in self.results:
            score = self._score(row.get(self.metric))
            if score == math.inf:  # no finite value of the metric
                continue
            key = (
                (0, 0.0, score)
                if self.constraint_attr is None
                else constrained_key(score, row.get(self.constraint_attr))
            )
            if best_key is None or key < best_key:
                best, best_key = row, key
        return best

    def best_trial(self) -> Trial | None:
        row = self.best_result()
        return None if row is None else self.trials[row["trial_id"]]

    def best_config(self) -> dict[str, Any] | None:
        """The config of :meth:`best_trial` (feasible first under ``constraint_attr``)."""
        trial = self.best_trial()
        return None if trial is None else dict(trial.config)

    def trials_with_status(self, *statuses: TrialStatus) -> list[Trial]:
        return [t for t in self.trials.values() if t.status in statuses]

    def failure_summary(self) -> dict[str, int]:
        """Failed trials counted by reason."""
        return dict(
            Counter(
                t.failure_reason or "unknown"
                for t in self.trials.values()
                if t.status is TrialStatus.FAILED
            )
        )

    def status_counts(self) -> dict[str, int]:
        return dict(Counter(t.status.value for t in self.trials.values()))

    def records(self) -> list[dict[str, Any]]:
        """One flat dict per report: trial id, status, each config key, each metric."""
        out = []
        for row in self.results:
            trial = self.trials[row["trial_id"]]
            record = {"trial_id": trial.trial_id, "status": trial.status.value}
            record.update(trial.config)
            record.update((k, v) for k, v in row.items() if k != "trial_id")
            out.append(record)
        return out

    def dataframe(self):
        """:meth:`records` as a pandas DataFrame (needs ``tunesmith[pandas]``)."""
        pandas = import_pandas()
        return pandas.DataFrame.from_records(self.records())

    def summary(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.status_counts().items()))
        best = self.best_result()
        text = f"{len(self.trials)} trials ({counts}) in {self.wallclock_time:.1f} s"
        if best is not None:
            text += f"; best {self.metric}={best[self.metric]:.6g} (trial {best['trial_id']})"
        if self.stop_reason:
            text += f"; stopped: {self.stop_reason}"
        return text
