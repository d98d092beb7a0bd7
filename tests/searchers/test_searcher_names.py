"""Searchers given by name (tunesmith.searchers.SEARCHER_NAMES): every name resolves to its
class; the multi-objective names need several metrics."""

from __future__ import annotations

import pytest

import tunesmith.searchers as searchers
from tunesmith import AskTell, uniform
from tunesmith.schedulers import MOASHA, FIFOScheduler, HyperbandScheduler
from tunesmith.searchers import (
    MULTI_OBJECTIVE_SEARCHER_NAMES,
    SEARCHER_NAMES,
    EHVISearcher,
    MOTPESearcher,
    MultiObjectiveRegularizedEvolution,
    NSGA2Searcher,
    RandomScalarizationGPSearcher,
    check_searcher_name,
    searcher_class,
)

SPACE = {"x": uniform(0, 1), "y": uniform(0, 1), "epochs": 9}
MULTI = {
    "nsga2": NSGA2Searcher,
    "morea": MultiObjectiveRegularizedEvolution,
    "mo_random_scalarization": RandomScalarizationGPSearcher,
    "motpe": MOTPESearcher,
    "ehvi": EHVISearcher,
}


def test_every_name_means_an_exported_class():
    for name, class_name in SEARCHER_NAMES.items():
        cls = searcher_class(name)
        assert cls.__name__ == class_name
        assert getattr(searchers, class_name) is cls
        assert searchers.SEARCHERS[name] is cls


def test_the_multi_objective_names():
    assert set(MULTI) == MULTI_OBJECTIVE_SEARCHER_NAMES <= set(SEARCHER_NAMES)
    for name, cls in MULTI.items():
        assert searcher_class(name) is cls
        assert cls.__dict__.get("multi_objective") is True
    for name in set(SEARCHER_NAMES) - MULTI_OBJECTIVE_SEARCHER_NAMES:
        check_searcher_name(name, "loss")  # the others take one metric


@pytest.mark.parametrize("name", sorted(MULTI))
def test_a_multi_objective_name_builds_its_searcher_in_a_fifo_scheduler(name):
    scheduler = FIFOScheduler(
        SPACE, searcher=name, metric=["f", "g"], mode=["min", "max"], random_seed=0
    )
    assert type(scheduler.searcher) is MULTI[name]
    assert (scheduler.searcher.metric, scheduler.searcher.mode) == (["f", "g"], ["min", "max"])
    at = AskTell(scheduler)
    for _ in range(3):
        trial = at.ask()
        at.tell(trial, {"f": trial.config["x"], "g": trial.config["y"]})
    assert at.ask() is not None


def test_moasha_takes_a_multi_objective_name():
    scheduler = MOASHA(SPACE, metric=["f", "g"], searcher="nsga2", random_seed=0)
    assert type(scheduler.searcher) is NSGA2Searcher
    at = AskTell(scheduler)
    trial = at.ask()
    at.report(trial, {"epoch": 1, "f": 0.5, "g": 0.5})


@pytest.mark.parametrize("name", sorted(MULTI))
@pytest.mark.parametrize("metric", ["loss", ["loss"]])
def test_a_multi_objective_name_with_one_metric_is_refused(name, metric):
    message = (
        rf"searcher='{name}' \({SEARCHER_NAMES[name]}\) optimizes several objectives, but got "
        r"metric='loss'; pass two or more metrics \(metric=\['loss', 'cost'\]\), or for one "
        r"metric a searcher among \[.*'bayesopt'.*'random'.*\]"
    )
    with pytest.raises(ValueError, match=message):
        FIFOScheduler(SPACE, searcher=name, metric=metric)
    with pytest.raises(ValueError, match=message):
        HyperbandScheduler(SPACE, searcher=name, metric=metric)


def test_an_unknown_name_lists_the_valid_ones():
    with pytest.raises(
        ValueError,
        match=r"unknown searcher 'nsga3'; valid names are \[.*'motpe'.*'nsga2'.*\], or pass a "
        r"Searcher instance",
    ):
        FIFOScheduler(SPACE, searcher="nsga3", metric=["f", "g"])
