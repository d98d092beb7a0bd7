import os
import uuid

import pytest
import sqlalchemy as sa

from _wait import wait_for
from tunesmith.store import Store
from tunesmith.store.engine import parse_url
from tunesmith.testing.store_contract import StoreContract
from tunesmith.testing.store_damage import StoreDamageContract
from tunesmith.testing.store_owner import StoreOwnerContract

URL_VARIABLE = "TUNESMITH_TEST_POSTGRES_URL"
BASE_URL = os.environ.get(URL_VARIABLE)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not BASE_URL,
        reason=f"set {URL_VARIABLE} to a PostgreSQL URL, e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5432/test, to run the PostgreSQL store tests",
    ),
]


@pytest.fixture
def admin():
    engine = sa.create_engine(parse_url(BASE_URL))
    yield engine
    engine.dispose()


class TestPostgresStore(StoreContract, StoreDamageContract, StoreOwnerContract):
    """Each test gets its own PostgreSQL schema (dropped afterwards), so runs in parallel or
    repeated runs never see each other's tables."""

    @pytest.fixture(autouse=True)
    def _isolated(self, admin):
        self._admin, self._schemas = admin, []
        yield
        with admin.begin() as conn:
            for schema in self._schemas:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def make_store(self, tmp_path):
        schema = f"tunesmith_test_{uuid.uuid4().hex[:16]}"
        with self._admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        self._schemas.append(schema)
        url = parse_url(BASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        return Store(url.render_as_string(hide_password=False))


def test_the_url_forms_reach_the_server(admin):
    plain = parse_url(BASE_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    schema = f"tunesmith_test_{uuid.uuid4().hex[:16]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        store = Store(f"{plain}{'&' if '?' in plain else '?'}options=-csearch_path%3D{schema}")
        assert store.url.startswith("postgresql+psycopg://") and store.dialect == "postgresql"
        assert store.list_studies() == []
        store.close()
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_a_delete_waits_for_an_append_under_way_without_a_deadlock(admin, schema_url):
    """``delete_study`` takes the locks in an append's order (the owner row, then the study's
    row): while an append holds the owner row, a delete waits without holding the study's row,
    so the append's update of that row goes through (the reverse order was a deadlock, which
    PostgreSQL ends by failing one of them), and the delete then finds the live owner."""
    import threading

    from tunesmith.store import StudyLockedError
    from tunesmith.testing.store_contract import new_study, trial_events

    store, other = Store(schema_url), sa.create_engine(schema_url)
    try:
        study = new_study(store)
        lease = store.acquire_study(study)
        store.append(study, trial_events(0, [0.5], end=""), owner=lease)
        conn = other.connect()
        append = conn.begin()  # an append's first step: its fence holds the owner row
        append_pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        where = {"study": study.study_id}
        conn.execute(
            sa.text("SELECT * FROM tunesmith_owners WHERE study_id = :study FOR SHARE"), where
        ).all()
        outcome = []

        def delete():
            try:
                store.delete_study(study)
                outcome.append("deleted")
            except StudyLockedError:
                outcome.append("locked")
            except Exception as err:  # e.g. psycopg's DeadlockDetected
                outcome.append(repr(err))

        thread = threading.Thread(target=delete)
        thread.start()
        wait_for(lambda: _blocked_by(admin, append_pid), "the delete to wait for the append")
        # the append's second step: the study's row (the delete must not hold it)
        conn.execute(
            sa.text("UPDATE tunesmith_studies SET last_seq = last_seq WHERE id = :study"), where
        )
        append.commit()
        thread.join(60)
        assert outcome == ["locked"]
        conn.close()
        lease.release()
        store.delete_study(study)
        assert study.name not in [s.name for s in store.list_studies()]
    finally:
        store.close()
        other.dispose()


def _blocked_by(admin, pid):
    """Whether a server process waits for a lock that the one with ``pid`` holds."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE %(pid)s = ANY(pg_blocking_pids(pid))"
    with admin.connect() as conn:
        return conn.exec_driver_sql(query, {"pid": pid}).scalar() > 0


def test_an_append_under_way_and_a_takeover_are_serialized(admin):
    """The fence locks the owner row: an append waits for a takeover in progress, then finds
    the row changed and writes nothing (and a takeover waits for an append under way)."""
    import threading

    from tunesmith.store import Event, OwnershipLostError
    from tunesmith.testing.store_contract import new_study, trial_events

    schema = f"tunesmith_test_{uuid.uuid4().hex[:16]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = parse_url(BASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    url = url.render_as_string(hide_password=False)
    store, other = Store(url), sa.create_engine(url)
    try:
        study = new_study(store)
        lease = store.acquire_study(study)
        store.append(study, trial_events(0, [0.5], end=""), owner=lease)
        conn = other.connect()
        takeover = conn.begin()
        takeover_pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        where = {"study": study.study_id}
        conn.execute(
            sa.text("SELECT * FROM tunesmith_owners WHERE study_id = :study FOR UPDATE"), where
        ).all()
        conn.execute(
            sa.text("UPDATE tunesmith_owners SET token = 'the-new-owner' WHERE study_id = :study"),
            where,
        )
        outcome = []

        def append():
            try:
                store.append(
                    study, [Event("result", trial_id=0, payload={"loss": 1.0})], owner=lease
                )
                outcome.append("written")
            except OwnershipLostError:
                outcome.append("refused")

        thread = threading.Thread(target=append)
        thread.start()
        wait_for(lambda: _blocked_by(admin, takeover_pid), "the append to wait for the takeover")
        assert thread.is_alive() and outcome == []
        takeover.commit()
        thread.join(60)
        assert outcome == ["refused"]
        conn.close()
        lease.release()
    finally:
        store.close()
        other.dispose()
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _blocked_by(admin, pid):
    """Whether a server process waits for a lock that the one with ``pid`` holds."""
    query = "SELECT count(*) FROM pg_stat_activity WHERE %(pid)s = ANY(pg_blocking_pids(pid))"
    with admin.connect() as conn:
        return conn.exec_driver_sql(query, {"pid": pid}).scalar() > 0


@pytest.fixture
def schema_url(admin):
    """The URL of a schema of its own (dropped afterwards)."""
    schema = f"tunesmith_test_{uuid.uuid4().hex[:16]}"
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = parse_url(BASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_a_connection_the_server_dropped_is_replaced(admin, schema_url):
    """Pre-ping: an idle connection the server closed is replaced before the next transaction
    starts, and the append it makes is stored once."""
    from tunesmith.store import Event
    from tunesmith.testing.store_contract import check_consistent, new_study, trial_events

    store = Store(schema_url)
    try:
        study = new_study(store)
        store.append(study, trial_events(0, [1.0], end=""))
        with store._db.transaction() as conn:  # back to the pool, idle, after this
            pid = conn.scalar("SELECT pg_backend_pid()")
        with admin.connect() as conn:
            assert conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})").scalar()
        wait_for(lambda: not _alive(admin, pid), "the server to end the store's connection")
        assert store.append(study, [Event("result", trial_id=0, payload={"loss": 0.5})]) == [5]
        assert [r["loss"] for r in store.records(study)] == [1.0, 0.5]
        check_consistent(store, study.name)
    finally:
        store.close()


def _alive(admin, pid):
    with admin.connect() as conn:
        query = f"SELECT count(*) FROM pg_stat_activity WHERE pid = {int(pid)}"
        return conn.exec_driver_sql(query).scalar() > 0


def test_a_postgres_store_uses_the_same_statements(schema_url):
    """The SQL text is the same as SQLite's, with psycopg's parameters."""
    from tunesmith.store.db import POSTGRESQL, psycopg_text

    store = Store(schema_url)
    try:
        assert store.dialect == "postgresql" and store._db.dialect is POSTGRESQL
        assert psycopg_text("SELECT :a, x::bigint, '5%'") == "SELECT %(a)s, x::bigint, '5%%'"
    finally:
        store.close()
