import numpy as np
import pytest

from _transfer import earlier_tasks
from tunesmith.searchers import QuantileBasedSurrogateSearcher, RandomSearcher
from tunesmith.testing.searcher_contract import SearcherContract
from tunesmith.testing.spaces import MIXED_SPACE, objective


class TestQuantileBasedContract(SearcherContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return QuantileBasedSurrogateSearcher(
            config_space,
            transfer_learning_evaluations=earlier_tasks(config_space, n=12),
            metric="loss",
            max_fit_samples=20,
            num_candidates=200,
            random_seed=random_seed,
            **kwargs,
        )


class TestQuantileStandardContract(TestQuantileBasedContract):
    def make_searcher(self, config_space, *, random_seed, **kwargs):
        return QuantileBasedSurrogateSearcher(
            config_space,
            transfer_learning_evaluations=earlier_tasks(config_space, n=12),
            metric="loss",
            mode="max",
            normalization="standard",
            max_fit_samples=20,
            num_candidates=200,
            random_seed=random_seed,
            **kwargs,
        )


def test_thompson_samples_favour_configs_good_on_earlier_tasks():
    tasks = earlier_tasks(MIXED_SPACE, n=150)
    cts = QuantileBasedSurrogateSearcher(
        MIXED_SPACE, transfer_learning_evaluations=tasks, metric="loss", random_seed=0
    )
    rnd = RandomSearcher(MIXED_SPACE, random_seed=0)
    a = [objective(cts.suggest(), MIXED_SPACE, 9) for _ in range(20)]
    b = [objective(rnd.suggest(), MIXED_SPACE, 9) for _ in range(20)]
    assert np.median(a) < np.median(b)
    assert cts.sigma > 0


def test_bad_arguments():
    tasks = earlier_tasks(MIXED_SPACE, n=12)
    with pytest.raises(ValueError, match="`normalization` must be 'gaussian' or 'standard'"):
        QuantileBasedSurrogateSearcher(
            MIXED_SPACE, transfer_learning_evaluations=tasks, metric="loss", normalization="z"
        )
    with pytest.raises(ValueError, match="`max_fit_samples` must be an int >= 1, but got"):
        QuantileBasedSurrogateSearcher(
            MIXED_SPACE, transfer_learning_evaluations=tasks, metric="loss", max_fit_samples=0
        )
    with pytest.raises(ValueError, match="the surrogate needs at least 4"):
        QuantileBasedSurrogateSearcher(
            MIXED_SPACE,
            transfer_learning_evaluations=earlier_tasks(MIXED_SPACE, n=1, tasks=2),
            metric="loss",
        )
