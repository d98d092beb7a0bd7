import os
import sqlite3

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
    with store._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    full = Store(f"sqlite:///{tmp_path / 'b.db'}", synchronous="full", busy_timeout=2.5)
    with full._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2_500


def test_without_update_returning(tmp_path):
    # SQLite older than 3.35 has no UPDATE ... RETURNING: the journal reads the values back
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    store._engine.dialect.update_returning = False
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
