"""A SQLite store that can not be opened, is full or is damaged gets one clear error naming
the path (the dialect-independent damage checks are in tunesmith.testing.store_damage)."""

import os
import sqlite3
import sys
import tempfile
from pathlib import Path

import pytest

from tunesmith import RandomSearch, StoppingCriterion, Tuner, uniform
from tunesmith.store import (
    Event,
    Store,
    StoreCorruptedError,
    StoreFullError,
    StoreOpenError,
)
from tunesmith.store import schema as store_schema
from tunesmith.testing.inline_backend import InlineBackend
from tunesmith.testing.store_contract import check_consistent, new_study, trial_events


def _url(path):
    return f"sqlite:///{path}"


# -- paths --------------------------------------------------------------------------------------
def test_a_missing_folder_is_created(tmp_path):
    path = tmp_path / "not" / "yet" / "there.db"
    with Store(_url(path)) as store:
        new_study(store)
    assert path.is_file()


def test_a_path_that_is_a_folder(tmp_path):
    with pytest.raises(
        StoreOpenError,
        match=rf"the SQLite store's path {tmp_path} is a folder, not a file; name a file in it, "
        rf"e.g. 'sqlite:///{tmp_path}/tunesmith.db'",
    ):
        Store(_url(tmp_path))


def test_a_folder_that_can_not_be_created(tmp_path):
    (tmp_path / "file").write_text("x")
    path = tmp_path / "file" / "sub" / "x.db"
    with pytest.raises(
        StoreOpenError,
        match=rf"the folder {path.parent} of the SQLite store {path} is missing and could not "
        rf"be created: {tmp_path / 'file'} is a file, not a folder",
    ):
        Store(_url(path))


def _can_write_in(folder: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder this process can not create files in: a folder without write permission, or
    for root (whom permissions do not stop) a folder of a file system that takes no files."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if _can_write_in(folder):  # root
            folder = Path("/sys")
            if not sys.platform.startswith("linux") or _can_write_in(folder):
                pytest.skip("no folder here refuses new files to this process")
        yield folder
    finally:
        (tmp_path / "ro").chmod(0o700)


def test_a_folder_that_is_not_writable(read_only_folder):
    path = read_only_folder / "x.db"
    with pytest.raises(
        StoreOpenError,
        match=rf"the SQLite store {path} can not be opened for writing: its folder "
        rf"{read_only_folder} is not writable \(.+\); SQLite creates the store's file and its "
        r"-wal and -shm files there \(SQLite: unable to open database file, while opening the "
        r"store\)",
    ):
        Store(_url(path))
    assert not path.exists()


def test_a_file_that_is_not_a_database(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n" * 100)
    with pytest.raises(
        StoreOpenError,
        match=rf"{path} is not a SQLite database \(SQLite: file is not a database\); name "
        "another file for the store",
    ):
        Store(_url(path))
    assert path.read_text() == "not a database\n" * 100


# -- a full disk --------------------------------------------------------------------------------
def test_a_full_disk_while_appending(tmp_path):
    path = tmp_path / "store.db"
    store = Store(_url(path))
    study = new_study(store)
    store.append(study, trial_events(0, [1.0], end=""))
    with sqlite3.connect(path) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    driver = store._db._driver
    pragmas = driver.pragmas
    store.close()  # new connections get the cap: SQLite's way to make a database "full"
    driver.pragmas = (*pragmas, f"PRAGMA max_page_count={pages}")
    big = [Event("result", trial_id=0, payload={"loss": 0.5, "blob": "x" * 100_000})]
    with pytest.raises(
        StoreFullError,
        match=rf"^the disk holding the SQLite store {path} is full \(SQLite: database or disk is "
        rf"full\); appending 1 event\(s\) to study '{study.name}' failed and wrote nothing\. Free "
        "space there and run again: everything committed before is kept$",
    ) as caught:
        store.append(study, big)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    store.close()
    driver.pragmas = pragmas
    assert store.append(study, [Event("result", trial_id=0, payload={"loss": 0.25})]) == [5]
    assert [r["loss"] for r in store.records(study)] == [1.0, 0.25]
    check_consistent(store, study.name)


# -- damaged tables -----------------------------------------------------------------------------
def test_a_table_added_to_the_schema_later_is_created_in_an_old_store(tmp_path, monkeypatch):
    path = tmp_path / "store.db"
    Store(_url(path)).close()
    added = {**store_schema.TABLES, "tunesmith_test_added": "k INTEGER"}
    monkeypatch.setattr(store_schema, "TABLES", added)
    Store(_url(path)).close()
    with sqlite3.connect(path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "tunesmith_test_added" in names
    assert names > store_schema.CORE_TABLES


def test_a_dropped_meta_table_is_damage(tmp_path):
    path = tmp_path / "store.db"
    Store(_url(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE tunesmith_meta")
    with pytest.raises(
        StoreCorruptedError, match=r"its table\(s\) tunesmith_meta are missing, though the store"
    ):
        Store(_url(path))


def test_a_payload_that_is_not_text_is_named(tmp_path):
    path = tmp_path / "store.db"
    store = Store(_url(path))
    study = new_study(store)
    store.append(study, trial_events(0, [1.0]))
    with sqlite3.connect(path) as conn:  # SQLite keeps a blob in a TEXT column as it is
        conn.execute("UPDATE tunesmith_events SET payload = X'7B7D' WHERE seq = 3")
    with pytest.raises(
        StoreCorruptedError,
        match=r"has 1 unreadable row\(s\): seq 3 \('result', trial 0\): its payload is not text "
        r"but bytes: b'\{\}'\. The study",
    ):
        store.read_events(study)


SPACE = {"x": uniform(0, 1)}


def _objective(config, start):
    for epoch in range(start + 1, 3):
        yield {"epoch": epoch, "loss": config["x"] / epoch}


def _tuner(path, name):
    return Tuner(
        InlineBackend(_objective),
        RandomSearch(SPACE, metric="loss", mode="min", random_seed=0),
        StoppingCriterion(max_num_trials_started=3),
        name=name,
        storage=_url(path),
        verbose=0,
    )


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            "UPDATE tunesmith_events SET payload = substr(payload, 2) WHERE seq = "
            "(SELECT min(seq) FROM tunesmith_events WHERE kind = 'result')",
            r"has 1 unreadable row\(s\): seq \d+ \('result', trial 0\): its payload is not valid "
            "JSON",
        ),
        (
            "DELETE FROM tunesmith_events WHERE seq = "
            "(SELECT min(seq) FROM tunesmith_events WHERE kind = 'result')",
            r"is missing the events with seq \d+ \(it should hold seq 1 to \d+\)",
        ),
    ],
)
def test_resuming_a_damaged_study_names_it(tmp_path, damage, message):
    path = tmp_path / "store.db"
    _tuner(path, "damaged").run()
    with sqlite3.connect(path) as conn:
        before = conn.execute("SELECT count(*) FROM tunesmith_events").fetchone()[0]
        conn.execute(damage)
    with pytest.raises(
        StoreCorruptedError,
        match=rf"the store at sqlite:///{path} is damaged: the journal of study 'damaged' "
        + message,
    ):
        _tuner(path, "damaged").run()
    with sqlite3.connect(path) as conn:  # nothing was written into the damaged study
        after = conn.execute("SELECT count(*) FROM tunesmith_events").fetchone()[0]
    assert after in (before, before - 1)


@pytest.mark.skipif(os.name != "posix", reason="posix paths")
def test_errors_are_exported():
    import tunesmith.store as store_package

    for name in ("StoreCorruptedError", "StoreFullError", "StoreOpenError"):
        assert name in store_package.__all__
