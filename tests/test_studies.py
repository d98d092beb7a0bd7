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


def constrained(config, start):
    yield {"loss": config["x"], "c": config["shift"] - config["x"]}  # feasible when x >= shift


def run_constrained(name, shift):
    from tunesmith import ConstrainedBayesianOptimization

    points = [{"x": 0.1}, {"x": 0.7}, {"x": 0.6}, {"x": 0.9}]
    scheduler = ConstrainedBayesianOptimization(
        {"x": uniform(0, 1), "shift": shift},
        metric="loss",
        constraint_attr="c",
        points_to_evaluate=points,
        random_seed=0,
    )
    tuner = Tuner(
        InlineBackend(constrained),
        scheduler,
        StoppingCriterion(max_num_trials_started=4),
        verbose=0,
        name=name,
    )
    return tuner.run()


def test_constrained_study_ranks_feasible_trials_first():
    from tunesmith.results import constraint_attr_of
    from tunesmith.spec import build

    result = run_constrained("constrained", 0.5)
    study = tunesmith.load_study("constrained")
    assert study.constraint_attr == "c"
    assert study.best_config()["x"] == 0.6  # 0.1 has the lowest loss but violates c <= 0
    assert [t["config"]["x"] for t in study.top(4)] == [0.6, 0.7, 0.9, 0.1]
    assert study.best_trial()["best_value"] == 0.6
    # the run's own result agrees once it knows the constraint (as the tuner can tell it)
    result.constraint_attr = constraint_attr_of(build(study.scheduler_spec))
    assert result.best_config() == study.best_config()


def test_constrained_study_without_feasible_trial_gives_the_least_infeasible():
    run_constrained("infeasible", 2.0)
    study = tunesmith.load_study("infeasible")
    assert study.best_config()["x"] == 0.9  # c = 1.1, the smallest violation
    assert [t["config"]["x"] for t in study.top(2)] == [0.9, 0.7]


def test_unconstrained_study_keeps_the_stored_ranking():
    run("plain", n=3)
    study = tunesmith.load_study("plain")
    assert study.constraint_attr is None
    assert study.top(3) == study._query("best", 3)


def test_reading_a_store_that_does_not_exist_creates_nothing(tmp_path, monkeypatch):
    import os

    from tunesmith.store.engine import sqlite_file

    monkeypatch.chdir(tmp_path)
    default = sqlite_file(None)
    assert not default.exists()
    with pytest.raises(StudyNotFoundError, match=r"no study named 'x': there is no store at .*"):
        tunesmith.load_study("x")
    assert tunesmith.list_studies() == []
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    with pytest.raises(StudyNotFoundError, match="pass storage= the URL the Tuner wrote to"):
        tunesmith.load_study("x", storage=url)
    assert tunesmith.list_studies(url) == []
    assert not default.exists() and os.listdir(tmp_path) == []


def two_objectives(config, start):
    for epoch in range(start + 1, 3):
        yield {"epoch": epoch, "err": config["x"] + 1.0 / epoch, "latency": 1.0 - config["x"]}


def test_a_study_with_several_metrics_ranks_by_front_and_gives_its_pareto_front():
    result = Tuner(
        InlineBackend(two_objectives),
        RandomSearch({"x": uniform(0, 1)}, metric=["err", "latency"], mode="min", random_seed=0),
        StoppingCriterion(max_num_trials_started=6),
        verbose=0,
        name="two-objectives",
    ).run()
    study = tunesmith.load_study("two-objectives")
    assert (study.metric, study.mode) == (["err", "latency"], ["min", "min"])
    front = study.pareto_front()
    assert [t["trial_id"] for t in front] == [t.trial_id for t in result.pareto_front()]
    assert len(front) == 6 and all(t["front"] == 0 for t in front)  # err and latency trade off
    top = study.top(2)
    assert [t["trial_id"] for t in top] == [t["trial_id"] for t in front[:2]]
    assert top[0]["values"] == [top[0]["last_result"]["err"], top[0]["last_result"]["latency"]]
    # the extremes of the front first: the lowest err and the lowest latency
    xs = sorted(t.config["x"] for t in result.trials.values())
    assert {t["config"]["x"] for t in top} == {xs[0], xs[-1]}
    for method in (study.best_trial, study.best_config, result.best_config, result.best_trial):
        with pytest.raises(
            ValueError, match=r"several objectives \['err', 'latency'\].*pareto_front"
        ):
            method()
    records = study.records()
    assert len(records) == 12 and {"err", "latency"} <= records[0].keys()


def test_stored_history_and_metadata_match_the_run():
    result = Tuner(
        InlineBackend(curve),
        RandomSearch({"x": uniform(0, 1)}, metric="loss", random_seed=0),
        StoppingCriterion(max_num_trials_started=4),
        n_workers=2,
        verbose=0,
        name="with-history",
        metadata={"dataset": "toy"},
    ).run()
    study = tunesmith.load_study("with-history")
    assert study.history() == result.history()
    assert list(study.history()[0][0]) == ["epoch", "loss"]
    assert study.history(ts_fields=True) == result.history(ts_fields=True)
    assert study.metadata == {"dataset": "toy"}
