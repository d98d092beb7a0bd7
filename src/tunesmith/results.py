"""What a tuning run returns: its trials and every reported result."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tunesmith.trial import Trial, TrialStatus

__all__ = ["TuningResult", "import_pandas"]


def import_pandas():
    """pandas, or an ImportError with the install line."""
    try:
        import pandas
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError('dataframe() needs pandas: pip install "tunesmith[pandas]"') from err
    return pandas


@dataclass
class TuningResult:
    """Trials and results of a run. ``results`` holds one dict per report, in arrival order,
    each with its ``trial_id``."""

    metric: str
    mode: str
    trials: dict[int, Trial] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    wallclock_time: float = 0.0
    #: the study's name and the URL of the store holding it
    name: str | None = None
    storage: str | None = None

    def _score(self, value: Any) -> float:
        try:
            v = float(value)
        except (TypeError, ValueError):
            return math.inf
        if not math.isfinite(v):
            return math.inf
        return v if self.mode == "min" else -v

    def best_result(self) -> dict[str, Any] | None:
        """The result with the best value of the metric over all trials (None if none)."""
        best, best_score = None, math.inf
        for row in self.results:
            score = self._score(row.get(self.metric))
            if score < best_score:
                best, best_score = row, score
        return best

    def best_trial(self) -> Trial | None:
        row = self.best_result()
        return None if row is None else self.trials[row["trial_id"]]

    def best_config(self) -> dict[str, Any] | None:
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
