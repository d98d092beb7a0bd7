"""retrain(): one given config run to its end through the same backend, outside any search."""

import pytest

import tunesmith
from tunesmith import ASHA, LocalBackend, StoppingCriterion, Tuner, uniform
from tunesmith.retrain import Retrain, RetrainError, retrain
from tunesmith.testing import trainables
from tunesmith.testing.inline_backend import InlineBackend
from tunesmith.trial import Decision, Trial

SPACE = {"x": uniform(0, 1), "epochs": 9}


def curve(config, start):
    for epoch in range(start + 1, config["epochs"] + 1):
        yield {"epoch": epoch, "loss": config["x"] + 1.0 / epoch}


def test_the_best_config_of_a_search_runs_to_its_end(tmp_path):
    # ASHA stops most trials early; the retrain of its best config is stopped by nothing
    search = Tuner(
        InlineBackend(curve),
        ASHA(SPACE, metric="loss", random_seed=0),
        StoppingCriterion(max_num_trials_started=8),
        2,
        verbose=0,
        storage="memory",
    ).run()
    best = search.best_config()
    run = retrain(InlineBackend(curve), best, metric="loss", storage="memory", run_dir=tmp_path)
    assert run.config == best
    assert [r["epoch"] for r in run.reports] == list(range(1, 10))
    assert run.last_report == {"epoch": 9, "loss": best["x"] + 1 / 9}
    assert run.checkpoint_dir == tmp_path / "trials" / "0" / "checkpoint"
    assert run.result.history() == {0: run.reports}


def test_a_worker_process_retrain_is_a_study_that_resumes(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    run = retrain(
        LocalBackend(trainables.checkpointing),
        {"x": 0.5},
        metric="loss",
        name="final-fit",
        storage=url,
        run_dir=tmp_path / "fit",
        metadata={"purpose": "final fit"},
    )
    assert [r["epoch"] for r in run.reports] == [1, 2, 3, 4, 5]
    assert (run.checkpoint_dir / "state.json").is_file()
    study = tunesmith.load_study("final-fit", storage=url)
    assert study.history() == {0: run.reports} and study.metadata == {"purpose": "final fit"}


def test_a_returned_number_is_reported_as_the_metric(tmp_path):
    run = retrain(
        LocalBackend(trainables.returns_value), {"x": 0.125}, metric="acc", storage="memory"
    )
    assert run.reports == [{"acc": 0.125}] and run.checkpoint_dir is None


def test_a_failed_retrain_raises_with_the_reason(tmp_path):
    with pytest.raises(RetrainError, match=r"did not run to its end: the trial is failed \("):
        retrain(
            LocalBackend(trainables.misbehave), {"do": "raise"}, metric="loss", storage="memory"
        )


def test_the_retrain_scheduler_decides_nothing():
    scheduler = Retrain({"x": 0.5}, metric="loss")
    assert scheduler.suggest(0).config == {"x": 0.5}
    assert scheduler.suggest(1) is None
    assert scheduler.on_trial_result(Trial(0, {"x": 0.5}), {"other": 1}) is Decision.CONTINUE
    fresh = Retrain({"x": 0.5}, metric="loss")
    fresh.load_state_dict(scheduler.state_dict())
    assert fresh.suggest(1) is None


@pytest.mark.parametrize(
    ("config", "error", "message"),
    [
        ([0.5], TypeError, r"`config` must be a dict, but got config=\[0.5\]"),
        ({"x": object()}, TypeError, "`config` must hold JSON values"),
    ],
)
def test_bad_config_is_refused(config, error, message):
    with pytest.raises(error, match=message):
        retrain(InlineBackend(curve), config, metric="loss", storage="memory")
