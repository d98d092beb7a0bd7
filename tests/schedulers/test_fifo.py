import pytest

from tunesmith import (
    AskTell,
    FIFOScheduler,
    GridSearch,
    GridSearcher,
    RandomSearch,
    RandomSearcher,
    uniform,
)
from tunesmith.testing.scheduler_contract import SchedulerContract

SPACE = {"x": uniform(0, 1)}


class TestRandomSearchContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return RandomSearch(config_space, metric=metric, mode=mode, random_seed=random_seed)


class TestGridSearchContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return GridSearch(
            config_space, metric=metric, mode=mode, random_seed=random_seed, num_samples=2
        )


class TestFIFOWithSearcherInstanceContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        searcher = RandomSearcher(config_space, random_seed=random_seed)
        return FIFOScheduler(config_space, searcher=searcher, metric=metric, mode=mode)


def test_searcher_by_name():
    scheduler = FIFOScheduler(SPACE, searcher="grid", metric="loss", random_seed=0)
    assert isinstance(scheduler.searcher, GridSearcher)
    assert scheduler.random_seed == 0


def test_searcher_gets_the_scheduler_metric():
    searcher = RandomSearcher(SPACE)
    FIFOScheduler(SPACE, searcher=searcher, metric="acc", mode="max")
    assert (searcher.metric, searcher.mode) == ("acc", "max")


def test_searcher_observes_completed_trials_only():
    seen = []

    class Recording(RandomSearcher):
        def observe(self, config, metrics, resource=None):
            seen.append(metrics["loss"])

    at = AskTell(FIFOScheduler(SPACE, searcher=Recording(SPACE, random_seed=0), metric="loss"))
    trial = at.ask()
    at.report(trial, {"loss": 3.0})
    at.tell(trial, {"loss": 1.0})
    assert seen == [1.0]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"searcher": "bayes"},
            ValueError,
            r"unknown searcher 'bayes'; valid names are \[.*'grid'.*'random'.*\]",
        ),
        ({"searcher": 3}, TypeError, "`searcher` must be one of"),
        (
            {"searcher": RandomSearcher({"y": uniform(0, 1)})},
            ValueError,
            "different config space",
        ),
        (
            {"searcher": RandomSearcher(SPACE, metric="acc")},
            ValueError,
            "the searcher optimizes metric='acc'",
        ),
        (
            {"searcher": RandomSearcher(SPACE), "points_to_evaluate": [{"x": 0.1}]},
            ValueError,
            "pass `points_to_evaluate` to the searcher instance",
        ),
    ],
)
def test_bad_searcher_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        FIFOScheduler(SPACE, metric="loss", **kwargs)


def test_config_space_must_be_a_dict():
    with pytest.raises(TypeError, match="config_space must be a dict of"):
        RandomSearch([uniform(0, 1)], metric="loss")


def test_metric_is_required():
    with pytest.raises(TypeError, match="metric"):
        RandomSearch(SPACE)
    with pytest.raises(ValueError, match="`metric` must be the non-empty name .* got metric=None"):
        RandomSearch(SPACE, metric=None)


def test_non_finite_metric_is_rejected():
    at = AskTell(RandomSearch(SPACE, metric="loss"))
    trial = at.ask()
    with pytest.raises(ValueError, match="metric 'loss' must be finite, but got nan"):
        at.report(trial, {"loss": float("nan")})
