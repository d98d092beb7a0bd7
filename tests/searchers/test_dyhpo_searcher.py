"""DyHPOSearcher.choose: new configs first, then paused trials and new configs scored by
expected improvement at the level each would reach."""

import pytest

from tunesmith import uniform
from tunesmith.searchers.dyhpo import DyHPOSearcher

SPACE = {"x": uniform(0, 1)}


def test_initial_configs_come_first_then_the_model_decides():
    searcher = DyHPOSearcher(
        SPACE, max_t=9, metric="loss", num_init_random=2, points_to_evaluate=[{"x": 0.5}]
    )
    assert searcher.choose([], min_level=1) == {"x": 0.5}
    assert isinstance(searcher.choose([], min_level=1), dict)
    assert isinstance(searcher.choose([], min_level=1), dict)
    assert searcher.choose([], min_level=1, allow_new=False) is None


def _observed(n=10):
    searcher = DyHPOSearcher(SPACE, max_t=9, metric="loss", num_init_random=0, random_seed=0)
    configs = [{"x": i / (n - 1)} for i in range(n)]
    for config in configs:
        searcher.observe(config, {"loss": (config["x"] - 0.2) ** 2}, resource=1)
    return searcher, configs


def test_a_paused_trial_near_the_optimum_beats_one_far_from_it():
    searcher, configs = _observed()
    paused = [(0, configs[9], 3), (1, configs[2], 3)]  # x = 1.0 and x = 0.22
    assert searcher.choose(paused, min_level=1, allow_new=False) == 1


def test_a_new_config_is_marked_as_suggested():
    searcher, _ = _observed()
    choice = searcher.choose([], min_level=1)
    assert isinstance(choice, dict)
    assert not searcher._is_new(choice)


def test_independent_model_is_refused():
    with pytest.raises(ValueError, match="needs model='joint', but got model='independent'"):
        DyHPOSearcher(SPACE, max_t=9, metric="loss", model="independent")
