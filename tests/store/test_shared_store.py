"""Several drivers on one study, in the store (:mod:`tunesmith.store.drivers`), on SQLite and
PostgreSQL (set ``TUNESMITH_TEST_POSTGRES_URL``): trial ids and configs claimed once, exclusive
and shared drivers refusing each other, a driver that is gone fenced and its trials claimed by
exactly one live driver. ``tests/test_shared_drivers.py`` runs drivers."""

import pytest

from _postgres import store_url
from tunesmith.store import Event, OwnershipLostError, Store, StudyLockedError


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request, tmp_path):
    with store_url(request.param, tmp_path, "shared.db", "the shared-driver tests") as url:
        yield url


def _study(store, name="s"):
    return store.create_study(
        name,
        config_space_json="{}",
        scheduler_spec={},
        metric="loss",
        mode="min",
        seed=0,
    )


def test_trial_ids_and_configs_are_claimed_once(storage):
    with Store(storage) as store:
        study = _study(store)
        a, b = store.join_study(study), store.join_study(study)
        try:
            assert (a.number, b.number) == (0, 1)
            ids = [a.allocate(), b.allocate(), a.allocate(), b.allocate()]
            assert ids == [0, 1, 2, 3]
            assert a.claim_config(0, {"x": 0.5}) is True
            assert b.claim_config(1, {"x": 0.5}) is False  # another trial has it
            assert b.claim_config(1, {"x": 0.25}) is True
            assert a.allocate(limit=5) == 4
            assert b.allocate(limit=5) is None  # 5 ids allocated
        finally:
            a.release()
            b.release()


def test_exclusive_and_shared_drivers_refuse_each_other(storage):
    with Store(storage) as store:
        study = _study(store)
        shared = store.join_study(study)
        with pytest.raises(StudyLockedError, match=r"is being run by 1 shared driver\(s\)"):
            store.acquire_study(study)
        with pytest.raises(StudyLockedError, match="shared driver"):
            store.delete_study(study)
        shared.release()
        owner = store.acquire_study(study)
        with pytest.raises(StudyLockedError, match=r"driver that owns it alone.*shared=True"):
            store.join_study(study)
        owner.release()
        store.join_study(study).release()


def test_a_gone_driver_is_fenced_and_its_trial_claimed_by_one_driver(storage):
    with Store(storage) as store:
        study = _study(store)
        gone = store.join_study(study)
        b = store.join_study(study, stale_after=1e-6)
        c = store.join_study(study, stale_after=1e-6)
        try:
            tid = gone.allocate()
            events = [
                Event("trial_created", trial_id=tid, payload={"x": 1}),
                Event("trial_started", trial_id=tid, payload={"resume": False}),
            ]
            store.append(study, events, owner=gone)
            assert b.orphans([tid]) == []  # its driver is there
            # as if it ran on another machine and stopped sending heartbeats
            with store._db.transaction(write=True) as conn:
                conn.execute(
                    "UPDATE tunesmith_drivers SET host = 'elsewhere', heartbeat = 0 "
                    "WHERE token = :t",
                    {"t": gone.token},
                )
            assert len(b.reap()) == 1 and b.reap() == []
            with pytest.raises(OwnershipLostError, match="declared gone by another driver"):
                store.append(
                    study, [Event("result", trial_id=tid, payload={"loss": 1})], owner=gone
                )
            assert b.orphans([tid]) == c.orphans([tid]) == [tid]
            assert [b.claim(tid), c.claim(tid)] == [True, False]
            assert b.orphans([tid]) == []  # b holds it now
            assert [e.kind.value for e in store.read_events(study)] == [
                "trial_created",
                "trial_started",
            ]
        finally:
            for lease in (gone, b, c):
                lease.release()


def test_concurrent_claims_of_a_gone_drivers_trials_give_each_to_one_driver(storage):
    """Drivers that claim the same orphans at the same moment: each trial goes to exactly one
    of them (a PostgreSQL run of benchmarks/drivers.py once had two drivers restart one)."""
    import threading

    with Store(storage) as store:
        study = _study(store)
        gone = store.join_study(study)
        claimers = [store.join_study(study, stale_after=1e-6) for _ in range(3)]
        try:
            tids = [gone.allocate() for _ in range(40)]
            with store._db.transaction(write=True) as conn:  # gone: another machine, silent
                conn.execute(
                    "UPDATE tunesmith_drivers SET host = 'elsewhere', heartbeat = 0 "
                    "WHERE token = :t",
                    {"t": gone.token},
                )
            claimers[0].reap()
            won: dict[int, list[int]] = {tid: [] for tid in tids}
            barrier = threading.Barrier(len(claimers))

            def claim_all(i: int) -> None:
                for tid in tids:
                    barrier.wait()
                    if claimers[i].claim(tid):
                        won[tid].append(i)

            threads = [threading.Thread(target=claim_all, args=(i,)) for i in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            assert {tid: len(w) for tid, w in won.items()} == dict.fromkeys(tids, 1)
        finally:
            for lease in (gone, *claimers):
                lease.release()
