"""HyperTune: the scheduler contract (both models, one and several brackets), the learned
bracket distribution, bad input."""

import numpy as np
import pytest

from tunesmith import AskTell, uniform
from tunesmith.schedulers.hypertune import HyperTune
from tunesmith.testing.scheduler_contract import SchedulerContract, drive
from tunesmith.testing.spaces import MIXED_SPACE


@pytest.mark.slow
class TestHyperTuneIndependentContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return HyperTune(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            num_init_random=3,
            min_level_observations=3,
            random_seed=random_seed,
        )


@pytest.mark.slow
class TestHyperTuneJointPromotionBracketsContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return HyperTune(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            model="joint",
            type="promotion",
            brackets=2,
            num_init_random=3,
            min_level_observations=3,
            searcher_data="rungs_and_last",
            random_seed=random_seed,
        )


SPACE = {"x": uniform(0, 1), "y": uniform(0, 1), "epochs": 9}


@pytest.mark.parametrize("model", ["independent", "joint"])
def test_theta_moves_off_the_lowest_level_once_a_higher_one_has_data(model):
    scheduler = HyperTune(SPACE, metric="loss", model=model, random_seed=0)
    assert scheduler.theta == {1: 1.0}
    drive(AskTell(scheduler), SPACE, max_trials=30, n_workers=3)
    theta = scheduler.theta
    assert set(theta) <= {1, 3, 9} and len(theta) >= 2
    assert sum(theta.values()) == pytest.approx(1.0)
    assert all(w >= 0 for w in theta.values())


def test_learned_bracket_probabilities_follow_theta_over_the_level():
    scheduler = HyperTune(SPACE, metric="loss", brackets=3, max_t=27, random_seed=0)
    base = np.asarray(scheduler.bracket_probabilities)
    # before r_* passes the lowest level: the default distribution
    assert np.allclose(scheduler.learned_bracket_probabilities(), base)
    scheduler.searcher.theta = {1: 0.25, 3: 0.75}  # r_* = 3: brackets starting at 1 and 3
    p = scheduler.learned_bracket_probabilities()
    mass = base[0] + base[1]
    raw = np.array([0.25 / 1, 0.75 / 3])
    assert np.allclose(p[:2], mass * raw / raw.sum())
    assert p[2] == pytest.approx(base[2])
    assert p.sum() == pytest.approx(1.0)


def test_brackets_are_drawn_from_the_learned_distribution():
    scheduler = HyperTune(SPACE, metric="loss", brackets=3, max_t=27, random_seed=0)
    at = AskTell(scheduler)
    scheduler.searcher.num_init_random = 10**6  # keep theta as set here
    scheduler.searcher.theta = {1: 0.0, 3: 1.0, 9: 0.0}  # r_* = 9: bracket 1 only (r = 3)
    brackets = set()
    for _ in range(20):
        trial = at.ask()
        brackets.add(scheduler.bracket_of(trial.trial_id))
    assert brackets == {1}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "cubic"}, "`model` must be one of"),
        ({"num_samples": 1}, "`num_samples` must be an int >= 2, but got num_samples=1"),
        ({"type": "sometimes"}, "`type` must be one of"),
        ({"min_level_observations": 1}, "`min_level_observations` must be an int >= 2"),
    ],
)
def test_bad_input_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HyperTune(MIXED_SPACE, metric="loss", max_t=9, **kwargs)
