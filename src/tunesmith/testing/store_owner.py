"""The store's contract for study ownership (one driver per study), run on every dialect::

    class TestSQLiteStore(StoreContract, StoreOwnerContract):
        def make_store(self, tmp_path):
            return Store(f"sqlite:///{tmp_path / 'store.db'}")

Other drivers are played by owner rows written through a connection of their own, as another
process or machine would leave them: a live one (refused, named), a dead process on this machine
and a silent one elsewhere (both taken over at once), and a takeover of a live lease (its next
append is refused and writes nothing).
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tunesmith.store import Event, OwnershipLostError, Store, StudyLockedError
from tunesmith.store import owner as owner_module
from tunesmith.testing.backend_contract import wait_until
from tunesmith.testing.store_contract import new_study, separate_transaction, trial_events

__all__ = ["StoreOwnerContract"]


def _write_owner(store: Store, study_id: int, **values) -> None:
    row = {
        "study_id": study_id,
        "token": "someone-else",
        "host": "other-host",
        "machine": "other-boot",
        "pid": 12345,
        "pid_start": None,
        "since": time.time() - 60,
        "heartbeat": time.time(),
    }
    row.update(values)
    with separate_transaction(store, write=True) as conn:
        conn.execute("DELETE FROM tunesmith_owners WHERE study_id = :study_id", row)
        conn.execute(
            f"INSERT INTO tunesmith_owners ({', '.join(row)}) VALUES "
            f"({', '.join(':' + name for name in row)})",
            row,
        )


_OWNER_COLUMNS = ("study_id", "token", "host", "machine", "pid", "pid_start", "since", "heartbeat")


def _owner_rows(store: Store) -> list[dict]:
    with separate_transaction(store) as conn:
        rows = conn.all(f"SELECT {', '.join(_OWNER_COLUMNS)} FROM tunesmith_owners")
    return [dict(zip(_OWNER_COLUMNS, row, strict=True)) for row in rows]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


class StoreOwnerContract:
    """Mixin: the ownership tests; the class provides ``make_store(tmp_path)``."""

    def make_store(self, tmp_path) -> Store:  # pragma: no cover - provided by the class
        raise NotImplementedError

    def test_a_second_driver_is_refused_naming_the_holder(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        lease = store.acquire_study(study)
        try:
            with pytest.raises(StudyLockedError, match=r"is being run by another driver") as err:
                store.acquire_study(study)
            text = str(err.value)
            assert f"pid {lease.pid}" in text and repr(lease.host) in text and "since" in text
            assert repr(study.name) in text
        finally:
            lease.release()
        store.acquire_study(study).release()  # released: free again
        assert _owner_rows(store) == []

    def test_a_live_driver_elsewhere_is_refused(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        _write_owner(store, study.study_id)
        with pytest.raises(StudyLockedError, match=r"host 'other-host', pid 12345"):
            store.acquire_study(study)

    def test_a_silent_driver_elsewhere_is_taken_over_after_the_timeout(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        _write_owner(store, study.study_id, heartbeat=time.time() - 40)
        with pytest.raises(StudyLockedError):
            store.acquire_study(study, stale_after=60)
        lease = store.acquire_study(study, stale_after=30)
        assert [row["token"] for row in _owner_rows(store)] == [lease.token]
        lease.release()

    def test_a_dead_driver_on_this_machine_is_taken_over_at_once(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        host, machine, _, _ = owner_module.identity()
        _write_owner(store, study.study_id, host=host, machine=machine, pid=_dead_pid())
        store.acquire_study(study).release()

    def test_a_reused_pid_is_not_taken_for_the_holder(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        host, machine, _, pid_start = owner_module.identity()
        if pid_start is None:
            pytest.skip("process start times are read from /proc (Linux)")
        # the holder's pid is alive (it is the parent of this process) but started at another
        # time than the holder recorded: the pid was reused, the holder is gone
        _write_owner(
            store,
            study.study_id,
            host=host,
            machine=machine,
            pid=owner_module.os.getppid(),
            pid_start="1",
        )
        store.acquire_study(study).release()

    def test_a_live_driver_on_this_machine_is_never_taken_over(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        host, machine, _, _ = owner_module.identity()
        parent = owner_module.os.getppid()
        start = owner_module._process_start(parent)
        # alive (stopped with Ctrl-Z, say), silent for long: it still holds its study
        _write_owner(
            store,
            study.study_id,
            host=host,
            machine=machine,
            pid=parent,
            pid_start=start,
            heartbeat=time.time() - 3600,
        )
        with pytest.raises(StudyLockedError, match=f"pid {parent}"):
            store.acquire_study(study)

    def test_a_lease_this_process_no_longer_holds_is_taken_over(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        host, machine, pid, start = owner_module.identity()
        _write_owner(store, study.study_id, host=host, machine=machine, pid=pid, pid_start=start)
        store.acquire_study(study).release()

    def test_a_study_run_by_a_live_driver_is_not_deleted(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        _write_owner(store, study.study_id)
        with pytest.raises(StudyLockedError, match="is being run by another driver"):
            store.delete_study(study)
        assert store.find_study(study.name) is not None
        _write_owner(store, study.study_id, heartbeat=time.time() - 100)  # gone: deleted
        store.delete_study(study)
        assert store.find_study(study.name) is None

    def test_appends_are_fenced_once_another_driver_took_over(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        lease = store.acquire_study(study)
        try:
            store.append(study, trial_events(0, [0.5], end=""), owner=lease)
            before = len(store.read_events(study))
            _write_owner(store, study.study_id)  # another driver took the study over
            with pytest.raises(OwnershipLostError, match=r"another driver took over the study"):
                store.append(
                    study, [Event("result", trial_id=0, payload={"loss": 1.0})], owner=lease
                )
            assert len(store.read_events(study)) == before
            store.append(study, [Event("result", trial_id=0, payload={"loss": 1.0})])  # no owner
        finally:
            lease.release()
        assert [row["token"] for row in _owner_rows(store)] == ["someone-else"]  # not ours to free

    def test_the_heartbeat_renews_the_lease_and_notices_a_takeover(self, tmp_path, monkeypatch):
        monkeypatch.setattr(owner_module, "HEARTBEAT_INTERVAL", 0.05)
        store = self.make_store(tmp_path)
        study = new_study(store)
        lease = store.acquire_study(study)
        try:
            first = _owner_rows(store)[0]["heartbeat"]
            renewed = wait_until(lambda: _owner_rows(store)[0]["heartbeat"] > first, 60)
            assert renewed, "the heartbeat did not renew the lease within 60 s"
            _write_owner(store, study.study_id)
            assert wait_until(lambda: lease.lost, 60), "the lease did not notice the takeover"
        finally:
            lease.release()

    def test_deleting_a_study_removes_its_owner(self, tmp_path):
        store = self.make_store(tmp_path)
        study = new_study(store)
        lease = store.acquire_study(study)
        with pytest.raises(StudyLockedError):
            store.delete_study(study)  # held by a lease of this process
        store.delete_study(study, owner=lease)  # by its holder
        assert _owner_rows(store) == []
        lease.release()
