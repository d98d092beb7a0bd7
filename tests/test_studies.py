import json
import subprocess
import sys

import pytest

import tunesmith
from tunesmith import RandomSearch, StoppingCriterion, Tuner, uniform
from tunesmith.store import StudyNotFoundError
from tunesmith.testing.inline_backend import InlineBackend


def curve(config, start):
    for epoch in range(start + 1, 4):
        yield {"epoch": epoch, "loss": config["x"] + 1.0 / epoch}


def run(name, n=5):
    return Tuner(
        InlineBackend(curve),
        RandomSearch({"x": uniform(0, 1)}, metric="loss", random_seed=0),
        StoppingCriterion(max_num_trials_started=n),
        verbose=0,
        name=name,
    ).run()


def test_load_study_answers_like_the_run():
    result = run("lr-search")
    study = tunesmith.load_study("lr-search")
    assert study.best_config() == result.best_config()
    assert [t["trial_id"] for t in study.top(2)] == sorted(
        result.trials, key=lambda t: result.trials[t].config["x"]
    )[:2]
    assert len(study.records()) == len(result.results) == 15
    assert study.config_space == {"x": uniform(0, 1)}
    assert [s.name for s in tunesmith.list_studies()] == ["lr-search"]
    assert len(study.dataframe()) == 15


def test_export_json_is_the_list_of_records(tmp_path):
    run("exported", n=2)
    path = tunesmith.load_study("exported").export(tmp_path / "out.json")
    records = json.loads(path.read_text())
    assert len(records) == 6 and records[0].keys() >= {"trial_id", "status", "x", "loss"}


def test_unknown_study_lists_the_known_ones():
    run("known", n=1)
    with pytest.raises(
        StudyNotFoundError, match=r"no study named 'nope' .* known studies: \['known'\]"
    ):
        tunesmith.load_study("nope")


def test_readable_from_another_process(tmp_path):
    run("shared", n=3)
    code = "import tunesmith; print(len(tunesmith.load_study('shared').trials()))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "3"
