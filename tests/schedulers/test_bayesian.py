"""Bayesian-optimization schedulers: the scheduler contract, the GP searcher inside Hyperband,
constrained and cost-aware shortcuts, resume."""

import math

import pytest

from tunesmith import AskTell, uniform
from tunesmith.schedulers import (
    ASHA,
    MOBSTER,
    BayesianOptimization,
    ConstrainedBayesianOptimization,
    CostAwareBayesianOptimization,
    FIFOScheduler,
)
from tunesmith.searchers.bayesopt import GPSearcher
from tunesmith.testing.scheduler_contract import SchedulerContract, drive
from tunesmith.testing.spaces import MIXED_SPACE


class TestBayesianOptimizationContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return BayesianOptimization(
            config_space, metric=metric, mode=mode, random_seed=random_seed, num_init_random=3
        )


class TestGPSearcherInsideASHAContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return ASHA(
            config_space,
            searcher="bayesopt",
            metric=metric,
            mode=mode,
            type="promotion",
            max_t=9,
            random_seed=random_seed,
        )


class TestGPSearcherFIFOAppendPathContract(SchedulerContract):
    """Hyperparameters refitted rarely: resume must rebuild the incrementally updated model."""

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        searcher = GPSearcher(
            config_space,
            random_seed=random_seed,
            num_init_random=2,
            refit_until=3,
            refit_growth=1.0,
            num_candidates=200,
        )
        return FIFOScheduler(config_space, searcher=searcher, metric=metric, mode=mode)


SPACE = {"x": uniform(0, 1), "y": uniform(0, 1)}


def _run(scheduler, f, n):
    at = AskTell(scheduler)
    for _ in range(n):
        trial = at.ask()
        at.tell(trial, f(trial.config))
    return at


def test_bayesian_optimization_finds_the_minimum():
    at = _run(
        BayesianOptimization(SPACE, metric="loss", random_seed=0),
        lambda c: {"loss": (c["x"] - 0.3) ** 2 + (c["y"] - 0.7) ** 2},
        25,
    )
    assert at.best().last_result["loss"] < 1e-3


def test_lcb_and_input_warping():
    at = _run(
        BayesianOptimization(
            SPACE, metric="acc", mode="max", random_seed=0, acquisition="lcb", input_warping=True
        ),
        lambda c: {"acc": -abs(c["x"] - 0.9) - abs(c["y"] - 0.1)},
        25,
    )
    assert at.best().last_result["acc"] > -0.1


def test_constrained_bayesian_optimization():
    def f(c):
        return {"loss": c["x"] + c["y"], "violation": 0.8 - c["x"] - c["y"]}

    at = _run(
        ConstrainedBayesianOptimization(
            SPACE, metric="loss", constraint_attr="violation", random_seed=0
        ),
        f,
        25,
    )
    feasible = [
        t.last_result["loss"] for t in at.trials.values() if t.last_result["violation"] <= 0
    ]
    assert min(feasible) < 0.85


def test_cost_aware_bayesian_optimization():
    def f(c):
        return {"loss": (c["x"] - 0.5) ** 2, "seconds": math.exp(3 * c["y"])}

    at = _run(
        CostAwareBayesianOptimization(SPACE, metric="loss", cost_attr="seconds", random_seed=0),
        f,
        25,
    )
    late = [t.last_result["seconds"] for t in list(at.trials.values())[10:]]
    assert sorted(late)[len(late) // 2] < math.exp(1.5)


def test_constrained_needs_the_constraint_in_every_result():
    at = AskTell(ConstrainedBayesianOptimization(SPACE, metric="loss", constraint_attr="c"))
    trial = at.ask()
    with pytest.raises(ValueError, match="the result has no metric 'c'"):
        at.tell(trial, {"loss": 1.0})


def test_mobster_style_parallel_workers_get_distinct_configs():
    at = AskTell(BayesianOptimization(MIXED_SPACE, metric="loss", random_seed=1))
    log = drive(at, MIXED_SPACE, max_trials=15, n_workers=4)
    configs = [entry[2] for entry in log if entry[0] == "start"]
    keys = {tuple(sorted(c.items())) for c in configs}
    assert len(keys) == len(configs) == 15


class TestMOBSTERJointContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return MOBSTER(config_space, metric=metric, mode=mode, max_t=9, random_seed=random_seed)


class TestMOBSTERIndependentPromotionContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return MOBSTER(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            type="promotion",
            model="independent",
            brackets=2,
            searcher_data="rungs_and_last",
            random_seed=random_seed,
        )


@pytest.mark.parametrize(
    ("searcher_data", "levels"),
    [("rungs", {1, 3, 9}), ("all", set(range(1, 10))), ("rungs_and_last", set(range(1, 10)))],
)
def test_mobster_searcher_sees_the_results_searcher_data_asks_for(searcher_data, levels):
    scheduler = MOBSTER(
        MIXED_SPACE, metric="loss", max_t=9, searcher_data=searcher_data, random_seed=0
    )
    at = AskTell(scheduler)
    drive(at, MIXED_SPACE, max_trials=12, n_workers=2)
    searcher = scheduler.searcher
    seen = set(searcher._resources)
    assert seen <= levels and {1, 3} <= seen
    if searcher_data == "all":
        assert len(seen) > 3
    if searcher_data == "rungs_and_last":  # rung levels, and each trial's last result
        for trial in at.trials.values():
            last = trial.last_result["epoch"]
            mine = {
                r
                for c, r in zip(searcher._configs, searcher._resources, strict=True)
                if c == trial.config
            }
            assert mine == {r for r in (1, 3, 9) if r <= last} | {last}


@pytest.mark.parametrize("model", ["joint", "independent"])
def test_mobster_stops_bad_configs_and_finds_good_ones(model):
    """Learning curves ``q(x) + 1/sqrt(epoch)``: the model learns ``q`` from early results."""

    def run(scheduler):
        at = AskTell(scheduler)
        log = drive(at, SPACE_EPOCHS, max_trials=40, n_workers=2, max_epochs=9)
        del log
        finals = [
            t.last_result["loss"]
            for t in at.trials.values()
            if t.last_result and t.last_result["epoch"] == 9
        ]
        return min(finals)

    best = run(MOBSTER(SPACE_EPOCHS, metric="loss", model=model, random_seed=0))
    assert best < 1 / 3 + 0.01  # 1/3: the best possible loss at epoch 9
    assert best < run(ASHA(SPACE_EPOCHS, metric="loss", random_seed=0))


SPACE_EPOCHS = {"x": uniform(0, 1), "y": uniform(0, 1), "epochs": 9}
