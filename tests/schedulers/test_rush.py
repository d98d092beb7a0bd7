import pytest

from _transfer import earlier_tasks
from tunesmith import AskTell, Decision, TransferLearningTaskEvaluations, uniform
from tunesmith.schedulers import RUSH, HyperbandScheduler
from tunesmith.schedulers.rush import hurdle_points
from tunesmith.searchers import RandomSearcher
from tunesmith.testing.scheduler_contract import SchedulerContract
from tunesmith.testing.spaces import FINITE_SPACE

C, P, S = Decision.CONTINUE, Decision.PAUSE, Decision.STOP
SPACE = {"x": uniform(0, 1), "epochs": 9}  # rungs 1, 3 (max_t 9)


class TestRushStoppingContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return HyperbandScheduler(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            type="rush_stopping",
            transfer_learning_evaluations=earlier_tasks(config_space, n=8),
            num_hyperparameters_per_task=2,
            random_seed=random_seed,
        )


class TestRushPromotionContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return RUSH(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            type="promotion",
            transfer_learning_evaluations=earlier_tasks(config_space, n=8),
            random_seed=random_seed,
        )


def _tasks(best):
    """One earlier task whose best config is ``x=best``."""
    configs = [{"x": best}, {"x": 0.99}]
    return {"t": TransferLearningTaskEvaluations(SPACE, configs, ["loss"], [[[[1.0]]], [[[2.0]]]])}


def test_hurdles_first_then_points_to_evaluate():
    scheduler = RUSH(
        SPACE,
        metric="loss",
        transfer_learning_evaluations=_tasks(0.5),
        custom_rush_points=[{"x": 0.25}],
        points_to_evaluate=[{"x": 0.75}],
        random_seed=0,
    )
    at = AskTell(scheduler)
    assert [at.ask().config["x"] for _ in range(3)] == [0.25, 0.5, 0.75]


def test_stopping_threshold_is_the_best_hurdle_value():
    scheduler = RUSH(
        SPACE,
        metric="loss",
        reduction_factor=2,  # rung 1 of 1, 2, 4, 8: half go on
        transfer_learning_evaluations=_tasks(0.5),
        random_seed=0,
    )
    at = AskTell(scheduler)
    hurdle, a, b = at.ask(), at.ask(), at.ask()
    assert hurdle.config["x"] == 0.5
    assert at.report(hurdle, {"epoch": 1, "loss": 0.4}) is C
    assert at.report(a, {"epoch": 1, "loss": 0.9}) is S
    # second of 3 at rung 1: the rank rule keeps it, but it is worse than the hurdle
    assert at.report(b, {"epoch": 1, "loss": 0.45}) is S
    assert at.report(at.ask(), {"epoch": 1, "loss": 0.39}) is C
    # a hurdle is judged by the rank rule only, and a worse hurdle leaves the threshold
    assert scheduler._rush.thresholds == {1: 0.4}


def test_without_rush_the_same_trial_goes_on():
    scheduler = HyperbandScheduler(
        SPACE, metric="loss", reduction_factor=2, points_to_evaluate=[{"x": 0.5}]
    )
    at = AskTell(scheduler)
    hurdle, a, b = at.ask(), at.ask(), at.ask()
    at.report(hurdle, {"epoch": 1, "loss": 0.4})
    assert at.report(a, {"epoch": 1, "loss": 0.9}) is S
    assert at.report(b, {"epoch": 1, "loss": 0.45}) is C


def test_max_mode_threshold():
    scheduler = RUSH(
        SPACE,
        metric="acc",
        mode="max",
        reduction_factor=2,
        transfer_learning_evaluations=_acc_tasks(),
        random_seed=0,
    )
    at = AskTell(scheduler)
    hurdle, a, b = at.ask(), at.ask(), at.ask()
    assert hurdle.config["x"] == 0.5
    at.report(hurdle, {"epoch": 1, "acc": 0.6})
    assert at.report(a, {"epoch": 1, "acc": 0.1}) is S
    assert at.report(b, {"epoch": 1, "acc": 0.55}) is S
    assert at.report(at.ask(), {"epoch": 1, "acc": 0.65}) is C


def _acc_tasks():
    configs = [{"x": 0.5}, {"x": 0.99}]
    return {"t": TransferLearningTaskEvaluations(SPACE, configs, ["acc"], [[[[0.9]]], [[[0.1]]]])}


def test_promotion_needs_the_threshold_too():
    scheduler = RUSH(
        SPACE,
        metric="loss",
        type="promotion",
        transfer_learning_evaluations=_tasks(0.5),
        random_seed=0,
    )
    at = AskTell(scheduler)
    hurdle, a, b, c = at.ask(), at.ask(), at.ask(), at.ask()
    assert at.report(hurdle, {"epoch": 1, "loss": 0.4}) is P
    assert at.report(a, {"epoch": 1, "loss": 0.45}) is P
    assert at.report(b, {"epoch": 1, "loss": 0.9}) is P
    assert at.report(c, {"epoch": 1, "loss": 0.8}) is P
    # 4 at rung 1 with q = 1/3: one may be promoted: the hurdle (the best)
    assert at.ask().trial_id == hurdle.trial_id
    d = at.ask()
    assert at.report(d, {"epoch": 1, "loss": 0.42}) is P
    # 5 values: still one promotion (floor(5/3)); 6 values, two: the next best is d (0.42),
    # above the threshold 0.4, so it is never promoted; a new config starts instead
    e = at.ask()
    assert e.trial_id not in (a.trial_id, b.trial_id, c.trial_id, d.trial_id)
    assert at.report(e, {"epoch": 1, "loss": 0.35}) is P
    assert at.ask().trial_id == e.trial_id  # below the threshold and in the top third


def test_restrict_configurations_keeps_the_hurdles_first():
    configs = [{"x": v / 10, "epochs": 9} for v in range(10)]
    scheduler = RUSH(
        SPACE,
        metric="loss",
        transfer_learning_evaluations=_tasks(0.3),
        restrict_configurations=configs,
        random_seed=1,
    )
    at = AskTell(scheduler)
    xs = [at.ask().config["x"] for _ in range(10)]
    assert xs[0] == 0.3 and sorted(xs) == [v / 10 for v in range(10)]
    assert at.ask() is None


def test_bad_input():
    with pytest.raises(ValueError, match="RUSH needs hurdle configs"):
        HyperbandScheduler(SPACE, metric="loss", type="rush_stopping")
    with pytest.raises(ValueError, match="used by type='rush_stopping' or 'rush_promotion' only"):
        HyperbandScheduler(SPACE, metric="loss", transfer_learning_evaluations=_tasks(0.5))
    with pytest.raises(ValueError, match="RUSH's `type` must be 'stopping' or 'promotion'"):
        RUSH(SPACE, metric="loss", type="pasha", transfer_learning_evaluations=_tasks(0.5))
    with pytest.raises(ValueError, match="`num_hyperparameters_per_task` must be an int >= 1"):
        RUSH(
            SPACE,
            metric="loss",
            transfer_learning_evaluations=_tasks(0.5),
            num_hyperparameters_per_task=0,
        )
    searcher = RandomSearcher(SPACE, random_seed=0)
    with pytest.raises(ValueError, match="points_to_evaluate lack 1 of them"):
        HyperbandScheduler(
            SPACE,
            metric="loss",
            type="rush_stopping",
            searcher=searcher,
            transfer_learning_evaluations=_tasks(0.5),
        )
    hurdles = hurdle_points(
        SPACE,
        metric="loss",
        mode="min",
        transfer_learning_evaluations=_tasks(0.5),
        num_hyperparameters_per_task=1,
        custom_rush_points=None,
    )
    ok = HyperbandScheduler(
        SPACE,
        metric="loss",
        type="rush_stopping",
        searcher=RandomSearcher(SPACE, random_seed=0, points_to_evaluate=hurdles),
        transfer_learning_evaluations=_tasks(0.5),
    )
    assert ok.suggest(0).config["x"] == 0.5


def test_state_keeps_the_thresholds():
    scheduler = RUSH(SPACE, metric="loss", transfer_learning_evaluations=_tasks(0.5), random_seed=0)
    at = AskTell(scheduler)
    at.report(at.ask(), {"epoch": 1, "loss": 0.4})
    clone = RUSH(SPACE, metric="loss", transfer_learning_evaluations=_tasks(0.5), random_seed=0)
    clone.load_state_dict(scheduler.state_dict())
    assert clone._rush.thresholds == {1: 0.4}
    assert "rush" not in HyperbandScheduler(FINITE_SPACE, metric="loss", max_t=3).state_dict()
