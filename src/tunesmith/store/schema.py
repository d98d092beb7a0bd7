"""The store's tables and its schema version.

``tunesmith_events`` is the journal, the source of truth. ``tunesmith_trials`` and
``tunesmith_results`` are materialized from it in the same transaction as each append, so queries
never replay the journal. JSON columns are plain text written by :mod:`json` (portable, and NaN
or infinite metrics survive the round trip).

The tables are written once, as ``CREATE TABLE`` text whose few database-specific types come
from the :class:`~tunesmith.store.db.Dialect` (``{study_id}``, ``{serial}``, ``{double}``).
"""

from __future__ import annotations

from tunesmith.store.db import Connection, Database, Dialect
from tunesmith.store.errors import StoreCorruptedError

__all__ = ["CORE_TABLES", "SCHEMA_VERSION", "TABLES", "SchemaVersionError", "ensure_schema"]

#: the version of the tables below; a store written with another version is refused on open
SCHEMA_VERSION = 1

_STUDY_FK = "FOREIGN KEY (study_id) REFERENCES tunesmith_studies (id)"

#: each table's columns and constraints, in the order they are created
TABLES = {
    "tunesmith_meta": '"key" VARCHAR(64) NOT NULL, value TEXT NOT NULL, PRIMARY KEY ("key")',
    "tunesmith_studies": (
        "id {serial}, name VARCHAR(128) NOT NULL, created_time {double} NOT NULL, "
        "config_space TEXT NOT NULL, scheduler_spec TEXT NOT NULL, "
        "metric TEXT NOT NULL, "  # JSON: a name or a list of names
        "mode TEXT NOT NULL, "  # JSON: "min"/"max" or a list of them
        "seed BIGINT, metadata TEXT NOT NULL, last_seq BIGINT NOT NULL, UNIQUE (name)"
    ),
    "tunesmith_events": (
        "study_id {study_id} NOT NULL, seq BIGINT NOT NULL, trial_id BIGINT, "
        'kind VARCHAR(32) NOT NULL, "time" {double} NOT NULL, payload TEXT NOT NULL, '
        f"PRIMARY KEY (study_id, seq), {_STUDY_FK}"
    ),
    "tunesmith_trials": (
        "study_id {study_id} NOT NULL, trial_id BIGINT NOT NULL, config TEXT NOT NULL, "
        "status VARCHAR(16) NOT NULL, last_result TEXT, num_results INTEGER NOT NULL, "
        "best_value {double}, "  # of the study's first metric
        "failure_reason TEXT, failure_detail TEXT, created_time {double} NOT NULL, "
        "started_time {double}, ended_time {double}, updated_time {double} NOT NULL, "
        f"PRIMARY KEY (study_id, trial_id), {_STUDY_FK}"
    ),
    "tunesmith_results": (
        "study_id {study_id} NOT NULL, "
        "seq BIGINT NOT NULL, "  # the result event's
        "trial_id BIGINT NOT NULL, "
        "report_index INTEGER NOT NULL, "  # 0, 1, ... per trial
        '"time" {double} NOT NULL, metrics TEXT NOT NULL, '
        f"PRIMARY KEY (study_id, seq), {_STUDY_FK}"
    ),
    # the driver that runs each study (see tunesmith.store.owner); added to stores made before
    # it when they are opened
    "tunesmith_owners": (
        "study_id {study_id} NOT NULL, token VARCHAR(64) NOT NULL, host TEXT NOT NULL, "
        "machine TEXT NOT NULL, "  # the boot id: same host name, same boot
        "pid BIGINT NOT NULL, "
        "pid_start TEXT, "  # tells a reused pid from its holder
        f"since {{double}} NOT NULL, heartbeat {{double}} NOT NULL, PRIMARY KEY (study_id), "
        f"{_STUDY_FK}"
    ),
    # drivers of studies run with shared=True, and which of them runs each trial (see
    # tunesmith.store.drivers); added to stores made before them when they are opened
    "tunesmith_drivers": (
        "study_id {study_id} NOT NULL, token VARCHAR(64) NOT NULL, number INTEGER NOT NULL, "
        "host TEXT NOT NULL, machine TEXT NOT NULL, pid BIGINT NOT NULL, pid_start TEXT, "
        "since {double} NOT NULL, heartbeat {double} NOT NULL, PRIMARY KEY (study_id, token), "
        f"{_STUDY_FK}"
    ),
    "tunesmith_claims": (
        "study_id {study_id} NOT NULL, trial_id BIGINT NOT NULL, token VARCHAR(64) NOT NULL, "
        "config_key VARCHAR(64), "  # a hash of the config: no two trials of a study share one
        f"PRIMARY KEY (study_id, trial_id), {_STUDY_FK}"
    ),
}

#: created with (after) their table
_INDEXES = {
    "tunesmith_results": (
        "CREATE UNIQUE INDEX IF NOT EXISTS ix_tunesmith_results_trial "
        "ON tunesmith_results (study_id, trial_id, report_index)"
    ),
    "tunesmith_claims": (
        "CREATE UNIQUE INDEX IF NOT EXISTS ix_tunesmith_claims_config "
        "ON tunesmith_claims (study_id, config_key)"
    ),
}

_VERSION_KEY = "schema_version"
_PG_LOCK_KEY = 0x74756E65  # "tune": serializes concurrent schema creation on PostgreSQL


class SchemaVersionError(RuntimeError):
    """The database holds tunesmith tables of another schema version."""


#: the tables every store made by this schema version has had from the start: one of them missing
#: from a store made before is damage (re-creating it empty would lose its data), while a table
#: added later to this schema version is created when missing
CORE_TABLES = frozenset(
    (
        "tunesmith_meta",
        "tunesmith_studies",
        "tunesmith_events",
        "tunesmith_trials",
        "tunesmith_results",
    )
)


def create_statements(dialect: Dialect) -> list[str]:
    """The statements that create the tables (and indexes) that are missing."""
    types = {"study_id": dialect.study_id, "serial": dialect.serial, "double": dialect.double}
    out = []
    for name, columns in TABLES.items():
        out.append(f"CREATE TABLE IF NOT EXISTS {name} ({columns.format(**types)})")
        if name in _INDEXES:
            out.append(_INDEXES[name])
    return out


def _check_version(conn: Connection, where: str) -> bool:
    """True if the store's tables exist at this schema version, False if some are missing;
    :class:`SchemaVersionError` if they are of another version, and
    :class:`StoreCorruptedError` if the store was made before (it has its schema version, or
    some of its core tables) but a core table is missing."""
    names = {row[0] for row in conn.all(conn.dialect.table_names)}
    found = None
    if "tunesmith_meta" in names:
        query = 'SELECT value FROM tunesmith_meta WHERE "key" = :key'
        found = conn.scalar(query, {"key": _VERSION_KEY})
    if found is not None and found != str(SCHEMA_VERSION):
        raise SchemaVersionError(
            f"the store at {where} has schema version {found}, but this tunesmith reads schema "
            f"version {SCHEMA_VERSION}; open it with the tunesmith release that wrote it, or use "
            "another database for this one"
        )
    missing = sorted(CORE_TABLES - names)
    if missing and (found is not None or CORE_TABLES & names):
        raise StoreCorruptedError(
            f"the store at {where} is damaged: its table(s) {', '.join(missing)} are missing, "
            "though the store was made before; tunesmith does not re-create them empty (that "
            "would lose the studies' journals). Restore the store from a backup, or use another "
            "database"
        )
    return found is not None and names.issuperset(TABLES)


def ensure_schema(db: Database, where: str) -> None:
    """Check the schema version; create the tables if missing. Creation runs in a write
    transaction (on PostgreSQL also under an advisory lock), so two processes opening a new
    store at once do not race; opening an existing store only reads."""
    with db.transaction() as conn:
        if _check_version(conn, where):
            return
    with db.transaction(write=True, synced=False) as conn:
        if conn.dialect.schema_lock is not None:
            conn.execute(conn.dialect.schema_lock, {"key": _PG_LOCK_KEY})
        if _check_version(conn, where):
            return
        for statement in create_statements(conn.dialect):
            conn.execute(statement)
        version = {"key": _VERSION_KEY, "value": str(SCHEMA_VERSION)}
        if conn.first('SELECT "key" FROM tunesmith_meta WHERE "key" = :key', version) is None:
            conn.execute('INSERT INTO tunesmith_meta ("key", value) VALUES (:key, :value)', version)
