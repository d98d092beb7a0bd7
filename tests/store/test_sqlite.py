import dataclasses
import os
import sqlite3
import subprocess
import sys
import threading

import pytest

from tunesmith.store import Event, Store
from tunesmith.testing.store_contract import (
    StoreContract,
    check_consistent,
    new_study,
    trial_events,
)
from tunesmith.testing.store_damage import StoreDamageContract
from tunesmith.testing.store_owner import StoreOwnerContract


class TestSQLiteStore(StoreContract, StoreDamageContract, StoreOwnerContract):
    def make_store(self, tmp_path):
        return Store(f"sqlite:///{tmp_path / 'store.db'}")


def _pragma(path, name):
    with sqlite3.connect(path) as conn:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_wal_mode_and_synchronous(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'a.db'}")
    assert _pragma(tmp_path / "a.db", "journal_mode") == "wal"
    with store._db.transaction() as conn:
        assert conn.scalar("PRAGMA synchronous") == 1  # NORMAL
        assert conn.scalar("PRAGMA busy_timeout") == 30_000
        assert conn.scalar("PRAGMA foreign_keys") == 1
        assert conn.scalar("PRAGMA temp_store") == 2  # MEMORY: statement journals too
    full = Store(f"sqlite:///{tmp_path / 'b.db'}", synchronous="full", busy_timeout=2.5)
    with full._db.transaction() as conn:
        assert conn.scalar("PRAGMA synchronous") == 2  # FULL
        assert conn.scalar("PRAGMA busy_timeout") == 2_500


def test_an_unsynced_transaction_gives_its_connection_back_synced(tmp_path):
    # a new store's tables are committed without fsyncs (schema.ensure_schema); the connection
    # goes back to the pool at the store's level, after a commit and after an error alike
    store = Store(f"sqlite:///{tmp_path / 'a.db'}")
    db = store._db
    with db.transaction(write=True, synced=False) as conn:
        assert conn.scalar("PRAGMA synchronous") == 0  # OFF, for this transaction only
        conn.execute("CREATE TABLE t (x INTEGER)")
    with db.transaction() as conn:
        assert conn.scalar("PRAGMA synchronous") == 1
    with pytest.raises(RuntimeError, match="boom"), db.transaction(write=True, synced=False):
        raise RuntimeError("boom")
    with db.transaction() as conn:
        assert conn.scalar("PRAGMA synchronous") == 1
        assert conn.all("SELECT name FROM sqlite_master WHERE name = 't'") == [("t",)]
    full = Store(f"sqlite:///{tmp_path / 'b.db'}", synchronous="full")
    with full._db.transaction(write=True, synced=False) as conn:
        assert conn.scalar("PRAGMA synchronous") == 2  # a store asked to be "full" stays so


def test_without_update_returning(tmp_path):
    # SQLite older than 3.35 has no UPDATE ... RETURNING: the journal reads the values back
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store._db.dialect = dataclasses.replace(store._db.dialect, returning=False)
    study = new_study(store)
    assert store.append(study, trial_events(0, [2.0, 1.0]) + trial_events(1, [3.0])) == list(
        range(1, 13)
    )
    store.append(study, [Event("result", trial_id=0, payload={"loss": 0.5})])
    check_consistent(store, study.name)
    assert store.best(study)[0]["best_value"] == 0.5
    with pytest.raises(ValueError, match="has no such trial"):
        store.append(study, [Event("trial_paused", trial_id=9)])


def test_the_default_url_is_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TUNESMITH_HOME")
    store = Store()
    assert store.url == f"sqlite:///{tmp_path / 'tunesmith-results' / 'tunesmith.db'}"
    assert (tmp_path / "tunesmith-results" / "tunesmith.db").is_file()
    assert Store("sqlite:///rel/x.db").url == f"sqlite:///{tmp_path / 'rel' / 'x.db'}"


def test_the_default_url_follows_tunesmith_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "elsewhere"))
    assert Store().url == f"sqlite:///{tmp_path / 'elsewhere' / 'tunesmith.db'}"


@pytest.mark.slow
def test_records_of_100k_results(tmp_path):  # how fast: benchmarks/store.py, records_100k_s
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    study = new_study(store)
    for trial in range(500):
        batch = [
            Event("trial_created", trial_id=trial, payload={"lr": 0.001 * trial, "act": "relu"})
        ]
        batch += [
            Event("result", trial_id=trial, payload={"epoch": e, "loss": 1.0 / (e + 1)})
            for e in range(200)
        ]
        store.append(study, batch)
    records = store.records(study)
    assert len(records) == 100_000
    assert records[-1] == {
        "trial_id": 499,
        "status": "pending",
        "lr": 0.499,
        "act": "relu",
        "epoch": 199,
        "loss": 0.005,
    }


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_opens_its_own_connections(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    study = new_study(store)
    store.append(study, trial_events(0, [1.0], end=""))
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            store.append(study, [Event("result", trial_id=0, payload={"loss": 0.5})])
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    store.append(study, [Event("result", trial_id=0, payload={"loss": 0.25})])
    assert [r["loss"] for r in store.records(study)] == [1.0, 0.5, 0.25]
    check_consistent(store, study.name)


def _run(tmp_path, code: str) -> str:
    """``code`` run as a script by a fresh interpreter in ``tmp_path``; its output."""
    script = tmp_path / "script.py"
    script.write_text(code)
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


NO_SQLALCHEMY = """
import sys
assert "sqlalchemy" not in sys.modules, "SQLAlchemy was imported"
print("ok")
"""


def test_a_sqlite_store_does_not_import_sqlalchemy(tmp_path):
    code = """
from tunesmith.store import Event, Store

store = Store("sqlite:///x.db")
study = store.create_study(
    "s", config_space_json="{}", scheduler_spec={}, metric="loss", mode="min", seed=0
)
result = Event("result", trial_id=0, payload={"loss": 1.0})
store.append(study, [Event("trial_created", trial_id=0), result])
lease = store.acquire_study(study)
lease.release()
assert store.records("s")[0]["loss"] == 1.0 and len(store.read_events("s")) == 2
assert store.best("s")[0]["trial_id"] == 0
store.delete_study("s")
store.close()
"""
    assert _run(tmp_path, code + NO_SQLALCHEMY) == "ok\n"


def test_a_study_on_the_default_store_does_not_import_sqlalchemy(tmp_path):
    code = """
import tunesmith
from tunesmith import LocalBackend, RandomSearch, StoppingCriterion, Tuner, uniform


def objective(config):
    tunesmith.report(loss=(config["x"] - 2.0) ** 2)


if __name__ == "__main__":
    tuner = Tuner(
        LocalBackend(objective),
        RandomSearch({"x": uniform(-10.0, 10.0)}, metric="loss", mode="min", random_seed=0),
        StoppingCriterion(max_num_trials_started=5),
        n_workers=2,
        name="quadratic",
        verbose=0,
    )
    result = tuner.run()
    assert len(result.trials) == 5 and result.storage.startswith("sqlite:///")
""" + NO_SQLALCHEMY.replace("\n", "\n    ")
    assert _run(tmp_path, code) == "ok\n"


def test_a_path_with_url_characters_round_trips(tmp_path):
    path = tmp_path / "50% sure?#é+.db"
    store = Store(f"sqlite:///{tmp_path}/50%25 sure%3F%23é+.db")
    assert store.url == f"sqlite:///{tmp_path}/50%25 sure%3F%23%C3%A9+.db"
    new_study(store)
    again = Store(store.url)
    assert len(again.list_studies()) == 1 and path.is_file()


def test_threads_share_a_store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    studies = [new_study(store) for _ in range(4)]
    errors = []

    def work(study):
        try:
            for trial in range(30):
                store.append(study, trial_events(trial, [1.0, 0.5]))
                assert len(store.trials(study)) == trial + 1
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(study,)) for study in studies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for study in studies:
        assert len(check_consistent(store, study.name)) == 30 * 7


@pytest.mark.parametrize("n", [2, 63, 64, 65, 128, 140])
def test_insert_puts_many_rows_per_statement_in_order(tmp_path, n):
    # Connection.insert runs 64 rows per statement on SQLite, the rest one by one
    db = Store(f"sqlite:///{tmp_path / 'a.db'}")._db
    insert = "INSERT INTO t (a, b, c) VALUES (:a, :b, :c)"
    rows = [(i, f"text {i}", None if i % 3 else i / 7) for i in range(n)]
    with db.transaction(write=True) as conn:
        conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, a INTEGER UNIQUE, b TEXT, c DOUBLE)")
        conn.insert(insert, rows)
    with db.transaction() as conn:
        assert conn.all("SELECT a, b, c FROM t ORDER BY k") == rows
    # a row that breaks a constraint in a full statement or in the rest: nothing written
    for bad in {min(5, n - 1), n - 1}:
        clash = [(n + i, "x", None) for i in range(n)]
        clash[bad] = (0, "x", None)  # a is unique
        with pytest.raises(sqlite3.IntegrityError), db.transaction(write=True) as conn:
            conn.insert(insert, clash)
        with db.transaction() as conn:
            assert conn.scalar("SELECT count(*) FROM t") == n


@pytest.mark.parametrize("n", [1, 2, 63, 64, 65, 128, 140])
def test_insert_columns_writes_the_rows_of_its_columns(tmp_path, n):
    # Connection.insert_columns: the rows zip(*columns), laid out 64 per statement without a
    # tuple per row; a column may be any sequence (a range, a tuple)
    db = Store(f"sqlite:///{tmp_path / 'a.db'}")._db
    insert = "INSERT INTO t (a, b, c) VALUES (:a, :b, :c)"
    rows = [(i, f"text {i}", None if i % 3 else i / 7) for i in range(n)]
    columns = (range(n), tuple(r[1] for r in rows), [r[2] for r in rows])
    with db.transaction(write=True) as conn:
        conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, a INTEGER UNIQUE, b TEXT, c DOUBLE)")
        conn.insert_columns(insert, columns)
    with db.transaction() as conn:
        assert conn.all("SELECT a, b, c FROM t ORDER BY k") == rows
    with pytest.raises(sqlite3.IntegrityError), db.transaction(write=True) as conn:
        conn.insert_columns(insert, ([0] * n, columns[1], columns[2]))  # a is unique
    with db.transaction() as conn:
        assert conn.scalar("SELECT count(*) FROM t") == n


def test_an_unsynced_transaction_runs_no_checkpoint(tmp_path):
    # synced=False (a new store's tables, a new study's row) also turns the log's automatic
    # checkpoint off: a checkpoint without fsyncs could leave the file damaged by a power loss
    store = Store(f"sqlite:///{tmp_path / 'a.db'}")
    db = store._db
    with db.transaction(write=True, synced=False) as conn:
        assert conn.scalar("PRAGMA wal_autocheckpoint") == 0
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 3000,)] * 1500)  # > 1,000 pages
    assert (tmp_path / "a.db-wal").stat().st_size > 1000 * 4096
    assert (tmp_path / "a.db").stat().st_size < 100 * 4096  # not copied to the file
    with db.transaction() as conn:
        assert conn.scalar("PRAGMA wal_autocheckpoint") == 1000
        assert conn.scalar("PRAGMA synchronous") == 1
    study = new_study(store)  # a new study's row is committed unsynced too
    assert store.get_study(study.name).study_id == study.study_id


def test_a_studys_scheduler_spec_is_decoded_when_read(tmp_path):
    # a spec may hold a table's configs: a study keeps its JSON text until the spec is read
    store = Store(f"sqlite:///{tmp_path / 'a.db'}")
    spec = {"class": "ASHA", "configs": [{"x": i / 3, "k": (i, "a")} for i in range(5)]}
    kwargs = dict(config_space_json="{}", metric="loss", mode="min", seed=1)
    created = store.create_study("a", scheduler_spec=spec, **kwargs)
    assert isinstance(created.__dict__["_scheduler_spec"], str)  # not decoded yet
    expected = {"class": "ASHA", "configs": [{"x": i / 3, "k": [i, "a"]} for i in range(5)]}
    assert created.scheduler_spec == expected
    assert created.scheduler_spec is created.scheduler_spec  # decoded once
    read = store.get_study("a")
    assert read == created and dataclasses.asdict(read)["scheduler_spec"] == expected
    assert dataclasses.replace(read, name="b").scheduler_spec == expected
    with pytest.raises(dataclasses.FrozenInstanceError):
        read.scheduler_spec = {}  # type: ignore[misc]
