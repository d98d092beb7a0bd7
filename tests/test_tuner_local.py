"""The tuner with real worker processes and scripts: failures, decisions, Ctrl-C."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from _wait import wait_for
from tunesmith import (
    GridSearch,
    LocalBackend,
    RandomSearch,
    ScriptBackend,
    StoppingCriterion,
    TrialStatus,
    Tuner,
    choice,
    uniform,
)
from tunesmith.schedulers.fifo import FIFOScheduler
from tunesmith.testing import crash, trainables
from tunesmith.testing.backend_contract import live_descendants, pid_alive
from tunesmith.trial import Decision

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def test_every_kind_of_failure_is_a_failed_trial_and_the_study_goes_on(tmp_path):
    behaviours = ["ok", "raise", "exit3", "segfault", "hang", "nan", "ok"]
    space = {"do": choice(["ok", "raise", "exit3", "segfault", "hang", "nan", "string"])}
    points = [{"do": b} for b in behaviours]
    tuner = Tuner(
        LocalBackend(trainables.misbehave, stop_grace_period=0.5),
        GridSearch(space, metric="loss", points_to_evaluate=points, shuffle=False),
        None,
        n_workers=2,
        max_trial_time=2.0,
        max_failures=10,
        verbose=0,
        run_dir=tmp_path,
    )
    result = tuner.run()
    by_do = {}
    for trial in result.trials.values():
        by_do.setdefault(trial.config["do"], []).append(trial)
    expected = {
        "raise": "exception",
        "exit3": "exit_code",
        "segfault": "signal",
        "hang": "timeout",
        "nan": "invalid_metric",
        "string": "invalid_metric",
    }
    for do, reason in expected.items():
        (trial,) = by_do[do]
        assert trial.status is TrialStatus.FAILED, (do, trial)
        assert trial.failure_reason == reason, (do, trial.failure_detail)
    assert "boom from the trial" in by_do["raise"][0].failure_detail
    assert "SIGSEGV" in by_do["segfault"][0].failure_detail
    (ok,) = by_do["ok"]  # the grid does not repeat a config
    assert ok.status is TrialStatus.COMPLETED
    assert result.failure_summary() == {
        "exception": 1,
        "exit_code": 1,
        "signal": 1,
        "timeout": 1,
        "invalid_metric": 2,
    }


class StopAtThree(FIFOScheduler):
    def on_trial_result(self, trial, result):
        super().on_trial_result(trial, result)
        return Decision.STOP if result["epoch"] >= 3 else Decision.CONTINUE


def test_stop_decision_reaches_the_function_at_its_next_report(tmp_path, monkeypatch):
    # crash_trial writes a line to <side>.attempts before each report and one to <side> after
    # each report that returned: the third report is answered STOP and raises in the function,
    # so each trial attempted 3 reports and saw 2 return (it would go on to 200 otherwise, or
    # until killed after the grace period)
    side = tmp_path / "side.jsonl"
    monkeypatch.setenv(crash.SIDE_FILE_VARIABLE, str(side))  # the workers inherit it
    space = {"x": uniform(0, 1), "epochs": 200, "sleep": 0.05}
    result = Tuner(
        LocalBackend(crash.crash_trial),
        StopAtThree(space, metric="loss", random_seed=0),
        StoppingCriterion(max_num_trials_started=2),
        n_workers=2,
        verbose=0,
        run_dir=tmp_path / "run",
    ).run()
    for trial in result.trials.values():
        assert trial.status is TrialStatus.STOPPED
        assert trial.num_results == 3
    assert len(Path(f"{side}.attempts").read_text().splitlines()) == 2 * 3
    returned = [json.loads(line)["trial"] for line in side.read_text().splitlines()]
    assert sorted(returned) == sorted(2 * list(result.trials))


def test_wallclock_limit_stops_running_trials(tmp_path):
    # the trials would run 1000 x 0.05 s and complete: the limit stops them
    space = {"delay": 0.05, "n": 1000, "x": uniform(0, 1)}
    result = Tuner(
        LocalBackend(trainables.slow_reports),
        RandomSearch(space, metric="loss", random_seed=0),
        StoppingCriterion(max_wallclock_time=1.0),
        n_workers=2,
        verbose=0,
        run_dir=tmp_path,
    ).run()
    assert result.stop_reason == "max_wallclock_time=1.0 reached"
    assert result.wallclock_time >= 1.0
    assert all(t.status is TrialStatus.STOPPED for t in result.trials.values())
    assert all(t.num_results < 1000 for t in result.trials.values())


TUNER = textwrap.dedent(
    """
    import sys
    from tunesmith import RandomSearch, ScriptBackend, Tuner, uniform

    if __name__ == "__main__":
        cmd = ["bash", "-c", "sleep 1000 & sleep 1000 & echo '[tunesmith] {\\"loss\\": 1}'; wait"]
        tuner = Tuner(
            ScriptBackend(cmd, stop_grace_period=0.5),
            RandomSearch({"x": uniform(0, 1)}, metric="loss", random_seed=0),
            None,
            n_workers=2,
            verbose=0,
            run_dir=sys.argv[1],
        )
        result = tuner.run()
        print("stop_reason:", result.stop_reason, flush=True)
    """
)


def test_ctrl_c_leaves_no_process_of_the_run(tmp_path):
    script = tmp_path / "tune.py"
    script.write_text(TUNER)
    tuner = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "run")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    # two trials, each a bash with two sleeping grandchildren
    processes = wait_for(
        lambda: (found := live_descendants(tuner.pid)) and _count(found, "sleep") == 4 and found,
        "both trials' four `sleep 1000` processes",
    )
    os.killpg(tuner.pid, signal.SIGINT)
    out, err = tuner.communicate(timeout=60)
    assert tuner.returncode == 0, err
    assert "stop_reason: interrupted (Ctrl-C)" in out
    wait_for(
        lambda: not any(pid_alive(p) for p in processes),
        f"the processes of the run to end: {[p for p in processes if pid_alive(p)]} live",
    )


def _count(pids, command):
    """How many of ``pids`` run ``command``."""
    names = []
    for pid in pids:
        with contextlib.suppress(OSError):  # it ended meanwhile
            names.append(Path(f"/proc/{pid}/comm").read_text().strip())
    return names.count(command)


def test_script_trials_report_through_the_tuner(tmp_path):
    cmd = [sys.executable, "-m", "tunesmith.testing.trainables", "three_reports"]
    result = Tuner(
        ScriptBackend(cmd),
        RandomSearch({"x": uniform(0, 1)}, metric="loss", random_seed=0),
        StoppingCriterion(max_num_trials_started=3),
        n_workers=2,
        verbose=0,
        run_dir=tmp_path,
    ).run()
    assert [t.status for t in result.trials.values()] == [TrialStatus.COMPLETED] * 3
    assert len(result.results) == 9


def test_a_study_that_cannot_be_opened_leaves_no_worker(tmp_path):
    # the workers start before the store opens (they boot meanwhile): a study the run may not
    # open must still leave none of them behind
    from tunesmith.resume import StudyMismatchError

    def make(if_exists):
        return Tuner(
            LocalBackend(trainables.three_reports),
            RandomSearch({"x": uniform(0, 1)}, metric="loss", random_seed=0),
            StoppingCriterion(max_num_trials_started=1),
            n_workers=2,
            name="opened-once",
            storage=f"sqlite:///{tmp_path / 'store.db'}",
            if_exists=if_exists,
            verbose=0,
        )

    make("resume").run()
    before = live_descendants()
    with pytest.raises(StudyMismatchError, match="a study named 'opened-once' already exists"):
        make("error").run()
    assert live_descendants() - before == set()
