import json
import math
from collections import Counter

import numpy as np
import pytest

from tunesmith import AskTell, Decision, RandomSearcher, TrialStatus, loguniform, uniform
from tunesmith.schedulers import (
    ASHA,
    ASHABORE,
    ASHACQR,
    BOHB,
    MOBSTER,
    PASHA,
    RUSH,
    DyHPO,
    HyperbandScheduler,
    HyperTune,
)
from tunesmith.schedulers._pasha import criss_crossed
from tunesmith.spec import build
from tunesmith.testing.scheduler_contract import SchedulerContract, drive
from tunesmith.testing.spaces import MIXED_SPACE

SPACE = {"x": uniform(0, 1), "epochs": 10}  # rungs [1, 3, 9] with the defaults
C, P, S = Decision.CONTINUE, Decision.PAUSE, Decision.STOP


def r(epoch, loss, **extra):
    return {"epoch": epoch, "loss": loss, **extra}


# -- the contract -------------------------------------------------------------------------------
class TestASHAStoppingContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return ASHA(config_space, metric=metric, mode=mode, max_t=9, random_seed=random_seed)


class TestASHAPromotionContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return ASHA(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            type="promotion",
            random_seed=random_seed,
        )


class TestASHAInterpolatedPromotionContract(SchedulerContract):
    # the seeds' rules: quantiles r_j / r_{j+1} (9/10 at rung 9 below max_t 10), interpolated
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return ASHA(
            config_space,
            metric=metric,
            mode=mode,
            max_t=10,
            type="promotion",
            cutoff="interpolated",
            random_seed=random_seed,
        )


class TestHyperbandSharedRungsContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return HyperbandScheduler(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            brackets=3,
            rung_system_per_bracket=False,
            searcher_data="all",
            random_seed=random_seed,
        )


class TestHyperbandPromotionPerBracketContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return HyperbandScheduler(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            grace_period=1,
            reduction_factor=2,
            brackets=3,
            type="promotion",
            keep_size_ratios=True,
            searcher_data="rungs_and_last",
            random_seed=random_seed,
        )


class TestPASHAContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return PASHA(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            reduction_factor=2,
            random_seed=random_seed,
        )


# -- rung levels --------------------------------------------------------------------------------
def test_rung_levels_and_max_t_inference():
    assert ASHA(SPACE, metric="loss").rung_levels == [1, 3, 9]
    assert ASHA(SPACE, metric="loss").max_t == 10
    assert ASHA(MIXED_SPACE, metric="loss").rung_levels == [1, 3]
    scheduler = HyperbandScheduler(
        {"x": uniform(0, 1), "budget": 100}, metric="loss", max_resource_attr="budget"
    )
    assert scheduler.rung_levels == [1, 3, 9, 27, 81]
    assert HyperbandScheduler(SPACE, metric="loss", rung_increment=4).rung_levels == [1, 5, 9]
    assert HyperbandScheduler(SPACE, metric="loss", rung_levels=[2, 7]).rung_levels == [2, 7]


def test_spec_rebuilds_the_same_scheduler():
    scheduler = HyperbandScheduler(
        SPACE, metric="acc", mode="max", type="promotion", brackets=2, random_seed=3
    )
    clone = build(json.loads(json.dumps(scheduler.spec())))
    assert isinstance(clone, HyperbandScheduler)
    assert (clone.type, clone.brackets, clone.rung_levels) == ("promotion", 2, [1, 3, 9])
    assert isinstance(build(ASHA(SPACE, metric="loss", random_seed=1).spec()), ASHA)


# -- stopping -----------------------------------------------------------------------------------
def test_stopping_decisions_follow_the_top_fraction_rule():
    at = AskTell(ASHA(SPACE, metric="loss", random_seed=0))
    trials = [at.ask() for _ in range(6)]
    # rung 1, eta = 3: go on iff (values strictly better) * 3 < (values recorded, itself included)
    losses = [0.5, 0.6, 0.4, 0.45, 0.7, 0.3]
    expected = [C, S, C, C, S, C]
    assert [at.report(t, r(1, v)) for t, v in zip(trials, losses, strict=True)] == expected
    t0, t2, t3 = trials[0], trials[2], trials[3]
    assert at.report(t0, r(2, 0.45)) is C  # not a rung level
    assert at.report(t0, r(3, 0.4)) is C  # first at rung 3
    assert at.report(t2, r(2, 0.45)) is C
    assert at.report(t2, r(3, 0.41)) is S  # 1 better of 2
    assert at.report(t3, r(3, 0.2)) is C  # best of 3
    for epoch in range(4, 10):
        assert at.report(t3, r(epoch, 0.1)) is C  # alone at rung 9
    assert at.report(t3, r(10, 0.1)) is C  # reached max_t: it ends by itself
    at.tell(t3, r(10, 0.1))
    assert at.trials[1].status.value == "stopped"


def test_stopping_in_max_mode_mirrors_min_mode():
    at = AskTell(ASHA(SPACE, metric="acc", mode="max", random_seed=0))
    trials = [at.ask() for _ in range(6)]
    accs = [0.5, 0.4, 0.6, 0.55, 0.3, 0.7]
    expected = [C, S, C, C, S, C]
    results = [{"epoch": 1, "acc": a} for a in accs]
    assert [at.report(t, res) for t, res in zip(trials, results, strict=True)] == expected


def test_ties_go_on():
    at = AskTell(ASHA(SPACE, metric="loss", random_seed=0))
    trials = [at.ask() for _ in range(5)]
    assert [at.report(t, r(1, 0.5)) for t in trials] == [C] * 5


def test_results_past_max_t_stop_and_skipped_rungs_count_once():
    at = AskTell(ASHA(SPACE, metric="loss", random_seed=0))
    a, b = at.ask(), at.ask()
    assert at.report(a, r(2, 0.5)) is C  # passes rung 1 without reporting at it: recorded there
    assert at.report(b, r(1, 0.9)) is S  # worse than a at rung 1
    assert at.report(a, r(11, 0.1)) is S  # beyond max_t=10


def test_top_rung_lets_nine_tenths_go_on_below_max_t_10():
    """The seeds' q_j = r_j / r_{j+1} with max_t last: rungs 1, 3, 9 below max_t=10 give
    q = 9/10 at rung 9. Ten trials tie up to epoch 8 (ties go on) and reach epoch 9 each worse
    than all before: the n-th goes on iff fewer than 9n/10 values are better, so 9 go on and the
    10th stops (with 1/3 there, as before, only the first went on)."""

    def decisions(**kwargs):
        at = AskTell(ASHA(SPACE, metric="loss", random_seed=0, **kwargs))
        out = []
        for i in range(10):
            trial = at.ask()
            assert [at.report(trial, r(e, 1.0)) for e in range(1, 9)] == [C] * 8
            out.append(at.report(trial, r(9, 0.1 * (i + 1))))
        return out

    assert decisions() == [C] * 9 + [S]
    assert decisions(rung_quantiles="eta") == [C] + [S] * 9  # 1/3 at every rung (Ray Tune)


@pytest.mark.parametrize("kind", ["promotion", "pasha"])
def test_promotion_from_the_top_rung_below_max_t_10(kind):
    # one rung, at 9 (grace_period 9, eta 3, max_t 10): q = 9/10, so 9 of 10 paused trials may
    # go on to max_t (floor(10 * 9/10)); with 1/eta only floor(10/3) = 3 did
    def resumes(**kwargs):
        scheduler = HyperbandScheduler(
            SPACE, metric="loss", type=kind, grace_period=9, random_seed=0, **kwargs
        )
        assert scheduler.rung_levels == [9]
        at = AskTell(scheduler)
        trials = [at.ask() for _ in range(10)]  # ten running trials reach epoch 9
        for i, trial in enumerate(trials):
            assert at.report(trial, r(9, 0.1 * (i + 1))) is P
        resumed = []
        while (trial := at.ask()).trial_id < 10:
            resumed.append(trial.trial_id)
        return resumed

    assert resumes() == list(range(9))  # best first
    assert resumes(rung_quantiles="eta") == [0, 1, 2]


def _decision_log(scheduler, n_trials=60, seed=1):
    """(trial, epoch, decision) of a stream of trials, promotions included, for comparisons."""
    rng = np.random.default_rng(seed)
    at = AskTell(scheduler)
    log, done = [], {}
    for _ in range(n_trials):
        trial = at.ask()
        epoch = done.get(trial.trial_id, 0)
        while True:
            epoch += 1
            result = r(epoch, float(rng.random()))
            if epoch == scheduler.max_t:
                at.tell(trial, result)
                log.append((trial.trial_id, epoch, "complete"))
                break
            decision = at.report(trial, result)
            log.append((trial.trial_id, epoch, decision.value))
            if decision is not C:
                break
        done[trial.trial_id] = epoch
    return log


@pytest.mark.parametrize("kind", ["stopping", "promotion"])
def test_max_t_at_a_power_of_eta_changes_nothing(kind):
    # max_t = 27: rungs 1, 3, 9, and 9/27 = 1/3 at the top rung, so every quantile is 1/eta
    space = {"x": uniform(0, 1), "epochs": 27}
    logs = [
        _decision_log(ASHA(space, metric="loss", type=kind, rung_quantiles=q, random_seed=0))
        for q in ("ratio", "eta")
    ]
    assert logs[0] == logs[1]
    assert {d for _, _, d in logs[0]} >= {
        "continue",
        "complete",
        "stop" if kind == "stopping" else "pause",
    }


# -- the interpolated cutoff (Syne Tune up to 0.13) ----------------------------------------------
@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize(("levels", "max_t"), [([9], 10), ([3], 9), ([2], 5)])
def test_interpolated_cutoff_stops_as_numpy_quantile(mode, levels, max_t):
    # at the rung: go on iff the value is at most numpy.quantile(values, q) (at least
    # numpy.quantile(values, 1 - q) for mode="max"), none cut below 2 values
    q = levels[0] / max_t
    space = {"x": uniform(0, 1), "epochs": max_t}
    for seed in range(5):
        rng = np.random.default_rng(seed)
        scheduler = HyperbandScheduler(
            space, metric="m", mode=mode, rung_levels=levels, cutoff="interpolated"
        )
        at = AskTell(scheduler)
        values = []
        for _ in range(40):
            value = float(np.round(rng.random(), 1))  # ties too
            values.append(value)
            got = at.report(at.ask(), {"epoch": levels[0], "m": value})
            cutoff = np.quantile(values, q if mode == "min" else 1 - q)
            if len(values) < 2 or abs(value - cutoff) < 1e-9:
                # (numpy's float q puts a cutoff equal to a value off by an ulp; the fractions
                # kept here do not: a value at the cutoff goes on)
                expected = C
            elif mode == "min":
                expected = C if value <= cutoff else S
            else:
                expected = C if value >= cutoff else S
            assert got is expected


@pytest.mark.parametrize("mode", ["min", "max"])
def test_interpolated_cutoff_promotes_as_numpy_quantile(mode):
    # one rung at 3 below max_t 9 (q = 1/3): the best paused trial may be promoted iff its
    # value is at most numpy.quantile(all values at the rung, promoted ones included, q)
    space = {"x": uniform(0, 1), "epochs": 9}
    sign = 1 if mode == "min" else -1
    for seed in range(5):
        rng = np.random.default_rng(seed)
        scheduler = HyperbandScheduler(
            space, metric="m", mode=mode, type="promotion", rung_levels=[3], cutoff="interpolated"
        )
        at = AskTell(scheduler)
        values, paused, promoted = [], {}, 0
        for _ in range(60):
            trial = at.ask()
            if trial.trial_id in paused:  # a promotion: check it against the reference
                best = min(paused, key=lambda t: (sign * paused[t], t))
                assert trial.trial_id == best
                cutoff = np.quantile([sign * v for v in values], 1 / 3)
                assert sign * paused[best] <= cutoff + 1e-9
                promoted += 1
                del paused[trial.trial_id]
                at.tell(trial, {"epoch": 9, "m": 0.0})
                continue
            if paused and len(values) >= 2:  # a new trial: none may be promoted
                best = min(sign * v for v in paused.values())
                assert best > np.quantile([sign * v for v in values], 1 / 3) + 1e-9
            value = float(np.round(rng.random(), 1))
            assert at.report(trial, {"epoch": 3, "m": value}) is P
            values.append(value)
            paused[trial.trial_id] = value
        assert 5 <= promoted <= 30


def test_interpolated_cutoff_at_the_top_rung_below_max_t_10():
    # each newcomer worse than all before: the interpolated 9/10-quantile of n >= 2 values lies
    # below the largest, so all but the first stop; the rank rule lets 9 of 10 go on
    at = AskTell(ASHA(SPACE, metric="loss", grace_period=9, cutoff="interpolated"))
    assert [at.report(at.ask(), r(9, 0.1 * (i + 1))) for i in range(10)] == [C] + [S] * 9
    at = AskTell(ASHA(SPACE, metric="loss", grace_period=9, cutoff="interpolated"))
    # the newcomer ranked 2nd of 3 goes on: quantile(0.1, 0.2, 0.3; 0.9) = 0.28 >= 0.2
    losses = [0.1, 0.3, 0.2, 0.25]
    assert [at.report(at.ask(), r(9, v)) for v in losses] == [C, S, C, C]
    with pytest.raises(ValueError, match="cost_promotion.*no interpolated cutoff"):
        HyperbandScheduler(
            SPACE, metric="loss", type="cost_promotion", cost_attr="c", cutoff="interpolated"
        )
    with pytest.raises(ValueError, match=r"`cutoff` must be one of \['rank', 'interpolated'\]"):
        ASHA(SPACE, metric="loss", cutoff="median")


# -- promotion ----------------------------------------------------------------------------------
def test_promotion_pauses_and_promotes_the_best_eligible_trial():
    scheduler = ASHA(SPACE, metric="loss", type="promotion", random_seed=0)
    at = AskTell(scheduler)
    a = at.ask()
    assert at.report(a, r(1, 0.5)) is P
    b = at.ask()  # a is alone at rung 1: floor(1/3) = 0 may go on -> new trial
    assert b.trial_id == 1
    assert at.report(b, r(1, 0.6)) is P
    c = at.ask()
    assert c.trial_id == 2
    assert at.report(c, r(1, 0.4)) is P
    assert scheduler.paused_trials() == [(0, 1, 0.5), (1, 1, 0.6), (2, 1, 0.4)]
    resumed = at.ask()  # floor(3/3) = 1: the best, c, is promoted
    assert resumed is c and c.status.value == "running" and len(at.trials) == 3
    assert at.report(c, r(1, 0.4)) is C  # started over (no checkpoint): repeats are ignored
    assert at.report(c, r(2, 0.35)) is C
    assert at.report(c, r(3, 0.3)) is P  # next rung: pauses again
    d = at.ask()  # rung 3 holds 1 (no promotion); at rung 1 a ranks 2nd of 3 -> new trial
    assert d.trial_id == 3
    assert at.report(d, r(1, 0.55)) is P
    e = at.ask()  # rung 1: 4 values, floor(4/3) = 1, a ranks 2nd -> new trial
    assert e.trial_id == 4
    assert at.report(e, r(1, 0.2)) is P
    assert at.ask() is e  # e ranks 1st of 5 and was not promoted
    assert [t for t, _, _ in scheduler.paused_trials()] == [0, 1, 2, 3]


def test_suggest_resume_makes_the_promotion_but_never_starts_a_config():
    assert ASHA(SPACE, metric="loss", random_seed=0).suggest_resume() is None  # stopping type
    scheduler = ASHA(SPACE, metric="loss", type="promotion", random_seed=0)
    at = AskTell(scheduler)
    a, b = at.ask(), at.ask()
    assert at.report(a, r(1, 0.5)) is P
    assert at.report(b, r(1, 0.6)) is P
    assert scheduler.suggest_resume() is None  # floor(2/3) = 0 may go on
    c = at.ask()
    reference = AskTell(ASHA(SPACE, metric="loss", type="promotion", random_seed=0))
    assert c.config == [reference.ask() for _ in range(3)][2].config  # none drawn meanwhile
    assert at.report(c, r(1, 0.4)) is P
    suggestion = scheduler.suggest_resume()
    assert suggestion is not None and suggestion.is_resume and suggestion.resume_trial_id == 2
    assert scheduler.suggest_resume() is None  # c was promoted; a ranks 2nd of 3
    c.status = TrialStatus.RUNNING
    assert at.report(c, r(3, 0.3)) is P
    assert [t for t, _, _ in scheduler.paused_trials()] == [0, 1, 2]
    assert scheduler.paused_standing(2) == (3, 0, 1, 1 / 3)
    assert scheduler.paused_standing(1) == (1, 2, 3, 1 / 3)


def test_keep_size_ratios_caps_promotions_per_rung():
    scheduler = ASHA(SPACE, metric="loss", type="promotion", random_seed=0)
    capped = HyperbandScheduler(
        SPACE, metric="loss", type="promotion", keep_size_ratios=True, random_seed=0
    )
    asked = []
    for sched in (scheduler, capped):
        at = AskTell(sched)
        for loss in (0.5, 0.6, 0.4):
            at.report(at.ask(), r(1, loss))
        assert at.ask().trial_id == 2  # promoted
        for loss in (0.55, 0.2):  # rung 1 now holds 5 values: floor(5/3) = 1
            at.report(at.ask(), r(1, loss))
        asked.append(at.ask())
    assert asked[0].trial_id == 4  # plain ASHA: trial 4 is the best, not yet promoted
    assert asked[1].trial_id == 5  # capped: one trial was promoted from rung 1 already


def test_promotion_prefers_the_highest_rung():
    at = AskTell(ASHA(SPACE, metric="loss", type="promotion", random_seed=0))
    trials = [at.ask() for _ in range(12)]
    losses = [0.5, 0.6, 0.4, 0.62, 0.7, 0.8, 0.9, 0.65, 0.75, 0.85, 0.95, 0.99]
    for trial, loss in zip(trials, losses, strict=True):
        assert at.report(trial, r(1, loss)) is P
    # rung 1: floor(12/3) = 4 may go on: trials 2, 0, 1, 3 (best first)
    for expected, loss in ((2, 0.3), (0, 0.35), (1, 0.32)):
        trial = at.ask()
        assert trial.trial_id == expected
        assert at.report(trial, r(2, loss)) is C
        assert at.report(trial, r(3, loss)) is P
    # rung 3: floor(3/3) = 1 -> trial 2 may go on; rung 1 still has trial 3 eligible
    assert at.ask().trial_id == 2
    assert at.ask().trial_id == 3


def test_error_and_remove_take_paused_trials_out():
    scheduler = ASHA(SPACE, metric="loss", type="promotion", random_seed=0)
    at = AskTell(scheduler)
    trials = []
    for loss in (0.5, 0.6, 0.4):
        trials.append(at.ask())
        at.report(trials[-1], r(1, loss))
    scheduler.on_trial_remove(trials[2])  # the best: no longer resumable
    assert [t for t, _, _ in scheduler.paused_trials()] == [0, 1]
    assert at.ask().trial_id == 3  # a ranks 2nd: not eligible


# -- cost-aware promotion -----------------------------------------------------------------------
def test_cost_promotion_uses_the_cost_quantile():
    def run(costs):
        scheduler = HyperbandScheduler(
            SPACE, metric="loss", type="cost_promotion", cost_attr="cost", random_seed=0
        )
        at = AskTell(scheduler)
        trials = [at.ask() for _ in range(3)]
        for trial, loss, cost in zip(trials, (0.4, 0.5, 0.6), costs, strict=True):
            assert at.report(trial, r(1, loss, cost=cost)) is P
        return at.ask().trial_id

    # best trial (0.4) is promotable iff its cost <= 1/3 of the rung's total cost
    assert run([1.0, 1.0, 1.0]) == 0
    assert run([2.0, 1.0, 1.0]) == 3  # 2 > 4/3: start a new trial instead
    assert run([1.0, 3.0, 3.0]) == 0
    assert run([0.0, 0.0, 0.0]) == 0  # free: C(1) = 0 <= 0


def test_cost_promotion_needs_the_cost():
    at = AskTell(HyperbandScheduler(SPACE, metric="loss", type="cost_promotion", cost_attr="cost"))
    trial = at.ask()
    with pytest.raises(ValueError, match="needs cost 'cost' in every result"):
        at.report(trial, r(1, 0.5))
    trial = at.ask()
    with pytest.raises(ValueError, match="cost 'cost' must be a finite number >= 0, but got -1"):
        at.report(trial, r(1, 0.5, cost=-1))


# -- brackets -----------------------------------------------------------------------------------
def test_brackets_are_drawn_from_the_hyperband_distribution():
    scheduler = HyperbandScheduler(SPACE, metric="loss", brackets=3, random_seed=0)
    assert [round(p * 45, 9) for p in scheduler.bracket_probabilities] == [27, 12, 6]
    at = AskTell(scheduler)
    counts = Counter(scheduler.bracket_of(at.ask().trial_id) for _ in range(4500))
    for bracket, expected in enumerate((2700, 1200, 600)):
        assert abs(counts[bracket] - expected) < 150


def test_softmax_bracket_distribution_is_one_argument_away():
    scheduler = HyperbandScheduler(
        SPACE, metric="loss", brackets=3, bracket_distribution="softmax", random_seed=0
    )
    weights = [1.0, math.exp(-1), math.exp(-2)]
    assert scheduler.bracket_probabilities == pytest.approx([w / sum(weights) for w in weights])
    clone = build(json.loads(json.dumps(scheduler.spec())))
    assert clone.bracket_probabilities == scheduler.bracket_probabilities
    with pytest.raises(ValueError, match="`bracket_distribution` must be one of"):
        HyperbandScheduler(SPACE, metric="loss", brackets=3, bracket_distribution="uniform")


def _trials_by_bracket(at, wanted):
    found = {bracket: [] for bracket in wanted}
    while any(len(found[b]) < n for b, n in wanted.items()):
        trial = at.ask()
        bracket = at.scheduler.bracket_of(trial.trial_id)
        if bracket in found:
            found[bracket].append(trial)
    return found


@pytest.mark.parametrize("per_bracket", [True, False])
def test_later_brackets_start_at_higher_rungs(per_bracket):
    scheduler = HyperbandScheduler(
        SPACE,
        metric="loss",
        brackets=2,
        rung_system_per_bracket=per_bracket,
        random_seed=0,
    )
    at = AskTell(scheduler)
    found = _trials_by_bracket(at, {0: 2, 1: 1})
    a, b = found[0][:2]
    late = found[1][0]
    assert at.report(late, r(1, 100.0)) is C  # bracket 1 has no rung at 1
    for trial in (a, b):
        for epoch, loss in ((1, 0.1), (2, 0.1)):
            assert at.report(trial, r(epoch, loss)) is C
    assert at.report(a, r(3, 0.1)) is C
    assert at.report(b, r(3, 0.2)) is S  # worse than a at rung 3 of bracket 0
    assert at.report(late, r(2, 50.0)) is C
    # shared rungs: late competes with a and b at rung 3; per bracket it is alone there
    assert at.report(late, r(3, 50.0)) is (C if per_bracket else S)


def test_bracket_sampling_is_reproducible():
    def brackets(seed):
        scheduler = HyperbandScheduler(SPACE, metric="loss", brackets=4, random_seed=seed)
        at = AskTell(scheduler)
        return [scheduler.bracket_of(at.ask().trial_id) for _ in range(50)]

    assert brackets(1) == brackets(1)
    assert brackets(1) != brackets(2)


# -- searcher data ------------------------------------------------------------------------------
class Recording(RandomSearcher):
    """Records the resources of observations, withdrawals and pending evaluations, and the data
    the searcher holds: ``{(config key, resource): result}``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.observed: list[int] = []
        self.withdrawn: list[int] = []
        self.pendings: list[int] = []
        self.data: dict[tuple, dict] = {}

    def observe(self, config, metrics, resource=None):
        self.observed.append(resource)
        self.data[(self._key(config), resource)] = dict(metrics)

    def withdraw(self, config, resource=None):
        self.withdrawn.append(resource)
        del self.data[(self._key(config), resource)]  # (a KeyError: nothing to withdraw)

    def pending(self, config, resource=None):
        self.pendings.append(resource)


@pytest.mark.parametrize(
    ("searcher_data", "observed", "withdrawn", "data"),
    [
        ("rungs", [1, 3, 9, 10], [], [1, 3, 9, 10]),
        ("all", list(range(1, 11)), [], list(range(1, 11))),
        ("rungs_and_last", list(range(1, 11)), [2, 4, 5, 6, 7, 8], [1, 3, 9, 10]),
    ],
)
def test_searcher_data_of_a_full_trial(searcher_data, observed, withdrawn, data):
    searcher = Recording(SPACE, random_seed=0)
    at = AskTell(
        HyperbandScheduler(SPACE, searcher=searcher, metric="loss", searcher_data=searcher_data)
    )
    trial = at.ask()
    for epoch in range(1, 10):
        assert at.report(trial, r(epoch, 1.0 / epoch)) is C
    at.tell(trial, r(10, 0.1))
    assert searcher.observed == observed
    assert searcher.withdrawn == withdrawn
    assert sorted(level for _, level in searcher.data) == data
    assert searcher.pendings == [1, 3, 9, 10]  # the next milestone, whenever the trial goes on


def _expected_data(searcher_data, reported):
    """``{(config key, level)}`` the searcher should hold, from each trial's reported levels
    (``reported``: trial -> levels), under the rungs [1, 3, 9] and ``max_t`` 10 of ``SPACE``."""
    out = set()
    for key, levels in reported.items():
        kept = [lv for lv in levels if searcher_data == "all" or lv in (1, 3, 9) or lv >= 10]
        if searcher_data == "rungs_and_last" and levels:
            kept.append(levels[-1])
        out |= {(key, lv) for lv in kept}
    return out


@pytest.mark.parametrize("type", ["stopping", "promotion"])
@pytest.mark.parametrize("searcher_data", ["rungs", "all", "rungs_and_last"])
def test_searcher_holds_the_rung_results_and_the_latest_after_every_result(type, searcher_data):
    """Four workers, trials stopped, paused, resumed, completed and removed: after every result
    the searcher holds the results ``searcher_data`` asks for (``"rungs_and_last"``: those at rung
    levels, plus each trial's most recent one), each with its reported values."""
    searcher = Recording(SPACE, random_seed=0)
    scheduler = HyperbandScheduler(
        SPACE, searcher=searcher, metric="loss", type=type, searcher_data=searcher_data
    )
    at = AskTell(scheduler)
    reported: dict[tuple, list[int]] = {}
    results: dict[tuple, dict] = {}
    running: dict[int, list] = {}  # worker -> [trial, next epoch]
    for step in range(240):
        worker = step % 4
        if worker not in running:
            trial = at.ask()
            key = searcher._key(trial.config)
            running[worker] = [trial, len(reported.setdefault(key, [])) + 1]
        trial, epoch = running[worker]
        key = searcher._key(trial.config)
        result = r(epoch, trial.config["x"] + 1.0 / epoch)
        if epoch == 10:
            at.tell(trial, result)
            decision = None
        elif trial.trial_id % 7 == 6 and epoch == 5:  # stopped from outside
            at.report(trial, result)
            scheduler.on_trial_remove(trial)
            decision = None
        else:
            decision = at.report(trial, result)
        reported[key].append(epoch)
        results[(key, epoch)] = result
        if decision is C:
            running[worker][1] += 1
        else:
            del running[worker]
        assert set(searcher.data) == _expected_data(searcher_data, reported)
        assert all(searcher.data[k] == results[k] for k in searcher.data)
    assert len(reported) > 10
    assert any(len(levels) == 10 for levels in reported.values())
    if searcher_data == "rungs_and_last":
        assert any(levels[-1] not in (1, 3, 9, 10) for levels in reported.values())


@pytest.mark.parametrize(
    ("searcher_data", "data"), [("rungs", [1, 3]), ("rungs_and_last", [1, 3, 5])]
)
def test_rungs_and_last_keeps_the_last_result_of_a_removed_trial(searcher_data, data):
    searcher = Recording(SPACE, random_seed=0)
    scheduler = HyperbandScheduler(
        SPACE, searcher=searcher, metric="loss", searcher_data=searcher_data
    )
    at = AskTell(scheduler)
    trial = at.ask()
    for epoch in range(1, 6):
        at.report(trial, r(epoch, 1.0))
    scheduler.on_trial_remove(trial)
    assert sorted(level for _, level in searcher.data) == data


def test_rungs_and_last_state_round_trip_keeps_withdrawing_the_right_result():
    def make():
        searcher = Recording(SPACE, random_seed=0)
        return searcher, HyperbandScheduler(
            SPACE, searcher=searcher, metric="loss", searcher_data="rungs_and_last"
        )

    searcher, scheduler = make()
    at = AskTell(scheduler)
    trial = at.ask()
    for epoch in range(1, 5):
        at.report(trial, r(epoch, 1.0))
    clone_searcher, clone = make()
    clone.load_state_dict(json.loads(json.dumps(scheduler.state_dict())))
    clone_searcher.data = dict(searcher.data)  # (the spy keeps no state of its own)
    clone.on_trial_result(trial, r(5, 1.0))
    assert sorted(level for _, level in clone_searcher.data) == [1, 3, 5]
    assert clone_searcher.withdrawn == [4]


def test_a_state_from_before_withdraw_gives_the_held_back_result_to_the_searcher():
    searcher = Recording(SPACE, random_seed=0)
    scheduler = HyperbandScheduler(
        SPACE, searcher=searcher, metric="loss", searcher_data="rungs_and_last"
    )
    at = AskTell(scheduler)
    trial = at.ask()
    for epoch in range(1, 6):
        at.report(trial, r(epoch, 1.0))
    state = json.loads(json.dumps(scheduler.state_dict()))
    row = state["trials"][0]
    assert row[-1] == 5  # the level of its observation between rungs
    row[-2:] = [3, r(5, 1.0)]  # the older layout: observed up to 3, the result held back
    searcher.data = {k: v for k, v in searcher.data.items() if k[1] != 5}  # ... which it lacked
    scheduler.load_state_dict(state)
    assert sorted(level for _, level in searcher.data) == [1, 3, 5]
    scheduler.on_trial_result(trial, r(6, 1.0))
    assert sorted(level for _, level in searcher.data) == [1, 3, 6]


def test_maxt_pending_registers_pending_at_max_t():
    searcher = Recording(SPACE, random_seed=0)
    at = AskTell(HyperbandScheduler(SPACE, searcher=searcher, metric="loss", maxt_pending=True))
    at.ask()
    assert searcher.pendings == [10]


# -- PASHA --------------------------------------------------------------------------------------
def test_pasha_unlocks_the_next_rung_when_the_top_ranking_changes():
    scheduler = PASHA(SPACE, metric="loss", epsilon=0.0, random_seed=0)
    at = AskTell(scheduler)
    assert scheduler.current_max_t == 3  # the second rung level
    trials = [at.ask() for _ in range(6)]
    for trial, loss in zip(trials, (0.1, 0.2, 0.3, 0.4, 0.5, 0.6), strict=True):
        assert at.report(trial, r(1, loss)) is P
    first = at.ask()
    assert first.trial_id == 0
    assert at.report(first, r(2, 0.1)) is C
    assert at.report(first, r(3, 0.05)) is P  # pauses at the current top rung
    second = at.ask()
    assert second.trial_id == 1  # rung 3 may not promote (it is the top); trial 1 from rung 1
    at.report(second, r(2, 0.2))
    assert at.report(second, r(3, 0.1)) is P  # ranking 0, 1 at rung 3 as at rung 1: stable
    assert scheduler.current_max_t == 3
    extra = [at.ask() for _ in range(3)]  # rung 1 full of promoted trials: new ones
    for trial, loss in zip(extra, (0.01, 0.02, 0.03), strict=True):
        at.report(trial, r(1, loss))
    third = at.ask()
    assert third.trial_id == extra[0].trial_id
    at.report(third, r(2, 0.5))
    assert at.report(third, r(3, 0.9)) is P  # best at rung 1, worst at rung 3: unstable
    assert scheduler.current_max_t == 9
    assert at.ask() is first  # rung 3 can promote now


def test_pasha_soft_ranking_tolerates_differences_up_to_epsilon():
    def run(epsilon):
        scheduler = PASHA(SPACE, metric="loss", epsilon=epsilon, random_seed=0)
        at = AskTell(scheduler)
        trials = [at.ask() for _ in range(6)]
        for trial, loss in zip(trials, (0.10, 0.11, 0.5, 0.6, 0.7, 0.8), strict=True):
            at.report(trial, r(1, loss))
        for loss in (0.3, 0.2):  # trials 0 and 1 reach rung 3 in swapped order
            trial = at.ask()
            at.report(trial, r(2, loss))
            at.report(trial, r(3, loss))
        return scheduler.current_max_t

    assert run(0.0) == 9
    assert run(0.05) == 3  # 0.10 and 0.11 differ by less than epsilon: same group


def test_criss_crossed_learning_curves():
    a = {1: 0.5, 2: 0.4, 3: 0.3}
    assert criss_crossed(a, {1: 0.6, 2: 0.3, 3: 0.35}, 3) == pytest.approx(0.05)
    assert criss_crossed(a, {1: 0.6, 2: 0.5, 3: 0.4}, 3) is None  # never crossed
    assert criss_crossed(a, {1: 0.4, 2: 0.3, 3: 0.35}, 3) is None  # crossed once
    assert criss_crossed(a, {1: 0.6, 2: 0.3}, 3) is None  # too few common levels


def test_pasha_estimates_epsilon_from_criss_crossing_curves():
    scheduler = PASHA(SPACE, metric="loss", random_seed=0)
    at = AskTell(scheduler)
    trials = [at.ask() for _ in range(6)]
    for trial, loss in zip(trials, (0.1, 0.2, 0.5, 0.6, 0.7, 0.8), strict=True):
        at.report(trial, r(1, loss))
    curves = {0: (0.3, 0.25), 1: (0.2, 0.28)}  # 0 leads at 1, trails at 2, leads at 3
    for tid, (l2, l3) in curves.items():
        trial = at.ask()
        assert trial.trial_id == tid
        at.report(trial, r(2, l2))
        at.report(trial, r(3, l3))
    assert scheduler._pasha.epsilon == pytest.approx(0.03)
    assert scheduler.current_max_t == 3


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"type": "median"}, r"`type` must be one of \['stopping', 'promotion', 'pasha', 'cost_"),
        ({"searcher_data": "some"}, r"`searcher_data` must be one of \['rungs', 'all'"),
        ({"brackets": 5}, r"`brackets` must be an int in \[1, 4\]"),
        ({"type": "cost_promotion"}, r"type='cost_promotion' needs `cost_attr`"),
        ({"cost_attr": "cost"}, r"`cost_attr` is used by type='cost_promotion' only"),
        ({"pasha_epsilon": 0.1}, r"`pasha_epsilon` is used by type='pasha' only"),
        ({"type": "pasha", "brackets": 2}, r"type='pasha' runs a single bracket"),
        ({"type": "pasha", "pasha_epsilon": -1}, r"`pasha_epsilon` must be a finite number >= 0"),
        ({"resource_attr": ""}, r"`resource_attr` must be the non-empty name"),
        ({"grace_period": 0}, r"`grace_period` must be an int >= 1, but got grace_period=0"),
        ({"reduction_factor": 1}, r"`reduction_factor` must be a number >= 2"),
        ({"max_t": 0}, r"`max_t` must be an int >= 1, but got max_t=0"),
        ({"keep_size_ratios": True}, r"`keep_size_ratios` caps promotions.*type='stopping'"),
        ({"rung_quantiles": "half"}, r"`rung_quantiles` must be one of \['ratio', 'eta'\]"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HyperbandScheduler(SPACE, metric="loss", **kwargs)


def test_max_t_must_be_known():
    with pytest.raises(ValueError, match="the maximum resource max_t is unknown"):
        ASHA({"x": uniform(0, 1)}, metric="loss")
    with pytest.raises(ValueError, match="ASHA's `type` must be 'stopping' or 'promotion'"):
        ASHA(SPACE, metric="loss", type="pasha")


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ({"loss": 0.5}, r"the result has no resource attribute 'epoch'"),
        (r(0, 0.5), r"resource 'epoch' must be a positive int.*but got 0"),
        (r(1.5, 0.5), r"resource 'epoch' must be a positive int.*but got 1.5"),
        (r(True, 0.5), r"resource 'epoch' must be a positive int.*but got True"),
        (r("1", 0.5), r"resource 'epoch' must be a positive int.*but got '1'"),
        ({"epoch": 1}, r"the result has no metric 'loss'"),
    ],
)
def test_bad_results_are_value_errors(result, message):
    at = AskTell(ASHA(SPACE, metric="loss"))
    trial = at.ask()
    with pytest.raises(ValueError, match=message):
        at.report(trial, result)


def test_resource_must_increase():
    at = AskTell(ASHA(SPACE, metric="loss"))
    trial = at.ask()
    at.report(trial, r(2, 0.5))
    with pytest.raises(
        ValueError,
        match="must increase from one result to the next, but trial 0 reported 2 after 2",
    ):
        at.report(trial, r(2, 0.4))


# -- the seeds' toy example ---------------------------------------------------------------------
def test_seed_toy_example_asha_stops_most_trials_at_rungs():
    """AutoGluon's tutorial: accuracy ``1 - 1.8**-U(e, 2e)`` over 10 epochs, 100 trials, ASHA
    stopping with eta 3, grace period 1: most trials stop after 1, 3 or 9 epochs. (Rung 9 lets
    9/10 go on to max_t=10, so few stop there: 73 stop at 3, 2 at 9, 25 complete; with 1/3 at
    rung 9 it was 70, 19 and 11.)"""
    rng = np.random.default_rng(0)
    space = {"lr": loguniform(1e-3, 1e-2), "wd": uniform(1e-3, 1e-2), "epochs": 10}
    scheduler = ASHA(
        space, metric="accuracy", mode="max", grace_period=1, reduction_factor=3, random_seed=0
    )
    assert (scheduler.rung_levels, scheduler.max_t) == ([1, 3, 9], 10)
    at = AskTell(scheduler)
    epochs_run = []
    for _ in range(100):
        trial = at.ask()
        for e in range(trial.config["epochs"]):
            result = {"epoch": e + 1, "accuracy": 1 - 1.8 ** -rng.uniform(e, 2 * e)}
            if e + 1 == 10:
                at.tell(trial, result)
            elif at.report(trial, result) is Decision.STOP:
                break
        epochs_run.append(e + 1)
    counts = Counter(epochs_run)
    assert set(counts) <= {1, 3, 9, 10}
    assert counts[1] + counts[3] + counts[9] >= 75
    assert 0 < counts[10] <= 25
    statuses = Counter(t.status.value for t in at.trials.values())
    assert statuses == {"stopped": 100 - counts[10], "completed": counts[10]}


def test_drive_runs_promotion_to_the_end():
    at = AskTell(ASHA(MIXED_SPACE, metric="loss", type="promotion", random_seed=0))
    log = drive(at, MIXED_SPACE, max_trials=40, n_workers=4)
    completed = [entry for entry in log if entry[0] == "complete"]
    assert completed  # some trials were promoted all the way to max_t
    assert all(entry[2] == 9 for entry in completed)


# -- early checkpoint removal (the tuner builds the callback, tests/test_tuner.py) ----------
def test_early_checkpoint_removal_kwargs_are_kept_for_the_tuner():
    kwargs = {"max_num_checkpoints": 3}
    for scheduler in (
        HyperbandScheduler(
            SPACE, metric="loss", type="promotion", early_checkpoint_removal_kwargs=kwargs
        ),
        ASHA(SPACE, metric="loss", type="promotion", early_checkpoint_removal_kwargs=kwargs),
        PASHA(SPACE, metric="loss", early_checkpoint_removal_kwargs=kwargs),
        *(
            cls(SPACE, metric="loss", type="promotion", early_checkpoint_removal_kwargs=kwargs)
            for cls in (MOBSTER, HyperTune, BOHB, ASHABORE, ASHACQR)
        ),
        RUSH(
            SPACE,
            metric="loss",
            type="promotion",
            custom_rush_points=[{"x": 0.5}],
            early_checkpoint_removal_kwargs=kwargs,
        ),
        DyHPO(SPACE, metric="loss", early_checkpoint_removal_kwargs=kwargs),
    ):
        assert scheduler.early_checkpoint_removal_kwargs == kwargs
        assert scheduler.spec()["kwargs"]["early_checkpoint_removal_kwargs"] == kwargs
    assert ASHA(SPACE, metric="loss").early_checkpoint_removal_kwargs is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"type": "stopping", "early_checkpoint_removal_kwargs": {"max_num_checkpoints": 3}},
            r"needs a type that pauses \('promotion', 'pasha', 'cost_promotion'\), but got "
            r"type='stopping'",
        ),
        (
            {"type": "promotion", "early_checkpoint_removal_kwargs": {"strategy": "random"}},
            r"must be None or a dict with 'max_num_checkpoints', but got "
            r"early_checkpoint_removal_kwargs=\{'strategy': 'random'\}",
        ),
    ],
)
def test_bad_early_checkpoint_removal_kwargs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HyperbandScheduler(SPACE, metric="loss", **kwargs)
