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


# -- several objectives ------------------------------------------------------------------------
TWO = ["err", "latency"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: RandomSearch(SPACE, metric=TWO, mode=["min", "max"], random_seed=0),
        lambda: GridSearch(SPACE, metric=TWO, mode=["min", "max"], random_seed=0),
        lambda: FIFOScheduler(SPACE, searcher="random", metric=TWO, mode=["min", "max"]),
        lambda: FIFOScheduler(SPACE, searcher="grid", metric=TWO, mode=["min", "max"]),
        lambda: FIFOScheduler(
            SPACE, searcher=RandomSearcher(SPACE), metric=TWO, mode=["min", "max"]
        ),
    ],
)
def test_random_and_grid_take_several_metrics(make):
    scheduler = make()
    assert (scheduler.metric, scheduler.mode) == (TWO, ["min", "max"])
    assert (scheduler.metrics, scheduler.modes) == (TWO, ["min", "max"])
    assert (scheduler.searcher.metric, scheduler.searcher.mode) == (TWO, ["min", "max"])
    at = AskTell(scheduler)
    trial = at.ask()
    assert scheduler.objectives({"err": 0.5, "latency": 3.0}) == [0.5, -3.0]
    assert scheduler.score({"err": 0.5, "latency": 3.0}) == 0.5  # the first objective
    with pytest.raises(ValueError, match="the result has no metric 'latency'"):
        scheduler.on_trial_result(trial, {"err": 0.5})
    with pytest.raises(ValueError, match="metric 'latency' must be finite, but got nan"):
        scheduler.on_trial_complete(trial, {"err": 0.5, "latency": float("nan")})
    at.tell(trial, {"err": 0.5, "latency": 3.0})


def test_one_mode_applies_to_every_metric_and_a_list_of_one_is_one_metric():
    assert RandomSearch(SPACE, metric=TWO, mode="max").mode == ["max", "max"]
    single = RandomSearch(SPACE, metric=["loss"], mode=["max"])
    assert (single.metric, single.mode) == ("loss", "max")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"metric": ["a", "a"]}, r"`metric` names 'a' more than once in metric=\['a', 'a'\]"),
        (
            {"metric": ["a", "b"], "mode": ["min"]},
            r"`mode` must be 'min', 'max' or a list of them with one per metric \(2 for "
            r"metric=\['a', 'b'\]\), but got mode=\['min'\] \(1 value\)",
        ),
        ({"metric": ["a", "b"], "mode": ["min", "best"]}, "`mode` of metric 'b' must be 'min'"),
        ({"metric": ["a", ""]}, "`metric` must list non-empty names"),
        ({"metric": []}, "`metric` must be the name of a reported metric or a non-empty list"),
    ],
)
def test_bad_metric_lists_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RandomSearch(SPACE, **kwargs)


def _single_metric_classes():
    import tunesmith.schedulers as schedulers
    import tunesmith.searchers as searchers
    from tunesmith.schedulers.base import Scheduler
    from tunesmith.searchers.base import Searcher

    several = {"FIFOScheduler", "RandomSearch", "GridSearch", "RandomSearcher", "GridSearcher"}
    several |= {  # the multi-objective methods (tests/schedulers/test_moasha.py and others)
        "MOASHA",
        "NSGA2",
        "MOREA",
        "LinearScalarizedScheduler",
        "MORandomScalarizationBayesOpt",
        "MOLinearScalarizationBayesOpt",
        "NSGA2Searcher",
        "MultiObjectiveRegularizedEvolution",
        "RandomScalarizationGPSearcher",
        "EHVI",
        "EHVISearcher",
        "MOTPE",
        "MOTPESearcher",
    }
    classes = [getattr(schedulers, n) for n in schedulers.__all__]
    classes += [getattr(searchers, n) for n in searchers.__all__]
    return [
        c
        for c in classes
        if isinstance(c, type)
        and issubclass(c, Scheduler | Searcher)
        and c not in (Scheduler, Searcher)
        and c.__name__ not in several
    ]


@pytest.mark.parametrize("cls", _single_metric_classes(), ids=lambda c: c.__name__)
def test_schedulers_and_searchers_that_rank_by_one_value_refuse_several_metrics(cls):
    with pytest.raises(ValueError) as info:
        cls(SPACE, metric=TWO)
    assert str(info.value).startswith(f"{cls.__name__} optimizes a single metric, but got ")
    assert "metric=['err', 'latency']; pass one metric name" in str(info.value)


def test_wrappers_and_named_searchers_refuse_several_metrics():
    from tunesmith.schedulers import MedianStoppingRule

    with pytest.raises(ValueError, match="^MedianStoppingRule optimizes a single metric"):
        MedianStoppingRule(RandomSearch(SPACE, metric=TWO))
    with pytest.raises(ValueError, match="^KDESearcher optimizes a single metric"):
        FIFOScheduler(SPACE, searcher="kde", metric=TWO)
    from tunesmith.searchers import KDESearcher

    with pytest.raises(ValueError, match="^KDESearcher optimizes a single metric"):
        FIFOScheduler(SPACE, searcher=KDESearcher(SPACE), metric=TWO)
