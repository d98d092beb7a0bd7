"""Appending to and reading a study's journal, and keeping the trials/results tables in step.

Sequence numbers: an append first increments its study's ``last_seq`` counter by the size of the
batch (``UPDATE ... SET last_seq = last_seq + n``). That update locks the study's row until the
transaction ends (PostgreSQL row lock; on SQLite the transaction already holds the database's
write lock from ``BEGIN IMMEDIATE``), so concurrent appenders to one study take turns and each
batch gets the next block of numbers: 1, 2, 3, ... without gaps or repeats. The primary key
``(study_id, seq)`` of the journal is the safety net that would reject a duplicate. A batch is
one transaction: all of its events (and their effect on the trials/results tables) or none.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import bindparam
from sqlalchemy.engine import Connection

from tunesmith.ranking import finite_number
from tunesmith.store.errors import StoreCorruptedError
from tunesmith.store.events import Event, EventKind, to_json
from tunesmith.store.schema import events, owners, results, studies, trials
from tunesmith.store.study import Study, StudyNotFoundError

if TYPE_CHECKING:
    from tunesmith.store.owner import Lease

__all__ = ["append_events", "prepare_events", "read_events"]

_T = trials.c
_KEY = (_T.study_id == bindparam("k_study")) & (_T.trial_id == bindparam("k_trial"))
_TIME = bindparam("v_time", type_=sa.Double)

_BUMP_SEQ = (
    studies.update()
    .where(studies.c.id == bindparam("k_study"))
    .values(last_seq=studies.c.last_seq + bindparam("v_n", type_=sa.BigInteger))
)
# the same, fenced: only while the owner row holds the appender's token (see store/owner.py).
# FOR SHARE locks that row (PostgreSQL; SQLite's write lock already serializes everything), so
# a takeover (which updates the row) waits for an append under way, and an append that waits
# for a takeover re-reads the row once it committed and finds another token: it writes nothing
_BUMP_SEQ_OWNED = _BUMP_SEQ.where(
    sa.select(owners.c.study_id)
    .where((owners.c.study_id == bindparam("k_study")) & (owners.c.token == bindparam("k_token")))
    .with_for_update(read=True)
    .exists()
)
_READ_SEQ = sa.select(studies.c.last_seq).where(studies.c.id == bindparam("k_study"))
_HAS_SEQ = sa.select(events.c.seq).where(
    (events.c.study_id == bindparam("k_study")) & (events.c.seq == bindparam("k_seq"))
)

_STARTED = {"status": "running", "started_time": sa.func.coalesce(_T.started_time, _TIME)}
_STARTED.update(ended_time=None, failure_reason=None, failure_detail=None, updated_time=_TIME)
_UPDATES = {
    "started": trials.update().where(_KEY).values(**_STARTED),
    "started_config": trials.update().where(_KEY).values(config=bindparam("v_config"), **_STARTED),
    "decision": trials.update().where(_KEY).values(updated_time=_TIME),
    "paused": trials.update().where(_KEY).values(status="paused", updated_time=_TIME),
    "interrupted": trials.update().where(_KEY).values(status="interrupted", updated_time=_TIME),
    "ended": trials.update()
    .where(_KEY)
    .values(status=bindparam("v_status"), ended_time=_TIME, updated_time=_TIME),
    "failed": trials.update()
    .where(_KEY)
    .values(
        status="failed",
        failure_reason=bindparam("v_reason"),
        failure_detail=bindparam("v_detail"),
        ended_time=_TIME,
        updated_time=_TIME,
    ),
}
_ENDED_STATUS = {EventKind.TRIAL_COMPLETED: "completed", EventKind.TRIAL_STOPPED: "stopped"}


def _result_update(mode: str | None) -> sa.Update:
    """The trial update for ``v_count`` results; ``mode`` None: none has a primary value."""
    values: dict[str, Any] = {
        "last_result": bindparam("v_metrics"),
        "num_results": _T.num_results + bindparam("v_count", type_=sa.Integer),
        "updated_time": _TIME,
    }
    if mode is not None:
        value = bindparam("v_value", type_=sa.Double)
        better = value < _T.best_value if mode == "min" else value > _T.best_value
        values["best_value"] = sa.case(
            (_T.best_value.is_(None), value), (better, value), else_=_T.best_value
        )
    return trials.update().where(_KEY).values(**values)


_RESULT_UPDATES = {mode: _result_update(mode) for mode in ("min", "max", None)}
_READ_NUM_RESULTS = sa.select(_T.num_results).where(_KEY)


def prepare_events(events_: Sequence[Event], study_name: str) -> list[tuple[Event, float, str]]:
    """Check ``events_`` and encode their payloads (outside the write transaction)."""
    if isinstance(events_, Event) or not isinstance(events_, Sequence):
        raise TypeError(
            f"`events` must be a list of Event, but got {type(events_).__name__} "
            f"(for study {study_name!r})"
        )
    now = time.time()
    out = []
    for i, ev in enumerate(events_):
        if not isinstance(ev, Event):
            raise TypeError(f"`events[{i}]` must be an Event, but got {ev!r}")
        what = f"the payload of event {i} ({ev.kind.value}, trial {ev.trial_id})"
        out.append((ev, now if ev.time is None else float(ev.time), to_json(ev.payload, what)))
    return out


class _Compiled:
    """A statement compiled once for a dialect and run on the DBAPI cursor: appending is the
    tuner's hot path, and this skips SQLAlchemy's per-execution work (about 2x faster)."""

    __slots__ = ("_compiled", "_names", "sql")

    def __init__(
        self, statement: sa.Executable, dialect: sa.Dialect, keys: Sequence[str] | None = None
    ):
        self._compiled = statement.compile(dialect=dialect, column_keys=keys)
        self.sql = self._compiled.string
        self._names = self._compiled.positiontup if self._compiled.positional else None

    def params(self, values: dict[str, Any]) -> Any:
        full = self._compiled.construct_params(values)
        return full if self._names is None else tuple(full[name] for name in self._names)


class _Statements:
    def __init__(self, dialect: sa.Dialect):
        def compiled(statement: sa.Executable, keys: Sequence[str] | None = None) -> _Compiled:
            return _Compiled(statement, dialect, keys)

        self.returning = bool(dialect.update_returning)
        self.bump_seq = compiled(
            _BUMP_SEQ.returning(studies.c.last_seq) if self.returning else _BUMP_SEQ
        )
        self.bump_seq_owned = compiled(
            _BUMP_SEQ_OWNED.returning(studies.c.last_seq) if self.returning else _BUMP_SEQ_OWNED
        )
        self.read_seq = compiled(_READ_SEQ)
        self.has_seq = compiled(_HAS_SEQ)
        self.insert_events = compiled(events.insert())
        self.insert_results = compiled(results.insert())
        self.insert_trial = compiled(trials.insert(), _NEW_TRIAL_KEYS)
        self.updates = {key: compiled(update) for key, update in _UPDATES.items()}
        self.result_updates = {
            mode: compiled(update.returning(_T.num_results) if self.returning else update)
            for mode, update in _RESULT_UPDATES.items()
        }
        self.read_num_results = compiled(_READ_NUM_RESULTS)


_STATEMENTS: dict[tuple[str, str, bool], _Statements] = {}


def _statements(dialect: sa.Dialect) -> _Statements:
    key = (dialect.name, dialect.driver, bool(dialect.update_returning))
    found = _STATEMENTS.get(key)
    if found is None:
        found = _STATEMENTS[key] = _Statements(dialect)
    return found


def _execute(cursor: Any, statement: _Compiled, values: dict[str, Any]) -> Any:
    cursor.execute(statement.sql, statement.params(values))
    return cursor


def _insert(cursor: Any, statement: _Compiled, rows: list[dict[str, Any]]) -> None:
    if len(rows) == 1:  # executemany costs psycopg extra round trips (pipeline mode)
        _execute(cursor, statement, rows[0])
    elif rows:
        cursor.executemany(statement.sql, [statement.params(row) for row in rows])


def _update_returning(
    cursor: Any, returning: bool, update: _Compiled, read: _Compiled, values: dict[str, Any]
) -> Any:
    """Run ``update`` and return the value it set, or None when it matched no row."""
    _execute(cursor, update, values)
    if returning:
        row = cursor.fetchone()
        return None if row is None else row[0]
    if cursor.rowcount == 0:
        return None
    return _execute(cursor, read, values).fetchone()[0]


def append_events(
    conn: Connection,
    study: Study,
    prepared: list[tuple[Event, float, str]],
    where: str,
    owner: Lease | None = None,
) -> list[int]:
    """Append ``prepared`` (from :func:`prepare_events`) in ``conn``'s write transaction and
    update the trials/results tables; returns the assigned sequence numbers. With ``owner``,
    only while that lease still holds the study (else :class:`OwnershipLostError`).

    A damaged journal is found when it is read (a resume reads the whole journal before it
    appends); here one indexed lookup checks that the journal's last event (the study's
    ``last_seq`` before this batch) is there, so a journal whose tail was deleted is not
    appended to (:class:`StoreCorruptedError`, nothing written)."""
    n = len(prepared)
    if n == 0:
        return []
    sql = _statements(conn.dialect)
    sid = study.study_id
    cursor = conn.connection.cursor()
    try:
        bump, values = sql.bump_seq, {"k_study": sid, "v_n": n}
        if owner is not None:
            bump, values["k_token"] = sql.bump_seq_owned, owner.token
        last = _update_returning(cursor, sql.returning, bump, sql.read_seq, values)
        if last is None:
            if owner is not None and _execute(cursor, sql.read_seq, values).fetchone():
                raise owner.lost_error()
            raise StudyNotFoundError(f"study {study.name!r} is not in the store (was it deleted?)")
        first = last - n + 1
        if (
            first > 1
            and _execute(cursor, sql.has_seq, {"k_study": sid, "k_seq": first - 1}).fetchone()
            is None
        ):
            raise _damaged(
                where,
                study,
                f"is missing its last event (seq {first - 1}, the study's last seq); nothing of "
                "this batch was written",
            )
        rows = [
            {
                "study_id": sid,
                "seq": first + i,
                "trial_id": ev.trial_id,
                "kind": ev.kind.value,
                "time": t,
                "payload": text,
            }
            for i, (ev, t, text) in enumerate(prepared)
        ]
        _insert(cursor, sql.insert_events, rows)
        _insert(cursor, sql.insert_results, _materialize(conn, cursor, sql, study, prepared, first))
    finally:
        cursor.close()
    return list(range(first, last + 1))


def _materialize(
    conn: Connection,
    cursor: Any,
    sql: _Statements,
    study: Study,
    prepared: list[tuple[Event, float, str]],
    first: int,
) -> list[dict[str, Any]]:
    """Apply the events to the trials table; returns the rows for the results table.

    Consecutive results of a trial (decisions between them included) become one update of its
    row, so a batch costs a statement per trial, not per result; any other event of the trial
    applies them first, so each trial's row sees its events in journal order."""
    mode = study.modes[0]
    pending: dict[int, _Pending] = {}
    result_rows: list[dict[str, Any]] = []

    def flush(trial_id: int) -> None:
        _apply_results(cursor, sql, study, trial_id, pending.pop(trial_id), first, result_rows)

    for i, (ev, t, text) in enumerate(prepared):
        kind, trial_id = ev.kind, ev.trial_id
        if not kind.needs_trial:
            continue
        if kind is EventKind.RESULT:
            value = finite_number(ev.payload.get(study.metrics[0]))
            waiting = pending.get(trial_id)
            if waiting is None:
                waiting = pending[trial_id] = _Pending(i)
            waiting.add(i, t, text, value, mode)
            continue
        if kind is EventKind.DECISION and trial_id in pending:
            pending[trial_id].time = t  # the flush checks that the trial exists
            continue
        if trial_id in pending:
            flush(trial_id)
        if kind is EventKind.TRIAL_CREATED:
            _insert_trial(conn, cursor, sql, study, trial_id, text, t)
            continue
        values = {"k_study": study.study_id, "k_trial": trial_id, "v_time": t}
        if kind is EventKind.TRIAL_STARTED:
            key = "started"
            if "config" in ev.payload:
                key = "started_config"
                values["v_config"] = to_json(ev.payload["config"], "a 'trial_started' config")
        elif kind is EventKind.TRIAL_FAILED:
            key = "failed"
            values.update(v_reason=ev.payload["reason"], v_detail=ev.payload.get("detail"))
        elif kind is EventKind.TRIAL_PAUSED:
            key = "paused"
        elif kind is EventKind.TRIAL_INTERRUPTED:
            key = "interrupted"
        elif kind is EventKind.DECISION:
            key = "decision"
        else:
            key = "ended"
            values["v_status"] = _ENDED_STATUS[kind]
        if _execute(cursor, sql.updates[key], values).rowcount == 0:
            raise _no_such_trial(study, i, kind, trial_id)
    for trial_id in list(pending):
        flush(trial_id)
    return result_rows


class _Pending:
    """Results of one trial not yet applied to its row."""

    __slots__ = ("best", "first", "reports", "time")

    def __init__(self, first: int):
        self.first = first  # index in the batch of the first one
        self.reports: list[tuple[int, float, str]] = []
        self.best: float | None = None
        self.time = 0.0

    def add(self, i: int, t: float, text: str, value: float | None, mode: str) -> None:
        self.reports.append((i, t, text))
        self.time = t
        if value is not None and (
            self.best is None or (value < self.best if mode == "min" else value > self.best)
        ):
            self.best = value


def _apply_results(
    cursor: Any,
    sql: _Statements,
    study: Study,
    trial_id: int,
    results_: _Pending,
    first: int,
    out: list[dict[str, Any]],
) -> None:
    n = len(results_.reports)
    values = {"k_study": study.study_id, "k_trial": trial_id, "v_time": results_.time}
    values.update(v_metrics=results_.reports[-1][2], v_count=n, v_value=results_.best)
    update = sql.result_updates[None if results_.best is None else study.modes[0]]
    count = _update_returning(cursor, sql.returning, update, sql.read_num_results, values)
    if count is None:
        raise _no_such_trial(study, results_.first, EventKind.RESULT, trial_id)
    for j, (i, t, text) in enumerate(results_.reports):
        row = {"study_id": study.study_id, "seq": first + i, "trial_id": trial_id}
        row.update(report_index=count - n + j, time=t, metrics=text)
        out.append(row)


def _no_such_trial(study: Study, i: int, kind: EventKind, trial_id: int) -> ValueError:
    return ValueError(
        f"event {i} of the batch ({kind.value!r}) is about trial {trial_id}, but study "
        f"{study.name!r} has no such trial; append a 'trial_created' event for it first "
        "(nothing of this batch was written)"
    )


_NEW_TRIAL_KEYS = (
    "study_id",
    "trial_id",
    "config",
    "status",
    "num_results",
    "created_time",
    "updated_time",
)


def _insert_trial(
    conn: Connection,
    cursor: Any,
    sql: _Statements,
    study: Study,
    trial_id: int,
    config: str,
    t: float,
) -> None:
    row = {
        "study_id": study.study_id,
        "trial_id": trial_id,
        "config": config,
        "status": "pending",
        "num_results": 0,
        "created_time": t,
        "updated_time": t,
    }
    try:
        _execute(cursor, sql.insert_trial, row)
    except conn.dialect.loaded_dbapi.IntegrityError:
        raise ValueError(
            f"a 'trial_created' event for trial {trial_id} of study {study.name!r}, but that "
            "trial already exists; trial ids are unique within a study (nothing of this batch "
            "was written)"
        ) from None


_KINDS = {k.value: k for k in EventKind}
_NEEDS_TRIAL = frozenset(k.value for k in EventKind if k.needs_trial)


def _event(seq: int, trial_id: int | None, kind: str, t: float, payload: Any) -> Event:
    # rows were checked when appended: skip Event's checks (they dominate long reads), but not
    # the few that a damaged row would fail (a KeyError, TypeError or ValueError sends the read
    # to _damaged_rows, which names the row)
    if type(payload) is not dict:
        raise TypeError(payload)
    if trial_id is None and kind in _NEEDS_TRIAL:
        raise ValueError(kind)
    ev = object.__new__(Event)
    ev.__dict__.update(kind=_KINDS[kind], trial_id=trial_id, payload=payload, time=t, seq=seq)
    return ev


def read_events(
    conn: Connection, study: Study, where: str, *, after_seq: int = 0, limit: int | None = None
) -> list[Event]:
    """The events of a study with ``seq > after_seq``, in order (at most ``limit``).

    ``conn`` must see one snapshot for both of its statements (SQLite's transactions do; on
    PostgreSQL a REPEATABLE READ transaction). A row that can not be read (bad JSON, an unknown
    kind) and a gap in the sequence numbers (a deleted row; checked against the study's
    ``last_seq``) raise :class:`StoreCorruptedError` naming the store ``where``, the study and
    the rows. The good case costs one JSON parse for all payloads and no pass over the seqs."""
    last_seq = conn.execute(_LAST_SEQ_OF, {"k_study": study.study_id}).scalar_one_or_none()
    if last_seq is None:  # the study was deleted
        return []
    e = events.c
    query = (
        sa.select(e.seq, e.trial_id, e.kind, e.time, e.payload)
        .where(e.study_id == study.study_id, e.seq > after_seq)
        .order_by(e.seq)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = conn.execute(query).all()
    _check_seqs(rows, study, where, after_seq, limit, last_seq)
    try:
        payloads = json.loads("[" + ",".join(row[4] for row in rows) + "]")  # one parse for all
        return [_event(*row[:4], payload) for row, payload in zip(rows, payloads, strict=True)]
    except (ValueError, TypeError, KeyError):
        problems = [(row, problem) for row in rows if (problem := _row_problem(row)) is not None]
        if not problems:  # pragma: no cover - every failure above comes from some row
            raise
        listed = "; ".join(
            f"seq {row[0]} ({row[2]!r}, trial {row[1]}): {problem}" for row, problem in problems[:5]
        )
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise _damaged(
            where, study, f"has {len(problems)} unreadable row(s): {listed}{more}"
        ) from None


_LAST_SEQ_OF = sa.select(studies.c.last_seq).where(studies.c.id == bindparam("k_study"))


def _row_problem(row: Any) -> str | None:
    """What is wrong with one journal row, or None."""
    _, trial_id, kind, _, text = row
    if not isinstance(text, str):
        return f"its payload is not text but {type(text).__name__}: {text!r:.60}"
    if kind not in _KINDS:
        return f"unknown kind {kind!r}"
    if trial_id is None and kind in _NEEDS_TRIAL:
        return f"a {kind!r} event without a trial id"
    try:
        payload = json.loads(text)
    except ValueError as err:
        return f"its payload is not valid JSON ({err}): {text[:60]!r}"
    if not isinstance(payload, dict):
        return f"its payload is a JSON {type(payload).__name__}, not an object: {text[:60]!r}"
    return None


def _check_seqs(
    rows: Sequence[Any], study: Study, where: str, after_seq: int, limit: int | None, last: int
) -> None:
    """The rows' seqs must be ``after_seq + 1, after_seq + 2, ...`` up to the study's ``last``
    (or ``limit`` of them). They are distinct and increasing (the primary key, ORDER BY), so the
    count and the last seq settle it without a pass over the rows."""
    n = len(rows)
    expected = max(0, last - after_seq)
    if limit is not None:
        expected = min(expected, limit)
    if n == expected and (n == 0 or rows[-1][0] == after_seq + n):
        return
    seqs = [row[0] for row in rows]
    top = last if limit is None or n < limit else min(last, seqs[-1])
    missing, previous = [], after_seq  # spans, without building a range as long as the journal
    for seq in seqs:
        if seq > top:
            break
        if seq > previous + 1:
            missing.append((previous + 1, seq - 1))
        previous = seq
    if top > previous:
        missing.append((previous + 1, top))
    beyond: list[tuple[int, int]] = []
    for seq in seqs:
        if seq > last:
            if beyond and beyond[-1][1] == seq - 1:
                beyond[-1] = (beyond[-1][0], seq)
            else:
                beyond.append((seq, seq))
    problems = []
    if missing:
        problems.append(
            f"is missing the events with seq {_spans(missing)} (it should hold seq 1 to {last})"
        )
    if beyond:
        problems.append(
            f"holds events with seq {_spans(beyond)}, beyond the study's last seq {last}"
        )
    raise _damaged(where, study, " and ".join(problems))


def _spans(spans: list[tuple[int, int]], most: int = 10) -> str:
    """``[(1, 3), (7, 7)]`` -> ``"1-3, 7"`` (at most ``most`` spans)."""
    text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans[:most])
    return text + (f", ... ({len(spans)} spans)" if len(spans) > most else "")


def _damaged(where: str, study: Study, problem: str) -> StoreCorruptedError:
    return StoreCorruptedError(
        f"the store at {where} is damaged: the journal of study {study.name!r} {problem}. The "
        "study can not be resumed or appended to as it is; restore the store from a backup, "
        "or start a new study"
    )
