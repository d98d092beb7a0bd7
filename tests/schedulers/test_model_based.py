import json

import pytest

from tunesmith import AskTell, Decision
from tunesmith.schedulers import BOHB, DEHB, REA, TPE, SyncBOHB, SyncHyperband
from tunesmith.searchers import KDESearcher, RegularizedEvolution
from tunesmith.space import uniform
from tunesmith.spec import build
from tunesmith.testing.scheduler_contract import SchedulerContract, drive
from tunesmith.testing.spaces import MIXED_SPACE, objective

C, P, S = Decision.CONTINUE, Decision.PAUSE, Decision.STOP


class TestTPEContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return TPE(config_space, metric=metric, mode=mode, random_seed=random_seed)


class TestREAContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return REA(
            config_space,
            metric=metric,
            mode=mode,
            population_size=4,
            sample_size=2,
            random_seed=random_seed,
        )


class TestBOHBStoppingContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return BOHB(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            num_min_data_points=3,
            random_seed=random_seed,
        )


class TestBOHBPromotionContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return BOHB(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            type="promotion",
            brackets=3,
            num_min_data_points=3,
            random_seed=random_seed,
        )


class TestSyncBOHBContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return SyncBOHB(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            num_min_data_points=3,
            random_seed=random_seed,
        )


class TestDEHBContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return DEHB(config_space, metric=metric, mode=mode, max_t=9, random_seed=random_seed)


class TestREAInHyperbandContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        from tunesmith.schedulers import HyperbandScheduler

        searcher = RegularizedEvolution(
            config_space, population_size=4, sample_size=2, random_seed=random_seed
        )
        return HyperbandScheduler(
            config_space, searcher=searcher, metric=metric, mode=mode, max_t=9, type="promotion"
        )


# -- bracket bookkeeping by hand ------------------------------------------------------------------

SPACE = {"x": uniform(0, 1), "y": uniform(0, 1), "epochs": 9}
# max_t=9, eta=3: brackets [(9, 1), (3, 3), (1, 9)], [(5, 3), (1, 9)], [(3, 9)]
TABLE = [[(9, 1), (3, 3), (1, 9)], [(5, 3), (1, 9)], [(3, 9)]]


def base_loss(tid):
    """Trial ``t``'s loss is ``(7 t mod 11) / 10 + 1 / epoch``: the order by trial id is
    t0 < t8 < t5 < t2 < t10 ... (0, 1, 2, 3, 4 tenths) and t11 ties with t0."""
    return (7 * tid % 11) / 10


def sequential(scheduler, steps):
    """One worker: ask, report epochs until the decision is not CONTINUE (or complete at 9),
    ``steps`` times. Log ``(start|resume, trial_id, first epoch, last epoch, decision|complete)``.
    """
    at = AskTell(scheduler)
    log, done = [], {}
    while len(log) < steps:
        trial = at.ask()
        tid = trial.trial_id
        kind = "resume" if tid in done else "start"
        first = done.get(tid, 0) + 1
        for epoch in range(first, 10):
            done[tid] = epoch
            result = {"epoch": epoch, "loss": base_loss(tid) + 1 / epoch}
            if epoch == 9:
                at.tell(trial, result)
                log.append((kind, tid, first, 9, "complete"))
                break
            decision = at.report(trial, result)
            if decision is not C:
                log.append((kind, tid, first, epoch, decision.value))
                break
    return at, log


#: synchronous Hyperband with one worker, hand-computed from TABLE and base_loss
SYNC_LOG = (
    [("start", t, 1, 1, "pause") for t in range(9)]  # bracket 0, rung (9, 1)
    + [("resume", t, 2, 3, "pause") for t in (0, 8, 5)]  # best 3 of 9 -> (3, 3)
    + [("resume", 0, 4, 9, "complete")]  # best 1 of 3 -> (1, 9)
    + [("start", t, 1, 3, "pause") for t in range(9, 14)]  # bracket 1, rung (5, 3)
    + [("resume", 11, 4, 9, "complete")]  # t11 (0) is the best of t9..t13
    + [("start", t, 1, 9, "complete") for t in (14, 15, 16)]  # bracket 2, rung (3, 9)
    + [("start", t, 1, 1, "pause") for t in range(17, 26)]  # bracket 3 = bracket 0 again
)


def test_sync_bohb_bracket_table_and_schedule_are_sync_hyperbands():
    bohb = SyncBOHB(SPACE, metric="loss", num_min_data_points=2, random_seed=0)
    assert bohb.bracket_table == TABLE
    assert SyncBOHB({"x": uniform(0, 1)}, metric="loss", max_t=81).bracket_table == [
        [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        [(34, 3), (11, 9), (3, 27), (1, 81)],
        [(15, 9), (5, 27), (1, 81)],
        [(8, 27), (2, 81)],
        [(5, 81)],
    ]
    _, log = sequential(bohb, len(SYNC_LOG))
    assert log == SYNC_LOG
    _, log = sequential(SyncHyperband(SPACE, metric="loss", random_seed=0), len(SYNC_LOG))
    assert log == SYNC_LOG


def test_sync_bohb_fits_the_largest_level_with_enough_data():
    bohb = SyncBOHB(SPACE, metric="loss", num_min_data_points=2, random_seed=0)
    searcher = bohb.searcher
    at = AskTell(bohb)
    levels = []
    for _ in range(30):
        trial = at.ask()
        levels.append(searcher.model_level())
        epoch = (trial.last_result or {}).get("epoch", 0) + 1
        while True:
            result = {"epoch": epoch, "loss": base_loss(trial.trial_id) + 1 / epoch}
            if epoch == 9:
                at.tell(trial, result)
                break
            if at.report(trial, result) is not C:
                break
            epoch += 1
    # a level needs 2 * 2 results (good and bad sets of 2 at least). asks 0-8: bracket 0's
    # rung 0 (level 1 from ask 4); 9-11 resume to 3; 12 resumes to 9; 13-17 bracket 1's new
    # configs at 3, whose first result makes 4 at level 3 by ask 14; level 9 has 4 by ask 21
    assert levels[:5] == [None, None, None, None, 1]
    assert levels[13:15] == [1, 3]
    assert levels[20:22] == [3, 9]
    assert searcher.num_observations(1) == 9 + 8  # bracket 0, and bracket 3 so far (t17..t24)
    assert isinstance(searcher, KDESearcher)


def test_dehb_population_sizes_are_the_largest_rungs_per_level():
    assert DEHB(SPACE, metric="loss").population_sizes == {1: 9, 3: 5, 9: 3}
    dehb = DEHB({"x": uniform(0, 1)}, metric="loss", max_t=81)
    assert dehb.population_sizes == {1: 81, 3: 34, 9: 15, 27: 8, 81: 5}
    assert (
        dehb.bracket_table
        == SyncHyperband({"x": uniform(0, 1)}, metric="loss", max_t=81).bracket_table
    )


#: DEHB with one worker: bracket 0 is synchronous successive halving; later trials are new
#: configs that STOP at their rung (hand-computed from TABLE and base_loss)
DEHB_LOG = (
    SYNC_LOG[:13]  # bracket 0 as in synchronous Hyperband
    + [("start", t, 1, 3, "stop") for t in range(9, 14)]  # bracket 1, rung (5, 3): evolved
    + [("start", 14, 1, 9, "complete")]  # rung (1, 9): a new evolved config, not a resume
    + [("start", t, 1, 9, "complete") for t in (15, 16, 17)]  # bracket 2, rung (3, 9)
    + [("start", t, 1, 1, "stop") for t in range(18, 27)]  # bracket 3: (9, 1)
    + [("start", t, 1, 3, "stop") for t in (27, 28, 29)]  # (3, 3): new trials
    + [("start", 30, 1, 9, "complete")]  # (1, 9)
)


def test_dehb_brackets_by_hand():
    dehb = DEHB(SPACE, metric="loss", random_seed=0)
    at, log = sequential(dehb, len(DEHB_LOG))
    assert log == DEHB_LOG
    config = {tid: {"x": t.config["x"], "y": t.config["y"]} for tid, t in at.trials.items()}

    def members(level):
        return [
            None if m is None else (m[0]["x"], m[0]["y"], round(m[1], 9))
            for m in dehb.subpopulation(level)
        ]

    def member(tid, epoch):
        return (config[tid]["x"], config[tid]["y"], round(base_loss(tid) + 1 / epoch, 9))

    # level 3, slots 0-2 from bracket 0 (t0, t8, t5 in resume order), then bracket 1's selection:
    # t9 (0.8) loses to t0 (0.0), t10 (0.4) loses to t8 (0.1), t11 (0.0) beats t5 (0.2),
    # t12 and t13 fill empty slots
    assert members(3) == [member(0, 3), member(8, 3), member(11, 3), member(12, 3), member(13, 3)]
    # level 9: slot 0 is t0 (t14 and t15 lose to it); slots 1, 2 from bracket 2 (t16, t17)
    assert members(9) == [member(0, 9), member(16, 9), member(17, 9)]
    # level 1 after bracket 3: t18..t26 against t0..t8, slot by slot
    expected = [member(min(t, t + 18, key=base_loss), 1) for t in range(9)]
    assert members(1) == expected
    # evolved configs are new
    keys = [(c["x"], c["y"]) for c in config.values()]
    assert len(set(keys)) == len(keys)


def test_dehb_parents_of_a_later_rung_are_the_best_winners_of_the_rung_before():
    dehb = DEHB(SPACE, metric="loss", random_seed=0)
    sequential(dehb, 18)  # bracket 1's rung (5, 3) done; its rung (1, 9) not asked yet
    seen = {}

    def spy(parents, target=None, pool=()):
        seen["parents"], seen["target"] = [list(p) for p in parents], target
        return original(parents, target, pool)

    original, dehb.searcher.evolve = dehb.searcher.evolve, spy
    dehb.suggest(14)
    slots = dehb._pop[3]
    # winners of bracket 1's slots: t0 (0) and t11 (0) tie, slot 0 first: t0's vector
    assert seen["parents"] == [slots[0][0]]
    assert seen["target"] == dehb._pop[9][0][0]


def test_dehb_state_round_trip_mid_bracket():
    original = AskTell(DEHB(SPACE, metric="loss", random_seed=4))
    drive(original, SPACE, max_trials=16, n_workers=3)
    state = json.loads(json.dumps(original.scheduler.state_dict()))
    assert state["dehb"]["jobs"] and state["dehb"]["population"]
    clone = DEHB(SPACE, metric="loss", random_seed=4)
    clone.load_state_dict(state)
    assert clone.state_dict()["dehb"] == original.scheduler.state_dict()["dehb"]
    assert [clone.subpopulation(level) for level in (1, 3, 9)] == [
        original.scheduler.subpopulation(level) for level in (1, 3, 9)
    ]


def test_dehb_failures_leave_the_target_in_its_slot():
    dehb = DEHB(SPACE, metric="loss", random_seed=0)
    at, _ = sequential(dehb, 13)  # bracket 0 done
    trial = at.ask()  # bracket 1, rung (5, 3), slot 0: its target is t0
    assert trial.trial_id == 9 and dehb._jobs[9].slot == 0
    target = dehb.subpopulation(3)[0]
    at.fail(trial)  # a failed rung-0 trial gives its slot to a new config
    again = at.ask()
    assert again.trial_id == 10 and dehb._jobs[10].slot == 0
    assert dehb.subpopulation(3)[0] == target
    for epoch in (1, 2, 3):
        decision = at.report(again, {"epoch": epoch, "loss": 9.0})
    assert decision is S
    assert dehb.subpopulation(3)[0] == target  # 9.0 loses the selection


@pytest.mark.parametrize("cls", [TPE, REA, BOHB, SyncBOHB, DEHB])
def test_specs_rebuild(cls):
    kwargs = {"metric": "loss", "random_seed": 3}
    if cls in (BOHB, SyncBOHB, DEHB):
        kwargs["max_t"] = 9
    scheduler = cls(MIXED_SPACE, **kwargs)
    rebuilt = build(scheduler.spec())
    assert type(rebuilt) is cls
    assert rebuilt.suggest(0).config == cls(MIXED_SPACE, **kwargs).suggest(0).config


def test_tpe_learns():
    at = AskTell(TPE(MIXED_SPACE, metric="loss", random_seed=0))
    values = []
    for _ in range(80):
        trial = at.ask()
        values.append(objective(trial.config, MIXED_SPACE))
        at.tell(trial, {"loss": values[-1]})
    assert min(values[40:]) < min(values[:20])
    assert at.scheduler.searcher.model_level() == 0


def test_bohb_rejects_bad_options_with_the_searchers_errors():
    with pytest.raises(ValueError, match="`gamma` must be a number in"):
        BOHB(MIXED_SPACE, metric="loss", max_t=9, gamma=2)
    with pytest.raises(ValueError, match="`sample_size` must be at most `population_size`"):
        REA(MIXED_SPACE, metric="loss", population_size=2, sample_size=3)
    with pytest.raises(ValueError, match="`mutation_factor` must be a number"):
        DEHB(MIXED_SPACE, metric="loss", mutation_factor=0)


def test_doctests():
    import doctest

    import tunesmith.schedulers.model_based as module

    assert doctest.testmod(module).failed == 0
