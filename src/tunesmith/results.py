"""What a tuning run returns: its trials and every reported result."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tunesmith.ranking import (
    DEFAULT_SCOPE,
    SCOPE_WORDS,
    constrained_key,
    pareto_ranked,
    per_trial,
    ranked,
)
from tunesmith.trial import Trial, TrialStatus, as_list

__all__ = [
    "Exploit",
    "TuningResult",
    "constrained_key",
    "constraint_attr_of",
    "exploit_of",
    "history_of",
    "import_pandas",
    "lineage_of",
]


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


@dataclass(frozen=True)
class Exploit:
    """One exploit of population based training: trial ``trial_id`` dropped its model and went
    on from a copy of trial ``donor``'s checkpoint with ``config`` (the donor's config,
    perturbed) instead of ``previous_config``. ``donor_result`` is the donor's last report then
    (without the ``ts_`` fields); ``number`` counts the study's exploits from 0, in order;
    ``time`` is when it happened (the tuner's clock)."""

    number: int
    trial_id: int
    donor: int
    previous_config: dict[str, Any]
    config: dict[str, Any]
    donor_result: dict[str, Any] | None = None
    time: float | None = None

    def describe(self, metric: str | None = None) -> str:
        """One line: who took whose checkpoint, at which report, and what changed."""
        changed = {
            k: (self.previous_config.get(k), v)
            for k, v in self.config.items()
            if self.previous_config.get(k) != v
        }
        at = ""
        if self.donor_result:
            shown = {k: v for k, v in self.donor_result.items() if metric is None or k == metric}
            at = " at " + ", ".join(f"{k}={_short(v)}" for k, v in shown.items())
        what = ", ".join(f"{k}: {_short(a)} -> {_short(b)}" for k, (a, b) in changed.items())
        return f"trial {self.trial_id} <- trial {self.donor}{at}; {what or 'config unchanged'}"


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


def exploit_of(
    number: int, trial_id: int, payload: dict[str, Any], time: float | None = None
) -> Exploit | None:
    """The :class:`Exploit` a ``trial_started`` event's payload records, or None (a start that
    is no exploit). The one reading of such payloads: the run state and the stored study's
    :meth:`~tunesmith.studies.StoredStudy.lineage` both use it."""
    donor = payload.get("checkpoint_from")
    if donor is None or payload.get("restart"):
        return None
    donor_result = payload.get("donor_result")
    return Exploit(
        number=number,
        trial_id=trial_id,
        donor=int(donor),
        previous_config=dict(payload.get("previous_config") or {}),
        config=dict(payload.get("config") or {}),
        donor_result=None if donor_result is None else dict(donor_result),
        time=time,
    )


def history_of(
    reports: Iterable[tuple[int, Mapping[str, Any]]], *, ts_fields: bool = False
) -> dict[int, list[dict[str, Any]]]:
    """``{trial_id: [report, ...]}`` from ``(trial_id, report)`` pairs in report order (see
    :meth:`TuningResult.history`); the one grouping the run's result and a stored study's
    :meth:`~tunesmith.studies.StoredStudy.history` share."""
    out: dict[int, list[dict[str, Any]]] = {}
    for trial_id, report in reports:
        kept = {
            k: v
            for k, v in report.items()
            if k != "trial_id" and (ts_fields or not k.startswith("ts_"))
        }
        out.setdefault(int(trial_id), []).append(kept)
    return out


def lineage_of(exploits: list[Exploit], trial_id: int) -> list[Exploit]:
    """The exploits that made ``trial_id``'s final model, oldest first: its last exploit (from a
    donor), the donor's last exploit before that, and so on back to a trial that trained from
    scratch. Empty when the trial never exploited."""
    chain: list[Exploit] = []
    tid, before = trial_id, None
    by_trial: dict[int, list[Exploit]] = {}
    for e in exploits:
        by_trial.setdefault(e.trial_id, []).append(e)
    while True:
        candidates = [e for e in by_trial.get(tid, ()) if before is None or e.number < before]
        if not candidates:
            return chain[::-1]
        last = max(candidates, key=lambda e: e.number)
        chain.append(last)
        tid, before = last.donor, last.number


@dataclass
class TuningResult:
    """Trials and results of a run. ``results`` holds one dict per report, in arrival order,
    each with its ``trial_id``.

    With ``constraint_attr`` (a reported value that must be ``<= 0``, as in constrained
    Bayesian optimization), the best result is the best *feasible* one; when no result is
    feasible, it is the least infeasible one (smallest constraint value), see
    :func:`constrained_key`.

    With several objectives (``metric`` and ``mode`` lists) there is no single best trial:
    :meth:`pareto_front` gives the trade-offs, :meth:`ranked_trials` all ranked trials by
    non-dominated front then crowding distance, and :meth:`best_result`, :meth:`best_trial` and
    :meth:`best_config` raise a ``ValueError`` that points to them (as Optuna's
    ``study.best_trial`` does for a multi-objective study)."""

    metric: str | list[str]
    mode: str | list[str]
    trials: dict[int, Trial] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    wallclock_time: float = 0.0
    #: the study's name and the URL of the store holding it
    name: str | None = None
    storage: str | None = None
    #: name of a reported value that must be ``<= 0`` (None: no constraint)
    constraint_attr: str | None = None
    #: population based training's exploits, in order (see :meth:`lineage`)
    exploits: list[Exploit] = field(default_factory=list)
    #: the user's metadata stored with the study (``Tuner(metadata=...)``)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> list[str]:
        """The metric names, one per objective."""
        return as_list(self.metric)

    @property
    def modes(self) -> list[str]:
        """``"min"`` or ``"max"``, one per objective."""
        return as_list(self.mode)

    def ranked_trials(self, scope: str = DEFAULT_SCOPE) -> list[tuple[Trial, dict[str, Any], int]]:
        """Several objectives: ``(trial, report, front)`` of every ranked trial, best first: by
        non-dominated front (0: the Pareto front), then by decreasing crowding distance, then
        trial id. ``scope="last"`` (default): each trial's point is its last report with every
        objective; ``"all"``: every report is a point and a trial stands at its best-ranked
        one. See :mod:`tunesmith.ranking`. With one metric: the trials by :meth:`best_result`'s
        order, each its own front."""
        reports = ((row["trial_id"], row) for row in self.results)
        if isinstance(self.metric, str):
            chosen = per_trial(reports, self.metric, self.mode, scope, self.constraint_attr)
            return [
                (self.trials[tid], dict(chosen[tid][1]), i) for i, tid in enumerate(ranked(chosen))
            ]
        return [
            (self.trials[tid], dict(row), front)
            for tid, row, front in pareto_ranked(reports, self.metrics, self.modes, scope)
        ]

    def pareto_front(self, scope: str = DEFAULT_SCOPE) -> list[Trial]:
        """The trials on the Pareto front: no other trial's point is at least as good in every
        objective and better in one (``scope`` as in :meth:`ranked_trials`), ordered by
        decreasing crowding distance (the extremes first). With one metric: the best trial
        (and no trial before any finite value)."""
        return [trial for trial, _, front in self.ranked_trials(scope) if front == 0]

    def _single_objective(self, method: str) -> None:
        if not isinstance(self.metric, str):
            raise ValueError(
                f"{method}() needs a single metric, but this run has several objectives "
                f"{self.metrics} (modes {self.modes}): no one trial is best in all of them; use "
                "pareto_front() for the trials no other trial beats in every objective, or "
                "ranked_trials() for all of them by non-dominated front and crowding distance"
            )

    def best_result(self, scope: str = DEFAULT_SCOPE) -> dict[str, Any] | None:
        """The report the best trial is ranked by (None before any finite value of the metric).

        ``scope="last"`` (default) ranks each trial by its last report, ``"all"`` by its best
        one (see :mod:`tunesmith.ranking` for why the default is the last); under
        ``constraint_attr``, feasible results first (see the class docstring). Ties: the lower
        trial id. Several objectives: a ``ValueError`` (see :meth:`pareto_front`)."""
        self._single_objective("best_result")
        chosen = per_trial(
            ((row["trial_id"], row) for row in self.results),
            self.metric,
            self.mode,
            scope,
            self.constraint_attr,
        )
        order = ranked(chosen)
        return dict(chosen[order[0]][1]) if order else None

    def best_trial(self, scope: str = DEFAULT_SCOPE) -> Trial | None:
        """The trial of :meth:`best_result`."""
        self._single_objective("best_trial")
        row = self.best_result(scope)
        return None if row is None else self.trials[row["trial_id"]]

    def best_config(self, scope: str = DEFAULT_SCOPE) -> dict[str, Any] | None:
        """The config of :meth:`best_trial` (feasible first under ``constraint_attr``)."""
        self._single_objective("best_config")
        trial = self.best_trial(scope)
        return None if trial is None else dict(trial.config)

    def lineage(self, trial_id: int | None = None) -> list[Exploit]:
        """How ``trial_id``'s model (default: the best trial's) came to be under population
        based training: the exploits that made it, oldest first (see :func:`lineage_of`);
        ``[e.describe() for e in result.lineage()]`` prints it."""
        if trial_id is None:
            best = self.best_trial()
            if best is None:
                return []
            trial_id = best.trial_id
        return lineage_of(self.exploits, trial_id)

    def history(self, *, ts_fields: bool = False) -> dict[int, list[dict[str, Any]]]:
        """The reports grouped by trial: ``{trial_id: [report, ...]}``, each trial's reports in
        the order they came, the trials in the order of their first report (trials that never
        reported are left out). A report is what the trial reported, without its
        ``trial_id`` and, unless ``ts_fields=True``, without tunesmith's ``ts_`` fields."""
        pairs = ((row["trial_id"], row) for row in self.results)
        return history_of(pairs, ts_fields=ts_fields)

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

    def summary(self, scope: str = DEFAULT_SCOPE) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.status_counts().items()))
        text = f"{len(self.trials)} trials ({counts}) in {self.wallclock_time:.1f} s"
        if not isinstance(self.metric, str):
            front = self.pareto_front(scope)
            text += f"; {len(front)} on the Pareto front of {', '.join(self.metrics)}"
            text += f" ({SCOPE_WORDS[scope]})" if front else ""
            return text + (f"; stopped: {self.stop_reason}" if self.stop_reason else "")
        best = self.best_result(scope)
        if best is not None:
            text += (
                f"; best {self.metric}={best[self.metric]:.6g} "
                f"(trial {best['trial_id']}, {SCOPE_WORDS[scope]})"
            )
        if self.stop_reason:
            text += f"; stopped: {self.stop_reason}"
        return text
