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
from contextlib import suppress
from functools import cache, partial
from itertools import compress, repeat
from operator import eq, itemgetter
from typing import TYPE_CHECKING, Any

from tunesmith.ranking import finite_number
from tunesmith.store.db import Connection, Dialect
from tunesmith.store.errors import StoreCorruptedError
from tunesmith.store.events import _PIECES, Event, EventKind, to_json
from tunesmith.store.study import Study, StudyNotFoundError

if TYPE_CHECKING:
    from tunesmith.store.owner import Lease

__all__ = ["append_events", "prepare_events", "read_events"]

_KEY = "WHERE study_id = :k_study AND trial_id = :k_trial"
_STARTED = (
    "status = 'running', started_time = coalesce(started_time, :v_time), ended_time = NULL, "
    "failure_reason = NULL, failure_detail = NULL, updated_time = :v_time"
)
#: how each event of a trial other than a result changes the trial's row
_UPDATES = {
    "started": f"UPDATE tunesmith_trials SET {_STARTED} {_KEY}",
    "started_config": f"UPDATE tunesmith_trials SET config = :v_config, {_STARTED} {_KEY}",
    "decision": f"UPDATE tunesmith_trials SET updated_time = :v_time {_KEY}",
    "paused": f"UPDATE tunesmith_trials SET status = 'paused', updated_time = :v_time {_KEY}",
    "interrupted": (
        f"UPDATE tunesmith_trials SET status = 'interrupted', updated_time = :v_time {_KEY}"
    ),
    "ended": (
        "UPDATE tunesmith_trials SET status = :v_status, ended_time = :v_time, "
        f"updated_time = :v_time {_KEY}"
    ),
    "failed": (
        "UPDATE tunesmith_trials SET status = 'failed', failure_reason = :v_reason, "
        f"failure_detail = :v_detail, ended_time = :v_time, updated_time = :v_time {_KEY}"
    ),
}
_ENDED_STATUS = {EventKind.TRIAL_COMPLETED: "completed", EventKind.TRIAL_STOPPED: "stopped"}
# the kinds the loops below test per event, as plain globals (an Enum class's attribute costs
# a lookup through its metaclass, several times a global's)
_CREATED, _STARTED, _RESULT = EventKind.TRIAL_CREATED, EventKind.TRIAL_STARTED, EventKind.RESULT
_DECISION, _FAILED, _PAUSED = EventKind.DECISION, EventKind.TRIAL_FAILED, EventKind.TRIAL_PAUSED
_INTERRUPTED = EventKind.TRIAL_INTERRUPTED
#: the events that are about no trial (a scheduler call may name one; it changes no trial)
_RUN_KINDS = frozenset(k for k in EventKind if not k.needs_trial)
#: the columns of a trial's row, in the order of :class:`_NewTrial`'s ``row()``
_TRIAL_COLUMNS = (
    "study_id",
    "trial_id",
    "config",
    "status",
    "last_result",
    "num_results",
    "best_value",
    "failure_reason",
    "failure_detail",
    "created_time",
    "started_time",
    "ended_time",
    "updated_time",
)


def _result_update(mode: str | None) -> str:
    """The trial update for ``v_count`` results; ``mode`` None: none has a primary value."""
    best = ""
    if mode is not None:
        better = "<" if mode == "min" else ">"
        best = (
            "best_value = CASE WHEN best_value IS NULL THEN :v_value "
            f"WHEN :v_value {better} best_value THEN :v_value ELSE best_value END, "
        )
    return (
        "UPDATE tunesmith_trials SET last_result = :v_metrics, "
        f"num_results = num_results + :v_count, {best}updated_time = :v_time {_KEY}"
    )


class _Statements:
    """The journal's statements for one dialect (RETURNING where it has it: one round trip
    less on PostgreSQL)."""

    def __init__(self, dialect: Dialect):
        self.returning = dialect.returning
        seq = " RETURNING last_seq" if self.returning else ""
        bump = "UPDATE tunesmith_studies SET last_seq = last_seq + :v_n WHERE id = :k_study"
        self.bump_seq = bump + seq
        # the same, fenced: only while the owner row holds the appender's token (see
        # store/owner.py). FOR SHARE locks that row (PostgreSQL; SQLite's write lock already
        # serializes everything), so a takeover (which updates the row) waits for an append
        # under way, and an append that waits for a takeover re-reads the row once it committed
        # and finds another token: it writes nothing
        self.bump_seq_owned = (
            f"{bump} AND EXISTS (SELECT study_id FROM tunesmith_owners WHERE study_id = :k_study "
            f"AND token = :k_token{dialect.for_share}){seq}"
        )
        # a shared driver's appends: only while its driver row is there (store/drivers.py)
        self.bump_seq_driver = (
            f"{bump} AND EXISTS (SELECT study_id FROM tunesmith_drivers WHERE study_id = "
            f":k_study AND token = :k_token{dialect.for_share}){seq}"
        )
        self.read_seq = "SELECT last_seq FROM tunesmith_studies WHERE id = :k_study"
        self.has_seq = "SELECT seq FROM tunesmith_events WHERE study_id = :k_study AND seq = :k_seq"
        # rows are tuples of the parameters in this order (Connection.insert)
        self.insert_events = (
            'INSERT INTO tunesmith_events (study_id, seq, trial_id, kind, "time", payload) '
            "VALUES (:study_id, :seq, :trial_id, :kind, :time, :payload)"
        )
        self.insert_results = (
            'INSERT INTO tunesmith_results (study_id, seq, trial_id, report_index, "time", '
            "metrics) VALUES (:study_id, :seq, :trial_id, :report_index, :time, :metrics)"
        )
        self.insert_trials = (
            f"INSERT INTO tunesmith_trials ({', '.join(_TRIAL_COLUMNS)}) "
            f"VALUES ({', '.join(':' + c for c in _TRIAL_COLUMNS)})"
        )
        self.existing_trials = (
            "SELECT trial_id FROM tunesmith_trials WHERE study_id = :k_study "
            "AND trial_id >= :k_low AND trial_id <= :k_high"
        )
        self.updates = _UPDATES
        count = " RETURNING num_results" if self.returning else ""
        self.result_updates = {m: _result_update(m) + count for m in ("min", "max", None)}
        self.read_num_results = f"SELECT num_results FROM tunesmith_trials {_KEY}"


@cache
def _statements(dialect: Dialect) -> _Statements:
    return _Statements(dialect)


class Prepared:
    """A batch checked and encoded by :func:`prepare_events`, by column: the events, and per
    event its trial id, its kind's value, its time and its payload's JSON text (lists: a
    batch makes five objects for the garbage collector to track, not one per event)."""

    __slots__ = ("events", "kinds", "texts", "tids", "times")

    def __init__(
        self,
        events: list[Event],
        tids: list[int | None],
        kinds: list[str],
        times: list[float],
        texts: list[str],
    ):
        self.events, self.tids, self.kinds = events, tids, kinds
        self.times, self.texts = times, texts

    def __len__(self) -> int:
        return len(self.events)


def prepare_events(events_: Sequence[Event], study_name: str) -> Prepared:
    """Check ``events_`` and encode their payloads (outside the write transaction)."""
    if isinstance(events_, Event) or not isinstance(events_, Sequence):
        raise TypeError(
            f"`events` must be a list of Event, but got {type(events_).__name__} "
            f"(for study {study_name!r})"
        )
    events = list(events_)
    texts, pieces, join = None, _PIECES, "".join
    if pieces is not None and {*map(type, events)} <= {Event}:
        # the good case: the C encoder on each payload, nothing else per event; on an error
        # the loop below names the event that fails
        with suppress(Exception):
            texts = [join(pieces(ev.payload, 0)) for ev in events]
    if texts is None:
        texts = []
        for i, ev in enumerate(events):
            if not isinstance(ev, Event):
                raise TypeError(f"`events[{i}]` must be an Event, but got {ev!r}")
            what = partial(_payload_name, i, ev)  # the message only when encoding fails
            texts.append(to_json(ev.payload, what))
    # (list comprehensions: an Event's attributes are read faster than by attrgetter)
    times = [ev.time for ev in events]
    if not {*map(type, times)} <= {float}:  # None (the store's clock), ints, numpy floats
        now = time.time()
        times = [now if t is None else float(t) for t in times]
    tids = [ev.trial_id for ev in events]
    return Prepared(events, tids, [ev.kind._value_ for ev in events], times, texts)


def _payload_name(i: int, ev: Event) -> str:
    return f"the payload of event {i} ({ev.kind.value}, trial {ev.trial_id})"


def _update_returning(
    conn: Connection, returning: bool, update: str, read: str, values: dict[str, Any]
) -> Any:
    """Run ``update`` and return the value it set, or None when it matched no row."""
    cursor = conn.execute(update, values)
    if returning:
        rows = cursor.fetchall()  # to the end: SQLite finishes the statement
        return rows[0][0] if rows else None
    if cursor.rowcount == 0:
        return None
    return conn.scalar(read, values)


def append_events(
    conn: Connection,
    study: Study,
    prepared: Prepared,
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
    bump, values = sql.bump_seq, {"k_study": sid, "v_n": n}
    if owner is not None:
        bump = sql.bump_seq_driver if owner.shared else sql.bump_seq_owned
        values["k_token"] = owner.token
    last = _update_returning(conn, sql.returning, bump, sql.read_seq, values)
    if last is None:
        if owner is not None and conn.first(sql.read_seq, values):
            raise owner.lost_error()
        raise StudyNotFoundError(f"study {study.name!r} is not in the store (was it deleted?)")
    first = last - n + 1
    if first > 1 and conn.first(sql.has_seq, {"k_study": sid, "k_seq": first - 1}) is None:
        raise _damaged(
            where,
            study,
            f"is missing its last event (seq {first - 1}, the study's last seq); nothing of "
            "this batch was written",
        )
    seqs = range(first, last + 1)
    p = prepared
    conn.insert_columns(sql.insert_events, ([sid] * n, seqs, p.tids, p.kinds, p.times, p.texts))
    _materialize(conn, sql, study, prepared, first)
    return list(seqs)


def _materialize(
    conn: Connection,
    sql: _Statements,
    study: Study,
    prepared: Prepared,
    first: int,
) -> None:
    """Apply the events to the trials table and add the results to the results table.

    A trial created in this batch gets its row built here from all of its events and
    inserted once (with the batch's other new trials, in one statement). For a trial that
    was already stored, consecutive results (decisions between them included) become one
    update of its row, so a batch costs a statement per trial, not per result; any other event
    of the trial applies them first, so each trial's row sees its events in journal order."""
    mode = study.modes[0]
    metric = study.metrics[0]
    sid = study.study_id
    created = _new_trials(conn, sql, study, prepared)
    new: dict[int, _NewTrial] = {}
    pending: dict[int, _Pending] = {}
    # the results table's rows: the batch's index of each result event, its report index
    at: list[int] = []
    report: list[int] = []

    def flush(trial_id: int) -> None:
        _apply_results(conn, sql, study, trial_id, pending.pop(trial_id), at, report)

    p = prepared
    for i, (ev, trial_id, t, text) in enumerate(
        zip(p.events, p.tids, p.times, p.texts, strict=True)
    ):
        kind = ev.kind
        if kind in _RUN_KINDS:
            continue
        row = new.get(trial_id)
        if row is not None:  # created in this batch
            if kind is _RESULT:
                at.append(i)
                report.append(row.num_results)
                row.result(t, text, finite_number(ev.payload.get(metric)), mode)
            elif kind is _DECISION:
                row.updated = t
            elif kind is _CREATED:
                raise _exists(study, trial_id)
            else:
                row.apply(kind, ev.payload, t)
            continue
        if kind is _RESULT:
            value = finite_number(ev.payload.get(metric))
            waiting = pending.get(trial_id)
            if waiting is None:
                waiting = pending[trial_id] = _Pending()
            waiting.add(i, t, text, value, mode)
            continue
        if kind is _DECISION and trial_id in pending:
            pending[trial_id].time = t  # the flush checks that the trial exists
            continue
        if trial_id in pending:
            flush(trial_id)
        if kind is _CREATED:
            if trial_id in created:
                raise _exists(study, trial_id)
            new[trial_id] = _NewTrial(text, t)
            continue
        values = {"k_study": sid, "k_trial": trial_id, "v_time": t}
        if kind is _STARTED:
            key = "started"
            if "config" in ev.payload:
                key = "started_config"
                values["v_config"] = _started_config(ev.payload)
        elif kind is _FAILED:
            key = "failed"
            values.update(v_reason=ev.payload["reason"], v_detail=ev.payload.get("detail"))
        elif kind is _PAUSED:
            key = "paused"
        elif kind is _INTERRUPTED:
            key = "interrupted"
        elif kind is _DECISION:
            key = "decision"
        else:
            key = "ended"
            values["v_status"] = _ENDED_STATUS[kind]
        if conn.execute(sql.updates[key], values).rowcount == 0:
            raise _no_such_trial(study, i, kind, trial_id)
    for trial_id in list(pending):
        flush(trial_id)
    conn.insert(sql.insert_trials, [row.row(sid, tid) for tid, row in new.items()])
    if at:
        columns = [_gather(column, at) for column in (p.tids, p.times, p.texts)]
        seqs = [first + i for i in at]
        conn.insert_columns(
            sql.insert_results, ([sid] * len(at), seqs, columns[0], report, *columns[1:])
        )


def _gather(column: list[Any], at: list[int]) -> Sequence[Any]:
    """``[column[i] for i in at]`` (``at`` not empty), without a loop of the interpreter."""
    return itemgetter(*at)(column) if len(at) > 1 else [column[at[0]]]


def _new_trials(conn: Connection, sql: _Statements, study: Study, prepared: Prepared) -> set[int]:
    """The trials this batch creates that are already stored (one query over their range of
    ids; the study's row, locked by the append, keeps other appenders out until it ends)."""
    ids = list(compress(prepared.tids, map(eq, prepared.kinds, repeat(_CREATED._value_))))
    if not ids:
        return set()
    values = {"k_study": study.study_id, "k_low": min(ids), "k_high": max(ids)}
    return {row[0] for row in conn.all(sql.existing_trials, values)} & set(ids)


def _started_config(payload: dict[str, Any]) -> str:
    return to_json(payload["config"], "a 'trial_started' config")


class _NewTrial:
    """The row of a trial created in the batch, as the statements in :data:`_UPDATES` and
    :func:`_result_update` would leave it (``best_value`` as their CASE does)."""

    __slots__ = (
        "best",
        "config",
        "created",
        "detail",
        "ended",
        "last_result",
        "num_results",
        "reason",
        "started",
        "status",
        "updated",
    )

    def __init__(self, config: str, t: float):
        self.config, self.status, self.last_result, self.num_results = config, "pending", None, 0
        self.best = self.reason = self.detail = self.started = self.ended = None
        self.created = self.updated = t

    def result(self, t: float, text: str, value: float | None, mode: str) -> None:
        self.last_result, self.updated = text, t
        self.num_results += 1
        if value is not None and (
            self.best is None or (value < self.best if mode == "min" else value > self.best)
        ):
            self.best = value

    def apply(self, kind: EventKind, payload: dict[str, Any], t: float) -> None:
        """Any event of the trial other than its creation, its results and decisions (which
        change ``updated`` only)."""
        self.updated = t
        if kind is _STARTED:
            if "config" in payload:
                self.config = _started_config(payload)
            self.status = "running"
            if self.started is None:
                self.started = t
            self.ended = self.reason = self.detail = None
        elif kind is _FAILED:
            self.status, self.ended = "failed", t
            self.reason, self.detail = payload["reason"], payload.get("detail")
        elif kind is _PAUSED:
            self.status = "paused"
        elif kind is _INTERRUPTED:
            self.status = "interrupted"
        else:
            self.status, self.ended = _ENDED_STATUS[kind], t

    def row(self, study_id: int, trial_id: int) -> tuple:
        """The values of :data:`_TRIAL_COLUMNS`."""
        return (
            study_id,
            trial_id,
            self.config,
            self.status,
            self.last_result,
            self.num_results,
            self.best,
            self.reason,
            self.detail,
            self.created,
            self.started,
            self.ended,
            self.updated,
        )


class _Pending:
    """Results of one trial not yet applied to its row."""

    __slots__ = ("at", "best", "last", "time")

    def __init__(self) -> None:
        self.at: list[int] = []  # the results' indexes in the batch
        self.best: float | None = None
        self.time = 0.0
        self.last = ""  # the last one's text

    def add(self, i: int, t: float, text: str, value: float | None, mode: str) -> None:
        self.at.append(i)
        self.time, self.last = t, text
        if value is not None and (
            self.best is None or (value < self.best if mode == "min" else value > self.best)
        ):
            self.best = value


def _apply_results(
    conn: Connection,
    sql: _Statements,
    study: Study,
    trial_id: int,
    results_: _Pending,
    at: list[int],
    report: list[int],
) -> None:
    """Update a stored trial's row by its pending results; add their rows to the results
    table's (``at``: their indexes in the batch, ``report``: their report indexes)."""
    n = len(results_.at)
    values = {"k_study": study.study_id, "k_trial": trial_id, "v_time": results_.time}
    values.update(v_metrics=results_.last, v_count=n, v_value=results_.best)
    update = sql.result_updates[None if results_.best is None else study.modes[0]]
    count = _update_returning(conn, sql.returning, update, sql.read_num_results, values)
    if count is None:
        raise _no_such_trial(study, results_.at[0], _RESULT, trial_id)
    at.extend(results_.at)
    report.extend(range(count - n, count))


def _no_such_trial(study: Study, i: int, kind: EventKind, trial_id: int) -> ValueError:
    return ValueError(
        f"event {i} of the batch ({kind.value!r}) is about trial {trial_id}, but study "
        f"{study.name!r} has no such trial; append a 'trial_created' event for it first "
        "(nothing of this batch was written)"
    )


def _exists(study: Study, trial_id: int) -> ValueError:
    return ValueError(
        f"a 'trial_created' event for trial {trial_id} of study {study.name!r}, but that "
        "trial already exists; trial ids are unique within a study (nothing of this batch "
        "was written)"
    )


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
    conn: Connection,
    study: Study,
    where: str,
    *,
    after_seq: int = 0,
    limit: int | None = None,
    kinds: tuple[str, ...] | None = None,
) -> list[Event]:
    """The events of a study with ``seq > after_seq``, in order (at most ``limit``); only
    those of ``kinds`` (event kind values, checked by the caller) unless it is None: the others
    are skipped by the query (``kind IN (...)``), never read nor decoded.

    ``conn`` must see one snapshot for both of its statements (SQLite's transactions do; on
    PostgreSQL a REPEATABLE READ transaction). A row that can not be read (bad JSON, an unknown
    kind) and a gap in the sequence numbers (a deleted row; checked against the study's
    ``last_seq``) raise :class:`StoreCorruptedError` naming the store ``where``, the study and
    the rows. The good case costs one JSON parse for all payloads and no pass over the seqs."""
    values = {"k_study": study.study_id, "k_after": after_seq, "k_limit": limit}
    last_seq = conn.scalar(LAST_SEQ_OF, values)
    if last_seq is None:  # the study was deleted
        return []
    if kinds is None:
        rows = conn.all(_READ if limit is None else _READ + " LIMIT :k_limit", values)
        _check_seqs(rows, study, where, after_seq, limit, last_seq)
    else:
        sql = _READ_OF.format(kinds=_sql_kinds(kinds))
        rows = conn.all(sql if limit is None else sql + " LIMIT :k_limit", values)
        top = last_seq if limit is None or len(rows) < limit else rows[-1][0]
        _check_span(conn, rows, study, where, after_seq, top, last_seq)
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


def read_times(
    conn: Connection,
    study: Study,
    where: str,
    *,
    after_seq: int = 0,
    upto_seq: int | None = None,
    kinds: tuple[str, ...] | None = None,
) -> list[tuple[int, int | None, float]]:
    """``(seq, trial_id, time)`` of the study's events with ``after_seq < seq <= upto_seq``
    (None: to the end), in order, of ``kinds`` only unless it is None; no payload is read.
    ``conn`` as for :func:`read_events`, which checks the rows' sequence numbers the same way
    (a gap raises :class:`StoreCorruptedError`)."""
    values = {"k_study": study.study_id, "k_after": after_seq, "k_upto": upto_seq}
    last_seq = conn.scalar(LAST_SEQ_OF, values)
    if last_seq is None:  # the study was deleted
        return []
    sql = _TIMES + ("" if kinds is None else f" AND kind IN ({_sql_kinds(kinds)})")
    sql += "" if upto_seq is None else " AND seq <= :k_upto"
    rows = conn.all(sql + " ORDER BY seq", values)
    top = last_seq if upto_seq is None else min(upto_seq, last_seq)
    _check_span(conn, rows, study, where, after_seq, top, last_seq)
    return rows


LAST_SEQ_OF = "SELECT last_seq FROM tunesmith_studies WHERE id = :k_study"
_READ = (
    'SELECT seq, trial_id, kind, "time", payload FROM tunesmith_events '
    "WHERE study_id = :k_study AND seq > :k_after ORDER BY seq"
)
_READ_OF = (
    'SELECT seq, trial_id, kind, "time", payload FROM tunesmith_events '
    "WHERE study_id = :k_study AND seq > :k_after AND kind IN ({kinds}) ORDER BY seq"
)
_TIMES = (
    'SELECT seq, trial_id, "time" FROM tunesmith_events WHERE study_id = :k_study '
    "AND seq > :k_after"
)
_COUNT_SPAN = (
    "SELECT COUNT(*) FROM tunesmith_events "
    "WHERE study_id = :k_study AND seq > :k_after AND seq <= :k_top"
)
_SEQS_AFTER = (
    "SELECT seq FROM tunesmith_events WHERE study_id = :k_study AND seq > :k_after ORDER BY seq"
)


def _sql_kinds(kinds: tuple[str, ...]) -> str:
    """``kinds`` as SQL literals; each must be an event kind's value (no other text reaches
    the statement)."""
    assert kinds and all(kind in _KINDS for kind in kinds), kinds
    return ", ".join(f"'{kind}'" for kind in kinds)


def _check_span(
    conn: Connection,
    rows: Sequence[Any],
    study: Study,
    where: str,
    after_seq: int,
    top: int,
    last: int,
) -> None:
    """A filtered read's check of the journal between ``after_seq`` and ``top`` (the last seq
    it covered): every seq there is present (a count over the primary key, without reading
    the rows it skipped), and no row it read is beyond the study's ``last`` seq. Else the
    study's seqs from ``after_seq`` on are read to name the gap in the error."""
    values = {"k_study": study.study_id, "k_after": after_seq, "k_top": top}
    beyond = bool(rows) and rows[-1][0] > last
    if not beyond and conn.scalar(_COUNT_SPAN, values) == max(0, top - after_seq):
        return
    _check_seqs(conn.all(_SEQS_AFTER, values), study, where, after_seq, None, last)


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
