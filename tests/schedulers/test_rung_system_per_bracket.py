"""``rung_system_per_bracket`` on MOBSTER, BOHB and HyperTune, as Syne Tune defines it (seed 002,
``HyperbandScheduler``): with ``brackets > 1``, ``True`` (tunesmith's default, unchanged) keeps a
rung system per bracket, so a trial competes only with trials started in its bracket; ``False``
(Syne Tune's default) keeps one, and a trial's bracket only sets the first rung at which it
competes. The model-based classes use :class:`~tunesmith.HyperbandScheduler`'s rung systems, so
their decisions are Hyperband's with their searcher; each passes the scheduler contract
(resume from the store included) with a shared rung system."""

from __future__ import annotations

import pytest

from tunesmith import BOHB, MOBSTER, AskTell, HyperbandScheduler, HyperTune, uniform
from tunesmith.searchers.kde import KDESearcher
from tunesmith.testing.scheduler_contract import SchedulerContract, drive

SPACE = {"x": uniform(0, 1), "y": uniform(0, 1)}


class TestBOHBSharedRungsContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return BOHB(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            brackets=3,
            rung_system_per_bracket=False,
            random_seed=random_seed,
        )


class TestMOBSTERSharedRungsPromotionContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return MOBSTER(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            type="promotion",
            brackets=2,
            rung_system_per_bracket=False,
            random_seed=random_seed,
        )


class TestHyperTuneSharedRungsContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return HyperTune(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            brackets=2,
            rung_system_per_bracket=False,
            random_seed=random_seed,
        )


def _log(scheduler, n_workers=3, max_trials=40):
    return drive(AskTell(scheduler), SPACE, max_trials=max_trials, n_workers=n_workers)


@pytest.mark.parametrize("kind", ["stopping", "promotion"])
@pytest.mark.parametrize("per_bracket", [True, False])
def test_bohb_makes_hyperbands_decisions_with_its_searcher(kind, per_bracket):
    """BOHB(rung_system_per_bracket=...) decides as HyperbandScheduler with the same argument
    and BOHB's KDE searcher: the rung systems are Hyperband's."""
    kde = dict(gamma=0.15, num_min_data_points=None, num_candidates=64, bandwidth_factor=3.0)
    kde.update(random_fraction=1 / 3, multivariate=True)
    common = dict(metric="loss", max_t=9, brackets=3, type=kind)
    common.update(rung_system_per_bracket=per_bracket)
    bohb = BOHB(SPACE, **common, random_seed=4, **kde)
    searcher = KDESearcher(SPACE, metric="loss", random_seed=4, **kde)
    hyperband = HyperbandScheduler(SPACE, searcher=searcher, **common)
    assert _log(bohb) == _log(hyperband)


@pytest.mark.parametrize(
    "make",
    [
        lambda shared: BOHB(SPACE, metric="loss", max_t=9, brackets=3, random_seed=2, **shared),
        lambda shared: MOBSTER(SPACE, metric="loss", max_t=9, brackets=3, random_seed=2, **shared),
        lambda shared: HyperTune(
            SPACE, metric="loss", max_t=9, brackets=3, random_seed=2, **shared
        ),
    ],
    ids=["BOHB", "MOBSTER", "HyperTune"],
)
def test_one_shared_rung_system_or_one_per_bracket(make):
    """``False``: one rung system, bracket ``b`` competing from its rung ``b`` on; ``True`` (the
    default, as before the argument existed): one per bracket. The two decide differently."""
    default, per_bracket = make({}), make({"rung_system_per_bracket": True})
    shared = make({"rung_system_per_bracket": False})
    assert default.rung_system_per_bracket and len(default._systems) == 3
    assert default.spec() == per_bracket.spec()
    assert len(shared._systems) == 1
    assert [len(r) for r in shared._bracket_rungs] == [2, 1, 0]  # levels 1, 3 (max_t 9)
    assert shared._bracket_rungs[1][0] is shared._systems[0][1]  # the same Rung object
    assert _log(per_bracket, n_workers=1) != _log(shared, n_workers=1)


def test_shared_rungs_are_stored_and_rebuilt_from_the_spec():
    from tunesmith.spec import build

    mobster = MOBSTER(SPACE, metric="loss", max_t=9, brackets=2, rung_system_per_bracket=False)
    assert mobster.spec()["kwargs"]["rung_system_per_bracket"] is False
    assert build(mobster.spec()).rung_system_per_bracket is False
