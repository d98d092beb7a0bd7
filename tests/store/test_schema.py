"""The tables a store creates are those that tunesmith has always created (the SQLAlchemy
definitions of releases up to 0.1.x made ``tests/data/store-v0.1.0.db``), so stores open in
either direction between releases of one schema version."""

import sqlite3
from pathlib import Path

from tunesmith.store import SCHEMA_VERSION, Store
from tunesmith.store.db import POSTGRESQL
from tunesmith.store.schema import CORE_TABLES, TABLES, create_statements

OLD_STORE = Path(__file__).parents[1] / "data" / "store-v0.1.0.db"

#: the owner table as SQLAlchemy created it (it came after 0.1.0)
OWNERS = [
    (0, "study_id", "INTEGER", 1, None, 1),
    (1, "token", "VARCHAR(64)", 1, None, 0),
    (2, "host", "TEXT", 1, None, 0),
    (3, "machine", "TEXT", 1, None, 0),
    (4, "pid", "BIGINT", 1, None, 0),
    (5, "pid_start", "TEXT", 0, None, 0),
    (6, "since", "DOUBLE", 1, None, 0),
    (7, "heartbeat", "DOUBLE", 1, None, 0),
]


def _layout(path: Path, table: str) -> tuple:
    """Columns (name, type, not null, default, primary key), indexes and foreign keys."""
    with sqlite3.connect(path) as conn:
        columns = conn.execute(f"PRAGMA table_info({table})").fetchall()
        indexes = [row[1:] for row in conn.execute(f"PRAGMA index_list({table})")]
        keys = [row[2:5] for row in conn.execute(f"PRAGMA foreign_key_list({table})")]
    return columns, sorted(indexes), keys


def test_the_tables_are_those_of_earlier_releases(tmp_path):
    path = tmp_path / "new.db"
    Store(f"sqlite:///{path}").close()
    for table in sorted(CORE_TABLES):
        assert _layout(path, table) == _layout(OLD_STORE, table), table
    assert _layout(path, "tunesmith_owners")[0] == OWNERS
    with sqlite3.connect(path) as conn:
        create = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'tunesmith_studies'"
        ).fetchone()[0]
        version = conn.execute("SELECT value FROM tunesmith_meta").fetchall()
    assert "id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT" in create  # ids never reused
    assert version == [(str(SCHEMA_VERSION),)]


def test_postgres_tables_use_its_types():
    statements = create_statements(POSTGRESQL)
    assert len(statements) == len(TABLES) + 2  # and the indexes of results and claims
    studies = next(s for s in statements if "tunesmith_studies (" in s)
    assert studies.startswith("CREATE TABLE IF NOT EXISTS tunesmith_studies (id BIGSERIAL")
    assert "created_time DOUBLE PRECISION NOT NULL" in studies
    events = next(s for s in statements if "tunesmith_events (" in s)
    assert "study_id BIGINT NOT NULL" in events and '"time" DOUBLE PRECISION' in events
