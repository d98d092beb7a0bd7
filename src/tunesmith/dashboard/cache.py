"""What the dashboard knows of each study, kept in step with its journal.

A :class:`StudyCache` reads the study's journal through the store's read API
(:meth:`Store.read_events <tunesmith.store.Store.read_events>` with ``after_seq``): the whole
journal once, then only the events after the last one it has seen, so a request on a study of
100,000 results costs the events since the previous request, not the study. The journal's
sequence number is the cursor the API hands out (``?after=``). Of the ``decision`` events (one
per result in a tuner's journal) it needs only when and to which trial they happened (they
set its ``updated_time`` and ``seq``): it reads the other kinds whole (``kinds=``) and of the
decisions only that (:meth:`Store.read_event_times
<tunesmith.store.Store.read_event_times>`), so their payloads are never decoded.

The trials' statuses follow the events as the store's trials table does
(:mod:`tunesmith.store.journal`): ``trial_created`` pending, ``trial_started`` running (a
changed config replaces the config; a failure is cleared), ``trial_paused`` paused,
``trial_interrupted`` interrupted, ``trial_completed`` completed, ``trial_stopped`` stopped,
``trial_failed`` failed with its reason and detail.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from tunesmith.ranking import finite_number
from tunesmith.store.events import EventKind
from tunesmith.store.study import StudyNotFoundError

__all__ = ["StudyCache", "TrialState"]

_ENDED = {"trial_completed": "completed", "trial_stopped": "stopped"}
#: report keys that are bookkeeping, not metrics (the tuner's ``ts_`` fields)
_BOOKKEEPING = ("ts_",)
#: events read from the journal at a time (the cache's lock is released between them)
CHUNK = 10_000
#: the kinds of events read whole (the decisions' seqs and times are read apart)
WHOLE_KINDS = tuple(kind.value for kind in EventKind if kind is not EventKind.DECISION)
_TOUCH_KINDS = (EventKind.DECISION.value,)
#: reports the resource is looked for under when the scheduler names none
RESOURCE_NAMES = ("epoch", "step", "iteration", "training_iteration", "budget")


class TrialState:
    """One trial as the dashboard shows it: its row and its reports (in report order, each
    with the journal ``seq`` it came with)."""

    __slots__ = (
        "best_value",
        "config",
        "created_time",
        "ended_time",
        "failure_detail",
        "failure_reason",
        "reports",
        "seq",
        "seqs",
        "started_time",
        "status",
        "times",
        "trial_id",
        "updated_time",
    )

    def __init__(self, trial_id: int, config: dict[str, Any], time: float, seq: int):
        self.trial_id = trial_id
        self.config = config
        self.status = "pending"
        self.created_time = self.updated_time = time
        self.started_time: float | None = None
        self.ended_time: float | None = None
        self.failure_reason: str | None = None
        self.failure_detail: str | None = None
        self.reports: list[dict[str, Any]] = []
        self.seqs: list[int] = []
        self.times: list[float] = []
        self.seq = seq  # the last event that changed this trial
        self.best_value: float | None = None  # of the study's first metric

    @property
    def last_result(self) -> dict[str, Any] | None:
        return self.reports[-1] if self.reports else None

    def value(self, metric: str) -> float | None:
        """The metric's value in the trial's last report (the value the library ranks a
        trial by, ``scope="last"``), or None if it is missing or not finite."""
        return finite_number(self.reports[-1].get(metric)) if self.reports else None

    def best(self, metric: str, mode: str) -> float | None:
        """The best finite value of ``metric`` over the trial's reports (kept up to date for
        the study's first metric: :attr:`best_value`)."""
        values = [v for r in self.reports if (v := finite_number(r.get(metric))) is not None]
        if not values:
            return None
        return min(values) if mode == "min" else max(values)

    def resource(self, resource_attr: str | None) -> float | None:
        """The resource of the last report (its number of reports without a resource name)."""
        if not self.reports:
            return None
        if resource_attr is None:
            return float(len(self.reports))
        return finite_number(self.reports[-1].get(resource_attr))


class StudyCache:
    """The trials and reports of one study, read from its journal and refreshed from the
    events after :attr:`cursor` on :meth:`refresh`. Thread-safe: the server's request threads
    share one cache per study."""

    def __init__(self, store: Any, study: Any):
        self.store = store
        self.study = study
        self.metrics: list[str] = list(study.metrics)
        self.modes: list[str] = list(study.modes)
        self.trials: dict[int, TrialState] = {}
        #: every report in journal order: (seq, time, trial_id, report)
        self.results: list[tuple[int, float, int, dict[str, Any]]] = []
        #: every key seen in a report, in order of appearance
        self.keys: dict[str, None] = {}
        self.cursor = 0
        self.first_time: float | None = None
        self.last_time: float | None = None
        #: metric -> (cursor, the trials with a finite last value, best first)
        self._ranked: dict[str, tuple[int, list[TrialState]]] = {}
        #: metric -> (results scanned, best so far, improvements as (seq, time, n, value, trial))
        self._best: dict[str, tuple[int, float | None, list[tuple]]] = {}
        #: True while the journal has events not read yet (a background thread reads them)
        self.loading = False
        self._loader: threading.Thread | None = None
        self._lock = threading.Lock()
        self._resource_attr = _spec_resource_attr(study.scheduler_spec)

    @property
    def lock(self) -> threading.Lock:
        return self._lock

    def refresh(self, budget: float | None = None) -> int:
        """Apply the journal's events after :attr:`cursor`, :data:`CHUNK` at a time (the lock
        is released between chunks); returns the new cursor. ``budget``: seconds after which
        to return although the journal has more (a long journal read for the first time), and
        leave the rest to a background thread; :attr:`loading` is True until it has caught up.
        """
        deadline = None if budget is None else time.monotonic() + budget
        while True:
            with self._lock:
                self.loading = self._read_chunk()
                cursor = self.cursor
            if not self.loading:
                return cursor
            if deadline is not None and time.monotonic() >= deadline:
                self._load_in_background()
                return cursor

    def _read_chunk(self) -> bool:
        """Apply the next chunk of events (under the lock); returns whether more are there.
        The chunk: up to :data:`CHUNK` events of :data:`WHOLE_KINDS`, and the decisions up to
        the last of them, applied in journal order; the cursor ends on the last seq covered
        (the journal's last, once caught up, whatever its kind)."""
        store, study, after = self.store, self.study, self.cursor
        try:
            end = store.last_seq(study)  # committed: the reads below see it all
        except StudyNotFoundError:  # deleted while shown: nothing more to read
            return False
        if end <= after:
            return False
        events = store.read_events(study, after_seq=after, limit=CHUNK, kinds=WHOLE_KINDS)
        if len(events) == CHUNK and events[-1].seq < end:
            top = events[-1].seq
        else:  # every event up to the end is read (and any appended since is left for later)
            top = end
            if events and events[-1].seq > end:
                events = [event for event in events if event.seq <= end]
        touches = store.read_event_times(study, after_seq=after, upto_seq=top, kinds=_TOUCH_KINDS)
        i, n = 0, len(touches)
        for event in events:
            seq = event.seq
            while i < n and touches[i][0] < seq:
                self._touch(*touches[i])
                i += 1
            self._apply(event)
        for touch in touches[i:]:
            self._touch(*touch)
        self.cursor = top
        return top < end

    def _touch(self, seq: int, tid: int | None, at: float) -> None:
        """A decision event: only its time and seq matter here."""
        if self.first_time is None:
            self.first_time = at
        self.last_time = at
        trial = self.trials.get(tid) if tid is not None else None
        if trial is not None:
            trial.updated_time = at
            trial.seq = seq

    def _load_in_background(self) -> None:
        with self._lock:
            if self._loader is not None and self._loader.is_alive():
                return
            self._loader = threading.Thread(
                target=self.refresh, name=f"tunesmith-dashboard-{self.study.name}", daemon=True
            )
            self._loader.start()

    def _apply(self, event: Any) -> None:
        kind = event.kind._value_  # the enum's value without its property's call
        at = float(event.time)
        if self.first_time is None:
            self.first_time = at
        self.last_time = at
        tid = event.trial_id
        if kind == "trial_created":
            self.trials[tid] = TrialState(tid, dict(event.payload), at, event.seq)
            return
        trial = self.trials.get(tid) if tid is not None else None
        if trial is None:  # a run event, a scheduler call (the store refuses orphans)
            return
        trial.updated_time = at
        if kind == "result":
            report = event.payload
            trial.reports.append(report)
            trial.seqs.append(event.seq)
            trial.times.append(at)
            self.results.append((event.seq, at, tid, report))
            value = finite_number(report.get(self.metrics[0]))
            if value is not None and (
                trial.best_value is None
                or (
                    value < trial.best_value if self.modes[0] == "min" else value > trial.best_value
                )
            ):
                trial.best_value = value
            for key in report:
                if key not in self.keys:
                    self.keys[key] = None
        elif kind == "trial_started":
            trial.status = "running"
            if trial.started_time is None:
                trial.started_time = at
            trial.ended_time = trial.failure_reason = trial.failure_detail = None
            if "config" in event.payload:
                trial.config = dict(event.payload["config"])
        elif kind == "trial_paused":
            trial.status = "paused"
        elif kind == "trial_interrupted":
            trial.status = "interrupted"
        elif kind in _ENDED:
            trial.status = _ENDED[kind]
            trial.ended_time = at
        elif kind == "trial_failed":
            trial.status = "failed"
            trial.failure_reason = event.payload.get("reason")
            trial.failure_detail = event.payload.get("detail")
            trial.ended_time = at
        elif kind != "decision":
            return
        trial.seq = event.seq

    # -- what the API reads (call under :attr:`lock`) ------------------------------------------
    def metric_names(self) -> list[str]:
        """The study's metrics, then every other reported key that is not bookkeeping."""
        others = [k for k in self.keys if k not in self.metrics and not k.startswith(_BOOKKEEPING)]
        return [*self.metrics, *others]

    def resource_attr(self) -> str | None:
        """The scheduler's ``resource_attr``, else the first usual name the reports carry,
        else None (the curves are then against the report number)."""
        if self._resource_attr is not None:
            return self._resource_attr
        return next((name for name in RESOURCE_NAMES if name in self.keys), None)

    def ranked(self, metric: str) -> list[TrialState]:
        """The trials with a finite value of ``metric`` in their last report, best first (then
        by id); computed once per cursor."""
        memo = self._ranked.get(metric)
        if memo is not None and memo[0] == self.cursor:
            return memo[1]
        sign = 1.0 if self.mode_of(metric) == "min" else -1.0
        scored = [
            (sign * v, t.trial_id, t)
            for t in self.trials.values()
            if (v := t.value(metric)) is not None
        ]
        scored.sort(key=lambda s: (s[0], s[1]))
        ranked = [s[2] for s in scored]
        self._ranked[metric] = (self.cursor, ranked)
        return ranked

    def improvements(self, metric: str) -> list[tuple[int, float, int, float, int]]:
        """The results that improved the best value of ``metric`` so far, in order, as
        ``(seq, time, n, value, trial_id)`` (``n``: the result's number, from 1); extended
        from the results not scanned before."""
        mode = self.mode_of(metric)
        scanned, best, points = self._best.get(metric, (0, None, []))
        for n in range(scanned, len(self.results)):
            seq, at, tid, report = self.results[n]
            value = finite_number(report.get(metric))
            if value is None or (
                best is not None and (value >= best if mode == "min" else value <= best)
            ):
                continue
            best = value
            points.append((seq, at, n + 1, value, tid))
        self._best[metric] = (len(self.results), best, points)
        return points

    def mode_of(self, metric: str) -> str:
        return self.modes[self.metrics.index(metric)] if metric in self.metrics else "min"


def _spec_resource_attr(spec: Any) -> str | None:
    kwargs = spec.get("kwargs") if isinstance(spec, dict) else None
    value = kwargs.get("resource_attr") if isinstance(kwargs, dict) else None
    return value if isinstance(value, str) and value else None


def finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None, in dicts and lists too (JSON has none)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value
