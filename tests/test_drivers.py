"""One driver per study: drivers started on one study, together or staggered, on SQLite and
PostgreSQL. Every driver but the owner exits at once with an error naming the holder, and the
study ends as a single driver's run does."""

import os
import subprocess
import sys
from collections import Counter

import pytest

from _postgres import store_url
from _wait import wait_for
from tunesmith.testing.crash import stored_table, stored_trials

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def storage(request, tmp_path):
    with store_url(request.param, tmp_path, "drivers.db", "the drivers test") as url:
        yield url


def command(storage, name, side):
    return [
        sys.executable,
        "-m",
        "tunesmith.testing.crash",
        "tune",
        *("--storage", storage, "--name", name, "--side", side),
        *("--backend", "script", "--scheduler", "random", "--workers", "2"),
        *("--trials", "12", "--epochs", "3", "--sleep", "0.2", "--seed", "3"),
    ]


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """Each trial's status and config after one driver ran the study alone."""
    tmp = tmp_path_factory.mktemp("single")
    url = f"sqlite:///{tmp / 'single.db'}"
    env = {**os.environ, "TUNESMITH_HOME": str(tmp / "home")}
    subprocess.run(command(url, "single", str(tmp / "single.jsonl")), env=env, check=True)
    return stored_trials(url, "single")


@pytest.mark.parametrize("drivers", [2, 4])
@pytest.mark.parametrize("staggered", [False, True])
def test_only_one_driver_runs_a_study(storage, single, tmp_path, drivers, staggered):
    env = {**os.environ, "TUNESMITH_HOME": str(tmp_path / "home")}
    sides = [tmp_path / f"side-{i}.jsonl" for i in range(drivers)]
    procs = []
    for i, side in enumerate(sides):
        if i and staggered:  # each one starts once the first has made one more report
            wait_for(
                lambda i=i: _attempts(sides[0]) >= i or procs[0].poll() is not None,
                f"the first driver's report {i}",
            )
        procs.append(
            subprocess.Popen(
                command(storage, "shared", str(side)),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outcomes = []
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        outcomes.append((proc.returncode, err))
    if staggered:
        assert outcomes[0][0] == 0, outcomes[0][1]  # the first is the owner
    owners = [o for o in outcomes if o[0] == 0]
    refused = [o for o in outcomes if o[0] != 0]
    assert len(owners) == 1, [o[1][-300:] for o in outcomes]
    for _, err in refused:
        last = err.strip().splitlines()[-1]
        assert last.startswith("tunesmith.store.owner.StudyLockedError: the study 'shared'"), err
        assert "is being run by another driver: host" in last and "pid" in last
    # refused at once, not after running something: no trial of theirs made a report
    assert sum(_attempts(side) > 0 for side in sides) == 1
    # the study is what one driver makes
    assert stored_trials(storage, "shared") == single
    results = Counter(
        (tid, p["epoch"]) for kind, tid, p in stored_table(storage, "shared") if kind == "result"
    )
    assert len(results) == 12 * 3 and set(results.values()) == {1}


def _attempts(side):
    """How many reports the trials of the driver with this side file were about to make."""
    path = side.with_name(side.name + ".attempts")
    return len(path.read_text().splitlines()) if path.exists() else 0
