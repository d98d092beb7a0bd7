"""The commands' shared pieces: database errors become one-line messages."""

import sqlite3
import sys

import pytest

from tunesmith.cli.common import CLIError, friendly_errors


def _raising(err):
    @friendly_errors
    def command():
        raise err

    return command


def test_a_sqlite_error_becomes_a_message():
    with pytest.raises(CLIError, match=r"^cannot read the store: database is locked$"):
        _raising(sqlite3.OperationalError("database is locked\nmore detail"))()


def test_a_sqlalchemy_error_shows_the_driver_error():
    sa = pytest.importorskip("sqlalchemy")
    wrapped = sa.exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("no route"))
    with pytest.raises(CLIError, match=r"^cannot read the store: no route$"):
        _raising(wrapped)()


def test_other_errors_pass_through():
    with pytest.raises(KeyError):
        _raising(KeyError("x"))()


def test_database_errors_of_modules_not_loaded_are_not_imported(monkeypatch):
    monkeypatch.setitem(sys.modules, "sqlalchemy.exc", None)
    monkeypatch.delitem(sys.modules, "psycopg", raising=False)
    with pytest.raises(CLIError, match="cannot read the store: disk I/O error"):
        _raising(sqlite3.OperationalError("disk I/O error"))()
    with pytest.raises(RuntimeError):
        _raising(RuntimeError("not a database error"))()
