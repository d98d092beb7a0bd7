import json

import pytest

from tunesmith import AskTell, Decision, TrialStatus, randint, uniform
from tunesmith.schedulers import SyncHyperband, SyncSuccessiveHalving
from tunesmith.spec import build
from tunesmith.testing.scheduler_contract import SchedulerContract, drive
from tunesmith.testing.spaces import MIXED_SPACE

SPACE = {
    "x": uniform(0, 1),
    "epochs": 9,
}  # eta 3: brackets [(9,1),(3,3),(1,9)], [(5,3),(1,9)], [(3,9)]
C, P, S = Decision.CONTINUE, Decision.PAUSE, Decision.STOP


def r(epoch, loss):
    return {"epoch": epoch, "loss": loss}


class TestSyncHyperbandContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return SyncHyperband(
            config_space, metric=metric, mode=mode, max_t=9, random_seed=random_seed
        )


class TestSyncHyperbandFirstRungBeyondTheSpaceContract(SchedulerContract):
    # bracket 0 wants 27 configs, the contract's finite space has 24: the searcher runs out
    # while rung 0 fills, and the shrunk rung's promotions must come from that same suggest()
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return SyncHyperband(
            config_space, metric=metric, mode=mode, max_t=27, random_seed=random_seed
        )


class TestSyncSuccessiveHalvingContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return SyncSuccessiveHalving(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            reduction_factor=2,
            random_seed=random_seed,
        )


class TestSyncHyperbandGeometricContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return SyncHyperband(
            config_space,
            metric=metric,
            mode=mode,
            max_t=10,
            bracket_rule="geometric",
            random_seed=random_seed,
        )


def test_geometric_bracket_rule_is_syne_tunes():
    # Syne Tune's tutorial (seed 002): rung levels 1, 3, 9, 27, 81 and max_t 200; brackets start
    # 243, 98, 41, 18, 9, 6 configs at r_min 1, 3, 9, 27, 81, 200
    scheduler = SyncHyperband(
        {"x": uniform(0, 1)}, metric="loss", max_t=200, bracket_rule="geometric"
    )
    table = scheduler.bracket_table
    assert [rungs[0] for rungs in table] == [
        (243, 1),
        (98, 3),
        (41, 9),
        (18, 27),
        (9, 81),
        (6, 200),
    ]
    # successive halving: 243 for 1 epoch, then 81, 27, 9, 3 and the single best for 200
    assert table[0] == [(243, 1), (81, 3), (27, 9), (9, 27), (3, 81), (1, 200)]
    # each rung rounded up on its own: ceil(6/5 * 27) = 33, not floor(98 / 3) = 32
    assert table[1] == [(98, 3), (33, 9), (11, 27), (4, 81), (2, 200)]
    # max_t=10: levels 1, 3, 9 and 10 (the paper's rule counts down from 10: 1, 3, 10)
    assert SyncHyperband(SPACE, metric="loss", max_t=10, bracket_rule="geometric").bracket_table[
        0
    ] == [(27, 1), (9, 3), (3, 9), (1, 10)]
    assert SyncHyperband(SPACE, metric="loss", max_t=10).bracket_table[0] == [
        (9, 1),
        (3, 3),
        (1, 10),
    ]
    sh = SyncSuccessiveHalving(SPACE, metric="loss", max_t=10, bracket_rule="geometric")
    assert sh.bracket_table == [[(27, 1), (9, 3), (3, 9), (1, 10)]]
    clone = build(json.loads(json.dumps(scheduler.spec())))
    assert clone.bracket_table == table
    with pytest.raises(ValueError, match=r"`bracket_rule` must be one of \['paper', 'geometric'\]"):
        SyncHyperband(SPACE, metric="loss", bracket_rule="syne")


def test_bracket_table_is_the_papers():
    scheduler = SyncHyperband({"x": uniform(0, 1)}, metric="loss", max_t=81)
    assert scheduler.bracket_table == [
        [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
        [(34, 3), (11, 9), (3, 27), (1, 81)],
        [(15, 9), (5, 27), (1, 81)],
        [(8, 27), (2, 81)],
        [(5, 81)],
    ]
    assert SyncHyperband(SPACE, metric="loss").bracket_table == [
        [(9, 1), (3, 3), (1, 9)],
        [(5, 3), (1, 9)],
        [(3, 9)],
    ]
    assert SyncSuccessiveHalving(SPACE, metric="loss").bracket_table == [[(9, 1), (3, 3), (1, 9)]]


def test_successive_halving_promotes_the_best_once_a_rung_is_full():
    at = AskTell(SyncSuccessiveHalving(SPACE, metric="loss", random_seed=0))
    trials = [at.ask() for _ in range(9)]
    assert [t.trial_id for t in trials] == list(range(9))
    losses = [0.5, 0.3, 0.9, 0.1, 0.7, 0.6, 0.2, 0.8, 0.4]
    for trial, loss in zip(trials[:8], losses, strict=False):
        assert at.report(trial, r(1, loss)) is P
    # rung 0 is not complete (trial 8 runs): a free worker starts the next bracket
    spare = at.ask()
    assert spare.trial_id == 9
    assert at.report(trials[8], r(1, losses[8])) is P
    # rung 0 complete: the best 3 (trials 3, 6, 1) are resumed, best first
    resumed = [at.ask() for _ in range(3)]
    assert [t.trial_id for t in resumed] == [3, 6, 1]
    assert at.ask().trial_id == 10  # rung 1 has no more jobs: next bracket again
    t3, t6, t1 = resumed
    assert at.report(t3, r(2, 0.2)) is C
    assert at.report(t3, r(3, 0.15)) is P
    assert at.report(t6, r(3, 0.05)) is P  # reports may skip levels
    assert at.report(t1, r(1, 0.3)) is C  # started over after the resume: ignored
    assert at.report(t1, r(2, 0.3)) is C
    assert at.report(t1, r(3, 0.3)) is P
    top = at.ask()
    assert top is t6  # rung 1 complete: its best goes to max_t
    for epoch in range(4, 9):
        assert at.report(t6, r(epoch, 0.01)) is C
    assert at.report(t6, r(9, 0.01)) is C  # the bracket's top: it ends by itself
    at.tell(t6, r(9, 0.01))
    statuses = {t.trial_id: t.status.value for t in at.trials.values()}
    assert statuses[6] == "completed"
    assert {statuses[i] for i in (0, 1, 2, 3, 4, 5, 7, 8)} == {"paused"}  # never promoted


def test_hyperband_runs_brackets_in_order():
    at = AskTell(SyncHyperband(SPACE, metric="loss", random_seed=0))
    log = drive(at, SPACE, max_trials=17, n_workers=1)
    pauses = {}
    for entry in log:
        if entry[0] == "result" and entry[3] == "pause":
            pauses.setdefault(entry[1], []).append(entry[2])
    completed = [entry[1] for entry in log if entry[0] == "complete"]
    # bracket s=2: trials 0-8 pause at 1, three pause at 3, one completes
    assert all(pauses[t][0] == 1 for t in range(9))
    assert sum(3 in pauses.get(t, []) for t in range(9)) == 3
    # bracket s=1: trials 9-13 pause at 3, one completes; bracket s=0: trials 14-16 complete
    assert all(pauses[t] == [3] for t in range(9, 14))
    assert sum(t in completed for t in range(9)) == 1
    assert sum(t in completed for t in range(9, 14)) == 1
    assert all(t in completed and t not in pauses for t in range(14, 17))


def test_failed_rung_zero_trial_gives_its_slot_to_a_new_config():
    at = AskTell(SyncSuccessiveHalving(SPACE, metric="loss", random_seed=0))
    trials = [at.ask() for _ in range(9)]
    at.fail(trials[4])
    replacement = at.ask()
    assert replacement.trial_id == 9
    for trial in [*trials[:4], *trials[5:], replacement]:
        assert at.report(trial, r(1, 0.1 * trial.trial_id + 0.05)) is P
    assert [at.ask().trial_id for _ in range(3)] == [0, 1, 2]


def test_failed_trial_of_a_higher_rung_counts_as_the_worst():
    at = AskTell(SyncSuccessiveHalving(SPACE, metric="loss", random_seed=0))
    trials = [at.ask() for _ in range(9)]
    for trial in trials:
        at.report(trial, r(1, 0.1 * trial.trial_id + 0.05))
    t0, t1, t2 = (at.ask() for _ in range(3))
    at.fail(t0)  # the best at rung 0 fails on its way to rung 1
    at.report(t1, r(3, 0.5))
    assert at.report(t2, r(3, 0.4)) is P
    assert at.ask() is t2  # rung 1 complete without t0


def test_exhausted_searcher_shrinks_the_bracket_and_none_is_not_final():
    space = {"a": randint(0, 3), "epochs": 9}  # 4 configs
    at = AskTell(SyncSuccessiveHalving(space, metric="loss", random_seed=0))
    trials = [at.ask() for _ in range(4)]
    assert at.ask() is None  # no config left; rung 0 shrinks to 4 (rung 1: 1, rung 2: 1)
    for trial, loss in zip(trials, (0.4, 0.1, 0.3, 0.2), strict=True):
        at.report(trial, r(1, loss))
    best = at.ask()  # work again once the results are in
    assert best.trial_id == 1
    assert at.ask() is None
    at.report(best, r(3, 0.05))
    assert at.ask() is best
    at.tell(best, r(9, 0.01))
    assert at.ask() is None


def test_results_past_max_t_stop():
    at = AskTell(SyncHyperband(SPACE, metric="loss", brackets=3, random_seed=0))
    trials = [at.ask() for _ in range(9 + 5 + 1)]  # the last starts in bracket s=0 (r=9)
    assert at.report(trials[-1], r(10, 0.5)) is S


def test_drive_completes_with_mixed_space():
    at = AskTell(SyncHyperband(MIXED_SPACE, metric="loss", random_seed=1))
    log = drive(at, MIXED_SPACE, max_trials=40, n_workers=5, fail_every=7)
    assert any(entry[0] == "complete" for entry in log)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_t": 0}, r"`max_t` must be an int >= 1, but got max_t=0"),
        ({"grace_period": 10}, r"`max_t` must be >= `grace_period`, but got max_t=9"),
        ({"reduction_factor": 1}, r"`reduction_factor` must be a number >= 2"),
        ({"brackets": 4}, r"`brackets` must be an int in \[1, 3\]"),
        ({"brackets": 0}, r"`brackets` must be an int in \[1, 3\]"),
        ({"resource_attr": ""}, r"`resource_attr` must be the non-empty name"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SyncHyperband(SPACE, metric="loss", **kwargs)


def test_max_t_must_be_known():
    with pytest.raises(ValueError, match="the maximum resource max_t is unknown"):
        SyncHyperband({"x": uniform(0, 1)}, metric="loss")


def test_resource_must_increase():
    scheduler = SyncSuccessiveHalving(SPACE, metric="loss", grace_period=3)
    assert scheduler.bracket_table == [[(3, 3), (1, 9)]]
    at = AskTell(scheduler)
    trial = at.ask()
    with pytest.raises(ValueError, match="has no resource attribute 'epoch'"):
        at.report(trial, {"loss": 1.0})
    assert at.report(trial, r(2, 0.5)) is C
    with pytest.raises(ValueError, match="must increase from one result to the next"):
        at.report(trial, r(2, 0.4))


def test_spec_rebuilds_the_scheduler():
    scheduler = SyncSuccessiveHalving(SPACE, metric="loss", reduction_factor=2, random_seed=1)
    clone = build(json.loads(json.dumps(scheduler.spec())))
    assert isinstance(clone, SyncSuccessiveHalving)
    assert clone.bracket_table == scheduler.bracket_table


def test_suggest_resume_shrinks_unfilled_brackets_and_resumes_promoted_trials():
    scheduler = SyncSuccessiveHalving(SPACE, metric="loss", random_seed=0)  # 9 -> 3 -> 1
    at = AskTell(scheduler)
    trials = [at.ask() for _ in range(5)]  # then no new trial may start
    for trial, loss in zip(trials[:4], (0.5, 0.3, 0.4, 0.2), strict=True):
        assert at.report(trial, r(1, loss)) is P
    assert scheduler.suggest_resume() is None  # trial 4 still runs towards rung 0
    assert at.report(trials[4], r(1, 0.6)) is P
    # rung 0 shrinks to the 5 configs started: 5 -> 5 * 3 // 9 = 1 -> 1
    suggestion = scheduler.suggest_resume()
    assert suggestion is not None and suggestion.resume_trial_id == 3
    best = at.trials[3]
    best.status = TrialStatus.RUNNING
    assert at.report(best, r(2, 0.2)) is C
    assert at.report(best, r(3, 0.1)) is P
    assert scheduler.suggest_resume().resume_trial_id == 3
    best.status = TrialStatus.RUNNING
    for epoch in range(4, 9):
        assert at.report(best, r(epoch, 0.1)) is C
    at.tell(best, r(9, 0.05))
    assert scheduler.suggest_resume() is None
    assert len(at.trials) == 5
