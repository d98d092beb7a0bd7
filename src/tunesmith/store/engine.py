"""Database URLs, opening a store's database, and the store's errors for database errors.

SQLite runs in WAL mode: readers in other processes never block the writer and never see a
half-written transaction. ``synchronous=NORMAL`` (the default) makes a committed transaction
survive the death of the process (SIGKILL, OOM killer) but not a power loss of the machine;
``synchronous="full"`` adds an fsync per commit for that. Write transactions start with
``BEGIN IMMEDIATE``, so two processes appending at once queue on SQLite's write lock (waiting up to
``busy_timeout`` seconds) instead of failing with "database is locked".

A SQLite store needs only the standard library's :mod:`sqlite3` (see :mod:`tunesmith.store.db`);
SQLAlchemy is imported for PostgreSQL URLs only.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, unquote

from tunesmith.store.db import Database, postgres_database, sqlite_database
from tunesmith.store.errors import StoreCorruptedError, StoreFullError, StoreOpenError
from tunesmith.store.home import DB_FILENAME, DEFAULT_DIRECTORY, HOME_VARIABLE, home_directory

logger = logging.getLogger("tunesmith")

__all__ = [
    "DB_FILENAME",
    "DEFAULT_DIRECTORY",
    "HOME_VARIABLE",
    "SQLiteURL",
    "default_url",
    "display_url",
    "home_directory",
    "open_database",
    "parse_url",
    "translate_error",
]

_SYNCHRONOUS = ("normal", "full")
_URL_FORMS = (
    "'sqlite:///relative/path.db', 'sqlite:////absolute/path.db' or "
    "'postgresql+psycopg://user:password@host:5432/database'"
)
_SCHEME = re.compile(r"([\w+]+)://")
POSTGRES_INSTALL = 'pip install "tunesmith[postgres]"'


@dataclass(frozen=True)
class SQLiteURL:
    """A SQLite store's URL, as :func:`parse_url` gives it: the absolute path of its file.
    Answers as a SQLAlchemy URL does where the store uses one (``drivername``, ``database``,
    ``get_backend_name()``, ``render_as_string()``)."""

    database: str
    drivername: ClassVar[str] = "sqlite"

    def get_backend_name(self) -> str:
        return "sqlite"

    def render_as_string(self, hide_password: bool = True) -> str:
        """``sqlite:////the/path.db`` (characters that would end the path, such as ``?``, ``#``
        and ``%``, escaped as ``%XX``); a SQLite URL has no password to hide."""
        return "sqlite:///" + quote(self.database, safe=" +/")

    def __str__(self) -> str:
        return self.render_as_string()


def default_url(directory: str | Path | None = None) -> str:
    """The SQLite URL of ``<directory>/tunesmith.db`` (absolute; default directory:
    :func:`home_directory`), creating ``directory``."""
    path = Path(home_directory() if directory is None else directory).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return SQLiteURL(str(path / DB_FILENAME)).render_as_string()


def sqlite_file(url: str | None) -> Path | None:
    """The file of a SQLite store (None for another database; ``url`` None: the default
    store's); ``ValueError`` for a bad URL."""
    if url is None:
        return home_directory().expanduser().resolve() / DB_FILENAME
    parsed = parse_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" else None


def display_url(url: Any) -> str:
    """``url`` (from :func:`parse_url`) as text with its password hidden, for messages."""
    return url.render_as_string(hide_password=True)


def parse_url(url: str) -> Any:
    """Check a store URL and normalize it: a :class:`SQLiteURL` with the file's absolute path,
    or for PostgreSQL a SQLAlchemy URL using psycopg 3 (for plain ``postgresql://`` and
    ``postgres://`` too). Raises ``ValueError`` for anything else."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"`url` must be a database URL such as {_URL_FORMS}, but got url={url!r}")
    text = url.strip()
    scheme = _SCHEME.match(text)
    if scheme is None:
        raise _unparsable(url)
    drivername = scheme.group(1)
    backend, _, driver = drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return _parse_sqlite(url, text[scheme.end() :])
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return _parse_postgres(url, text)
    raise ValueError(
        f"`url` must use SQLite ('sqlite://') or PostgreSQL with psycopg 3 ('postgresql://' or "
        f"'postgresql+psycopg://'), but got url={url!r} (driver {drivername!r})"
    )


def _unparsable(url: str) -> ValueError:
    hint = f"; for a SQLite file write url='sqlite:///{url}'" if "://" not in url else ""
    return ValueError(
        f"`url` must be a database URL such as {_URL_FORMS}, but got url={url!r}{hint}"
    )


def _parse_sqlite(url: str, rest: str) -> SQLiteURL:
    """``rest``: what follows ``sqlite://``: ``[user@host:port]/path[?query]``."""
    head, question, query = rest.partition("?")
    authority, slash, database = head.partition("/")
    database = unquote(database)
    if not slash or not database.strip():
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
    if authority:
        raise ValueError(
            f"a SQLite `url` has no host, user or port, but got url={url!r}; "
            "use 'sqlite:///relative/path.db' or 'sqlite:////absolute/path.db'"
        )
    if question:
        raise ValueError(
            f"a SQLite `url` takes no query ('?{query}'), but got url={url!r}; set "
            "Store(url, synchronous=..., busy_timeout=...) instead, and write a '?' in the "
            "file's path as '%3F'"
        )
    return SQLiteURL(str(Path(database).expanduser().resolve()))


def _parse_postgres(url: str, text: str) -> Any:
    import sqlalchemy as sa  # PostgreSQL only: a SQLite store never imports SQLAlchemy

    try:
        parsed = sa.make_url(text)
    except sa.exc.ArgumentError:
        raise _unparsable(url) from None
    if not parsed.database:
        raise ValueError(f"a PostgreSQL `url` must name a database, but got url={url!r}")
    return parsed.set(drivername="postgresql+psycopg")


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


def open_database(url: Any, *, synchronous: str, busy_timeout: float) -> Database:
    """The :class:`~tunesmith.store.db.Database` of a URL from :func:`parse_url`; nothing is
    connected yet, but a SQLite store's missing folder is created."""
    _check_options(synchronous, busy_timeout)
    if isinstance(url, SQLiteURL):
        _sqlite_folder(Path(url.database))
        return sqlite_database(
            url.database, synchronous=synchronous, busy_timeout=float(busy_timeout)
        )
    if not _psycopg_installed():
        raise ImportError(f"a PostgreSQL store needs psycopg 3: {POSTGRES_INSTALL}")
    return postgres_database(url)


def _psycopg_installed() -> bool:
    import importlib.util

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


# SQLite's primary result codes (https://www.sqlite.org/rescode.html)
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_CORRUPT = 3, 8, 11
_SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 13, 14, 26
_PG_DISK_FULL = "53100"


def translate_error(url: Any, err: BaseException, doing: str) -> Exception | None:
    """The store's clear error for a database error met while ``doing`` (e.g. "opening the
    store", "appending 3 events to study 'x'"), or None if it is not one the store explains:
    a full disk (:class:`StoreFullError`), and on SQLite a file that can not be opened
    (:class:`StoreOpenError`) or is damaged (:class:`StoreCorruptedError`)."""
    orig = getattr(err, "orig", None)  # SQLAlchemy's pool wraps PostgreSQL's connect errors
    if not isinstance(orig, BaseException):
        orig = err  # a driver's own error
    if not isinstance(url, SQLiteURL):
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
    import tempfile  # only when a store can not be opened: kept off the start-up path

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
