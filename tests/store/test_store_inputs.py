"""Bad input to the store gets a clear error (no database server needed)."""

import re
import sys

import pytest

from tunesmith.store import Event, EventKind, Store
from tunesmith.store import engine as store_engine
from tunesmith.testing.store_contract import new_study, trial_events


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", r"`url` must be a database URL such as 'sqlite:///relative/path.db'.*but got url=''"),
        (
            "results.db",
            r"but got url='results.db'; for a SQLite file write url='sqlite:///results.db'",
        ),
        ("sqlite://", r"`url` must name a SQLite file, but its path is empty: url='sqlite://'"),
        ("sqlite:///", r"`url` must name a SQLite file, but its path is empty: url='sqlite:///'"),
        (
            "sqlite:///results/",
            r"but the path of url='sqlite:///results/' ends with a slash \(a folder\); name a "
            r"file in it, e.g. 'sqlite:///results/tunesmith.db'",
        ),
        ("sqlite:///:memory:", "an in-memory database is not durable"),
        ("sqlite://user@host/x.db", "a SQLite `url` has no host, user or port"),
        (
            "mysql://u@h/db",
            r"`url` must use SQLite .* or PostgreSQL with psycopg 3 .*driver 'mysql'",
        ),
        ("postgresql+psycopg2://u@h/db", r"but got url='postgresql\+psycopg2://u@h/db'"),
        ("postgresql://u@h", "a PostgreSQL `url` must name a database"),
    ],
)
def test_bad_url(url, message):
    with pytest.raises(ValueError, match=message):
        Store(url)


def test_bad_url_type():
    with pytest.raises(ValueError, match=r"`url` must be a database URL .* but got url=PosixPath"):
        Store(__import__("pathlib").Path("x.db"))


def test_postgres_url_forms_map_to_psycopg3():
    for url in (
        "postgresql://u:secret@h/db",
        "postgres://u:secret@h/db",
        "postgresql+psycopg://u:secret@h/db",
    ):
        parsed = store_engine.parse_url(url)
        assert parsed.drivername == "postgresql+psycopg"
        assert store_engine.display_url(parsed) == "postgresql+psycopg://u:***@h/db"


def test_missing_psycopg_names_the_install_line(monkeypatch):
    monkeypatch.setattr(store_engine, "_psycopg_installed", lambda: False)
    with pytest.raises(ImportError, match=r'needs psycopg 3: pip install "tunesmith\[postgres\]"$'):
        Store("postgresql://postgres@127.0.0.1:1/test")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"synchronous": "off"},
            r"`synchronous` must be one of \['normal', 'full'\], but got synchronous='off'",
        ),
        (
            {"busy_timeout": 0},
            "`busy_timeout` must be a positive number of seconds, but got busy_timeout=0",
        ),
    ],
)
def test_bad_options(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        Store(f"sqlite:///{tmp_path / 'x.db'}", **kwargs)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (
            ("finished",),
            {},
            ValueError,
            r"`kind` must be one of \['trial_created', .*\], but got kind='finished'",
        ),
        (("result",), {}, ValueError, "a 'result' event needs a `trial_id`, but got trial_id=None"),
        (
            ("result",),
            {"trial_id": -1},
            ValueError,
            "must be an int >= 0 or None, but got trial_id=-1",
        ),
        (("result",), {"trial_id": True}, ValueError, "but got trial_id=True"),
        (
            ("result",),
            {"trial_id": 1, "payload": [1]},
            TypeError,
            r"`payload` of a 'result' event must be a dict",
        ),
        (
            ("result",),
            {"trial_id": 1, "time": float("nan")},
            ValueError,
            "`time` of a 'result' event must be a finite",
        ),
        (
            ("decision",),
            {"trial_id": 1, "payload": {"decision": "halt"}},
            ValueError,
            "'decision': one of",
        ),
        (("trial_failed",), {"trial_id": 1}, ValueError, "must have a non-empty str 'reason'"),
        (
            ("trial_failed",),
            {"trial_id": 1, "payload": {"reason": "oom", "detail": 3}},
            ValueError,
            "detail=3",
        ),
        (
            ("trial_started",),
            {"trial_id": 1, "payload": {"resume": "yes"}},
            ValueError,
            "resume='yes'",
        ),
        (
            ("trial_started",),
            {"trial_id": 1, "payload": {"config": 1}},
            ValueError,
            "must be a dict, but got config=1",
        ),
    ],
)
def test_bad_event(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        Event(*args, **kwargs)


def test_event_kinds_are_strings():
    ev = Event("run_started")
    assert ev.kind is EventKind.RUN_STARTED and ev.kind == "run_started" and ev.payload == {}
    assert Event(EventKind.RESULT, trial_id=0, payload={"loss": 1}).kind == "result"


def test_append_needs_a_list_of_events(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    study = new_study(store)
    with pytest.raises(TypeError, match="`events` must be a list of Event, but got Event"):
        store.append(study, Event("run_started"))
    with pytest.raises(TypeError, match=r"`events\[1\]` must be an Event, but got \{'kind': 'x'\}"):
        store.append(study, [Event("run_started"), {"kind": "x"}])
    with pytest.raises(TypeError, match="`study` must be a Study or a study name, but got study=3"):
        store.trials(3)
    with pytest.raises(ValueError, match="`after_seq` must be an int >= 0, but got after_seq=-1"):
        store.read_events(study, -1)
    with pytest.raises(ValueError, match="`limit` must be an int >= 1 or None, but got limit=0"):
        store.read_events(study, limit=0)


def test_read_events_kinds_must_be_event_kinds(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    study = new_study(store)
    kinds = str([k.value for k in EventKind])
    with pytest.raises(
        TypeError,
        match=r"`kinds` must be a list of event kinds \(e\.g\. kinds=\['result'\]\) or None, "
        rf"but got kinds='result'; the kinds are {re.escape(kinds)}$",
    ):
        store.read_events(study, kinds="result")
    with pytest.raises(TypeError, match=r"but got kinds=3; the kinds are \["):
        store.read_event_times(study, kinds=3)
    with pytest.raises(
        ValueError,
        match=rf"`kinds` must name one or more of the event kinds {re.escape(kinds)}, but got "
        r"kinds=\['result', 'results'\] \('results' is not one\)$",
    ):
        store.read_events(study, kinds=["result", "results"])
    with pytest.raises(ValueError, match=r"but got kinds=\[\] \(it names none\)$"):
        store.read_events(study, kinds=[])
    with pytest.raises(
        ValueError, match="`upto_seq` must be an int >= 0 or None, but got upto_seq=-2"
    ):
        store.read_event_times(study, upto_seq=-2)
    assert store.read_events(study, kinds=[EventKind.RESULT]) == []


def test_a_payload_that_is_no_json_names_its_event(tmp_path):
    """The batch is encoded in one pass; a payload that fails is then named, as before."""
    import numpy as np

    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    study = new_study(store)
    circular: dict = {}
    circular["self"] = circular
    for payload, problem in [({"loss": object()}, "object is not"), (circular, "Circular")]:
        events = [*trial_events(0, [1.0], end=""), Event("result", trial_id=0, payload=payload)]
        with pytest.raises(TypeError, match=rf"payload of event 4 \(result, trial 0\).*{problem}"):
            store.append(study, events)
    assert store.read_events(study) == []
    created = Event("trial_created", trial_id=0, payload={"x": np.float32(0.5)})
    store.append(study, [created, Event("result", trial_id=0, payload={"v": np.arange(2)})])
    assert [e.payload for e in store.read_events(study)] == [{"x": 0.5}, {"v": [0, 1]}]


def test_missing_pandas_and_pyarrow_name_the_install_line(tmp_path, monkeypatch):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    study = new_study(store)
    store.append(study, trial_events(0, [1.0]))
    monkeypatch.setitem(sys.modules, "pandas", None)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r'pip install "tunesmith\[pandas\]"'):
        store.dataframe(study)
    with pytest.raises(
        ImportError,
        match=r'export\(format="parquet"\) needs pyarrow: pip install "tunesmith\[parquet\]"',
    ):
        store.export(study, tmp_path / "x.parquet")
    assert not (tmp_path / "x.parquet").exists()
