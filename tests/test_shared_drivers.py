"""Several drivers, one study (``Tuner(..., shared=True)``), on SQLite and PostgreSQL (set
``TUNESMITH_TEST_POSTGRES_URL``): the arguments refused, a driver that joins later continuing
the study, and, slow, four driver processes running one ASHA study while one of them is killed
with SIGKILL (``benchmarks/drivers.py`` runs the long version). The store's part is tested in
``tests/store/test_shared_store.py``."""

import os
import sys
from pathlib import Path

import pytest

from _postgres import store_url
from tunesmith import (
    ASHA,
    MedianStoppingRule,
    PopulationBasedTraining,
    RandomSearch,
    StoppingCriterion,
    Tuner,
    uniform,
)
from tunesmith.resume import StudyMismatchError
from tunesmith.store import Store
from tunesmith.testing.inline_backend import InlineBackend

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import drivers as drivers_benchmark

POSTGRES = os.environ.get("TUNESMITH_TEST_POSTGRES_URL")
SPACE = {"x": uniform(0, 1)}


def curve(config, start):
    for epoch in range(start + 1, 4):
        yield {"epoch": epoch, "loss": config["x"] + 1.0 / epoch}


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request, tmp_path):
    with store_url(request.param, tmp_path, "shared.db", "the shared-driver tests") as url:
        yield url


# -- arguments -----------------------------------------------------------------------------------
def test_shared_must_be_a_bool():
    with pytest.raises(TypeError, match=r"`shared` must be True or False, but got shared='yes'"):
        Tuner(InlineBackend(curve), RandomSearch(SPACE, metric="loss"), None, shared="yes")


@pytest.mark.parametrize(
    "scheduler, name",
    [
        (lambda: ASHA({**SPACE, "epochs": 9}, metric="loss", max_t=9, type="promotion"), "ASHA"),
        (
            lambda: PopulationBasedTraining(
                {**SPACE, "epochs": 9}, metric="loss", resource_attr="epoch", max_t=9
            ),
            "PopulationBasedTraining",
        ),
    ],
)
def test_schedulers_that_pause_are_refused(scheduler, name, tmp_path):
    with pytest.raises(ValueError, match=rf"shared=True does not take {name}: it pauses trials"):
        Tuner(
            InlineBackend(curve),
            scheduler(),
            None,
            storage=f"sqlite:///{tmp_path}/s.db",
            shared=True,
        )


def test_a_stopping_scheduler_wrapped_by_the_median_rule_is_taken(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    inner = ASHA({**SPACE, "epochs": 9}, metric="loss", max_t=9)
    assert Tuner(InlineBackend(curve), MedianStoppingRule(inner), None, storage=url, shared=True)
    promotion = ASHA({**SPACE, "epochs": 9}, metric="loss", max_t=9, type="promotion")
    with pytest.raises(ValueError, match="shared=True does not take MedianStoppingRule"):
        Tuner(InlineBackend(curve), MedianStoppingRule(promotion), None, storage=url, shared=True)


def test_overwrite_is_refused(tmp_path):
    scheduler = RandomSearch(SPACE, metric="loss")
    with pytest.raises(ValueError, match=r"shared=True does not take if_exists='overwrite'"):
        Tuner(
            InlineBackend(curve),
            scheduler,
            None,
            storage=f"sqlite:///{tmp_path}/s.db",
            if_exists="overwrite",
            shared=True,
        )


def test_memory_storage_is_refused():
    with pytest.raises(ValueError, match=r"shared=True needs a store .* got storage='memory'"):
        Tuner(
            InlineBackend(curve),
            RandomSearch(SPACE, metric="loss"),
            None,
            storage="memory",
            shared=True,
        )


# -- drivers in this process, one after the other --------------------------------------------
def _driver(storage, tmp_path, n, shared=True, grace_period=1):
    scheduler = ASHA(
        {**SPACE, "epochs": 3},
        metric="loss",
        resource_attr="epoch",
        max_t=3,
        grace_period=grace_period,
        random_seed=0,
    )
    stop = StoppingCriterion(max_num_trials_started=n)
    return Tuner(
        InlineBackend(curve),
        scheduler,
        stop,
        2,
        verbose=0,
        name="s",
        storage=storage,
        run_dir=tmp_path / "run",
        shared=shared,
    )


def test_a_driver_joining_later_sees_the_study_and_continues_it(storage, tmp_path):
    first = _driver(storage, tmp_path, 5).run()
    assert sorted(first.trials) == [0, 1, 2, 3, 4]
    second = _driver(storage, tmp_path, 10)
    result = second.run()
    assert sorted(result.trials) == list(range(10))  # ids from the store
    assert len({t.config["x"] for t in result.trials.values()}) == 10
    # the first driver's trials and results are in the second's state (and were told to its
    # scheduler, which decided on its own trials with them)
    assert len(result.results) == len(Store(storage).records("s"))
    assert {t.status.value for t in result.trials.values()} <= {"completed", "stopped"}
    with pytest.raises(StudyMismatchError, match="was run by drivers with shared=True"):
        _driver(storage, tmp_path, 10, shared=False).run()
    with pytest.raises(
        StudyMismatchError,
        match=r"kwargs.grace_period: was 1, now 2\. Every driver of a shared study must run the "
        r"same scheduler and space; pass grace_period=1 to ASHA \(as stored\) to join it$",
    ):
        _driver(storage, tmp_path, 10, grace_period=2).run()


# -- driver processes ----------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_four_drivers_run_one_asha_study_and_rerun_a_killed_ones_trials(storage, tmp_path):
    figures = drivers_benchmark.campaign(
        storage, tmp_path, drivers=4, workers=2, trials=40, epochs=4, sleep=0.05, kill_after=4
    )
    assert figures["trials"] == 40, figures
    assert set(figures["statuses"]) <= {"completed", "stopped"}, figures
    assert figures["reports_acknowledged"] > 0
    assert figures["lost"] == 0 and figures["stored_twice"] == 0, figures
    assert figures["duplicate_trial_ids"] == 0 and figures["duplicate_configs"] == 0, figures
    # each result reached every other driver's scheduler by that driver's next decision but one
    assert figures["lag"]["pairs_checked"] > 0
    assert figures["lag"]["max_decisions_late"] <= 1, figures
    killed = figures["killed"]
    assert killed["trials_rerun_by_others"], figures
    assert not killed["left_unfinished"], figures
    assert set(killed["their_end_statuses"]) <= {"completed", "stopped"}, figures


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_the_trials_a_driver_left_on_ctrl_c_are_rerun_by_another(tmp_path):
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    figures = drivers_benchmark.campaign(
        storage, tmp_path, drivers=2, workers=2, trials=20, kill_after=4, how="INT"
    )
    assert drivers_benchmark.ok(figures), figures
    assert figures["killed"]["trials_rerun_by_others"], figures
