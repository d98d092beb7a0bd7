import pytest

from tunesmith import AskTell, GridSearch, RandomSearch, TrialStatus, randint, uniform


def test_random_search_finds_the_minimum_region():
    at = AskTell(RandomSearch({"x": uniform(-2, 2)}, metric="loss", random_seed=0))
    for _ in range(60):
        trial = at.ask()
        at.tell(trial, {"loss": (trial.config["x"] - 1) ** 2})
    best = at.best()
    assert abs(best.config["x"] - 1) < 0.1
    assert best.status is TrialStatus.COMPLETED


def test_max_mode_and_exhaustion():
    at = AskTell(GridSearch({"a": randint(0, 4)}, metric="acc", mode="max", shuffle=False))
    while (trial := at.ask()) is not None:
        at.tell(trial, {"acc": -abs(trial.config["a"] - 3)})
    assert len(at.trials) == 5
    assert at.best().config == {"a": 3}


def test_failed_trials_are_not_best_and_best_is_none_at_first():
    at = AskTell(RandomSearch({"x": uniform(0, 1)}, metric="loss", random_seed=0))
    assert at.best() is None
    a, b = at.ask(), at.ask()
    at.fail(a, reason="oom")
    at.tell(b, {"loss": 5.0})
    assert a.status is TrialStatus.FAILED and a.failure_reason == "oom"
    assert at.best() is b


def test_reporting_on_a_finished_trial_is_an_error():
    at = AskTell(RandomSearch({"x": uniform(0, 1)}, metric="loss", random_seed=0))
    trial = at.ask()
    at.tell(trial, {"loss": 1.0})
    with pytest.raises(ValueError, match="trial 0 is completed, not running"):
        at.tell(trial, {"loss": 1.0})
    with pytest.raises(ValueError, match="unknown trial id 7"):
        at.report(7, {"loss": 1.0})


def test_needs_a_scheduler():
    with pytest.raises(TypeError, match="AskTell needs a Scheduler"):
        AskTell({"x": uniform(0, 1)})
