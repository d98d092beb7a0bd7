import json

import numpy as np
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
            searcher_data="rungs_and_last",
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


#: DEHB with one worker: the first Hyperband iteration (brackets 0-2) schedules as synchronous
#: Hyperband (promotions resume); later trials are new configs that STOP at their rung
#: (hand-computed from TABLE and base_loss)
DEHB_LOG = (
    SYNC_LOG[:22]  # brackets 0, 1, 2 as in synchronous Hyperband (1 and 2 start evolved configs)
    + [("start", t, 1, 1, "stop") for t in range(17, 26)]  # bracket 3: (9, 1)
    + [("start", t, 1, 3, "stop") for t in (26, 27, 28)]  # (3, 3): new trials, not resumes
    + [("start", 29, 1, 9, "complete")]  # (1, 9)
)


def _spy_evolve(dehb):
    """Record the parents and target of the searcher's next ``evolve`` calls."""
    seen = []
    original = dehb.searcher.evolve

    def spy(parents, target=None, pool=()):
        seen.append(([list(p) for p in parents], target))
        return original(parents, target, pool)

    dehb.searcher.evolve = spy
    return seen


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

    def winner(old, new):  # selection: the newcomer wins ties
        return new if base_loss(new) <= base_loss(old) else old

    # targets are taken in turn per level. Level 3 (5 slots): t0, t8, t5 (bracket 0's
    # promotions), then bracket 1's t9..t13 against slots 3, 4, 0, 1, 2: t11 (0) ties with t0
    # and replaces it, t12 and t13 lose; bracket 4's t26, t27, t28 against slots 3, 4, 0
    assert members(3) == [
        member(11, 3),
        member(8, 3),
        member(5, 3),
        member(winner(9, 26), 3),
        member(winner(10, 27), 3),
    ]
    assert winner(9, 26) == 26 and winner(10, 27) == 27
    # level 9 (3 slots): t0 and t11 (promoted), t14 fills slot 2, t15 and t16 lose against t0
    # and t11; bracket 3's t29 takes slot 2 from t14
    assert members(9) == [member(0, 9), member(11, 9), member(29, 9)]
    # level 1 after bracket 3: t17..t25 against t0..t8, slot by slot
    assert members(1) == [member(winner(t, t + 17), 1) for t in range(9)]
    # evolved configs are new
    keys = [(c["x"], c["y"]) for c in config.values()]
    assert len(set(keys)) == len(keys)


def test_dehb_parents_are_the_best_members_one_level_below():
    dehb = DEHB(SPACE, metric="loss", random_seed=0)
    sequential(dehb, 13)  # bracket 0 done: level 3 holds t0, t8, t5
    seen = _spy_evolve(dehb)
    dehb.suggest(9)  # bracket 1, rung (5, 3): the best 5 (here 3) members at level 3
    pop = dehb._pop
    assert seen[0] == ([pop[3][0][0], pop[3][1][0], pop[3][2][0]], None)  # slot 3 is empty

    dehb = DEHB(SPACE, metric="loss", random_seed=0)
    sequential(dehb, 31)  # bracket 3's rung (9, 1) done
    seen = _spy_evolve(dehb)
    dehb.suggest(26)  # rung (3, 3): the best 3 members at level 1, against slot 3 of level 3
    pop = dehb._pop
    # level 1 scores by slot: 0 (t0), .5, .1 (t19), .8, .4, 0 (t22), .7, .3, .1 (t8): ties by slot
    assert seen[0] == ([pop[1][0][0], pop[1][5][0], pop[1][2][0]], pop[3][3][0])


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
    at, _ = sequential(dehb, 31)  # bracket 3's rung (9, 1) done
    trial = at.ask()  # rung (3, 3): a new config against slot 3 of level 3 (t9)
    assert trial.trial_id == 26 and dehb._jobs[26].slot == 3
    target = dehb.subpopulation(3)[3]
    at.fail(trial)  # counts as the worst result of the rung; the next job takes the next slot
    assert dehb.subpopulation(3)[3] == target
    again = at.ask()
    assert again.trial_id == 27 and dehb._jobs[27].slot == 4
    target = dehb.subpopulation(3)[4]
    for epoch in (1, 2, 3):
        decision = at.report(again, {"epoch": epoch, "loss": 9.0})
    assert decision is S
    assert dehb.subpopulation(3)[4] == target  # 9.0 loses the selection


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


def test_dehb_restricted_to_a_table_runs_only_its_configs():
    from tunesmith.space import sample_config

    rng = np.random.default_rng(7)
    allowed = [sample_config(SPACE, rng) for _ in range(40)]
    keys = {(c["x"], c["y"]) for c in allowed}
    dehb = DEHB(SPACE, metric="loss", random_seed=0, restrict_configurations=allowed)
    at, _ = sequential(dehb, 35)  # t0-t29, as DEHB_LOG: t17-t29 evolved after the first iteration
    configs = [(t.config["x"], t.config["y"]) for t in at.trials.values()]
    assert len(configs) == 30 and set(configs) <= keys and len(set(configs)) == len(configs)
