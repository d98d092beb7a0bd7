"""SyncMOBSTER: the scheduler contract; it is synchronous Hyperband with MOBSTER's searcher."""

import pytest

from tunesmith import AskTell
from tunesmith.schedulers import SyncHyperband
from tunesmith.schedulers.sync_mobster import SyncMOBSTER
from tunesmith.searchers.mobster import GPMultiFidelitySearcher
from tunesmith.testing.scheduler_contract import SchedulerContract, drive
from tunesmith.testing.spaces import MIXED_SPACE


@pytest.mark.slow
class TestSyncMOBSTERContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return SyncMOBSTER(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            num_init_random=3,
            random_seed=random_seed,
        )


def test_same_decisions_as_sync_hyperband_with_the_mobster_searcher():
    named = SyncMOBSTER(MIXED_SPACE, metric="loss", max_t=9, model="independent", random_seed=3)
    searcher = GPMultiFidelitySearcher(
        MIXED_SPACE, max_t=9, model="independent", metric="loss", random_seed=3
    )
    built = SyncHyperband(MIXED_SPACE, metric="loss", max_t=9, searcher=searcher, random_seed=3)
    a = drive(AskTell(named), MIXED_SPACE, max_trials=25, n_workers=3)
    b = drive(AskTell(built), MIXED_SPACE, max_trials=25, n_workers=3)
    assert a == b
    assert named.searcher.num_observations > 25  # every rung result reached the model
