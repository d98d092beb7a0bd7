import pytest

from tunesmith import AskTell
from tunesmith.schedulers.surrogate import ASHABORE, ASHACQR, BORE, CQR
from tunesmith.searchers.bore import BORESearcher
from tunesmith.searchers.cqr import CQRSearcher
from tunesmith.testing.scheduler_contract import SchedulerContract, drive
from tunesmith.testing.spaces import MIXED_SPACE

FAST = {"max_iter": 20, "hidden": 8}


class TestBOREContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return BORE(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            init_random=3,
            classifier_kwargs=FAST,
        )


class TestASHABOREPromotionContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return ASHABORE(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            type="promotion",
            searcher_data="rungs_and_last",
            random_seed=random_seed,
            init_random=3,
            classifier_kwargs=FAST,
        )


class TestCQRContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return CQR(
            config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            num_init_random=3,
            regressor_kwargs=FAST,
        )


class TestASHACQRStoppingContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return ASHACQR(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            random_seed=random_seed,
            num_init_random=3,
            regressor_kwargs=FAST,
        )


@pytest.mark.parametrize("cls", [BORE, CQR])
def test_fifo_wrappers_use_their_searcher(cls):
    scheduler = cls(MIXED_SPACE, metric="loss", random_seed=0)
    assert isinstance(scheduler.searcher, BORESearcher if cls is BORE else CQRSearcher)


@pytest.mark.parametrize("cls", [ASHABORE, ASHACQR])
def test_asha_wrappers_fit_the_model_at_rung_levels(cls):
    if cls is ASHABORE:
        options = {"classifier_kwargs": FAST, "init_random": 2}
    else:
        options = {"regressor_kwargs": FAST, "num_init_random": 2}
    scheduler = cls(MIXED_SPACE, metric="loss", max_t=9, random_seed=0, **options)
    assert scheduler.rung_levels == [1, 3]
    drive(AskTell(scheduler), MIXED_SPACE, max_trials=30)
    searcher = scheduler.searcher
    assert searcher.num_observations(1) >= 20
    assert searcher.model_level() in (1, 3, 9)
    assert searcher._fitted_on is not None  # the model made suggestions


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (BORE, {"gamma": 2}, "gamma=2"),
        (ASHABORE, {"classifier": "knn"}, "classifier='knn'"),
        (CQR, {"num_quantiles": 0}, "num_quantiles=0"),
        (ASHACQR, {"valid_fraction": -1}, "valid_fraction=-1"),
    ],
)
def test_bad_arguments_name_the_parameter(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(MIXED_SPACE, metric="loss", **kwargs)
