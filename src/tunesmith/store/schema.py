"""The store's tables and its schema version.

``tunesmith_events`` is the journal, the source of truth. ``tunesmith_trials`` and
``tunesmith_results`` are materialized from it in the same transaction as each append, so queries
never replay the journal. JSON columns are plain text written by :mod:`json` (portable, and NaN
or infinite metrics survive the round trip).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tunesmith.store.errors import StoreCorruptedError

__all__ = ["SCHEMA_VERSION", "SchemaVersionError", "ensure_schema"]

#: the version of the tables below; a store written with another version is refused on open
SCHEMA_VERSION = 1

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER keys

metadata = sa.MetaData()

meta = sa.Table(
    "tunesmith_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

studies = sa.Table(
    "tunesmith_studies",
    metadata,
    sa.Column("id", _ID, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("created_time", sa.Double, nullable=False),
    sa.Column("config_space", sa.Text, nullable=False),
    sa.Column("scheduler_spec", sa.Text, nullable=False),
    sa.Column("metric", sa.Text, nullable=False),  # JSON: a name or a list of names
    sa.Column("mode", sa.Text, nullable=False),  # JSON: "min"/"max" or a list of them
    sa.Column("seed", sa.BigInteger, nullable=True),
    sa.Column("metadata", sa.Text, nullable=False),
    sa.Column("last_seq", sa.BigInteger, nullable=False, default=0),
    sqlite_autoincrement=True,  # never reuse the id of a deleted study
)


def _study_fk() -> sa.ForeignKey:
    return sa.ForeignKey("tunesmith_studies.id")


events = sa.Table(
    "tunesmith_events",
    metadata,
    sa.Column("study_id", _ID, _study_fk(), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("trial_id", sa.BigInteger, nullable=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("time", sa.Double, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
)

trials = sa.Table(
    "tunesmith_trials",
    metadata,
    sa.Column("study_id", _ID, _study_fk(), primary_key=True),
    sa.Column("trial_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("last_result", sa.Text, nullable=True),
    sa.Column("num_results", sa.Integer, nullable=False),
    sa.Column("best_value", sa.Double, nullable=True),  # of the study's first metric
    sa.Column("failure_reason", sa.Text, nullable=True),
    sa.Column("failure_detail", sa.Text, nullable=True),
    sa.Column("created_time", sa.Double, nullable=False),
    sa.Column("started_time", sa.Double, nullable=True),
    sa.Column("ended_time", sa.Double, nullable=True),
    sa.Column("updated_time", sa.Double, nullable=False),
)

results = sa.Table(
    "tunesmith_results",
    metadata,
    sa.Column("study_id", _ID, _study_fk(), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),  # the result event's
    sa.Column("trial_id", sa.BigInteger, nullable=False),
    sa.Column("report_index", sa.Integer, nullable=False),  # 0, 1, ... per trial
    sa.Column("time", sa.Double, nullable=False),
    sa.Column("metrics", sa.Text, nullable=False),
    sa.Index("ix_tunesmith_results_trial", "study_id", "trial_id", "report_index", unique=True),
)

#: the driver that runs each study (see :mod:`tunesmith.store.owner`); added to stores made
#: before it when they are opened
owners = sa.Table(
    "tunesmith_owners",
    metadata,
    sa.Column("study_id", _ID, _study_fk(), primary_key=True),
    sa.Column("token", sa.String(64), nullable=False),
    sa.Column("host", sa.Text, nullable=False),
    sa.Column("machine", sa.Text, nullable=False),  # the boot id: same host name, same boot
    sa.Column("pid", sa.BigInteger, nullable=False),
    sa.Column("pid_start", sa.Text, nullable=True),  # tells a reused pid from its holder
    sa.Column("since", sa.Double, nullable=False),
    sa.Column("heartbeat", sa.Double, nullable=False),
)

_VERSION_KEY = "schema_version"
_PG_LOCK_KEY = 0x74756E65  # "tune": serializes concurrent schema creation on PostgreSQL


class SchemaVersionError(RuntimeError):
    """The database holds tunesmith tables of another schema version."""


#: the tables every store made by this schema version has had from the start: one of them missing
#: from a store made before is damage (re-creating it empty would lose its data), while a table
#: added later to this schema version is created when missing
CORE_TABLES = frozenset(table.name for table in (meta, studies, events, trials, results))


def _check_version(conn: Connection, where: str) -> bool:
    """True if the store's tables exist at this schema version, False if some are missing;
    :class:`SchemaVersionError` if they are of another version, and
    :class:`StoreCorruptedError` if the store was made before (it has its schema version, or
    some of its core tables) but a core table is missing."""
    names = set(sa.inspect(conn).get_table_names())
    found = None
    if meta.name in names:
        query = sa.select(meta.c.value).where(meta.c.key == _VERSION_KEY)
        found = conn.execute(query).scalar_one_or_none()
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
    return found is not None and names.issuperset(metadata.tables)


def ensure_schema(engine: Engine, writer: Engine, where: str) -> None:
    """Check the schema version; create the tables if missing. Creation runs in a write
    transaction (on PostgreSQL also under an advisory lock), so two processes opening a new
    store at once do not race; opening an existing store only reads."""
    with engine.connect() as conn:
        if _check_version(conn, where):
            return
    with writer.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
        if _check_version(conn, where):
            return
        metadata.create_all(conn, checkfirst=True)
        exists = conn.execute(sa.select(meta.c.key).where(meta.c.key == _VERSION_KEY)).first()
        if exists is None:
            conn.execute(meta.insert().values(key=_VERSION_KEY, value=str(SCHEMA_VERSION)))
