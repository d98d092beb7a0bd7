import json

import numpy as np
import pytest

from tunesmith import AskTell, Decision, RandomSearch, uniform
from tunesmith.schedulers import ASHA, MedianStoppingRule
from tunesmith.spec import build
from tunesmith.testing.scheduler_contract import SchedulerContract

SPACE = {"x": uniform(0, 1), "epochs": 10}
C, P, S = Decision.CONTINUE, Decision.PAUSE, Decision.STOP


def r(epoch, loss):
    return {"epoch": epoch, "loss": loss}


class TestMedianStoppingRuleContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        inner = RandomSearch(config_space, metric=metric, mode=mode, random_seed=random_seed)
        return MedianStoppingRule(inner, resource_attr="epoch", grace_population=2)


class TestMedianStoppingOverASHAContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        inner = ASHA(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            type="promotion",
            random_seed=random_seed,
        )
        return MedianStoppingRule(inner, grace_time=2, grace_population=3, rank_cutoff=0.3)


class TestMedianStoppingRuleAllPopulationContract(SchedulerContract):
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        inner = RandomSearch(config_space, metric=metric, mode=mode, random_seed=random_seed)
        return MedianStoppingRule(inner, grace_population=3, population="all")


def make(**kwargs):
    kwargs = {"grace_time": 1, "grace_population": 2, "running_average": False, **kwargs}
    return MedianStoppingRule(RandomSearch(SPACE, metric="loss", random_seed=0), **kwargs)


def test_stops_trials_worse_than_the_median_of_the_others():
    at = AskTell(make())
    trials = [at.ask() for _ in range(5)]
    for trial in trials:
        assert at.report(trial, r(1, 10.0 * trial.trial_id)) is C  # within grace_time
    # epoch 2: go on unless fewer than half of the others are worse or equal
    decisions = [
        at.report(t, r(2, v)) for t, v in zip(trials, (0.5, 0.6, 0.7, 0.55, 0.65), strict=True)
    ]
    # 0.5: no others; 0.6: 1 other (< grace_population); 0.7: worst of [0.5, 0.6];
    # 0.55: 2 of [0.5, 0.6, 0.7] worse; 0.65: 1 of [0.5, 0.6, 0.7, 0.55] worse (< 2)
    assert decisions == [C, C, S, C, S]
    assert at.trials[2].status.value == "stopped"


def _syne_tune_median_rule(stream, grace_time, grace_population, rank_cutoff=0.5):
    """Decisions of Syne Tune's median stopping rule (its code up to 0.13), written from its
    definition: running means, ranked by insertion among all values at the level, its own
    included; applied from ``grace_time`` on; stop iff more than ``rank_cutoff`` of them are
    better."""
    values, sums, out, stopped = {}, {}, [], set()
    for trial, epoch, loss in stream:
        if trial in stopped:
            continue
        total, count = sums.get(trial, (0.0, 0))
        sums[trial] = (total + loss, count + 1)
        mean = (total + loss) / (count + 1)
        at_level = values.setdefault(epoch, [])
        better = sum(v < mean for v in at_level)
        at_level.append(mean)
        rank = better / len(at_level)
        go_on = len(at_level) < grace_population or epoch < grace_time or rank <= rank_cutoff
        out.append((trial, epoch, C if go_on else S))
        if not go_on:
            stopped.add(trial)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_population_all_is_syne_tunes_rule(seed):
    rng = np.random.default_rng(seed)
    trials, epochs = 12, 6
    curves = np.round(rng.random((trials, epochs)), 1)  # ties too
    stream = [(t, e + 1, float(curves[t, e])) for e in range(epochs) for t in range(trials)]
    # Syne Tune applies the rule from grace_time on, this class after it: its 2 is our 1
    expected = _syne_tune_median_rule(stream, grace_time=2, grace_population=5)
    got = _median_decisions(stream, trials, population="all")
    assert got == expected
    assert sum(d is S for _, _, d in got) >= 3


def _median_decisions(stream, trials, **kwargs):
    at = AskTell(
        MedianStoppingRule(
            RandomSearch(SPACE, metric="loss", random_seed=0),
            grace_time=1,
            grace_population=5,
            **kwargs,
        )
    )
    runs = [at.ask() for _ in range(trials)]
    out, stopped = [], set()
    for trial, epoch, loss in stream:
        if trial not in stopped:
            out.append((trial, epoch, at.report(runs[trial], r(epoch, loss))))
            if out[-1][2] is S:
                stopped.add(trial)
    return out


def test_population_all_counts_the_trial_itself():
    # 4 others at epoch 2, grace_population 5: "others" does not judge yet, "all" (5 with
    # itself) does; of [0.1, 0.2, 0.3, 0.4] and 0.35: 3 better of 5 (> half) -> stop, while
    # with 0.25 it is 2 better of 5 -> go on
    for value, expected in ((0.35, S), (0.25, C)):
        for population, decision in (("others", C), ("all", expected)):
            at = AskTell(make(grace_population=5, population=population))
            trials = [at.ask() for _ in range(5)]
            for trial, loss in zip(trials[:4], (0.1, 0.2, 0.3, 0.4), strict=True):
                at.report(trial, r(2, loss))
            assert at.report(trials[4], r(2, value)) is decision
    with pytest.raises(ValueError, match=r"`population` must be one of \['others', 'all'\]"):
        make(population="everyone")


def test_max_mode_and_ties():
    at = AskTell(
        MedianStoppingRule(
            RandomSearch(SPACE, metric="acc", mode="max", random_seed=0),
            grace_time=0,
            grace_population=2,
        )
    )
    trials = [at.ask() for _ in range(4)]
    results = [{"epoch": 1, "acc": a} for a in (0.5, 0.5, 0.5, 0.4)]
    assert [at.report(t, res) for t, res in zip(trials, results, strict=True)] == [C, C, C, S]


def test_running_average_compares_means_up_to_the_level():
    at = AskTell(make(running_average=True, grace_time=0, grace_population=1))
    a, b = at.ask(), at.ask()
    assert at.report(a, r(1, 1.0)) is C
    assert at.report(b, r(1, 3.0)) is S  # 3 vs [1]: worse
    at = AskTell(make(running_average=True, grace_time=1, grace_population=1))
    a, b = at.ask(), at.ask()
    at.report(a, r(1, 1.0))
    at.report(a, r(2, 1.0))  # mean 1.0
    at.report(b, r(1, 0.0))
    assert at.report(b, r(2, 1.5)) is C  # mean 0.75 < 1.0, though 1.5 > 1.0
    at = AskTell(make(running_average=False, grace_time=1, grace_population=1))
    a, b = at.ask(), at.ask()
    for trial, losses in ((a, (1.0, 1.0)), (b, (0.0,))):
        for epoch, loss in enumerate(losses, start=1):
            at.report(trial, r(epoch, loss))
    assert at.report(b, r(2, 1.5)) is S  # raw values: 1.5 > 1.0


def test_rank_cutoff():
    for cutoff, expected in ((0.5, S), (0.25, C)):
        at = AskTell(make(grace_time=0, grace_population=3, rank_cutoff=cutoff))
        trials = [at.ask() for _ in range(5)]
        for trial, loss in zip(trials[:4], (0.1, 0.2, 0.3, 0.4), strict=True):
            at.report(trial, r(1, loss))
        # 0.35: 1 of 4 others worse: 1 < 0.5 * 4 stops; 1 < 0.25 * 4 does not
        assert at.report(trials[4], r(1, 0.35)) is expected


def test_stop_overrides_a_pause_and_the_wrapped_scheduler_forgets_the_trial():
    inner = ASHA(SPACE, metric="loss", type="promotion", random_seed=0)
    at = AskTell(MedianStoppingRule(inner, grace_time=0, grace_population=2))
    trials = [at.ask() for _ in range(3)]
    assert at.report(trials[0], r(1, 0.1)) is P
    assert at.report(trials[1], r(1, 0.2)) is P
    assert at.report(trials[2], r(1, 0.3)) is S  # would pause under ASHA
    assert [t for t, _, _ in inner.paused_trials()] == [0, 1]
    assert at.ask().trial_id == 0  # ASHA promotes its best paused trial


def test_delegates_suggestions_and_completion():
    seen = []
    inner = RandomSearch(SPACE, metric="loss", random_seed=0)
    inner.on_trial_complete = lambda trial, result: seen.append(result["loss"])
    at = AskTell(MedianStoppingRule(inner))
    assert at.scheduler.metric == "loss" and at.scheduler.random_seed == 0
    trial = at.ask()
    at.tell(trial, r(10, 0.25))
    assert seen == [0.25]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"scheduler": "fifo"}, TypeError, "MedianStoppingRule wraps a Scheduler"),
        ({"resource_attr": ""}, ValueError, "`resource_attr` must be the non-empty name"),
        (
            {"grace_time": -1},
            ValueError,
            r"`grace_time` must be a number >= 0, but got grace_time=-1",
        ),
        ({"grace_population": 0}, ValueError, r"`grace_population` must be an int >= 1"),
        ({"rank_cutoff": 1.0}, ValueError, r"`rank_cutoff` must be a number in \(0, 1\)"),
        ({"rank_cutoff": 0}, ValueError, r"`rank_cutoff` must be a number in \(0, 1\)"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    kwargs = {"scheduler": RandomSearch(SPACE, metric="loss"), **kwargs}
    with pytest.raises(error, match=message):
        MedianStoppingRule(kwargs.pop("scheduler"), **kwargs)


def test_bad_results():
    at = AskTell(make())
    trial = at.ask()
    with pytest.raises(ValueError, match="the result has no resource attribute 'epoch'"):
        at.report(trial, {"loss": 0.5})
    with pytest.raises(ValueError, match="the result has no metric 'loss'"):
        at.report(trial, {"epoch": 1})


def test_spec_rebuilds_the_wrapper_and_the_wrapped_scheduler():
    rule = MedianStoppingRule(ASHA(SPACE, metric="loss", random_seed=4), grace_population=3)
    clone = build(json.loads(json.dumps(rule.spec())))
    assert isinstance(clone, MedianStoppingRule) and isinstance(clone.scheduler, ASHA)
    assert (clone.grace_population, clone.scheduler.random_seed) == (3, 4)
