import pytest

from _transfer import earlier_tasks
from tunesmith import (
    AskTell,
    TransferLearningTaskEvaluations,
    choice,
    loguniform,
    ordinal,
    randint,
    uniform,
)
from tunesmith.schedulers import ASHA, ASHACTS, BoundingBox, RandomSearch, ZeroShotTransfer
from tunesmith.schedulers.transfer_learning import bounding_box
from tunesmith.space import config_errors
from tunesmith.testing.scheduler_contract import SchedulerContract, drive


def _random(space, mode, metric, seed=0):
    return RandomSearch(space, metric=metric, mode=mode, random_seed=seed)


class TestBoundingBoxContract(SchedulerContract):
    exhausts_finite_space = False  # the box holds fewer configs than the space

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        def asha(space, mode, metric):
            return ASHA(space, metric=metric, mode=mode, max_t=9, random_seed=random_seed)

        return BoundingBox(
            asha,
            config_space,
            metric=metric,
            mode=mode,
            transfer_learning_evaluations=earlier_tasks(config_space, n=10),
            num_hyperparameters_per_task=3,
        )


class TestZeroShotTransferContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return ZeroShotTransfer(
            config_space,
            metric=metric,
            mode=mode,
            transfer_learning_evaluations=earlier_tasks(config_space, n=10),
            random_seed=random_seed,
        )


class TestASHACTSContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return ASHACTS(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            transfer_learning_evaluations=earlier_tasks(config_space, n=10),
            max_fit_samples=16,
            num_candidates=100,
            random_seed=random_seed,
        )


class TestASHACTSPromotionContract(TestASHACTSContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return ASHACTS(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            type="promotion",
            transfer_learning_evaluations=earlier_tasks(config_space, n=10),
            max_fit_samples=16,
            num_candidates=100,
            random_seed=random_seed,
        )


SPACE = {
    "lr": loguniform(1e-4, 1.0),
    "units": randint(1, 100),
    "act": choice(["relu", "tanh", "gelu"]),
    "size": ordinal(["s", "m", "l", "xl"]),
    "epochs": 9,
}


def _task(configs, values):
    return TransferLearningTaskEvaluations(SPACE, configs, ["loss"], [[[[v]]] for v in values])


def test_the_box_of_the_best_configs():
    configs = [
        {"lr": 0.01, "units": 10, "act": "relu", "size": "m"},
        {"lr": 0.1, "units": 50, "act": "gelu", "size": "xl"},
        {"lr": 0.5, "units": 90, "act": "tanh", "size": "s"},
    ]
    task = _task(configs, [1.0, 2.0, 3.0])
    box = bounding_box(SPACE, {"t": task}, metric="loss", num_hyperparameters_per_task=2)
    assert box["lr"].lower == 0.01 and box["lr"].upper == 0.1 and box["lr"].log
    assert (box["units"].lower, box["units"].upper) == (10, 50)
    assert box["act"].categories == ["relu", "gelu"]  # the space's order
    assert box["size"].categories == ["m", "l", "xl"]  # ordered: the span between them
    assert box["epochs"] == 9
    one = bounding_box(SPACE, {"t": task}, metric="loss", mode="max")
    assert one == {"lr": 0.5, "units": 90, "act": "tanh", "size": "s", "epochs": 9}


def test_bounding_box_runs_its_scheduler_in_the_box():
    task = _task(
        [
            {"lr": 0.01, "units": 10, "act": "relu", "size": "m"},
            {"lr": 0.1, "units": 50, "act": "relu", "size": "l"},
        ],
        [1.0, 2.0],
    )
    scheduler = BoundingBox(
        _random,
        SPACE,
        metric="loss",
        transfer_learning_evaluations={"t": task},
        num_hyperparameters_per_task=2,
    )
    at = AskTell(scheduler)
    log = drive(at, SPACE, max_trials=10)
    for entry in log:
        if entry[0] == "start":
            assert not config_errors(scheduler.box, entry[2])
            assert entry[2]["act"] == "relu" and 10 <= entry[2]["units"] <= 50
    assert scheduler.spec()["kwargs"]["scheduler_fun"] == {
        "__repr__": f"<function {__name__}._random>"
    }


def test_bounding_box_bad_input():
    task = _task([{"lr": 0.01, "units": 10, "act": "relu", "size": "m"}], [1.0])
    with pytest.raises(TypeError, match="`scheduler_fun` must be a function"):
        BoundingBox(None, SPACE, metric="loss", transfer_learning_evaluations={"t": task})
    with pytest.raises(TypeError, match="`scheduler_fun` must return a Scheduler"):
        BoundingBox(
            lambda s, m, n: 3, SPACE, metric="loss", transfer_learning_evaluations={"t": task}
        )
    with pytest.raises(ValueError, match="optimizes metric='acc'"):
        BoundingBox(
            lambda s, mode, metric: _random(s, mode, "acc"),
            SPACE,
            metric="loss",
            transfer_learning_evaluations={"t": task},
        )
    other = {"x": uniform(0, 1)}
    with pytest.raises(ValueError, match="no config of the earlier tasks fits the config space"):
        BoundingBox(_random, other, metric="loss", transfer_learning_evaluations={"t": task})


def test_ashacts_and_zero_shot_bad_type_and_metric():
    tasks = earlier_tasks(SPACE, n=10)
    with pytest.raises(ValueError, match="ASHACTS's `type` must be 'stopping' or 'promotion'"):
        ASHACTS(SPACE, metric="loss", type="pasha", transfer_learning_evaluations=tasks)
    with pytest.raises(ValueError, match="has no objective 'acc'"):
        ZeroShotTransfer(SPACE, metric="acc", transfer_learning_evaluations=tasks)
