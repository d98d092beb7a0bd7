"""Studies written by tunesmith 0.1.0 (before run states, owners and registered class names)
still open, resume and extend: ``tests/data/store-v0.1.0.db`` was made by that release with
``tests/data/make-store-v0.1.0.py`` (two finished studies and one whose tuner was SIGKILLed
with a trial running)."""

import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

from tunesmith import ASHA, LocalBackend, RandomSearch, StoppingCriterion, Tuner, uniform
from tunesmith.store import Store
from tunesmith.testing.crash import run_tuner, stored_trials
from tunesmith.testing.trainables import three_reports

DATA = Path(__file__).parent / "data" / "store-v0.1.0.db"
SPACE = {"x": uniform(0, 1)}

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


@pytest.fixture
def url(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(DATA, path)
    return f"sqlite:///{path}"


def results_per_trial(url, name):
    with Store(url) as store:
        return Counter((r["trial_id"], r["epoch"]) for r in store.records(name))


def test_the_old_studies_are_read(url):
    with Store(url) as store:
        names = [s.name for s in store.list_studies()]
        assert names == ["asha-done", "random-done", "crashed"]
        assert store.get_study("asha-done").scheduler_spec["class"].endswith(":ASHA")
        assert [t["status"] for t in store.trials("crashed")] == ["completed", "stopped", "running"]


@pytest.mark.parametrize(
    "name, scheduler, trials",
    [
        ("asha-done", ASHA(SPACE, metric="loss", resource_attr="epoch", max_t=3), 6),
        ("random-done", RandomSearch(SPACE, metric="loss"), 5),
    ],
)
def test_a_finished_old_study_is_extended(url, tmp_path, name, scheduler, trials):
    before = stored_trials(url, name)
    result = Tuner(
        LocalBackend(three_reports),
        scheduler,
        StoppingCriterion(max_num_trials_started=trials + 2),
        n_workers=1,
        verbose=0,
        name=name,
        storage=url,
        run_dir=tmp_path / "run",
    ).run()
    assert len(result.trials) == trials + 2
    after = stored_trials(url, name)
    assert {tid: after[tid] for tid in before} == before  # the old trials are untouched
    assert all(n == 1 for n in results_per_trial(url, name).values())


def test_a_crashed_old_study_resumes_without_storing_a_result_twice(url, tmp_path):
    result = run_tuner(
        url,
        "crashed",
        str(tmp_path / "side.jsonl"),
        trials=6,
        seed=1,
        epochs=9,
        sleep=0.05,
        run_dir=str(tmp_path / "run"),
    )
    assert len(result.trials) == 6
    counts = results_per_trial(url, "crashed")
    assert all(n == 1 for n in counts.values()), counts
    # the trial left running restarted from scratch (its folder is gone) and repeated the
    # reports stored before the crash: they were recognized, not stored again
    assert {epoch for tid, epoch in counts if tid == 2} >= {1, 2, 3}
    assert all(
        status in ("completed", "stopped") for status, _ in stored_trials(url, "crashed").values()
    )
