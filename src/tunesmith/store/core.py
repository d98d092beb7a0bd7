"""The :class:`Store`: studies, their journals and the queries on them, on SQLite or
PostgreSQL (see :mod:`tunesmith.store.db`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tunesmith.ranking import DEFAULT_SCOPE, check_scope
from tunesmith.store import journal, queries
from tunesmith.store.db import Connection
from tunesmith.store.engine import (
    default_url,
    display_url,
    open_database,
    parse_url,
    translate_error,
)
from tunesmith.store.events import Event, EventKind
from tunesmith.store.owner import STALE_AFTER, Lease
from tunesmith.store.schema import ensure_schema
from tunesmith.store.study import (
    Study,
    StudyExistsError,
    StudyNotFoundError,
    check_study_name,
    study_from_row,
    study_row,
)

logger = logging.getLogger("tunesmith")

__all__ = ["Store"]

_STUDY_COLUMNS = (
    "id",
    "name",
    "created_time",
    "config_space",
    "scheduler_spec",
    "metric",
    "mode",
    "seed",
    "metadata",
    "last_seq",
)
_STUDIES = f"SELECT {', '.join(_STUDY_COLUMNS)} FROM tunesmith_studies"
#: the tables of a study's rows other than its own, in the order a delete empties them
_STUDY_TABLES = (
    "tunesmith_results",
    "tunesmith_trials",
    "tunesmith_events",
    "tunesmith_owners",
    "tunesmith_drivers",
    "tunesmith_claims",
)
_INSERT_STUDY = (
    f"INSERT INTO tunesmith_studies ({', '.join(_STUDY_COLUMNS[1:])}) VALUES "
    f"({', '.join(':' + name for name in _STUDY_COLUMNS[1:])})"
)


def _insert_study(conn: Connection, row: dict[str, Any]) -> int:
    """Insert a studies row; returns its new id."""
    if conn.dialect.returning:
        return conn.all(_INSERT_STUDY + " RETURNING id", row)[0][0]
    return conn.execute(_INSERT_STUDY, row).lastrowid  # SQLite before 3.35


class Store:
    """Durable studies: an append-only journal of events per study, plus trial and result
    tables kept in step with it for queries.

    ``url``: ``"sqlite:///path/to/file.db"``, ``"postgresql+psycopg://user@host/db"`` (plain
    ``postgresql://`` means psycopg 3, from ``pip install "tunesmith[postgres]"``), or None for
    ``sqlite:///./tunesmith-results/tunesmith.db``. ``synchronous`` (SQLite only): ``"normal"``
    keeps every committed transaction through a crash of the process (SIGKILL included);
    ``"full"`` also through a power loss, at the price of an fsync per commit.
    ``busy_timeout`` (SQLite only): seconds a write waits for another process's write to end.

    Every method that takes a ``study`` accepts a :class:`Study` or its name. Queries can run in
    any process while another one appends; each sees the committed state. Use one ``Store`` per
    process (open it again in a child process from :attr:`url`).
    """

    def __init__(
        self, url: str | None = None, *, synchronous: str = "normal", busy_timeout: float = 30.0
    ):
        self._url = parse_url(default_url() if url is None else url)
        self._display = display_url(self._url)
        self._db = open_database(self._url, synchronous=synchronous, busy_timeout=busy_timeout)
        try:
            try:
                ensure_schema(self._db, self._display)
            except self._db.errors as err:
                clear = translate_error(self._url, err, "opening the store")
                if clear is None:
                    raise
                raise clear from None
        except BaseException:
            self._db.close()
            raise
        logger.debug("opened the store at %s", self._display)

    # -- the store itself ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The normalized URL (password included), to open the same store in another process."""
        return self._url.render_as_string(hide_password=False)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._db.dialect.name

    def close(self) -> None:
        """Close the store's connections (it can still be used; it reconnects)."""
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._display!r})"

    # -- studies ------------------------------------------------------------------------------
    def create_study(
        self,
        name: str,
        *,
        config_space_json: str,
        scheduler_spec: dict[str, Any],
        metric: str | Sequence[str],
        mode: str | Sequence[str],
        seed: int | None,
        metadata: dict[str, Any] | None = None,
    ) -> Study:
        """Create the study ``name``; :class:`StudyExistsError` if the name is taken."""
        row = study_row(
            name,
            config_space_json=config_space_json,
            scheduler_spec=scheduler_spec,
            metric=metric,
            mode=mode,
            seed=seed,
            metadata=metadata,
        )
        row.update(created_time=time.time(), last_seq=0)
        try:
            # not synced: often the first commit since the store was closed, whose fsync of
            # the log's header cost a new study ~10 ms (see Database.transaction)
            with self._db.transaction(write=True, synced=False) as conn:
                study_id = _insert_study(conn, row)
        except self._db.integrity_error:
            raise StudyExistsError(
                f"a study named {name!r} already exists in {self._display}; pick another name, "
                f"or delete it first with delete_study({name!r})"
            ) from None
        except self._db.errors as err:
            clear = translate_error(self._url, err, f"creating study {name!r}")
            if clear is None:
                raise
            raise clear from None
        logger.debug("created study %r in %s", name, self._display)
        return study_from_row({**row, "id": study_id})

    def get_study(self, name: str) -> Study:
        """The study ``name``; :class:`StudyNotFoundError` (naming the studies there are) if
        the store has none of that name. :meth:`find_study` returns None instead."""
        found = self.find_study(name)
        if found is None:
            raise self._not_found(name)
        return found

    def find_study(self, name: str) -> Study | None:
        """The study ``name``, or None if the store has none of that name."""
        check_study_name(name)
        with self._db.transaction() as conn:
            row = conn.first(f"{_STUDIES} WHERE name = :name", {"name": name})
        return None if row is None else study_from_row(dict(zip(_STUDY_COLUMNS, row, strict=True)))

    def list_studies(self) -> list[Study]:
        """All studies, oldest first."""
        with self._db.transaction() as conn:
            rows = conn.all(f"{_STUDIES} ORDER BY id")
        return [study_from_row(dict(zip(_STUDY_COLUMNS, row, strict=True))) for row in rows]

    def delete_study(self, study: Study | str, *, owner: Lease | None = None) -> None:
        """Delete a study with its journal, trials and results; :class:`StudyLockedError` if
        a live driver runs it (other than ``owner``, the caller's own lease)."""
        study = self._resolve(study)
        with self._db.transaction(write=True) as conn:
            # the locks in an append's order (PostgreSQL; SQLite's write lock serializes all):
            # its owner (or driver) row, then the study's row. The owner row first, so an
            # append under way ends before this goes on, and none runs half-deleted; the study
            # row first would deadlock with an append that holds its owner row
            probe = owner or Lease(self._db, study.study_id, study.name, self._display)
            probe.check_free(conn)
            sid = {"k_study": study.study_id}
            lock = "SELECT id FROM tunesmith_studies WHERE id = :k_study" + conn.dialect.for_update
            if conn.first(lock, sid) is None:
                raise self._not_found(study.name)
            for table in _STUDY_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE study_id = :k_study", sid)
            conn.execute("DELETE FROM tunesmith_studies WHERE id = :k_study", sid)
        logger.debug("deleted study %r from %s", study.name, self._display)

    def _not_found(self, name: str) -> StudyNotFoundError:
        names = [s.name for s in self.list_studies()]
        known = ", ".join(repr(n) for n in names[:10]) + (", ..." if len(names) > 10 else "")
        return StudyNotFoundError(
            f"no study named {name!r} in {self._display} (studies: {known or 'none'})"
        )

    def _resolve(self, study: Study | str) -> Study:
        if isinstance(study, Study):
            return study
        if not isinstance(study, str):
            raise TypeError(f"`study` must be a Study or a study name, but got study={study!r}")
        return self.get_study(study)

    # -- the journal --------------------------------------------------------------------------
    def append(
        self, study: Study | str, events: Sequence[Event], *, owner: Lease | None = None
    ) -> list[int]:
        """Append ``events`` to the study's journal in one transaction, committed before this
        returns; returns their sequence numbers. A bad event (e.g. about a trial never created)
        raises and writes nothing of the batch. A full disk raises :class:`StoreFullError`
        (nothing of the batch written). A damaged journal is detected when it is read (a resume
        reads it whole before appending) with :class:`StoreCorruptedError`; an append itself
        checks only that the journal's last event is there (one indexed lookup)."""
        study = self._resolve(study)
        prepared = journal.prepare_events(events, study.name)
        if not prepared:
            return []
        try:
            with self._db.transaction(write=True) as conn:
                return journal.append_events(conn, study, prepared, self._display, owner)
        except self._db.errors as err:
            doing = f"appending {len(prepared)} event(s) to study {study.name!r}"
            clear = translate_error(self._url, err, doing)
            if clear is None:
                raise
            raise clear from None

    def acquire_study(self, study: Study | str, *, stale_after: float = STALE_AFTER) -> Lease:
        """Take ``study`` for this driver: :class:`StudyLockedError` (naming the holder) if
        another live driver runs it. The returned :class:`Lease` is renewed in the background
        until ``release()``; pass it as ``append(..., owner=lease)``, whose appends then fail
        with :class:`OwnershipLostError` once another driver took the study over (see
        :mod:`tunesmith.store.owner`)."""
        study = self._resolve(study)
        lease = Lease(self._db, study.study_id, study.name, self._display)
        lease.acquire(stale_after)
        return lease

    def join_study(self, study: Study | str, *, stale_after: float = STALE_AFTER):
        """Join ``study`` as one of its shared drivers (``Tuner(..., shared=True)``):
        :class:`StudyLockedError` if a driver that owns it alone runs it. The returned
        :class:`~tunesmith.store.drivers.SharedLease` allocates trial ids, claims configs and
        the trials of drivers that are gone, and fences this driver's appends (see
        :mod:`tunesmith.store.drivers`)."""
        from tunesmith.store.drivers import SharedLease

        study = self._resolve(study)
        lease = SharedLease(self._db, study.study_id, study.name, self._display)
        lease.acquire(stale_after)
        return lease

    def read_events(
        self,
        study: Study | str,
        after_seq: int = 0,
        *,
        limit: int | None = None,
        kinds: Sequence[EventKind | str] | None = None,
    ) -> list[Event]:
        """The study's events with ``seq > after_seq``, in order (at most ``limit`` of them).
        ``kinds``: only the events of these kinds (e.g. ``["result"]``); the query skips the
        others, which are never decoded, so their seqs are missing from the answer (``limit``
        counts the events returned). :class:`StoreCorruptedError` names the rows if some can
        not be read (bad JSON, an unknown kind) or are missing (a gap in the sequence numbers;
        with ``kinds``, also among the rows skipped, checked by counting them)."""
        study = self._resolve(study)
        _check_after(after_seq, "after_seq")
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 1
        ):
            raise ValueError(f"`limit` must be an int >= 1 or None, but got limit={limit!r}")
        wanted = None if kinds is None else _check_kinds(kinds)
        with self._db.transaction(snapshot=True) as conn:
            return journal.read_events(
                conn, study, self._display, after_seq=after_seq, limit=limit, kinds=wanted
            )

    def read_event_times(
        self,
        study: Study | str,
        after_seq: int = 0,
        *,
        upto_seq: int | None = None,
        kinds: Sequence[EventKind | str] | None = None,
    ) -> list[tuple[int, int | None, float]]:
        """``(seq, trial_id, time)`` of the study's events with ``after_seq < seq <=
        upto_seq`` (None: to the last one), in order, of ``kinds`` only (None: all): when and
        to which trial something happened, without reading what (no payload is read; a
        follower of a long journal reads the events it shows with :meth:`read_events` and
        ``kinds``, and only this of the others). Gaps raise as in :meth:`read_events`."""
        study = self._resolve(study)
        _check_after(after_seq, "after_seq")
        if upto_seq is not None:
            _check_after(upto_seq, "upto_seq", " or None")
        wanted = None if kinds is None else _check_kinds(kinds)
        with self._db.transaction(snapshot=True) as conn:
            return journal.read_times(
                conn, study, self._display, after_seq=after_seq, upto_seq=upto_seq, kinds=wanted
            )

    def last_seq(self, study: Study | str) -> int:
        """The seq of the study's last event (0 while its journal is empty): every event up to
        it is committed and readable."""
        study = self._resolve(study)
        with self._db.transaction() as conn:
            last = conn.scalar(journal.LAST_SEQ_OF, {"k_study": study.study_id})
        if last is None:  # deleted since it was resolved
            raise self._not_found(study.name)
        return int(last)

    # -- queries ------------------------------------------------------------------------------
    def trials(self, study: Study | str) -> list[dict[str, Any]]:
        """One dict per trial, by id: ``trial_id``, ``status``, ``config``, ``last_result``,
        ``num_results``, ``failure_reason``, ``failure_detail``, ``best_value`` (best value of
        the study's first metric) and the ``created/started/ended/updated_time``."""
        study = self._resolve(study)
        with self._db.transaction() as conn:
            return queries.trial_dicts(conn, study.study_id)

    def records(self, study: Study | str) -> list[dict[str, Any]]:
        """One flat dict per reported result, in report order: ``trial_id``, ``status``, each
        config key, each metric."""
        study = self._resolve(study)
        with self._db.transaction() as conn:
            return queries.records(conn, study.study_id)

    def dataframe(self, study: Study | str):
        """:meth:`records` as a pandas DataFrame (needs ``tunesmith[pandas]``)."""
        from tunesmith.results import import_pandas

        pandas = import_pandas()
        rows = self.records(study)
        names = queries.columns(rows)  # column by column: several times faster than row-wise
        return pandas.DataFrame({name: [row.get(name) for row in rows] for name in names})

    def export(self, study: Study | str, path: str | Path, format: str | None = None) -> Path:
        """Write :meth:`records` to ``path`` as ``"csv"``, ``"parquet"`` (needs pyarrow) or
        ``"json"`` (a list of records; NaN and infinities become null). ``format`` None: from the
        file's suffix. Returns the path."""
        path = Path(path)
        format = queries.export_format(path, format)
        if format == "parquet":
            queries.import_pyarrow()
        queries.export_records(self.records(study), path, format)
        return path

    def best(
        self,
        study: Study | str,
        k: int = 1,
        *,
        metric: str | None = None,
        mode: str | None = None,
        scope: str = DEFAULT_SCOPE,
        constraint_attr: str | None = None,
    ) -> list[dict[str, Any]]:
        """The ``k`` best trials by the study's metric (or ``metric``, with ``mode`` if it is
        not one of the study's), best first, as :meth:`trials` dicts with ``value``, the value
        each is ranked by: its last report's (``scope="last"``, the default) or its best
        report's (``"all"``); feasible results first under ``constraint_attr``. See
        :mod:`tunesmith.ranking`.

        A study with several metrics, without ``metric``: the trials by non-dominated front,
        then crowding distance (see :meth:`pareto_front`), each with ``values`` (one per
        metric) and ``front`` (0: the Pareto front) instead of ``value``."""
        study = self._resolve(study)
        with self._db.transaction() as conn:
            return queries.best_trials(
                conn,
                study,
                k=k,
                metric=metric,
                mode=mode,
                scope=scope,
                constraint_attr=constraint_attr,
            )

    def pareto_front(
        self, study: Study | str, *, scope: str = DEFAULT_SCOPE
    ) -> list[dict[str, Any]]:
        """The trials on the Pareto front of the study's metrics (no other trial's point is at
        least as good in every objective and better in one), as :meth:`best` gives them with
        several metrics (``values``, ``front``), the extremes of the front first. ``scope``:
        each trial's last report (default) or every report as a point (``"all"``; see
        :func:`tunesmith.ranking.pareto_ranked`). With one metric: the trials of the best value."""
        study = self._resolve(study)
        check_scope(scope)
        with self._db.transaction() as conn:
            rows = queries.pareto_trials(conn, study, k=None, scope=scope)
        return [row for row in rows if row["front"] == 0]


def _check_after(value: Any, name: str, also: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"`{name}` must be an int >= 0{also}, but got {name}={value!r}")


_KIND_VALUES = [kind.value for kind in EventKind]


def _check_kinds(kinds: Any) -> tuple[str, ...]:
    """``kinds`` (a sequence of :class:`EventKind` or their values) as their values, in the
    order given, each once; a clear error naming the allowed kinds otherwise."""
    if isinstance(kinds, str | bytes) or not isinstance(kinds, Sequence | set | frozenset):
        raise TypeError(
            f"`kinds` must be a list of event kinds (e.g. kinds=['result']) or None, but got "
            f"kinds={kinds!r}; the kinds are {_KIND_VALUES}"
        )
    unknown = [k for k in kinds if not isinstance(k, str) or k not in _KIND_VALUES]
    if unknown or not kinds:
        what = f"{unknown[0]!r} is not one" if unknown else "it names none"
        raise ValueError(
            f"`kinds` must name one or more of the event kinds {_KIND_VALUES}, but got "
            f"kinds={list(kinds)!r} ({what})"
        )
    return tuple(dict.fromkeys(EventKind(k).value for k in kinds))
