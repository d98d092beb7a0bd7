"""A store URL for tests that run on SQLite and on PostgreSQL: on PostgreSQL, a fresh schema on
the server that ``TUNESMITH_TEST_POSTGRES_URL`` names, dropped afterwards (the test is skipped,
saying so, when the variable is unset)."""

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES = os.environ.get("TUNESMITH_TEST_POSTGRES_URL")


@contextlib.contextmanager
def store_url(kind: str, tmp_path: Path, filename: str, what: str) -> Iterator[str]:
    """``kind`` "sqlite": a database file ``filename`` in ``tmp_path``; "postgresql": a URL
    whose connections use a schema of their own (``what``: the tests, for the skip reason)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / filename}"
        return
    if not POSTGRES:
        pytest.skip(f"set TUNESMITH_TEST_POSTGRES_URL to run {what} on PostgreSQL")
    import sqlalchemy as sa

    from tunesmith.store.engine import parse_url

    admin = sa.create_engine(parse_url(POSTGRES))
    schema = f"tunesmith_test_{uuid.uuid4().hex[:16]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = parse_url(POSTGRES).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()
