"""Database URLs and SQLAlchemy engines for the store: SQLite (default) and PostgreSQL.

SQLite runs in WAL mode: readers in other processes never block the writer and never see a
half-written transaction. ``synchronous=NORMAL`` (the default) makes a committed transaction
survive the death of the process (SIGKILL, OOM killer) but not a power loss of the machine;
``synchronous="full"`` adds an fsync per commit for that. Write transactions start with
``BEGIN IMMEDIATE``, so two processes appending at once queue on SQLite's write lock (waiting up to
``busy_timeout`` seconds) instead of failing with "database is locked".
"""

from __future__ import annotations

import importlib.util
import logging
import os
import tempfile
import weakref
from numbers import Real
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine

from tunesmith.store.errors import StoreCorruptedError, StoreFullError, StoreOpenError
from tunesmith.store.home import DB_FILENAME, DEFAULT_DIRECTORY, HOME_VARIABLE, home_directory

logger = logging.getLogger("tunesmith")

__all__ = [
    "DB_FILENAME",
    "DEFAULT_DIRECTORY",
    "HOME_VARIABLE",
    "create_store_engine",
    "default_url",
    "display_url",
    "home_directory",
    "parse_url",
    "translate_error",
]

#: execution option that makes a SQLite transaction start with BEGIN IMMEDIATE
WRITE_OPTION = "tunesmith_write"

_SYNCHRONOUS = ("normal", "full")
_URL_FORMS = (
    "'sqlite:///relative/path.db', 'sqlite:////absolute/path.db' or "
    "'postgresql+psycopg://user:password@host:5432/database'"
)
POSTGRES_INSTALL = 'pip install "tunesmith[postgres]"'


def default_url(directory: str | Path | None = None) -> str:
    """The SQLite URL of ``<directory>/tunesmith.db`` (absolute; default directory:
    :func:`home_directory`), creating ``directory``."""
    path = Path(home_directory() if directory is None else directory).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path / DB_FILENAME}"


def sqlite_file(url: str | None) -> Path | None:
    """The file of a SQLite store (None for another database; ``url`` None: the default
    store's); ``ValueError`` for a bad URL."""
    if url is None:
        return home_directory().expanduser().resolve() / DB_FILENAME
    parsed = parse_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" else None


def display_url(url: URL) -> str:
    """``url`` as text with its password hidden, for messages and logs."""
    return url.render_as_string(hide_password=True)


def parse_url(url: str) -> URL:
    """Check a store URL and normalize it: plain ``postgresql://`` (and ``postgres://``) use
    psycopg 3, relative SQLite paths become absolute. Raises ``ValueError`` for anything else."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"`url` must be a database URL such as {_URL_FORMS}, but got url={url!r}")
    try:
        parsed = sa.make_url(url.strip())
    except sa.exc.ArgumentError:
        hint = ""
        if "://" not in url:
            hint = f"; for a SQLite file write url='sqlite:///{url}'"
        raise ValueError(
            f"`url` must be a database URL such as {_URL_FORMS}, but got url={url!r}{hint}"
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        database = parsed.database or ""
        if not database.strip():
            raise ValueError(
                f"`url` must name a SQLite file, but its path is empty: url={url!r} (an "
                "in-memory database would not be durable nor shared between processes); use "
                "e.g. 'sqlite:///tunesmith-results/tunesmith.db'"
            )
        if database == ":memory:" or database.startswith("file:"):
            raise ValueError(
                f"`url` must name a SQLite file (an in-memory database is not durable and not "
                f"shared between processes), but got url={url!r}; use e.g. "
                f"'sqlite:///tunesmith-results/tunesmith.db'"
            )
        if database.endswith(("/", os.sep)):
            raise ValueError(
                f"`url` must name a SQLite file, but the path of url={url!r} ends with a slash "
                f"(a folder); name a file in it, e.g. 'sqlite:///{database}{DB_FILENAME}'"
            )
        if parsed.host or parsed.username or parsed.port:
            raise ValueError(
                f"a SQLite `url` has no host, user or port, but got url={url!r}; "
                "use 'sqlite:///relative/path.db' or 'sqlite:////absolute/path.db'"
            )
        path = Path(database).expanduser().resolve()
        return parsed.set(drivername="sqlite", database=str(path))
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        if not parsed.database:
            raise ValueError(f"a PostgreSQL `url` must name a database, but got url={url!r}")
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(
        f"`url` must use SQLite ('sqlite://') or PostgreSQL with psycopg 3 ('postgresql://' or "
        f"'postgresql+psycopg://'), but got url={url!r} (driver {parsed.drivername!r})"
    )


def _check_options(synchronous: str, busy_timeout: float) -> None:
    if synchronous not in _SYNCHRONOUS:
        raise ValueError(
            f"`synchronous` must be one of {list(_SYNCHRONOUS)}, but got "
            f"synchronous={synchronous!r}"
        )
    if isinstance(busy_timeout, bool) or not isinstance(busy_timeout, Real) or busy_timeout <= 0:
        raise ValueError(
            f"`busy_timeout` must be a positive number of seconds, but got "
            f"busy_timeout={busy_timeout!r}"
        )


_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_connections_after_fork() -> None:
    # a forked child must not use its parent's connections (SQLite's locks and a PostgreSQL
    # session belong to the parent); it opens its own on first use
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_connections_after_fork)


def create_store_engine(url: URL, *, synchronous: str, busy_timeout: float) -> Engine:
    """An engine for a URL from :func:`parse_url`, set up for the store's transactions."""
    _check_options(synchronous, busy_timeout)
    if url.drivername == "sqlite":
        engine = _sqlite_engine(url, synchronous=synchronous, busy_timeout=float(busy_timeout))
    elif not _psycopg_installed():
        raise ImportError(f"a PostgreSQL store needs psycopg 3: {POSTGRES_INSTALL}")
    else:
        # pre-ping: a connection the server dropped while idle is replaced before a transaction
        # starts, never retried after one (a retried commit could write a batch twice)
        engine = sa.create_engine(url, pool_pre_ping=True)
    _ENGINES.add(engine)
    return engine


def _psycopg_installed() -> bool:
    return importlib.util.find_spec("psycopg") is not None


def _sqlite_folder(path: Path) -> None:
    """Create the folder of a SQLite store's file if it is missing; :class:`StoreOpenError`
    if ``path`` is a folder or its folder can not be made."""
    if path.is_dir():
        raise StoreOpenError(
            f"the SQLite store's path {path} is a folder, not a file; name a file in it, e.g. "
            f"'sqlite:///{path / DB_FILENAME}'"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        blocking = next((p for p in reversed(path.parents) if p.exists() and not p.is_dir()), None)
        why = f"{blocking} is a file, not a folder" if blocking else (err.strerror or str(err))
        raise StoreOpenError(
            f"the folder {path.parent} of the SQLite store {path} is missing and could not be "
            f"created: {why}"
        ) from None


def _sqlite_engine(url: URL, *, synchronous: str, busy_timeout: float) -> Engine:
    _sqlite_folder(Path(url.database))
    engine = sa.create_engine(url, connect_args={"timeout": busy_timeout})
    pragmas = (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA synchronous={synchronous.upper()}",
        f"PRAGMA busy_timeout={int(busy_timeout * 1000)}",
        "PRAGMA foreign_keys=ON",
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # the driver must not issue its own BEGIN: SQLAlchemy's "begin" event does (below)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # IMMEDIATE takes the write lock up front (waiting for it up to busy_timeout), so a
        # writer never fails halfway when another process committed since its first read
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


# SQLite's primary result codes (https://www.sqlite.org/rescode.html)
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_CORRUPT = 3, 8, 11
_SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 13, 14, 26
_PG_DISK_FULL = "53100"


def translate_error(url: URL, err: Exception, doing: str) -> Exception | None:
    """The store's clear error for a database error met while ``doing`` (e.g. "opening the
    store", "appending 3 events to study 'x'"), or None if it is not one the store explains:
    a full disk (:class:`StoreFullError`), and on SQLite a file that can not be opened
    (:class:`StoreOpenError`) or is damaged (:class:`StoreCorruptedError`)."""
    orig = err.orig if isinstance(err, sa.exc.DBAPIError) else err  # a driver's own error
    if url.drivername != "sqlite":
        if getattr(orig, "sqlstate", None) == _PG_DISK_FULL:
            return StoreFullError(
                f"the PostgreSQL server of the store {display_url(url)} is out of disk space "
                f"({str(orig).strip()}); {doing} failed and wrote nothing. Free space on the "
                "server and run again: everything committed before is kept"
            )
        return None
    path = Path(url.database)
    code = getattr(orig, "sqlite_errorcode", None)
    code = None if code is None else code & 0xFF
    if code == _SQLITE_FULL:
        return StoreFullError(
            f"the disk holding the SQLite store {path} is full (SQLite: {orig}); {doing} failed "
            "and wrote nothing. Free space there and run again: everything committed before is "
            "kept"
        )
    if code == _SQLITE_NOTADB:
        return StoreOpenError(
            f"{path} is not a SQLite database (SQLite: {orig}); name another file for the store"
        )
    if code == _SQLITE_CORRUPT:
        return StoreCorruptedError(
            f"the SQLite store {path} is damaged (SQLite: {orig}) while {doing}; restore it "
            "from a backup, or try SQLite's '.recover' command on a copy"
        )
    if code in (_SQLITE_CANTOPEN, _SQLITE_READONLY, _SQLITE_PERM):
        return StoreOpenError(
            f"the SQLite store {path} can not be opened for writing: {_sqlite_path_problem(path)}"
            f" (SQLite: {orig}, while {doing})"
        )
    return None


def _sqlite_path_problem(path: Path) -> str:
    """Why SQLite can not open ``path`` for writing, found by trying (permission bits do not
    tell for root, read-only mounts or ACLs)."""
    folder = path.parent
    if not folder.is_dir():
        return f"its folder {folder} does not exist (was it removed?)"
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        return (
            f"its folder {folder} is not writable ({err.strerror or err}); SQLite creates the "
            "store's file and its -wal and -shm files there"
        )
    if path.exists():
        try:
            with open(path, "r+b"):
                pass
        except OSError as err:
            return f"the file is not writable ({err.strerror or err})"
    return "the file or its folder is not accessible"
