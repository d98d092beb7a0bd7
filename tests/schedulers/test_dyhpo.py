"""DyHPO: the scheduler contract, linear rungs, the hybrid rule, resume-only decisions, bad
input."""

import pytest

from tunesmith import AskTell, uniform
from tunesmith.schedulers.dyhpo import DyHPO
from tunesmith.testing.scheduler_contract import SchedulerContract, drive
from tunesmith.testing.spaces import MIXED_SPACE
from tunesmith.trial import Decision


class TestDyHPOContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return DyHPO(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            num_init_random=3,
            num_new_candidates=20,
            random_seed=random_seed,
        )


@pytest.mark.slow
class TestDyHPOPublishedRuleContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return DyHPO(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            probability_sh=0.0,
            rung_increment=3,
            num_init_random=3,
            num_new_candidates=20,
            searcher_data="rungs_and_last",
            random_seed=random_seed,
        )


SPACE = {"x": uniform(0, 1), "y": uniform(0, 1), "epochs": 9}


def test_rungs_are_linear_and_every_trial_pauses_at_each():
    scheduler = DyHPO(SPACE, metric="loss", grace_period=2, rung_increment=3, random_seed=0)
    assert scheduler.rung_levels == [2, 5, 8]
    log = drive(AskTell(scheduler), SPACE, max_trials=12, n_workers=2)
    for entry in log:
        if entry[0] == "result":
            assert (entry[3] == Decision.PAUSE.value) == (entry[2] in (2, 5, 8))


@pytest.mark.parametrize("probability_sh", [0.0, 0.25, 1.0])
def test_paused_trials_are_resumed_by_the_model_and_reach_max_t(probability_sh):
    scheduler = DyHPO(
        SPACE, metric="loss", probability_sh=probability_sh, num_new_candidates=50, random_seed=0
    )
    at = AskTell(scheduler)
    log = drive(at, SPACE, max_trials=20, n_workers=2)
    starts = [entry for entry in log if entry[0] == "start"]
    assert len(starts) > 20  # resumes besides the 20 new trials
    assert any(entry[0] == "complete" for entry in log)


def test_the_model_resumes_the_best_paused_trial_when_no_new_trial_may_start():
    scheduler = DyHPO(SPACE, metric="loss", probability_sh=0.0, random_seed=0)
    at = AskTell(scheduler)
    trials = []
    for _ in range(8):  # 8 trials pause at level 1; loss = x
        trial = at.ask()
        trials.append(trial)
        assert at.report(trial, {"epoch": 1, "loss": trial.config["x"]}) is Decision.PAUSE
    assert scheduler.suggest_resume() is not None
    resumed = scheduler.suggest_resume()
    assert resumed.is_resume
    assert len(scheduler.paused_trials()) == 6  # two resumed, none started


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"probability_sh": 1.5}, r"`probability_sh` must be a number in \[0, 1\], but got"),
        ({"probability_sh": "often"}, "`probability_sh` must be a number"),
        ({"rung_increment": 1.5}, "`rung_increment` must be an int >= 1, but got"),
        ({"num_new_candidates": 0}, "`num_new_candidates` must be an int >= 1, but got"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DyHPO(MIXED_SPACE, metric="loss", max_t=9, **kwargs)
