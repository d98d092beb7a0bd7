"""The seeds' toy example (AutoGluon's ASHA tutorial) runs end to end on the LocalBackend."""

import importlib
import sys
from collections import Counter
from pathlib import Path

import pytest

from tunesmith import TrialStatus

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")
def test_most_trials_stop_after_1_3_or_9_epochs(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(EXAMPLES))  # the workers import the trial function from it
    asha_toy = importlib.import_module("asha_toy")
    result = asha_toy.main(["--trials", "100", "--workers", "2", "--run-dir", str(tmp_path)])
    assert len(result.trials) == 100
    epochs = Counter(t.last_result["epoch"] for t in result.trials.values())
    assert set(epochs) <= {1, 3, 9, 10}
    # rungs 1, 3, 9 below max_t=10: a third goes on at rungs 1 and 3, 9/10 at rung 9 (the seeds'
    # q_j = r_j / r_{j+1}); in 300 simulated seeds 52 to 78 trials stopped, 22 to 48 completed
    # (with 1/3 at rung 9 as well, before: 74 to 96 and 4 to 26)
    assert epochs[1] + epochs[3] + epochs[9] >= 50
    assert 1 <= epochs[10] <= 50
    assert epochs[9] < epochs[3]  # few stop at rung 9
    for trial in result.trials.values():
        done = trial.last_result["epoch"] == 10
        assert trial.status is (TrialStatus.COMPLETED if done else TrialStatus.STOPPED)
        assert trial.num_results == trial.last_result["epoch"]
    out = capsys.readouterr().out
    assert f"epochs run: {dict(sorted(epochs.items()))}" in out
