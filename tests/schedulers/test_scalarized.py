import json
import math

import numpy as np
import pytest

import tunesmith
from tunesmith import AskTell, uniform
from tunesmith.schedulers import ASHA, PASHA, FIFOScheduler, LinearScalarizedScheduler
from tunesmith.spec import build
from tunesmith.testing.scheduler_contract import SchedulerContract, drive
from tunesmith.testing.spaces import MIXED_SPACE, cost, objective


class TestScalarizedFIFOContract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return LinearScalarizedScheduler(
            config_space, metric=metric, mode=mode, random_seed=random_seed
        )


class TestScalarizedASHAPromotionContract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return LinearScalarizedScheduler(
            config_space,
            metric=metric,
            mode=mode,
            scalarization_weights=[1.0, 0.5],
            base_scheduler="ASHA",
            max_t=9,
            type="promotion",
            random_seed=random_seed,
        )


def test_public_name():
    assert tunesmith.LinearScalarizedScheduler is LinearScalarizedScheduler


class WeightedSum(AskTell):
    """Drives a single-objective scheduler with the weighted sum of loss and cost as its metric."""

    def __init__(self, scheduler, weights, signs):
        super().__init__(scheduler)
        self.weights, self.signs = weights, signs

    def _sum(self, result):
        total = math.fsum(
            w * s * result[m]
            for w, s, m in zip(self.weights, self.signs, ("loss", "cost"), strict=True)
        )
        return {**result, "scalarized_loss_cost": total}

    def report(self, trial, result):
        return super().report(trial, self._sum(result))

    def tell(self, trial, result):
        return super().tell(trial, self._sum(result))


@pytest.mark.parametrize(
    ("base", "kwargs"),
    [
        (ASHA, {"max_t": 9}),
        (ASHA, {"max_t": 9, "type": "promotion"}),
        (PASHA, {"max_t": 9}),
        (FIFOScheduler, {}),
    ],
)
@pytest.mark.parametrize("mode", [["min", "min"], ["min", "max"]])
def test_same_decisions_as_the_base_scheduler_on_the_weighted_sum(base, kwargs, mode):
    weights = [1.0, 0.3]
    wrapped = LinearScalarizedScheduler(
        MIXED_SPACE,
        metric=["loss", "cost"],
        mode=mode,
        scalarization_weights=weights,
        base_scheduler=base,
        random_seed=7,
        **kwargs,
    )
    plain = base(MIXED_SPACE, metric="scalarized_loss_cost", mode="min", random_seed=7, **kwargs)
    signs = [1.0 if m == "min" else -1.0 for m in mode]
    a = drive(AskTell(wrapped), MIXED_SPACE, max_trials=30, fail_every=6, with_cost=True)
    b = drive(
        WeightedSum(plain, weights, signs),
        MIXED_SPACE,
        max_trials=30,
        fail_every=6,
        with_cost=True,
    )
    assert a == b
    assert any(entry[-1] in ("stop", "pause") for entry in a if entry[0] == "result") or (
        base is FIFOScheduler
    )


def test_the_weighted_sum_is_the_score():
    scheduler = LinearScalarizedScheduler(
        {"x": uniform(0, 1)},
        metric=["err", "acc"],
        mode=["min", "max"],
        scalarization_weights=[2.0, 1.0],
    )
    assert scheduler.score({"err": 0.5, "acc": 0.25}) == pytest.approx(0.75)
    assert scheduler.scalarize({"err": 0.5, "acc": 0.25})["scalarized_err_acc"] == 0.75
    with pytest.raises(ValueError, match="the result has no metric 'acc'"):
        scheduler.score({"err": 0.5})


def test_spec_round_trip_with_a_named_base():
    scheduler = LinearScalarizedScheduler(
        MIXED_SPACE, metric=["loss", "cost"], base_scheduler="ASHA", max_t=9, random_seed=3
    )
    spec = json.loads(json.dumps(scheduler.spec()))
    rebuilt = build(spec)
    assert type(rebuilt.base_scheduler) is ASHA
    assert rebuilt.spec() == scheduler.spec()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"scalarization_weights": [1.0]},
            ValueError,
            r"`scalarization_weights` must be finite numbers >= 0, not all 0, one per metric "
            r"\(2: \['loss', 'cost'\]\), but got scalarization_weights=\[1.0\]",
        ),
        ({"scalarization_weights": [0, 0]}, ValueError, r"scalarization_weights=\[0, 0\]"),
        ({"scalarization_weights": [1, float("inf")]}, ValueError, r"scalarization_weights="),
        ({"scalarization_weights": "11"}, ValueError, r"scalarization_weights='11'"),
        (
            {"base_scheduler": "Nope"},
            ValueError,
            r"`base_scheduler` must name a scheduler class .* but got base_scheduler='Nope'",
        ),
        ({"base_scheduler": 3}, TypeError, r"`base_scheduler` must be a scheduler class"),
        (
            {"base_scheduler": lambda space, **kw: "x"},
            TypeError,
            r"`base_scheduler` must build a Scheduler",
        ),
        ({"mode": ["min"]}, ValueError, r"`mode`"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        LinearScalarizedScheduler(MIXED_SPACE, metric=["loss", "cost"], **kwargs)


def test_weights_and_costs_are_consistent_with_the_contract_objectives():
    config = {"lr": 1e-3, "dropout": 0.1, "units": 64, "layers": 2, "act": "relu", "batch": 64}
    config["epochs"] = 9
    assert np.isfinite(objective(config, MIXED_SPACE)) and np.isfinite(cost(config, MIXED_SPACE))
