"""MLflowCallback, checked by reading MLflow's file store back through MLflow's client: a parent
run per study, a nested run per trial with its config and metric history, statuses, and a
resumed study logging on into the same runs without a step logged twice."""

from __future__ import annotations

import sys

import pytest

from tunesmith import ASHA, RandomSearch, StoppingCriterion, Tuner, choice, uniform
from tunesmith.callbacks import MLflowCallback
from tunesmith.testing.inline_backend import InlineBackend

pytest.importorskip("mlflow", reason='needs mlflow-skinny: pip install -e ".[dev]"')

SPACE = {"x": uniform(0, 1), "act": choice(["relu", "tanh"]), "epochs": 4}


def curve(config, start):
    if config["x"] > 0.8:
        raise RuntimeError("diverged")
    for epoch in range(start + 1, config["epochs"] + 1):
        yield {"epoch": epoch, "loss": config["x"] + 1.0 / epoch, "ok": True}


@pytest.fixture
def uri(tmp_path, monkeypatch):
    # MLflow 3 keeps its file store for existing set-ups only: this variable allows it
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return (tmp_path / "mlruns").as_uri()


def tune(callback, scheduler=None, n=6, **kwargs):
    return Tuner(
        InlineBackend(curve),
        scheduler or RandomSearch(SPACE, metric="loss", random_seed=1),
        StoppingCriterion(max_num_trials_started=n),
        2,
        callbacks=[callback],
        verbose=0,
        max_failures=10,
        **kwargs,
    ).run()


def study_runs(uri, experiment):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = {int(r.data.tags["tunesmith.trial_id"]): r for r in runs if r not in parents}
    return client, parents, children


def test_parent_and_nested_trial_runs(uri):
    result = tune(MLflowCallback(uri, step_attr="epoch"), storage="memory", name="study")
    client, parents, children = study_runs(uri, "study")
    assert len(parents) == 1
    parent = parents[0]
    assert parent.info.run_name == "study" and parent.info.status == "FINISHED"
    assert parent.data.tags["tunesmith.study"] == "study"
    assert parent.data.tags["tunesmith.stop_reason"] == result.stop_reason
    best = result.best_result()
    assert parent.data.metrics["best_loss"] == pytest.approx(best["loss"])
    assert parent.data.tags["tunesmith.best_trial"] == str(best["trial_id"])
    assert sorted(children) == sorted(result.trials)
    history = result.history()
    for tid, trial in result.trials.items():
        run = children[tid]
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.info.run_name == f"trial-{tid}"
        assert run.data.params == {k: str(v) for k, v in trial.config.items()}
        assert run.data.tags["tunesmith.status"] == trial.status.value
        if trial.status.value == "failed":
            assert run.info.status == "FAILED"
            assert run.data.tags["tunesmith.failure_reason"] == "exception"
            continue
        assert run.info.status == "FINISHED"
        losses = client.get_metric_history(run.info.run_id, "loss")
        got = sorted((m.step, m.value) for m in losses)
        assert got == [(r["epoch"], pytest.approx(r["loss"])) for r in history[tid]]
        assert set(run.data.metrics) == {"loss"}  # epoch is the step; booleans are no metric
    assert any(t.status.value == "failed" for t in result.trials.values())


def test_resumed_study_logs_into_the_same_runs(uri, tmp_path):
    def scheduler():
        return ASHA(
            SPACE, metric="loss", resource_attr="epoch", max_t=4, type="promotion", random_seed=0
        )

    kwargs = {"storage": f"sqlite:///{tmp_path / 'db.sqlite'}", "run_dir": tmp_path / "run"}
    tune(MLflowCallback(uri, experiment_name="exp"), scheduler(), n=4, name="r", **kwargs)
    _, parents, first = study_runs(uri, "exp")
    callback = MLflowCallback(uri, experiment_name="exp")
    result = tune(callback, scheduler(), n=8, name="r", **kwargs)
    client, again, children = study_runs(uri, "exp")
    assert [p.info.run_id for p in again] == [parents[0].info.run_id]  # the same parent
    assert all(children[tid].info.run_id == run.info.run_id for tid, run in first.items())
    history = result.history()
    assert any(len(history.get(t, [])) > 1 for t in first)  # paused in run 1, resumed in 2
    for tid, reports in history.items():
        steps = [m.step for m in client.get_metric_history(children[tid].info.run_id, "loss")]
        assert sorted(steps) == [r["epoch"] for r in reports], tid


def test_bad_arguments():
    with pytest.raises(TypeError) as err:
        MLflowCallback(experiment_name="")
    assert str(err.value) == (
        "`experiment_name` must be a non-empty string or None, but got experiment_name=''"
    )


def test_missing_package_names_the_install_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)  # import fails
    with pytest.raises(ImportError) as err:
        tune(MLflowCallback(), n=1, storage="memory", name="x")
    assert str(err.value) == (
        "MLflowCallback needs the 'mlflow' package: pip install \"tunesmith[mlflow]\""
    )
