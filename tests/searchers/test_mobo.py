import doctest
import json

import numpy as np
import pytest

import tunesmith
import tunesmith.schedulers.mobo as mobo_module
from tunesmith import AskTell, uniform
from tunesmith.schedulers import (
    EHVI,
    BayesianOptimization,
    FIFOScheduler,
    MOLinearScalarizationBayesOpt,
    MORandomScalarizationBayesOpt,
)
from tunesmith.searchers import RandomScalarizationGPSearcher
from tunesmith.testing.scheduler_contract import SchedulerContract, drive
from tunesmith.testing.searcher_contract import SearcherContract
from tunesmith.testing.spaces import MIXED_SPACE


@pytest.mark.slow
class TestRandomScalarizationGPSearcherContract(SearcherContract):
    metrics = ("loss", "cost")

    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return RandomScalarizationGPSearcher(
            config_space,
            metric=["loss", "cost"],
            random_seed=random_seed,
            num_init_random=3,
            num_candidates=200,
            **kwargs,
        )


@pytest.mark.slow
class TestMORandomScalarizationContract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        searcher = RandomScalarizationGPSearcher(
            config_space, random_seed=random_seed, num_init_random=3, num_candidates=200
        )
        return FIFOScheduler(config_space, searcher=searcher, metric=metric, mode=mode)


@pytest.mark.slow
class TestMOLinearScalarizationContract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return MOLinearScalarizationBayesOpt(
            config_space, metric=metric, mode=mode, random_seed=random_seed, num_init_random=3
        )


def test_doctest():
    assert doctest.testmod(mobo_module).failed == 0


def test_public_names():
    assert tunesmith.MORandomScalarizationBayesOpt is MORandomScalarizationBayesOpt
    assert tunesmith.MOLinearScalarizationBayesOpt is MOLinearScalarizationBayesOpt
    assert tunesmith.RandomScalarizationGPSearcher is RandomScalarizationGPSearcher


SPACE = {"x": uniform(0, 1)}


def trade_off(x):
    return {"f": x, "g": (1 - x) ** 2}


def test_one_gp_per_objective_and_the_suggestions_spread_along_the_front():
    scheduler = MORandomScalarizationBayesOpt(
        SPACE, metric=["f", "g"], num_init_random=4, random_seed=0
    )
    at = AskTell(scheduler)
    xs = []
    for _ in range(16):
        trial = at.ask()
        xs.append(trial.config["x"])
        at.tell(trial, trade_off(trial.config["x"]))
    searcher = scheduler.searcher
    assert len(searcher._gps) == 2
    # every config is a trade-off here; the model-based ones cover both ends of the front
    later = np.array(xs[4:])
    assert later.min() < 0.25 and later.max() > 0.6


def test_modes_are_applied_per_objective():
    searcher = RandomScalarizationGPSearcher(SPACE, metric=["f", "acc"], mode=["min", "max"])
    for x in (0.1, 0.5, 0.9):
        searcher.observe({"x": x}, {"f": x, "acc": x})
    searcher._rows = [0, 1, 2]
    f, _, _ = searcher._targets(0)
    acc, _, _ = searcher._targets(1)
    assert np.all(np.diff(f) > 0) and np.all(np.diff(acc) < 0)  # acc maximized: negated


def test_linear_scalarization_is_bayesopt_on_the_weighted_sum():
    wrapped = MOLinearScalarizationBayesOpt(
        MIXED_SPACE,
        metric=["loss", "cost"],
        scalarization_weights=[1.0, 2.0],
        random_seed=1,
        num_init_random=3,
    )
    plain = BayesianOptimization(
        MIXED_SPACE, metric="scalarized_loss_cost", random_seed=1, num_init_random=3
    )

    class Summed(AskTell):
        def tell(self, trial, result):
            total = result["loss"] + 2.0 * result["cost"]
            return super().tell(trial, {**result, "scalarized_loss_cost": total})

    a = drive(AskTell(wrapped), MIXED_SPACE, max_trials=8, max_epochs=1, with_cost=True)
    b = drive(Summed(plain), MIXED_SPACE, max_trials=8, max_epochs=1, with_cost=True)
    assert a == b


@pytest.mark.parametrize("transform", ["standardize", "yeo-johnson"])
@pytest.mark.parametrize("cls", [MORandomScalarizationBayesOpt, EHVI])
def test_state_round_trip(cls, transform):
    def make():
        return cls(
            SPACE, metric=["f", "g"], num_init_random=3, random_seed=2, target_transform=transform
        )

    a = make()
    at = AskTell(a)
    for _ in range(6):
        trial = at.ask()
        at.tell(trial, trade_off(trial.config["x"]))
    state = json.loads(json.dumps(a.state_dict()))
    b = make()
    b.load_state_dict(state)
    assert [a.suggest(i).config for i in range(3)] == [b.suggest(i).config for i in range(3)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kappa": -1.0}, r"`kappa` must be a number in \[0.0, inf\], but got kappa=-1.0"),
        ({"num_init_random": -1}, r"`num_init_random` must be an int >= 0"),
        ({"mode": ["min", "up"]}, r"`mode`"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MORandomScalarizationBayesOpt(SPACE, metric=["f", "g"], **kwargs)


def test_fixed_weights_weigh_the_values_so_they_take_no_transform():
    with pytest.raises(
        ValueError,
        match=r"`scalarization_weights` weigh the metrics' values, so they need "
        r"target_transform='standardize', but got target_transform='yeo-johnson'",
    ):
        RandomScalarizationGPSearcher(
            SPACE,
            metric=["f", "g"],
            scalarization_weights=[1.0, 2.0],
            target_transform="yeo-johnson",
        )


def test_a_missing_objective_is_named():
    searcher = RandomScalarizationGPSearcher(SPACE, metric=["f", "g"])
    with pytest.raises(ValueError, match="the result has no metric 'g'"):
        searcher.observe({"x": 0.5}, {"f": 1.0})
