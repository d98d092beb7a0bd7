"""The contract every store backend passes. Subclass and implement :meth:`make_store`::

    class TestSQLiteStore(StoreContract):
        def make_store(self, tmp_path):
            return Store(f"sqlite:///{tmp_path / 'store.db'}")

The store must be new and empty of the tests' studies; tests open the same database again (in
this and in child processes) from :attr:`Store.url`. Child processes are started with ``spawn``.
"""

from __future__ import annotations

import csv
import json
import math
import multiprocessing
import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tunesmith.store import (
    SCHEMA_VERSION,
    Event,
    SchemaVersionError,
    Store,
    StoreCorruptedError,
    StudyExistsError,
    StudyNotFoundError,
)
from tunesmith.store.db import Connection
from tunesmith.store.engine import open_database, parse_url

__all__ = ["StoreContract", "replay", "separate_transaction"]

SPACE_JSON = '{"lr": {"type": "loguniform", "lower": 1e-05, "upper": 0.1}}'
SPEC = {"class": "tunesmith.schedulers.fifo.FIFOScheduler", "args": {"metric": "loss"}}
PROCESS_TIMEOUT = 120.0


def unique_name(prefix: str = "study") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def new_study(store: Store, name: str | None = None, **kwargs: Any):
    args = dict(config_space_json=SPACE_JSON, scheduler_spec=SPEC, metric="loss", mode="min")
    args.update(seed=0)
    args.update(kwargs)
    return store.create_study(unique_name() if name is None else name, **args)


def trial_events(trial_id: int, losses: list[float], *, end: str = "trial_completed", **config):
    """A trial's life: created, started, one result (and decision) per loss, ``end``."""
    out = [
        Event("trial_created", trial_id=trial_id, payload=config or {"lr": 0.01}),
        Event("trial_started", trial_id=trial_id, payload={"resume": False}),
    ]
    for step, loss in enumerate(losses, 1):
        out.append(Event("result", trial_id=trial_id, payload={"step": step, "loss": loss}))
        out.append(Event("decision", trial_id=trial_id, payload={"decision": "continue"}))
    if end == "trial_failed":
        out.append(Event(end, trial_id=trial_id, payload={"reason": "exception", "detail": "x"}))
    elif end:
        out.append(Event(end, trial_id=trial_id))
    return out


@contextmanager
def separate_transaction(store: Store, *, write: bool = False) -> Iterator[Connection]:
    """A transaction on ``store``'s database through a connection of its own, as another
    process (or a hand edit) would make; statements are SQL text with ``:name`` parameters."""
    db = open_database(parse_url(store.url), synchronous="normal", busy_timeout=30.0)
    try:
        with db.transaction(write=write) as conn:
            yield conn
    finally:
        db.close()


def replay(events: list[Event]) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    """What the trials and records tables must hold after ``events`` (a reference model)."""
    trials: dict[int, dict[str, Any]] = {}
    reports: list[tuple[int, dict[str, Any]]] = []
    ends = {"trial_completed": "completed", "trial_stopped": "stopped", "trial_paused": "paused"}
    for ev in events:
        kind, trial = ev.kind.value, trials.get(ev.trial_id)
        if kind == "trial_created":
            trials[ev.trial_id] = {
                "trial_id": ev.trial_id,
                "status": "pending",
                "config": ev.payload,
                "last_result": None,
                "num_results": 0,
                "failure_reason": None,
                "failure_detail": None,
            }
        elif kind == "trial_started":
            trial.update(status="running", failure_reason=None, failure_detail=None)
            trial["config"] = ev.payload.get("config", trial["config"])
        elif kind == "result":
            trial.update(last_result=ev.payload, num_results=trial["num_results"] + 1)
            reports.append((ev.trial_id, ev.payload))
        elif kind in ends:
            trial["status"] = ends[kind]
        elif kind == "trial_failed":
            trial.update(status="failed", failure_reason=ev.payload["reason"])
            trial["failure_detail"] = ev.payload.get("detail")
    records = [
        {"trial_id": tid, "status": trials[tid]["status"], **trials[tid]["config"], **metrics}
        for tid, metrics in reports
    ]
    return trials, records


def check_consistent(store: Store, name: str) -> list[Event]:
    """The materialized tables of study ``name`` agree with its journal; returns the journal."""
    events = store.read_events(name)
    assert [ev.seq for ev in events] == list(range(1, len(events) + 1))
    expected, records = replay(events)
    got = {
        t["trial_id"]: {k: t[k] for k in expected.get(t["trial_id"], t)} for t in store.trials(name)
    }
    assert got == expected
    assert store.records(name) == records
    study = store.get_study(name)
    with separate_transaction(store) as conn:
        rows = conn.all(
            "SELECT trial_id, report_index, seq FROM tunesmith_results WHERE study_id = :study "
            "ORDER BY seq",
            {"study": study.study_id},
        )
    assert [seq for _, _, seq in rows] == [ev.seq for ev in events if ev.kind == "result"]
    counts: dict[int, int] = {}
    for trial_id, report_index, _ in rows:  # 0, 1, 2, ... per trial, in journal order
        assert report_index == counts.get(trial_id, 0)
        counts[trial_id] = report_index + 1
    return events


# -- child processes (module level: spawn imports them) --------------------------------------


def _concurrent_appender(url: str, name: str, worker: int, n_batches: int, barrier) -> None:
    store = Store(url)
    study = store.get_study(name)
    barrier.wait(timeout=PROCESS_TIMEOUT)
    for b in range(n_batches):
        tid = worker * 100_000 + b
        store.append(
            study,
            [
                Event("trial_created", trial_id=tid, payload={"worker": worker, "batch": b}),
                Event("result", trial_id=tid, payload={"loss": float(b), "worker": worker}),
                Event("scheduler_call", payload={"worker": worker, "batch": b}),
            ],
        )
        time.sleep(0.001)  # a pause, as a tuner has, lets the other writer in
    store.close()


def _steady_writer(url: str, name: str, conn, stop) -> None:
    store = Store(url)
    study = store.get_study(name)
    i = 0
    while not stop.is_set() and i < 50_000:
        store.append(study, trial_events(i, [1.0 / (i + 1)], end="")[:1])
        store.append(study, [Event("result", trial_id=i, payload={"loss": float(i)})])
        i += 1
        if i == 20:
            conn.send("ready")
    conn.send(i)


def _killable_writer(url: str, name: str, conn) -> None:
    store = Store(url)
    study = store.get_study(name)
    i = 0
    while True:  # until SIGKILL
        batch = [Event("trial_created", trial_id=i, payload={"i": i})]
        batch += [Event("result", trial_id=i, payload={"step": s, "loss": i + s}) for s in range(9)]
        seqs = store.append(study, batch)
        conn.send((i, seqs[-1]))
        i += 1


def _receive(conn, timeout: float = PROCESS_TIMEOUT) -> Any:
    if not conn.poll(timeout):
        raise AssertionError(f"no message from the child process within {timeout} s")
    return conn.recv()


class StoreContract:
    def make_store(self, tmp_path) -> Store:
        """A new store; tests reopen it from its ``url``."""
        raise NotImplementedError

    # -- studies ------------------------------------------------------------------------------
    def test_create_get_list_delete(self, tmp_path):
        store = self.make_store(tmp_path)
        a = new_study(store, metadata={"owner": "me"})
        b = new_study(store, seed=None, metric=["loss", "acc"], mode=["min", "max"])
        assert store.get_study(a.name) == a
        assert (a.metric, a.mode, a.seed, a.metadata) == ("loss", "min", 0, {"owner": "me"})
        assert (a.config_space_json, a.scheduler_spec) == (SPACE_JSON, SPEC)
        assert store.get_study(b.name) == b
        assert (b.metrics, b.modes, b.seed) == (["loss", "acc"], ["min", "max"], None)
        names = [s.name for s in store.list_studies()]
        assert names.index(a.name) < names.index(b.name)
        store.delete_study(a.name)
        assert store.find_study(a.name) is None
        assert a.name not in [s.name for s in store.list_studies()]
        name = unique_name()
        assert store.find_study(name) is None
        with pytest.raises(StudyNotFoundError, match=f"no study named '{name}' in .*studies: "):
            store.get_study(name)

    def test_duplicate_name_raises(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        with pytest.raises(StudyExistsError, match=f"a study named '{study.name}' already exists"):
            new_study(store, study.name)

    @pytest.mark.parametrize("name", ["", " lead", "a/b", "semi;colon", "x" * 129, 7, b"bytes"])
    def test_bad_study_name(self, tmp_path, name):
        store = self.make_store(tmp_path)
        with pytest.raises(
            ValueError, match=r"a study `name` must be 1 to 128 characters.*but got"
        ):
            new_study(store, name)

    def test_bad_study_arguments(self, tmp_path):
        store = self.make_store(tmp_path)
        with pytest.raises(ValueError, match="`mode` must be 'min' or 'max', but got mode='low'"):
            new_study(store, mode="low")
        with pytest.raises(ValueError, match=r"`mode` must be .* one per metric \(2 for metric"):
            new_study(store, metric=["a", "b"], mode=["min"])
        with pytest.raises(ValueError, match=r"`metric` names 'a' more than once"):
            new_study(store, metric=["a", "a"])
        with pytest.raises(ValueError, match="`seed` must be an int or None, but got seed=1.5"):
            new_study(store, seed=1.5)
        with pytest.raises(ValueError, match="`config_space_json` must be JSON text"):
            new_study(store, config_space_json="{not json")
        with pytest.raises(TypeError, match="`scheduler_spec` must be JSON-serializable"):
            new_study(store, scheduler_spec={"f": object()})

    def test_unknown_study(self, tmp_path):
        store = self.make_store(tmp_path)
        name = unique_name("missing")
        for call in (store.trials, store.records, store.read_events, store.delete_study):
            with pytest.raises(StudyNotFoundError, match=f"no study named '{name}' in "):
                call(name)
        with pytest.raises(StudyNotFoundError, match=f"no study named '{name}'"):
            store.append(name, [Event("run_started")])
        study = new_study(store)
        store.delete_study(study)
        with pytest.raises(StudyNotFoundError, match="is not in the store"):
            store.append(study, [Event("run_started")])

    def test_delete_removes_everything_and_frees_the_name(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        store.append(study, trial_events(0, [3.0, 2.0]))
        store.delete_study(study.name)
        again = new_study(store, study.name)
        assert again.study_id != study.study_id
        assert store.read_events(again) == [] and store.trials(again) == []
        assert store.records(again) == []

    # -- the journal --------------------------------------------------------------------------
    def test_append_read_round_trip(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        batch = [Event("run_started", payload={"n_workers": 2, "nested": {"a": [1, "b", None]}})]
        batch += trial_events(0, [3.0, 2.5], end="trial_paused", lr=0.1, act="relu")
        batch.append(Event("scheduler_call", trial_id=0, payload={"call": "suggest", "n": 1}))
        assert store.append(study, batch) == list(range(1, len(batch) + 1))
        later = [Event("trial_started", trial_id=0, payload={"resume": True}, time=99.5)]
        assert store.append(study.name, later) == [len(batch) + 1]
        assert store.append(study, []) == []
        got = store.read_events(study)
        assert [ev.seq for ev in got] == list(range(1, len(batch) + 2))
        for sent, read in zip(batch + later, got, strict=True):
            assert (read.kind, read.trial_id, read.payload) == (
                sent.kind,
                sent.trial_id,
                sent.payload,
            )
            assert isinstance(read.time, float)
        assert got[-1].time == 99.5
        assert [ev.seq for ev in store.read_events(study, 5)] == list(range(6, len(batch) + 2))
        assert [ev.seq for ev in store.read_events(study, 2, limit=3)] == [3, 4, 5]

    def test_read_events_of_some_kinds(self, tmp_path):
        """``kinds=`` reads only those events (``limit`` counts them), the others by their
        seqs and times only (``read_event_times``); a gap among the skipped rows still raises."""
        store = self.make_store(tmp_path)
        study = new_study(store)
        batch = [Event("run_started", time=1.0)]
        for tid in range(3):
            batch += trial_events(tid, [3.0 - tid, 2.0 - tid], lr=0.1 * (tid + 1))
        batch.append(Event("run_ended", time=9.0))
        store.append(study, batch)
        every = store.read_events(study)
        assert store.last_seq(study) == every[-1].seq == len(batch)
        wanted = ("result", "trial_completed")
        of_kinds = [ev for ev in every if ev.kind in wanted]
        assert store.read_events(study, kinds=["result", "trial_completed"]) == of_kinds
        assert store.read_events(study, kinds=("trial_completed", "result", "result")) == of_kinds
        assert store.read_events(study, of_kinds[1].seq, kinds=wanted, limit=2) == of_kinds[2:4]
        assert store.read_events(study, every[-1].seq, kinds=wanted) == []
        decisions = [(ev.seq, ev.trial_id, ev.time) for ev in every if ev.kind == "decision"]
        assert len(decisions) == 6
        assert store.read_event_times(study, kinds=["decision"]) == decisions
        assert (
            store.read_event_times(
                study, decisions[1][0], upto_seq=decisions[4][0], kinds=["decision"]
            )
            == decisions[2:5]
        )
        assert store.read_event_times(study) == [(ev.seq, ev.trial_id, ev.time) for ev in every]
        # a row deleted among those a filtered read skips is still a gap
        with separate_transaction(store, write=True) as conn:
            conn.execute(
                "DELETE FROM tunesmith_events WHERE study_id = :s AND seq = :q",
                {"s": study.study_id, "q": decisions[0][0]},
            )
        gap = rf"is missing the events with seq {decisions[0][0]} "
        with pytest.raises(StoreCorruptedError, match=gap):
            store.read_events(study, kinds=wanted)
        with pytest.raises(StoreCorruptedError, match=gap):
            store.read_event_times(study, kinds=["trial_created"])

    def test_special_values_survive(self, tmp_path):
        np = pytest.importorskip("numpy")
        store = self.make_store(tmp_path)
        study = new_study(store)
        metrics = {
            "loss": float("nan"),
            "inf": float("inf"),
            "np": np.float32(0.5),
            "i": np.int64(3),
        }
        store.append(study, [*trial_events(0, []), Event("result", trial_id=0, payload=metrics)])
        payload = store.read_events(study)[-1].payload
        assert math.isnan(payload["loss"]) and payload["inf"] == math.inf
        assert (payload["np"], payload["i"]) == (0.5, 3)
        assert store.best(study) == []  # NaN is no best value
        with pytest.raises(TypeError, match=r"payload of event 0 \(result, trial 0\) must be JSON"):
            store.append(study, [Event("result", trial_id=0, payload={"x": object()})])

    def test_materialized_tables_match_the_journal(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        store.append(
            study, trial_events(0, [4.0, 3.0, 3.5]) + trial_events(1, [5.0], end="trial_paused")
        )
        store.append(study, trial_events(2, [2.0], end="trial_failed"))
        store.append(
            study,
            [Event("trial_started", trial_id=1, payload={"resume": True, "config": {"lr": 0.5}})],
        )
        store.append(study, [Event("result", trial_id=1, payload={"step": 2, "acc": 0.1})])
        store.append(study, [Event("trial_stopped", trial_id=1), Event("run_ended")])
        store.append(study, trial_events(3, [], end=""))
        check_consistent(store, study.name)
        trials = {t["trial_id"]: t for t in store.trials(study)}
        assert [t["status"] for t in trials.values()] == [
            "completed",
            "stopped",
            "failed",
            "running",
        ]
        assert trials[0]["best_value"] == 3.0 and trials[0]["num_results"] == 3
        assert trials[1]["config"] == {"lr": 0.5} and trials[1]["last_result"] == {
            "step": 2,
            "acc": 0.1,
        }
        assert (trials[2]["failure_reason"], trials[2]["failure_detail"]) == ("exception", "x")
        assert trials[3]["best_value"] is None and trials[3]["last_result"] is None

    def test_interleaved_trials_in_one_batch(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store, mode="max")

        def result(trial_id, loss):
            return Event("result", trial_id=trial_id, payload={"loss": loss})

        batch = [Event("trial_created", trial_id=t, payload={"lr": t}) for t in (0, 1)]
        batch += [result(0, 1.0), result(1, 5.0), result(0, 3.0)]
        batch += [Event("decision", trial_id=1, payload={"decision": "pause"}), result(1, 2.0)]
        batch += [Event("trial_completed", trial_id=0), result(1, float("nan")), result(0, 2.0)]
        store.append(study, batch)
        store.append(study, [result(1, 4.0), Event("trial_paused", trial_id=1), result(0, 9.0)])
        check_consistent(store, study.name)
        trials = store.trials(study)
        assert [(t["num_results"], t["best_value"]) for t in trials] == [(4, 9.0), (4, 5.0)]
        assert trials[1]["status"] == "paused" and trials[1]["last_result"] == {"loss": 4.0}
        with pytest.raises(ValueError, match=r"event 0 of the batch \('result'\) is about trial 2"):
            store.append(study, [result(2, 1.0), Event("trial_created", trial_id=2)])

    def test_a_batch_leaves_the_tables_as_its_events_one_at_a_time(self, tmp_path):
        """A trial created in a batch gets its row built from all of its events at once; one
        stored before is updated. Either way the rows are those of appending event by event."""
        store = self.make_store(tmp_path)

        def result(trial_id, loss, t):
            return Event("result", trial_id=trial_id, payload={"loss": loss, "step": t}, time=t)

        def event(kind, trial_id, t, **payload):
            return Event(kind, trial_id=trial_id, payload=payload, time=t)

        first = [event("trial_created", 0, 0.0, lr=0.1), event("trial_started", 0, 0.5)]
        first += [result(0, 3.0, 1.0), event("decision", 0, 1.5, decision="pause")]
        first += [event("trial_paused", 0, 2.0), event("trial_created", 1, 2.0, lr=0.2)]
        later = [event("trial_created", 2, 2.5, lr=0.3), result(1, float("inf"), 3.0)]
        later += [event("trial_started", 0, 3.0, resume=True, config={"lr": 0.05})]
        later += [result(0, 2.0, 4.0), event("decision", 0, 4.5, decision="continue")]
        later += [event("trial_started", 2, 5.0), result(2, float("nan"), 5.5)]
        later += [result(2, 7.0, 6.0), event("trial_interrupted", 2, 6.5)]
        later += [event("trial_started", 2, 7.0, resume=True), result(2, "x", 7.5)]
        later += [event("trial_failed", 2, 8.0, reason="exception", detail="boom")]
        later += [event("scheduler_call", 1, 8.0), event("trial_started", 1, 8.5)]
        later += [result(1, 1.0, 9.0), result(1, 0.5, 9.5), event("trial_completed", 1, 10.0)]
        later += [event("trial_stopped", 0, 10.5), event("trial_created", 3, 11.0, lr=0.4)]
        tables = []
        for batches in ([first, later], [[e] for e in first + later]):
            study = new_study(store)
            for batch in batches:
                store.append(study, batch)
            check_consistent(store, study.name)
            trials = store.trials(study)
            tables.append((json.dumps(trials), json.dumps(store.records(study))))
        assert tables[0] == tables[1]
        assert [t["status"] for t in trials] == ["stopped", "completed", "failed", "pending"]

    def test_a_bad_batch_writes_nothing(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        store.append(study, trial_events(0, [1.0]))
        before = store.read_events(study)
        bad = [*trial_events(1, [2.0]), Event("result", trial_id=7, payload={"loss": 1.0})]
        with pytest.raises(ValueError, match=r"about trial 7, but study .* has no such trial"):
            store.append(study, bad)
        with pytest.raises(ValueError, match="trial 0 of study .* already exists"):
            store.append(study, [Event("trial_created", trial_id=0, payload={})])
        assert store.read_events(study) == before
        assert [t["trial_id"] for t in store.trials(study)] == [0]
        assert store.append(study, trial_events(1, [2.0]))[0] == len(before) + 1
        check_consistent(store, study.name)

    # -- queries ------------------------------------------------------------------------------
    @pytest.mark.parametrize("mode", ["min", "max"])
    def test_best(self, tmp_path, mode):
        store = self.make_store(tmp_path)
        study = new_study(store, mode=mode)
        store.append(study, trial_events(0, [5.0, 1.0, 9.0]) + trial_events(1, [3.0]))
        store.append(study, trial_events(2, [7.0, 4.0]) + trial_events(3, []))
        store.append(study, [Event("result", trial_id=3, payload={"acc": 1.0})])
        ranked = [(t["trial_id"], t["value"]) for t in store.best(study, k=10, scope="all")]
        if mode == "min":
            assert ranked == [(0, 1.0), (1, 3.0), (2, 4.0)]
        else:
            assert ranked == [(0, 9.0), (2, 7.0), (1, 3.0)]
        # by default each trial counts with its last report (trial 3's has no loss: not ranked)
        last = [(t["trial_id"], t["value"], t["best_value"]) for t in store.best(study, k=10)]
        if mode == "min":
            assert last == [(1, 3.0, 3.0), (2, 4.0, 4.0), (0, 9.0, 1.0)]
        else:
            assert last == [(0, 9.0, 9.0), (2, 4.0, 7.0), (1, 3.0, 3.0)]
        assert store.best(study)[0]["trial_id"] == (1 if mode == "min" else 0)
        for scope in ("all", "last"):
            by_step = store.best(study.name, 2, metric="step", mode="max", scope=scope)
            assert [(t["trial_id"], t["value"]) for t in by_step] == [(0, 3.0), (2, 2.0)]
        with pytest.raises(ValueError, match="`scope` must be 'last' .* but got scope='best'"):
            store.best(study, scope="best")
        with pytest.raises(ValueError, match="metric 'step' is not one of study"):
            store.best(study, metric="step")
        with pytest.raises(ValueError, match="`k` must be an int >= 1, but got k=0"):
            store.best(study, k=0)
        multi = new_study(store, metric=["loss", "acc"], mode=["min", "max"])
        assert store.best(multi) == [] and store.pareto_front(multi) == []
        assert store.best(multi, metric="acc") == []
        # several metrics: by non-dominated front, then crowding distance (the extremes first)
        points = [(0.2, 0.5), (0.1, 0.4), (0.3, 0.9), (0.4, 0.3), (0.5, 0.2)]
        events = []
        for tid, (loss, acc) in enumerate(points):
            events += [
                Event("trial_created", trial_id=tid, payload={"lr": 0.1, "act": "relu"}),
                Event("trial_started", trial_id=tid, payload={"resume": False}),
                Event("result", trial_id=tid, payload={"step": 1, "loss": loss, "acc": acc}),
                Event("trial_completed", trial_id=tid),
            ]
        # trial 4's first report beats every other (scope="all"), its last one is the worst
        first = Event("result", trial_id=4, payload={"step": 0, "loss": 0.05, "acc": 1.0})
        events.insert(-2, first)
        store.append(multi, events)
        ranked = store.best(multi, k=5)
        fronts = [(t["trial_id"], t["front"]) for t in ranked]
        assert fronts == [(1, 0), (2, 0), (0, 0), (3, 1), (4, 2)]
        assert ranked[0]["values"] == [0.1, 0.4] and "value" not in ranked[0]
        assert [t["trial_id"] for t in store.pareto_front(multi)] == [1, 2, 0]
        assert [t["trial_id"] for t in store.pareto_front(multi, scope="all")] == [4]
        assert [t["trial_id"] for t in store.best(multi, k=2, scope="all")] == [4, 1]
        assert store.best(multi, metric="acc")[0]["trial_id"] == 2

    def test_records_dataframe_and_export(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        store.append(study, trial_events(0, [2.0, 1.0], lr=0.1, act="relu"))
        store.append(study, trial_events(1, [3.0], end="trial_stopped", lr=0.2, act="tanh"))
        store.append(study, [Event("result", trial_id=0, payload={"step": 3, "loss": 0.5})])
        expected = [
            {
                "trial_id": 0,
                "status": "completed",
                "lr": 0.1,
                "act": "relu",
                "step": 1,
                "loss": 2.0,
            },
            {
                "trial_id": 0,
                "status": "completed",
                "lr": 0.1,
                "act": "relu",
                "step": 2,
                "loss": 1.0,
            },
            {"trial_id": 1, "status": "stopped", "lr": 0.2, "act": "tanh", "step": 1, "loss": 3.0},
            {
                "trial_id": 0,
                "status": "completed",
                "lr": 0.1,
                "act": "relu",
                "step": 3,
                "loss": 0.5,
            },
        ]
        assert store.records(study) == expected
        columns = list(expected[0])
        path = store.export(study, tmp_path / "out.csv")
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        assert list(rows[0]) == columns and len(rows) == 4
        assert rows[2] == {k: str(v) for k, v in expected[2].items()}
        store.export(study, tmp_path / "out.data", format="json")
        assert json.loads((tmp_path / "out.data").read_text()) == expected
        with pytest.raises(
            ValueError, match=r"`format` must be one of \['csv', 'parquet', 'json'\]"
        ):
            store.export(study, tmp_path / "x.csv", format="xlsx")
        with pytest.raises(ValueError, match="cannot tell the export format from the file name"):
            store.export(study, tmp_path / "x.txt")
        pandas = pytest.importorskip("pandas")
        frame = store.dataframe(study)
        assert list(frame.columns) == columns and frame["loss"].tolist() == [2.0, 1.0, 3.0, 0.5]
        pytest.importorskip("pyarrow", reason="parquet export needs pyarrow")
        store.export(study, tmp_path / "out.parquet")
        back = pandas.read_parquet(tmp_path / "out.parquet")
        assert back.to_dict("records") == expected

    # -- durability and concurrency -----------------------------------------------------------
    def test_reopen_keeps_everything(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        store.append(study, trial_events(0, [1.0, 0.5]))
        events, records = store.read_events(study), store.records(study)
        store.close()
        with Store(store.url) as again:
            assert again.get_study(study.name) == study
            assert again.read_events(study.name) == events and again.records(study.name) == records

    def test_schema_version_mismatch(self, tmp_path):
        store = self.make_store(tmp_path)
        url = store.url
        store.close()
        with separate_transaction(store, write=True) as conn:
            conn.execute("UPDATE tunesmith_meta SET value = '999' WHERE \"key\" = 'schema_version'")
        pattern = (
            f"has schema version 999, but this tunesmith reads schema version {SCHEMA_VERSION}"
        )
        with pytest.raises(SchemaVersionError, match=pattern):
            Store(url)

    def test_concurrent_appends_from_two_processes(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        ctx = multiprocessing.get_context("spawn")
        barrier, n_batches = ctx.Barrier(2), 150
        procs = [
            ctx.Process(
                target=_concurrent_appender, args=(store.url, study.name, w, n_batches, barrier)
            )
            for w in (1, 2)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(PROCESS_TIMEOUT)
        assert [p.exitcode for p in procs] == [0, 0]
        events = check_consistent(store, study.name)
        assert len(events) == 2 * 3 * n_batches
        for w in (1, 2):
            mine = [ev for ev in events if ev.payload.get("worker") == w]
            assert [ev.payload["batch"] for ev in mine if ev.kind == "scheduler_call"] == list(
                range(n_batches)
            )
            for first in range(0, len(mine), 3):  # a batch is contiguous in the journal
                assert [ev.seq for ev in mine[first : first + 3]] == list(
                    range(mine[first].seq, mine[first].seq + 3)
                )
        assert len(store.trials(study)) == 2 * n_batches

    def test_reader_sees_commits_while_a_writer_runs(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        ctx = multiprocessing.get_context("spawn")
        parent_end, child_end = ctx.Pipe(duplex=False)
        stop = ctx.Event()
        proc = ctx.Process(target=_steady_writer, args=(store.url, study.name, child_end, stop))
        proc.start()
        try:
            assert _receive(parent_end) == "ready"
            reader, seen = Store(store.url), 0
            for _ in range(20):
                events = reader.read_events(study.name)
                assert [ev.seq for ev in events] == list(range(1, len(events) + 1))
                assert len(events) >= max(seen, 40)
                seen = len(events)
                assert len(reader.records(study.name)) <= len(reader.trials(study.name))
                time.sleep(0.01)
            assert proc.is_alive()  # all of the above ran while the writer kept writing
        finally:
            stop.set()
        written = _receive(parent_end)
        proc.join(PROCESS_TIMEOUT)
        assert proc.exitcode == 0
        assert len(check_consistent(reader, study.name)) == 2 * written >= seen

    def test_committed_events_survive_sigkill(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        ctx = multiprocessing.get_context("spawn")
        parent_end, child_end = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_killable_writer, args=(store.url, study.name, child_end))
        proc.start()
        reported = [_receive(parent_end) for _ in range(25)]
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(PROCESS_TIMEOUT)
        assert proc.exitcode == -signal.SIGKILL
        while parent_end.poll(0):
            reported.append(parent_end.recv())
        with Store(store.url) as again:
            events = check_consistent(again, study.name)
            assert len(events) % 10 == 0  # whole batches only
            assert len(events) >= reported[-1][1]
            trials = {t["trial_id"]: t for t in again.trials(study.name)}
            for i, _ in reported:
                assert trials[i]["num_results"] == 9 and trials[i]["config"] == {"i": i}
            nxt = len(events) // 10
            assert again.append(study.name, [Event("trial_created", trial_id=nxt)]) == [
                len(events) + 1
            ]
