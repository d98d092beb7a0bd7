"""What the commands share: the --storage and --json options, opening the store, finding a
study, turning library errors into one-line messages, and formatting values for tables."""

from __future__ import annotations

import functools
import json
import math
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

__all__ = [
    "CLIError",
    "NoStoreError",
    "console",
    "emit_json",
    "find_study",
    "format_value",
    "friendly_errors",
    "hyperparameter_names",
    "json_option",
    "open_store",
    "storage_option",
]

_MAX_LISTED = 20
_PIPE_WIDTH = 160
_STATUS_ORDER = ("completed", "running", "paused", "pending", "stopped", "failed")


class CLIError(click.ClickException):
    """An error the user can fix: printed as ``Error: message``, exit code 2."""

    exit_code = 2


class NoStoreError(CLIError):
    """The SQLite file of the store does not exist (nothing was ever written there)."""


def storage_option(command: Callable) -> Callable:
    return click.option(
        "--storage",
        metavar="URL",
        default=None,
        help="Store URL: sqlite:///path.db or postgresql://user@host/db "
        "[default: sqlite:///$TUNESMITH_HOME/tunesmith.db].",
    )(command)


def scope_option(command: Callable) -> Callable:
    return click.option(
        "--scope",
        type=click.Choice(["last", "all"]),
        default="last",
        show_default=True,
        help="Rank each trial by the value of its last report (last) or by the best value of "
        "any of its reports (all).",
    )(command)


def json_option(command: Callable) -> Callable:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print machine-readable JSON only."
    )(command)


def friendly_errors(command: Callable) -> Callable:
    """Turn the library's errors about user input (bad URL, unknown name, missing optional
    dependency, unreachable database) into ``Error: ...`` and exit code 2, not a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from tunesmith.store import (
            SchemaVersionError,
            StoreCorruptedError,
            StudyLockedError,
            StudyNotFoundError,
        )

        try:
            return command(*args, **kwargs)
        except (
            ValueError,
            ImportError,
            OSError,
            StudyNotFoundError,
            SchemaVersionError,
            StudyLockedError,
            StoreCorruptedError,
        ) as err:
            raise CLIError(str(err)) from err
        except Exception as err:
            if not isinstance(err, _database_errors()):
                raise
            detail = str(getattr(err, "orig", None) or err).strip().splitlines()
            raise CLIError(
                f"cannot read the store: {detail[0] if detail else type(err).__name__}"
            ) from err

    return wrapper


#: module and name of each database error class the store may raise: the drivers' (sqlite3,
#: psycopg) and SQLAlchemy's (PostgreSQL's connection pool)
_DATABASE_ERRORS = (
    ("sqlite3", "Error"),
    ("psycopg", "Error"),
    ("sqlalchemy.exc", "SQLAlchemyError"),
)


def _database_errors() -> tuple[type[Exception], ...]:
    """The database error classes of the modules this process has loaded (a class of a module
    that is not loaded can not have been raised; none is imported for this)."""
    found = (getattr(sys.modules.get(module), name, None) for module, name in _DATABASE_ERRORS)
    return tuple(error for error in found if error is not None)


def open_store(url: str | None):
    """The store at ``url`` (default: the one in $TUNESMITH_HOME). A SQLite file that does not
    exist is not created: :class:`NoStoreError` says where it was looked for."""
    from tunesmith.store import Store
    from tunesmith.store.engine import sqlite_file

    path = sqlite_file(url)
    if path is not None and not path.exists():
        where = "the default store" if url is None else "the store"
        hint = (
            " ($TUNESMITH_HOME, default ./tunesmith-results, names its folder)"
            if url is None
            else ""
        )
        raise NoStoreError(
            f"no store at {path}: {where} has no file there yet{hint}; pass --storage URL with "
            "the storage your Tuner wrote to, e.g. --storage sqlite:///path/to/tunesmith.db"
        )
    return Store(url)


def where(store: Any) -> str:
    """The store's URL without its password, for messages."""
    from tunesmith.store.engine import display_url, parse_url

    return display_url(parse_url(store.url))


def find_study(store: Any, name: str):
    """The study ``name``, or a :class:`CLIError` that lists the studies there are."""
    study = store.find_study(name)
    if study is not None:
        return study
    names = [s.name for s in store.list_studies()]
    listed = ", ".join(names[:_MAX_LISTED])
    if len(names) > _MAX_LISTED:
        listed += f", ... ({len(names) - _MAX_LISTED} more: run `tunesmith studies`)"
    raise CLIError(
        f"no study named {name!r} in {where(store)}; "
        + (f"known studies: {listed}" if names else "the store has no studies")
    )


def study_or_error(storage: str | None, name: str):
    """``(store, study)``; a missing store reads as an unknown study."""
    try:
        store = open_store(storage)
    except NoStoreError as err:
        raise CLIError(f"no study named {name!r}: {err.message}") from None
    try:
        return store, find_study(store, name)
    except BaseException:
        store.close()
        raise


def hyperparameter_names(study: Any, trials: Iterable[dict[str, Any]]) -> list[str]:
    """The names of the study's hyperparameters (the domains of its config space); without a
    readable space, the config keys whose values differ between trials."""
    from tunesmith.space import hyperparameters, space_from_json

    try:
        return list(hyperparameters(space_from_json(study.config_space_json)))
    except (ValueError, TypeError, KeyError):
        pass
    configs = [t["config"] for t in trials]
    names = dict.fromkeys(k for c in configs for k in c)
    return [n for n in names if len({json.dumps(c.get(n), sort_keys=True) for c in configs}) > 1]


def status_counts(trials: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Trials counted by status, in a fixed order of statuses."""
    counts = Counter(t["status"] for t in trials)
    known = [s for s in _STATUS_ORDER if s in counts]
    return {s: counts[s] for s in known + sorted(set(counts) - set(known))}


def format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {s}" for s, n in counts.items()) or "none"


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def format_items(mapping: dict[str, Any], names: Iterable[str] | None = None) -> str:
    keys = mapping if names is None else [n for n in names if n in mapping]
    return ", ".join(f"{k}={format_value(mapping[k])}" for k in keys)


def format_time(seconds: float | None) -> str:
    """A timestamp as local date and time; a small number (a simulated clock) as seconds."""
    if seconds is None:
        return ""
    if seconds < 1e9:
        return f"t={seconds:.6g} s"
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


def iso_time(seconds: float | None) -> str | None:
    if seconds is None or seconds < 1e9:
        return None
    return datetime.fromtimestamp(seconds).astimezone().isoformat(timespec="seconds")


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h {minutes} min"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s"


def metric_label(study: Any) -> str:
    return ", ".join(f"{m} ({d})" for m, d in zip(study.metrics, study.modes, strict=True))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def emit_json(data: Any) -> None:
    """``data`` as JSON on stdout (NaN and infinities as null, so every parser reads it)."""
    click.echo(json.dumps(_finite(data), indent=2, allow_nan=False))


def console():
    """A rich console on stdout: colors on a terminal; in a pipe or file, plain text that wraps
    at $COLUMNS, else at 160 characters (rich's 80 would cut most tables)."""
    from rich.console import Console

    out = Console(highlight=False, soft_wrap=False)
    if not out.is_terminal and not os.environ.get("COLUMNS"):
        out.width = _PIPE_WIDTH
    return out


def stdin_is_interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()
