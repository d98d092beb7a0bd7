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


def _constrained(mode="min"):
    from tunesmith import ConstrainedBayesianOptimization

    space = {"x": uniform(0, 1)}
    scheduler = ConstrainedBayesianOptimization(
        space, metric="loss", mode=mode, constraint_attr="c", random_seed=0
    )
    return AskTell(scheduler)


def _tell_all(at, results):
    trials = [at.ask() for _ in results]
    for trial, result in zip(trials, results, strict=True):
        at.tell(trial, result)
    return trials


def test_constrained_best_is_the_best_feasible_trial():
    at = _constrained()
    trials = _tell_all(
        at,
        [
            {"loss": 0.1, "c": 1.0},  # best loss, but violates the constraint
            {"loss": 0.5, "c": -0.2},
            {"loss": 0.3, "c": 0.0},  # feasible: c <= 0
            {"loss": 0.05, "c": 0.01},
        ],
    )
    assert at.best() is trials[2]


def test_constrained_best_in_max_mode():
    at = _constrained(mode="max")
    trials = _tell_all(at, [{"loss": 9.0, "c": 2.0}, {"loss": 1.0, "c": -1}, {"loss": 2.0, "c": 0}])
    assert at.best() is trials[2]


def test_constrained_best_without_feasible_trial_is_the_least_infeasible():
    at = _constrained()
    trials = _tell_all(
        at, [{"loss": 0.1, "c": 3.0}, {"loss": 0.9, "c": 0.5}, {"loss": 0.2, "c": 1}]
    )
    assert at.best() is trials[1]


def test_a_searcher_constraint_counts_too_and_plain_schedulers_ignore_such_a_metric():
    from tunesmith import FIFOScheduler, GPSearcher

    space = {"x": uniform(0, 1)}
    searcher = GPSearcher(space, metric="loss", constraint_attr="c", random_seed=0)
    at = AskTell(FIFOScheduler(space, searcher=searcher, metric="loss"))
    trials = _tell_all(at, [{"loss": 0.1, "c": 1.0}, {"loss": 0.5, "c": -1.0}])
    assert at.best() is trials[1]
    plain = AskTell(RandomSearch(space, metric="loss", random_seed=0))
    trials = _tell_all(plain, [{"loss": 0.1, "c": 1.0}, {"loss": 0.5, "c": -1.0}])
    assert plain.best() is trials[0]
