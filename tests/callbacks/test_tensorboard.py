"""TensorBoardCallback, checked by reading its event files back with TensorBoard's own reader
(EventAccumulator): scalars per trial and step, the hparams plugin's sessions, a resumed
study without a step written twice."""

from __future__ import annotations

import pytest

from tunesmith import ASHA, RandomSearch, StoppingCriterion, Tuner, choice, uniform
from tunesmith.callbacks import TensorBoardCallback
from tunesmith.testing.inline_backend import InlineBackend

pytest.importorskip("tensorboardX", reason='needs tensorboardX: pip install -e ".[dev]"')
event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator",
    reason='reading event files back needs tensorboard: pip install -e ".[dev]"',
)

SPACE = {"x": uniform(0, 1), "act": choice(["relu", "tanh"]), "epochs": 9}


def curve(config, start):
    if config["x"] > 0.8:
        raise RuntimeError("diverged")
    for epoch in range(start + 1, config["epochs"] + 1):
        yield {"epoch": epoch, "loss": config["x"] + 1.0 / epoch, "lr": 0.1 / epoch}


def no_step(config, start):
    for i in range(start, 3):
        yield {"loss": config["x"] * (3 - i), "flag": True, "name": "a"}


def read(folder):
    acc = event_accumulator.EventAccumulator(
        str(folder),
        size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0},
        purge_orphaned_data=False,
    )
    acc.Reload()
    return acc


def scalars(acc, tag):
    return [(e.step, pytest.approx(e.value)) for e in acc.Scalars(tag)]


def hparams_of(acc):
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = acc.PluginTagToContent("hparams")
    parse = plugin_data_pb2.HParamsPluginData.FromString
    return {tag: parse(data) for tag, data in content.items()}


def tune(callback, scheduler=None, fn=curve, n=6, **kwargs):
    return Tuner(
        InlineBackend(fn),
        scheduler or RandomSearch(SPACE, metric="loss", random_seed=1),
        StoppingCriterion(max_num_trials_started=n),
        2,
        callbacks=[callback],
        verbose=0,
        max_failures=10,
        **kwargs,
    ).run()


def test_scalars_and_hparams_per_trial(tmp_path):
    callback = TensorBoardCallback(tmp_path / "tb", step_attr="epoch")
    result = tune(callback, storage="memory", name="study")
    runs = sorted(p.name for p in (tmp_path / "tb" / "study").iterdir())
    assert runs == [f"trial_{i}" for i in range(6)]
    history = result.history()
    for tid, trial in result.trials.items():
        acc = read(callback.trial_dir(tid))
        reports = history.get(tid, [])
        if reports:
            assert scalars(acc, "loss") == [(r["epoch"], r["loss"]) for r in reports]
            assert scalars(acc, "lr") == [(r["epoch"], r["lr"]) for r in reports]
            assert "epoch" not in acc.Tags()["scalars"]  # the step, not a scalar
        plugin = hparams_of(acc)
        assert set(plugin) == {
            "_hparams_/experiment",
            "_hparams_/session_start_info",
            "_hparams_/session_end_info",
        }
        start = plugin["_hparams_/session_start_info"].session_start_info
        assert start.hparams["x"].number_value == pytest.approx(trial.config["x"])
        assert start.hparams["act"].string_value == trial.config["act"]
        assert start.hparams["epochs"].number_value == 9
        experiment = plugin["_hparams_/experiment"].experiment
        assert [m.name.tag for m in experiment.metric_infos] == ["loss"]
        assert {h.name for h in experiment.hparam_infos} == {"x", "act", "epochs"}
        end = plugin["_hparams_/session_end_info"].session_end_info
        failed = trial.status.value == "failed"
        assert end.status == (2 if failed else 1)  # STATUS_FAILURE / STATUS_SUCCESS
    assert any(t.status.value == "failed" for t in result.trials.values())  # x > 0.8 seen


def test_step_is_the_report_number_without_a_resource(tmp_path):
    callback = TensorBoardCallback(tmp_path)
    scheduler = RandomSearch({"x": uniform(0, 1)}, metric="loss", random_seed=0)
    result = tune(callback, scheduler, fn=no_step, n=2, storage="memory", name="s")
    acc = read(callback.trial_dir(0))
    losses = [r["loss"] for r in result.history()[0]]
    assert scalars(acc, "loss") == [(1, losses[0]), (2, losses[1]), (3, losses[2])]
    assert acc.Tags()["scalars"] == ["loss"]  # booleans and strings are not scalars


def test_resumed_study_writes_no_step_twice(tmp_path):
    """Promotion-type ASHA pauses and resumes trials; the study is then resumed by a second
    run with a larger budget: every stored report is in the event files exactly once."""

    def scheduler():
        return ASHA(
            SPACE, metric="loss", resource_attr="epoch", max_t=9, type="promotion", random_seed=0
        )

    kwargs = {"storage": f"sqlite:///{tmp_path / 'db.sqlite'}", "run_dir": tmp_path / "run"}
    tune(TensorBoardCallback(tmp_path / "tb"), scheduler(), n=5, name="r", **kwargs)
    callback = TensorBoardCallback(tmp_path / "tb")
    result = tune(callback, scheduler(), n=9, name="r", **kwargs)
    history = result.history()
    assert any(len(history.get(t, [])) > 1 for t in range(5))  # paused in run 1, resumed in 2
    for tid, reports in history.items():
        written = [e.step for e in read(callback.trial_dir(tid)).Scalars("loss")]
        assert sorted(written) == [r["epoch"] for r in reports], tid


def test_default_folder_is_in_the_tunesmith_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TUNESMITH_HOME", str(tmp_path / "home"))
    callback = TensorBoardCallback()
    tune(callback, n=1, storage="memory", name="home-study")
    assert callback.trial_dir(0) == tmp_path / "home" / "tensorboard" / "home-study" / "trial_0"
    assert list(callback.trial_dir(0).glob("events.out.tfevents.*"))


def test_bad_arguments():
    with pytest.raises(TypeError, match=r"`log_dir` must be a path or None, but got log_dir=3"):
        TensorBoardCallback(3)
    with pytest.raises(ValueError, match=r"`flush_secs` must be a positive number, but got "):
        TensorBoardCallback(flush_secs=0)
    with pytest.raises(TypeError, match=r"`step_attr` must be a reported name or None, but got "):
        TensorBoardCallback(step_attr="")


def test_missing_package_names_the_install_line(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # import fails
    callback = TensorBoardCallback()
    with pytest.raises(ImportError) as err:
        tune(callback, n=1, storage="memory", name="x")
    assert str(err.value) == (
        "TensorBoardCallback needs the 'tensorboardX' package: "
        'pip install "tunesmith[tensorboard]"'
    )
