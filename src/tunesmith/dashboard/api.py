"""The dashboard's read-only JSON API: one function per endpoint under ``/api/``, each
answering from the study's :class:`~tunesmith.dashboard.cache.StudyCache`.

=======================================  =====================================================
``GET /api/studies``                     the studies: name, metrics, trials by status, best
``GET /api/studies/NAME``                one study: metrics, scheduler, resource, counts
``GET /api/studies/NAME/trials``         the trial table: ``status``, ``min_value``,
                                         ``max_value``, ``metric``, ``sort``, ``limit``,
                                         ``offset``, ``after``
``GET /api/studies/NAME/curves``         learning curves against the resource: ``metric``,
                                         ``trials``, ``limit``, ``max_points``, ``after``
``GET /api/studies/NAME/best``           best value over time: ``metric``, ``max_points``,
                                         ``after``
``GET /api/studies/NAME/parallel``       parallel coordinates: ``metric``, ``limit``
``GET /api/studies/NAME/rungs``          rung occupancy (Hyperband family)
``GET /api/studies/NAME/importance``     hyperparameter importance: ``metric``
``GET /api/studies/NAME/failures``       failed trials, reasons, log tails: ``lines``
``GET /api/studies/NAME/pareto``         Pareto front (several objectives): ``limit``
``GET /api/studies/NAME/export.csv``     every report as CSV (``Store.export``)
=======================================  =====================================================

Every JSON answer has ``cursor``, the journal sequence number it reflects: pass it back as
``?after=`` to ``trials`` (the trials changed since), ``curves`` (the points reported since)
or ``best`` (the improvements since).
"""

from __future__ import annotations

import bisect
import math
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tunesmith.dashboard.cache import StudyCache, TrialState, finite
from tunesmith.dashboard.params import ApiError, Query, check_metric
from tunesmith.ranking import finite_number

__all__ = ["STATUSES", "Api", "downsample"]

STATUSES = ("pending", "running", "paused", "interrupted", "completed", "stopped", "failed")
_SORT_KEYS = ("trial_id", "status", "value", "best_value", "num_results", "resource", "updated")
#: the most trials one request of the trial table answers with
MAX_LIMIT = 10_000
#: seconds a request spends reading a study's journal; a longer read (the first of a long
#: journal) goes on in the background, and the answers say ``loading`` until it is done
REFRESH_BUDGET = 0.2
#: seconds: while a study changes, its importance is fitted again at most this often
IMPORTANCE_EVERY = 30.0


def downsample(xs: list[float], ys: list[float | None], max_points: int) -> tuple[list, list]:
    """At most about ``max_points`` of the points ``(xs[i], ys[i])``: in buckets of consecutive
    points, the lowest and highest of each (so spikes stay visible), the first and last point
    always; all of them when there are few enough."""
    n = len(xs)
    if n <= max_points:
        return list(xs), list(ys)
    buckets = max(1, max_points // 2)
    size = n / buckets
    keep = {0, n - 1}
    for b in range(buckets):
        lo, hi = int(b * size), min(n, int((b + 1) * size))
        finite_ = [(ys[i], i) for i in range(lo, hi) if ys[i] is not None]
        if finite_:
            keep.add(min(finite_)[1])
            keep.add(max(finite_)[1])
        elif hi > lo:
            keep.add(lo)
    order = sorted(keep)
    return [xs[i] for i in order], [ys[i] for i in order]


class Api:
    """The endpoints, on the store at ``storage`` (its URL; None: the default store). ``store``:
    the :class:`~tunesmith.store.Store` already open there, or None while its SQLite file does
    not exist yet: it is opened on the first request that finds it (the dashboard can be
    started before the first run writes to the store)."""

    def __init__(self, storage: str | None, store: Any = None):
        self.storage = storage
        self._store = store
        self._caches: dict[str, StudyCache] = {}
        self._lock = threading.Lock()
        #: (study, metric) -> (cursor, monotonic time, answer) of the last importance fitted
        self._importance: dict[tuple[str, str], tuple[int, float, dict[str, Any]]] = {}

    @property
    def store(self) -> Any:
        """The store; a 404 saying where it was looked for while there is none yet."""
        if self._store is None:
            from tunesmith.cli.common import NoStoreError, open_store

            with self._lock:
                if self._store is None:
                    try:
                        self._store = open_store(self.storage)
                    except NoStoreError as err:
                        raise ApiError(404, err.message) from None
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    # -- routing ---------------------------------------------------------------------------
    def study_cache(self, name: str) -> StudyCache:
        """The cache of study ``name``, refreshed; a 404 naming the studies if unknown."""
        with self._lock:
            cache = self._caches.get(name)
        if cache is None:
            try:
                study = self.store.find_study(name)
            except ValueError as err:  # not a valid study name
                raise ApiError(404, str(err)) from None
            if study is None:
                names = [s.name for s in self.store.list_studies()]
                raise ApiError(
                    404,
                    f"no study named {name!r}; the store has "
                    + (", ".join(repr(n) for n in names[:20]) if names else "no studies"),
                )
            with self._lock:
                cache = self._caches.setdefault(name, StudyCache(self.store, study))
        cache.refresh(budget=REFRESH_BUDGET)
        return cache

    def studies(self, query: Query) -> list[dict[str, Any]]:
        from tunesmith.cli.common import status_counts

        try:
            store = self.store
        except ApiError:  # no store yet: no studies
            return []
        out = []
        for study in store.list_studies():
            trials = store.trials(study)
            row: dict[str, Any] = {
                "name": study.name,
                "created_time": study.created_time,
                "metrics": list(study.metrics),
                "modes": list(study.modes),
                "scheduler": (study.scheduler_spec or {}).get("class"),
                "num_trials": len(trials),
                "trials_by_status": status_counts(trials),
                "num_results": sum(t["num_results"] for t in trials),
                "best_value": None,
            }
            if len(study.metrics) == 1 and trials:
                top = store.best(study, 1)  # by each trial's last report, as the library
                row["best_value"] = top[0]["value"] if top else None
            out.append(row)
        return out

    # -- one study ---------------------------------------------------------------------------
    def summary(self, cache: StudyCache, query: Query) -> dict[str, Any]:
        from tunesmith.cli.common import hyperparameter_names, status_counts

        study = cache.study
        trials = list(cache.trials.values())
        configs = ({"config": t.config} for t in trials)  # read only without a config space
        out = {
            "name": study.name,
            "cursor": cache.cursor,
            "loading": cache.loading,
            "metrics": cache.metrics,
            "modes": cache.modes,
            "metric_names": cache.metric_names(),
            "scheduler": (study.scheduler_spec or {}).get("class"),
            "resource_attr": cache.resource_attr(),
            "hyperparameters": hyperparameter_names(study, configs),
            "num_trials": len(trials),
            "trials_by_status": status_counts({"status": t.status} for t in trials),
            "num_results": len(cache.results),
            "first_time": cache.first_time,
            "last_time": cache.last_time,
            "has_rungs": rung_levels(study.scheduler_spec) is not None,
            "best": None,
        }
        if len(cache.metrics) == 1:
            best = cache.ranked(cache.metrics[0])
            if best:
                top = best[0]
                out["best"] = {
                    "trial_id": top.trial_id,
                    "value": top.value(cache.metrics[0]),
                    "config": top.config,
                }
        return out

    def trials(self, cache: StudyCache, query: Query) -> dict[str, Any]:
        metric = check_metric(query, cache.metric_names(), cache.metrics[0])
        statuses = query.choices("status", STATUSES)
        low, high = query.number("min_value"), query.number("max_value")
        sort = query.choice("sort", [*_SORT_KEYS, *(f"-{k}" for k in _SORT_KEYS)], "trial_id")
        limit = query.integer("limit", 100, low=1, high=MAX_LIMIT)
        offset = query.integer("offset", 0, low=0, high=2**31)
        after = query.cursor()
        resource = cache.resource_attr()
        rows = list(cache.trials.values())
        if after:
            rows = [t for t in rows if t.seq > after]
        if statuses is not None:
            wanted = set(statuses)
            rows = [t for t in rows if t.status in wanted]
        if low is not None or high is not None:
            lo = -math.inf if low is None else low
            hi = math.inf if high is None else high
            rows = [t for t in rows if (v := t.value(metric)) is not None and lo <= v <= hi]
        key = sort.lstrip("-")
        descending = sort.startswith("-")
        if key != "trial_id" or descending:
            rows = _sorted(rows, key, descending, metric, cache, resource)
        total = len(rows)
        page = rows[offset : offset + limit]
        several = len(cache.metrics) > 1
        out_rows = []
        for t in page:
            row = {
                "trial_id": t.trial_id,
                "status": t.status,
                "config": t.config,
                "value": t.value(metric),
                "best_value": t.best_value
                if metric == cache.metrics[0]
                else t.best(metric, cache.mode_of(metric)),
                "num_results": len(t.reports),
                "resource": t.resource(resource),
                "last_result": t.last_result,
                "failure_reason": t.failure_reason,
                "created_time": t.created_time,
                "started_time": t.started_time,
                "ended_time": t.ended_time,
                "updated_time": t.updated_time,
                "seq": t.seq,
            }
            if several:
                row["values"] = [t.value(m) for m in cache.metrics]
            out_rows.append(row)
        return {
            "study": cache.study.name,
            "cursor": cache.cursor,
            "after": after,
            "metric": metric,
            "mode": cache.mode_of(metric),
            "resource_attr": resource,
            "total": total,
            "offset": offset,
            "limit": limit,
            "trials": out_rows,
        }

    def curves(self, cache: StudyCache, query: Query) -> dict[str, Any]:
        metric = check_metric(query, cache.metric_names(), cache.metrics[0])
        ids = query.id_list("trials")
        limit = query.integer("limit", 30, low=1, high=500)
        max_points = query.integer("max_points", 200, low=10, high=10_000)
        after = query.cursor()
        resource = cache.resource_attr()
        mode = cache.mode_of(metric)
        if ids is None:
            chosen = cache.ranked(metric)[:limit]
        else:
            unknown = [i for i in ids if i not in cache.trials]
            if unknown:
                raise ApiError(
                    400,
                    f"`trials` names trial(s) {unknown[:10]} that study {cache.study.name!r} "
                    f"does not have (it has {len(cache.trials)} trials, ids "
                    f"{min(cache.trials, default=0)} to {max(cache.trials, default=0)})",
                )
            chosen = [cache.trials[i] for i in ids[:limit]]
        curves = []
        for t in chosen:
            start = bisect.bisect_right(t.seqs, after) if after else 0
            if start >= len(t.reports):
                continue
            reports = t.reports[start:]
            if resource is None:
                xs = list(range(start + 1, len(t.reports) + 1))
            else:
                xs = [finite_number(r.get(resource)) for r in reports]
            ys = [finite_number(r.get(metric)) for r in reports]
            points = [(x, y) for x, y in zip(xs, ys, strict=True) if x is not None]
            n = len(points)
            xs, ys = downsample([p[0] for p in points], [p[1] for p in points], max_points)
            curves.append(
                {
                    "trial_id": t.trial_id,
                    "status": t.status,
                    "x": xs,
                    "y": ys,
                    "num_points": n,
                    "downsampled": len(xs) < n,
                }
            )
        return {
            "study": cache.study.name,
            "cursor": cache.cursor,
            "after": after,
            "metric": metric,
            "mode": mode,
            "x": resource or "report",
            "curves": curves,
        }

    def best(self, cache: StudyCache, query: Query) -> dict[str, Any]:
        metric = check_metric(query, cache.metric_names(), cache.metrics[0])
        max_points = query.integer("max_points", 1000, low=10, high=100_000)
        after = query.cursor()
        mode = cache.mode_of(metric)
        improvements = cache.improvements(metric)
        first = bisect.bisect_right(improvements, (after, math.inf))
        points = [
            {"seq": seq, "time": at, "result": n, "value": value, "trial_id": tid}
            for seq, at, n, value, tid in improvements[first:]
        ]
        if len(points) > max_points:
            step = len(points) / max_points
            picked = {int(i * step) for i in range(max_points)} | {len(points) - 1}
            points = [points[i] for i in sorted(picked)]
        return {
            "study": cache.study.name,
            "cursor": cache.cursor,
            "after": after,
            "metric": metric,
            "mode": mode,
            "first_time": cache.first_time,
            "num_results": len(cache.results),
            "points": points,
        }

    def parallel(self, cache: StudyCache, query: Query) -> dict[str, Any]:
        from tunesmith.space import space_from_json
        from tunesmith.viz import parallel_coordinates

        metric = check_metric(query, cache.metric_names(), cache.metrics[0])
        limit = query.integer("limit", 1000, low=1, high=MAX_LIMIT)
        mode = cache.mode_of(metric)
        ranked = cache.ranked(metric)
        chosen = ranked[:limit]
        try:
            space = space_from_json(cache.study.config_space_json)
        except (ValueError, TypeError, KeyError):
            space = None
        rows = [
            {"trial_id": t.trial_id, "config": t.config, "last_result": t.last_result}
            for t in chosen
        ]
        data = parallel_coordinates(rows, metric, mode, config_space=space)
        return {
            "study": cache.study.name,
            "cursor": cache.cursor,
            "metric": metric,
            "mode": mode,
            "num_trials": len(ranked),
            "axes": [
                {"name": a.name, "scale": a.scale, "ticks": list(a.ticks), "labels": list(a.labels)}
                for a in data.axes
            ],
            "trial_ids": [int(i) for i in data.trial_ids],
            "values": finite(data.values.tolist()),
            "color": finite(data.color.tolist()),
        }

    def rungs(self, cache: StudyCache, query: Query) -> dict[str, Any]:
        spec = cache.study.scheduler_spec or {}
        levels = rung_levels(spec)
        out: dict[str, Any] = {
            "study": cache.study.name,
            "cursor": cache.cursor,
            "scheduler": spec.get("class"),
            "resource_attr": cache.resource_attr(),
            "rungs": None,
        }
        if levels is None:
            out["message"] = (
                f"the scheduler {spec.get('class')!r} has no rungs (rung occupancy is shown for "
                "the Hyperband family: ASHA, Hyperband, PASHA, BOHB, MOBSTER, ...)"
            )
            return out
        resource = cache.resource_attr()
        reached = []
        for t in cache.trials.values():
            xs = [finite_number(r.get(resource)) for r in t.reports] if resource else []
            top = max((x for x in xs if x is not None), default=None)
            if resource is None:
                top = float(len(t.reports)) if t.reports else None
            reached.append((top, t.status))
        rungs = []
        bounds = [*levels, math.inf]
        for i, level in enumerate(levels):
            at = [s for top, s in reached if top is not None and bounds[i] <= top < bounds[i + 1]]
            rungs.append(
                {
                    "level": level,
                    "reached": sum(1 for top, _ in reached if top is not None and top >= level),
                    "at": len(at),
                    "at_by_status": {s: at.count(s) for s in STATUSES if s in at},
                    "is_max": i == len(levels) - 1,
                }
            )
        out["rungs"] = rungs
        out["not_reached"] = sum(1 for top, _ in reached if top is None or top < levels[0])
        return out

    def failures(self, cache: StudyCache, query: Query) -> dict[str, Any]:
        lines = query.integer("lines", 30, low=1, high=1000)
        failed = sorted(
            (t for t in cache.trials.values() if t.status == "failed"),
            key=lambda t: (-(t.ended_time or 0.0), t.trial_id),
        )
        by_reason: dict[str, int] = {}
        for t in failed:
            reason = t.failure_reason or "unknown"
            by_reason[reason] = by_reason.get(reason, 0) + 1
        return {
            "study": cache.study.name,
            "cursor": cache.cursor,
            "num_failed": len(failed),
            "by_reason": dict(sorted(by_reason.items(), key=lambda kv: -kv[1])),
            "failures": [
                {
                    "trial_id": t.trial_id,
                    "reason": t.failure_reason,
                    "log_tail": _tail(t.failure_detail, lines),
                    "config": t.config,
                    "num_results": len(t.reports),
                    "last_result": t.last_result,
                    "ended_time": t.ended_time,
                }
                for t in failed[:200]
            ],
        }

    def pareto(self, cache: StudyCache, query: Query) -> dict[str, Any]:
        from tunesmith.viz import pareto_points

        limit = query.integer("limit", 2000, low=1, high=MAX_LIMIT)
        if len(cache.metrics) < 2:
            raise ApiError(
                400,
                f"study {cache.study.name!r} has one objective ({cache.metrics[0]!r}): a Pareto "
                "front needs several (Tuner with metric=[...])",
            )
        rows = [
            {"trial_id": t.trial_id, **t.last_result} for t in cache.trials.values() if t.reports
        ]
        data = pareto_points(rows, cache.metrics, cache.modes) if rows else None
        points = []
        if data is not None:
            for tid, values, on in zip(data.trial_ids, data.values, data.on_front, strict=True):
                points.append(
                    {"trial_id": int(tid), "values": values.tolist(), "on_front": bool(on)}
                )
        front = [p for p in points if p["on_front"]]
        others = [p for p in points if not p["on_front"]]
        return {
            "study": cache.study.name,
            "cursor": cache.cursor,
            "metrics": cache.metrics,
            "modes": cache.modes,
            "num_points": len(points),
            "front": front,
            "others": others[: max(0, limit - len(front))],
        }

    def importance(self, cache: StudyCache, query: Query) -> dict[str, Any]:
        from tunesmith.dashboard.importance import importance

        metric = check_metric(query, cache.metric_names(), cache.metrics[0])
        key = (cache.study.name, metric)
        with self._lock:
            memo = self._importance.get(key)
        now = time.monotonic()
        if memo is not None and (memo[0] == cache.cursor or now - memo[1] < IMPORTANCE_EVERY):
            return memo[2]
        out = importance(cache, metric)
        with self._lock:
            self._importance[key] = (out["cursor"], now, out)
        return out

    def export_csv(self, cache: StudyCache, query: Query) -> bytes:
        """Every report of the study as CSV, written by :meth:`Store.export`."""
        with tempfile.TemporaryDirectory(prefix="tunesmith-dashboard-") as folder:
            path = Path(folder) / "export.csv"
            self.store.export(cache.study, path, "csv")
            return path.read_bytes()


def rung_levels(spec: Any) -> list[int] | None:
    """The rung levels of a Hyperband-family scheduler's spec (``max_t`` last), else None."""
    from tunesmith.schedulers.rungs import make_rung_spec

    kwargs = spec.get("kwargs") if isinstance(spec, dict) else None
    if not isinstance(kwargs, dict) or "max_t" not in kwargs or "reduction_factor" not in kwargs:
        return None
    try:
        rungs = make_rung_spec(
            max_t=kwargs["max_t"],
            grace_period=kwargs.get("grace_period", 1),
            reduction_factor=kwargs["reduction_factor"],
            rung_increment=kwargs.get("rung_increment"),
            rung_levels=kwargs.get("rung_levels"),
        )
    except (TypeError, ValueError):
        return None
    return [*rungs.levels, rungs.max_t]


def _tail(text: str | None, lines: int) -> str | None:
    if text is None:
        return None
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _sorted(
    rows: list[TrialState],
    key: str,
    descending: bool,
    metric: str,
    cache: StudyCache,
    resource: str | None,
) -> list[TrialState]:
    """``rows`` sorted by ``key``; trials without a value for it last, either way."""
    if key == "trial_id":
        return sorted(rows, key=lambda t: t.trial_id, reverse=descending)
    if key == "status":
        return sorted(rows, key=lambda t: (t.status, t.trial_id), reverse=descending)
    if key == "num_results":
        values = {t.trial_id: float(len(t.reports)) for t in rows}
    elif key == "updated":
        values = {t.trial_id: t.updated_time for t in rows}
    elif key == "value":  # the ranking, in the order of the metric's mode
        order = cache.ranked(metric)
        if cache.mode_of(metric) == "max":
            order = order[::-1]
        position = {t.trial_id: i for i, t in enumerate(order)}
        values = {t.trial_id: position.get(t.trial_id) for t in rows}
    elif key == "best_value":
        mode = cache.mode_of(metric)
        primary = metric == cache.metrics[0]
        values = {t.trial_id: t.best_value if primary else t.best(metric, mode) for t in rows}
    else:
        values = {t.trial_id: t.resource(resource) for t in rows}
    present = [t for t in rows if values[t.trial_id] is not None]
    missing = [t for t in rows if values[t.trial_id] is None]
    present.sort(key=lambda t: (values[t.trial_id], t.trial_id), reverse=descending)
    return present + missing
