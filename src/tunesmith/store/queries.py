"""Read-side tables of a study, from the materialized trials/results tables.

Every query is one SQL statement, so it sees one consistent snapshot even while another process
appends to the study.
"""

from __future__ import annotations

import csv
import json
import logging
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tunesmith.ranking import DEFAULT_SCOPE, check_scope, pareto_ranked, per_trial, ranked
from tunesmith.store.db import Connection
from tunesmith.store.study import Study
from tunesmith.trial import check_metric_mode

logger = logging.getLogger("tunesmith")

__all__ = [
    "EXPORT_FORMATS",
    "best_trials",
    "export_records",
    "pareto_trials",
    "records",
    "trial_dicts",
]

EXPORT_FORMATS = ("csv", "parquet", "json")
_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json"}
PYARROW_INSTALL = 'pip install "tunesmith[parquet]"'

_TRIAL_COLUMNS = (
    "trial_id",
    "status",
    "config",
    "last_result",
    "num_results",
    "failure_reason",
    "failure_detail",
    "best_value",
    "created_time",
    "started_time",
    "ended_time",
    "updated_time",
)
_TRIALS = f"SELECT {', '.join(_TRIAL_COLUMNS)} FROM tunesmith_trials WHERE study_id = :k_study"
_RECORDS = (
    "SELECT r.trial_id, t.status, t.config, r.metrics FROM tunesmith_results r "
    "JOIN tunesmith_trials t ON t.study_id = r.study_id AND t.trial_id = r.trial_id "
    "WHERE r.study_id = :k_study ORDER BY r.seq"
)
_REPORTS = "SELECT trial_id, metrics FROM tunesmith_results WHERE study_id = :k_study"


def _trial_dict(row: tuple) -> dict[str, Any]:
    out = dict(zip(_TRIAL_COLUMNS, row, strict=True))
    out["config"] = json.loads(out["config"])
    if out["last_result"] is not None:
        out["last_result"] = json.loads(out["last_result"])
    return out


def _ids(trial_ids: Iterable[int]) -> str:
    """`` AND trial_id IN (1, 2)``: the ids are ints read from the store, written into the
    statement (a list of parameters could pass SQLite's limit on their number)."""
    return f" AND trial_id IN ({', '.join(str(int(tid)) for tid in trial_ids)})"


def trial_dicts(conn: Connection, study_id: int) -> list[dict[str, Any]]:
    """One dict per trial, by trial id."""
    rows = conn.all(_TRIALS + " ORDER BY trial_id", {"k_study": study_id})
    return [_trial_dict(row) for row in rows]


def records(conn: Connection, study_id: int) -> list[dict[str, Any]]:
    """One flat dict per report, in report order: trial id, status, config, metrics (a metric
    named like a config key wins)."""
    rows = conn.all(_RECORDS, {"k_study": study_id})
    configs: dict[int, dict[str, Any]] = {}
    out = []
    for (trial_id, status, config, _), metrics in zip(
        rows, parse_many(r[3] for r in rows), strict=True
    ):
        parsed = configs.get(trial_id)
        if parsed is None:
            parsed = configs[trial_id] = json.loads(config)
        record = {"trial_id": trial_id, "status": status}
        record.update(parsed)
        record.update(metrics)
        out.append(record)
    return out


def parse_many(texts: Iterable[str]) -> list[Any]:
    """``[json.loads(t) for t in texts]``, as one parse (several times faster)."""
    return json.loads("[" + ",".join(texts) + "]")


def best_trials(
    conn: Connection,
    study: Study,
    *,
    k: int,
    metric: str | None,
    mode: str | None,
    scope: str = DEFAULT_SCOPE,
    constraint_attr: str | None = None,
) -> list[dict[str, Any]]:
    """The ``k`` best trials by ``metric``, best first, ranked as :mod:`tunesmith.ranking` says
    (``scope``: each trial's last report or its best one; feasible first under
    ``constraint_attr``), each a trial dict with ``value``, the value it is ranked by. Trials
    without a finite value of the metric are left out."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"`k` must be an int >= 1, but got k={k!r}")
    check_scope(scope)
    if metric is None:
        if len(study.metrics) > 1:
            return pareto_trials(conn, study, k=k, scope=scope)
        metric = study.metrics[0]
    if mode is None:
        if metric not in study.metrics:
            raise ValueError(
                f"metric {metric!r} is not one of study {study.name!r}'s metrics "
                f"{study.metrics}; pass mode='min' or mode='max' for it"
            )
        mode = study.modes[study.metrics.index(metric)]
    check_metric_mode(metric, mode)
    key = {"k_study": study.study_id, "k": k}
    primary = (metric, mode) == (study.metrics[0], study.modes[0])
    if scope == "all" and primary and constraint_attr is None:  # materialized per append
        order = "ASC" if mode == "min" else "DESC"
        query = f"{_TRIALS} AND best_value IS NOT NULL ORDER BY best_value {order}, trial_id"
        rows = [_trial_dict(row) for row in conn.all(query + " LIMIT :k", key)]
        return [{**trial, "value": trial["best_value"]} for trial in rows]
    trials: dict[int, dict[str, Any]] | None = None
    if scope == "last":  # each trial's last report is stored with it
        trials = {t["trial_id"]: t for t in trial_dicts(conn, study.study_id)}
        reports = [(tid, t["last_result"]) for tid, t in trials.items() if t["last_result"]]
        lacking = [tid for tid, row in reports if metric not in row]
        reports += _reports(conn, study, lacking) if lacking else []
    else:
        reports = _reports(conn, study, None)
    chosen = per_trial(reports, metric, mode, scope, constraint_attr)
    top = ranked(chosen)[:k]
    if not top:
        return []
    if trials is None:
        found = [_trial_dict(row) for row in conn.all(_TRIALS + _ids(top), key)]
        trials = {trial["trial_id"]: trial for trial in found}
    return [{**trials[tid], "value": float(chosen[tid][1][metric])} for tid in top]


def pareto_trials(
    conn: Connection, study: Study, *, k: int | None, scope: str = DEFAULT_SCOPE
) -> list[dict[str, Any]]:
    """A study with several metrics: the ``k`` first trials (all with None) by non-dominated
    front, then crowding distance, then trial id (:func:`tunesmith.ranking.pareto_ranked`), each
    a trial dict with ``values`` (the objectives of the report it is ranked by, in the study's
    metric order) and ``front`` (0: the Pareto front)."""
    metrics = study.metrics
    trials = {t["trial_id"]: t for t in trial_dicts(conn, study.study_id)}
    if scope == "last":  # each trial's last report is stored with it
        reports = [(tid, t["last_result"]) for tid, t in trials.items() if t["last_result"]]
        lacking = {tid for tid, row in reports if not all(m in row for m in metrics)}
        reports = [(tid, row) for tid, row in reports if tid not in lacking]
        reports += _reports(conn, study, sorted(lacking)) if lacking else []
    else:
        reports = _reports(conn, study, None)
    order = pareto_ranked(reports, metrics, study.modes, scope)
    return [
        {**trials[tid], "values": [float(row[m]) for m in metrics], "front": front}
        for tid, row, front in (order if k is None else order[:k])
    ]


def _reports(
    conn: Connection, study: Study, trial_ids: list[int] | None
) -> list[tuple[int, dict[str, Any]]]:
    """``(trial_id, metrics)`` of the study's reports (of ``trial_ids`` only, unless None), in
    report order."""
    query = _REPORTS if trial_ids is None else _REPORTS + _ids(trial_ids)
    rows = conn.all(query + " ORDER BY seq", {"k_study": study.study_id})
    return list(zip((r[0] for r in rows), parse_many(r[1] for r in rows), strict=True))


# -- export ---------------------------------------------------------------------------------


def export_format(path: Path, format: str | None) -> str:
    if format is None:
        format = _SUFFIXES.get(path.suffix.lower())
        if format is None:
            raise ValueError(
                f"cannot tell the export format from the file name {str(path)!r}; pass "
                f"format= one of {list(EXPORT_FORMATS)} or use a suffix of {sorted(_SUFFIXES)}"
            )
    if format not in EXPORT_FORMATS:
        raise ValueError(
            f"`format` must be one of {list(EXPORT_FORMATS)}, but got format={format!r}"
        )
    return format


def columns(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key not in seen:
                seen[key] = None
    return list(seen)


def _csv_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(v) for v in value]
    return value


def import_pyarrow():
    """pyarrow, or an ImportError with the install line."""
    try:
        import pyarrow
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(f'export(format="parquet") needs pyarrow: {PYARROW_INSTALL}') from err
    return pyarrow


def export_records(rows: list[dict[str, Any]], path: Path, format: str) -> None:
    """Write ``rows`` (from :func:`records`) to ``path`` as csv, parquet or json."""
    names = columns(rows)
    if format == "csv":
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(names)
            writer.writerows([_csv_value(row.get(c, "")) for c in names] for row in rows)
    elif format == "json":
        try:
            text = json.dumps(rows, allow_nan=False)
        except ValueError:  # NaN or infinity somewhere: null, as JSON has no such numbers
            text = json.dumps(_finite_or_none(rows), allow_nan=False)
        path.write_text(text, encoding="utf-8")
    else:
        pa = import_pyarrow()
        import pyarrow.parquet as pq

        arrays = {}
        for name in names:
            values = [row.get(name) for row in rows]
            try:
                arrays[name] = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                logger.warning("export: column %r has mixed types; written as JSON text", name)
                arrays[name] = pa.array([None if v is None else json.dumps(v) for v in values])
        pq.write_table(pa.table(arrays) if arrays else pa.table({}), path)
