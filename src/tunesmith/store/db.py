"""The store's connections: transactions of plain SQL text on SQLite or PostgreSQL.

Every statement of the store is written once, as SQL text with ``:name`` parameters (which
:mod:`sqlite3` takes as they are, and which are converted once to psycopg's ``%(name)s``), and
runs on the driver's own cursor through :class:`Connection`. What differs between the two
databases is in :class:`Dialect`, in one place.

SQLite runs on the standard library's :mod:`sqlite3` alone, with a small pool of connections
(SQLAlchemy costs a tenth of a second to import, more than a short study's whole run). Each
connection is in WAL mode with the store's ``synchronous`` and ``busy_timeout`` and foreign keys
on; it issues no BEGIN of its own: a write transaction starts with ``BEGIN IMMEDIATE``, which
takes SQLite's write lock up front (waiting for it up to ``busy_timeout``), so a writer never
fails halfway when another process committed since its first read.

PostgreSQL takes its connections from a SQLAlchemy engine's pool (imported only for a PostgreSQL
store), with pre-ping: a connection the server dropped while idle is replaced before a
transaction starts, never retried after one (a retried commit could write a batch twice).

A forked child never uses its parent's connections (SQLite's locks and a PostgreSQL session
belong to the parent): it opens its own on first use.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

__all__ = ["POSTGRESQL", "SQLITE", "Connection", "Database", "Dialect"]


@dataclass(frozen=True)
class Dialect:
    """What differs between the databases: every statement takes these pieces."""

    name: str
    #: UPDATE/INSERT ... RETURNING (SQLite from 3.35); without it the values are read back
    returning: bool
    #: row locks of a write transaction (SQLite's write lock already holds the whole database)
    for_update: str
    for_share: str
    #: column types: the studies' ids (SQLite autoincrements INTEGER keys), a float
    study_id: str
    serial: str
    double: str
    #: the database server's clock in seconds since the epoch; None: this machine's
    now: str | None
    #: the names of the tables of the store's schema
    table_names: str
    #: a lock that serializes schema creation (PostgreSQL; SQLite's write lock does it)
    schema_lock: str | None


SQLITE = Dialect(
    name="sqlite",
    returning=sqlite3.sqlite_version_info >= (3, 35),
    for_update="",
    for_share="",
    study_id="INTEGER",
    serial="INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT",  # never reuse a deleted study's id
    double="DOUBLE",
    now=None,
    table_names="SELECT name FROM sqlite_master WHERE type = 'table'",
    schema_lock=None,
)

POSTGRESQL = Dialect(
    name="postgresql",
    returning=True,
    for_update=" FOR UPDATE",
    for_share=" FOR SHARE",
    study_id="BIGINT",
    serial="BIGSERIAL NOT NULL PRIMARY KEY",
    double="DOUBLE PRECISION",
    now="SELECT extract(epoch FROM now())",
    table_names="SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()",
    schema_lock="SELECT pg_advisory_xact_lock(:key)",
)


class Connection:
    """One transaction: statements with ``:name`` parameters, run on the driver's cursor."""

    __slots__ = ("cursor", "dialect", "integrity_error")

    def __init__(self, cursor: Any, dialect: Dialect, integrity_error: type[Exception]):
        self.cursor = cursor
        self.dialect = dialect
        #: the driver's error for a violated key or constraint
        self.integrity_error = integrity_error

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """Run ``sql``; returns the cursor (``fetchone``, ``fetchall``, ``rowcount``)."""
        self.cursor.execute(sql, () if params is None else params)
        return self.cursor

    def executemany(self, sql: str, rows: list[Mapping[str, Any]]) -> None:
        self.cursor.executemany(sql, rows)

    def insert(self, sql: str, rows: list[tuple]) -> None:
        """Run ``sql`` (an ``INSERT ... VALUES (...)``) once per row of ``rows``: tuples of the
        values of its ``:name`` parameters, in the order they appear in the text (each name
        once). Cheaper than dicts for many rows (SQLite binds a tuple by position). On SQLite,
        :data:`_ROWS_PER_INSERT` rows at a time go in one statement of as many ``VALUES``
        tuples (the same rows, in the same order): a statement's run costs the interpreter and
        SQLite about as much as binding its values, so this is about 40% cheaper than a
        statement per row (a 13,240-row journal: 242 -> 148 million instructions)."""
        n = len(rows)
        if n == 1:
            self.cursor.execute(_positional(sql), rows[0])
            return
        k = _ROWS_PER_INSERT
        full = n - n % k if n >= k else 0
        if full:
            many = _multi_row(sql, k)
            execute = self.cursor.execute
            for i in range(0, full, k):
                execute(many, list(chain.from_iterable(rows[i : i + k])))
        if full < n:
            self.cursor.executemany(_positional(sql), rows[full:] if full else rows)

    def insert_columns(self, sql: str, columns: Sequence[Sequence[Any]]) -> None:
        """:meth:`insert` of the rows ``zip(*columns)``: ``columns`` holds one sequence per
        ``:name`` parameter of ``sql``, all of one length. No tuple per row is made: each
        statement's values are laid out from slices of the columns (a journal's rows cost
        the interpreter a third less, and leave the garbage collector less to visit)."""
        n, w = len(columns[0]), len(columns)
        k = _ROWS_PER_INSERT
        full = n - n % k if n >= k else 0
        if full:
            many = _multi_row(sql, k)
            execute = self.cursor.execute
            values: list[Any] = [None] * (k * w)
            for i in range(0, full, k):
                for j, column in enumerate(columns):
                    values[j::w] = column[i : i + k]
                execute(many, values)
        if full < n:
            self.insert(sql, list(zip(*(column[full:] for column in columns), strict=True)))

    def first(self, sql: str, params: Mapping[str, Any] | None = None) -> tuple | None:
        return self.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None without rows."""
        row = self.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
        return self.execute(sql, params).fetchall()


#: a ``:name`` parameter of a statement (not a ``::type`` cast)
_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=512)
def psycopg_text(sql: str) -> str:
    """``sql`` with psycopg's parameters: ``:name`` -> ``%(name)s``, ``%`` -> ``%%``
    (``::type`` casts are left alone)."""
    return _PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))


@lru_cache(maxsize=64)
def _positional(sql: str) -> str:
    """``sql`` with SQLite's positional parameters: ``:name`` -> ``?``."""
    names = _PARAMETER.findall(sql)
    assert len(set(names)) == len(names), f"a parameter appears twice in {sql!r}"
    return _PARAMETER.sub("?", sql)


#: rows per statement of :meth:`Connection.insert` on SQLite (a 13-column row: 832 parameters,
#: below the 999 of SQLite before 3.32)
_ROWS_PER_INSERT = 64


@lru_cache(maxsize=64)
def _multi_row(sql: str, k: int) -> str:
    """``sql``, an ``INSERT ... VALUES (...)`` of ``:name`` parameters, with ``k`` tuples of
    positional parameters after ``VALUES``."""
    head, values, tuple_ = _positional(sql).partition(" VALUES ")
    assert values and tuple_.startswith("(") and tuple_.endswith(")"), sql
    return f"{head} VALUES {', '.join([tuple_] * k)}"


@lru_cache(maxsize=64)
def _parameter_names(sql: str) -> tuple[str, ...]:
    return tuple(_PARAMETER.findall(sql))


class _PostgresConnection(Connection):
    __slots__ = ()

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        self.cursor.execute(psycopg_text(sql), params or {})  # {}: "%%" is read as "%"
        return self.cursor

    def executemany(self, sql: str, rows: list[Mapping[str, Any]]) -> None:
        self.cursor.executemany(psycopg_text(sql), rows)

    def insert(self, sql: str, rows: list[tuple]) -> None:
        names = _parameter_names(sql)
        dicts = [dict(zip(names, row, strict=True)) for row in rows]
        if len(dicts) == 1:  # executemany costs psycopg extra round trips (pipeline mode)
            self.execute(sql, dicts[0])
        elif dicts:
            self.executemany(sql, dicts)

    def insert_columns(self, sql: str, columns: Sequence[Sequence[Any]]) -> None:
        self.insert(sql, list(zip(*columns, strict=True)))


class Database:
    """A store's database: :meth:`transaction` gives a :class:`Connection` for one transaction,
    committed when the block ends, rolled back if it raises. Safe to share between threads."""

    def __init__(self, driver: _SQLite | _Postgres):
        self._driver = driver
        self.dialect: Dialect = driver.dialect
        #: the errors a statement or a connection may raise (for translating them)
        self.errors: tuple[type[BaseException], ...] = driver.errors
        self.integrity_error: type[Exception] = driver.integrity_error
        self._connection = (
            _PostgresConnection if driver.dialect.name == "postgresql" else Connection
        )
        _DATABASES.add(self)

    @contextmanager
    def transaction(
        self, *, write: bool = False, snapshot: bool = False, synced: bool = True
    ) -> Iterator[Connection]:
        """A transaction; ``write``: one that writes (on SQLite it takes the write lock first);
        ``snapshot``: all of its statements see one snapshot (SQLite's transactions do; on
        PostgreSQL it runs at REPEATABLE READ instead of READ COMMITTED). ``synced=False``: its
        commit is not fsynced on SQLite at ``synchronous="normal"`` (for a new store's tables
        and a new study's row: the first commit after the log was emptied, as it is when the
        store was last closed, syncs the log's header, 3-15 ms; the next checkpoint syncs what
        was written), and it runs no checkpoint (a checkpoint not synced could leave the file
        damaged by a power loss); a process that dies still loses nothing."""
        driver = self._driver
        raw, token = driver.checkout()
        try:
            if not synced:
                driver.set_synced(raw, False)
            cursor = raw.cursor()
            try:
                driver.begin(cursor, write=write, snapshot=snapshot)
                yield self._connection(cursor, self.dialect, self.integrity_error)
            finally:
                cursor.close()  # first: SQLite commits no transaction with a statement under way
            raw.commit()
            if not synced:
                driver.set_synced(raw, True)
        except BaseException:
            try:
                raw.rollback()
                if not synced:
                    driver.set_synced(raw, True)
            except Exception:  # the connection is broken: never use it again
                driver.discard(raw, token)
            else:
                driver.checkin(raw, token)
            raise
        driver.checkin(raw, token)

    def close(self) -> None:
        """Close the idle connections; those in use are closed when their transaction ends.
        The database can still be used: it opens new ones."""
        self._driver.close()


class _SQLite:
    """:mod:`sqlite3` connections to one file, kept for reuse (at most :data:`_IDLE` idle)."""

    errors = (sqlite3.Error,)
    integrity_error = sqlite3.IntegrityError

    def __init__(self, path: str, *, synchronous: str, busy_timeout: float, dialect: Dialect):
        self.path, self.busy_timeout, self.dialect = path, busy_timeout, dialect
        self.synchronous = synchronous.upper()
        self.pragmas = (
            "PRAGMA journal_mode=WAL",
            f"PRAGMA synchronous={self.synchronous}",
            f"PRAGMA busy_timeout={int(busy_timeout * 1000)}",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA wal_autocheckpoint={_AUTOCHECKPOINT}",
            # a statement of many rows (Connection.insert) keeps the pages it changes in a
            # statement journal, to undo itself alone on an error: in memory, not in a temporary
            # file (a simulator's journal: 6,900 writes less per 1,000 trials)
            "PRAGMA temp_store=MEMORY",
        )
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._pid, self._generation = os.getpid(), 0

    def checkout(self) -> tuple[sqlite3.Connection, tuple[int, int]]:
        with self._lock:
            token = (self._pid, self._generation)
            raw = self._idle.pop() if self._idle else None
        return (self._connect() if raw is None else raw), token

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: the driver issues no BEGIN of its own (begin() does);
        # check_same_thread=False: a connection serves one thread at a time, not always the same
        new_file = _empty_or_missing(self.path)
        raw = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            if new_file:
                # a new file goes to WAL mode without the rollback journal's fsyncs (about 10 ms):
                # it holds nothing yet; the pragmas then set the store's own level
                self.set_synced(raw, False)
            for pragma in self.pragmas:
                raw.execute(pragma)
        except BaseException:
            raw.close()
            raise
        return raw

    @staticmethod
    def begin(cursor: sqlite3.Cursor, *, write: bool, snapshot: bool) -> None:
        cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    def set_synced(self, raw: sqlite3.Connection, synced: bool) -> None:
        """Outside a transaction: commits of ``raw`` skip their fsyncs and checkpoints
        (``synced=False``, at the store's ``synchronous="normal"`` only) or sync and checkpoint
        at the store's level again."""
        if self.synchronous == "NORMAL":
            raw.execute(f"PRAGMA synchronous={'NORMAL' if synced else 'OFF'}")
            raw.execute(f"PRAGMA wal_autocheckpoint={_AUTOCHECKPOINT if synced else 0}")

    def checkin(self, raw: sqlite3.Connection, token: tuple[int, int]) -> None:
        with self._lock:
            if token == (self._pid, self._generation) and len(self._idle) < _IDLE:
                self._idle.append(raw)
                return
        self.discard(raw, token)

    @staticmethod
    def discard(raw: sqlite3.Connection, token: tuple[int, int]) -> None:
        if token[0] == os.getpid():
            raw.close()
        else:  # the parent's: closing it here could disturb the parent's locks and WAL
            _ORPHANS.append(raw)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            self._generation += 1
        for raw in idle:
            raw.close()

    def after_fork(self) -> None:
        self._lock = threading.Lock()  # another thread may have held it at the fork
        _ORPHANS.extend(self._idle)
        self._idle = []
        self._pid = os.getpid()


#: idle connections kept per SQLite store
_IDLE = 5
#: pages in the write-ahead log past which a commit copies them to the file (SQLite's default)
_AUTOCHECKPOINT = 1000
#: a forked child's copies of its parent's connections: kept, never used nor closed
_ORPHANS: list[Any] = []


class _Postgres:
    """Connections from a SQLAlchemy engine's pool, with pre-ping (see the module's doc)."""

    dialect = POSTGRESQL

    def __init__(self, url: Any):
        import psycopg
        import sqlalchemy as sa

        self.errors = (psycopg.Error, sa.exc.DBAPIError)  # the pool wraps connect errors
        self.integrity_error = psycopg.IntegrityError
        self.engine = sa.create_engine(url, pool_pre_ping=True)

    def checkout(self) -> tuple[Any, None]:
        return self.engine.raw_connection(), None

    @staticmethod
    def begin(cursor: Any, *, write: bool, snapshot: bool) -> None:
        # psycopg begins the transaction with its first statement: READ COMMITTED unless
        if snapshot:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

    @staticmethod
    def set_synced(raw: Any, synced: bool) -> None:
        pass  # the server's durability is the server's settings

    @staticmethod
    def checkin(raw: Any, token: None) -> None:
        raw.close()  # back to the pool

    @staticmethod
    def discard(raw: Any, token: None) -> None:
        with suppress(Exception):
            raw.invalidate()

    def close(self) -> None:
        self.engine.dispose()

    def after_fork(self) -> None:
        self.engine.dispose(close=False)


_DATABASES: weakref.WeakSet[Database] = weakref.WeakSet()


def _forget_connections_after_fork() -> None:
    for database in list(_DATABASES):
        database._driver.after_fork()


os.register_at_fork(after_in_child=_forget_connections_after_fork)


def _empty_or_missing(path: str) -> bool:
    try:
        return os.path.getsize(path) == 0
    except OSError:
        return True


def sqlite_database(path: str, *, synchronous: str, busy_timeout: float) -> Database:
    """A SQLite file's :class:`Database` (the file is created on first use)."""
    driver = _SQLite(path, synchronous=synchronous, busy_timeout=busy_timeout, dialect=SQLITE)
    return Database(driver)


def postgres_database(url: Any) -> Database:
    """A PostgreSQL :class:`Database` for a SQLAlchemy URL (``postgresql+psycopg://``)."""
    return Database(_Postgres(url))
