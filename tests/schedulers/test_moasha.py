import doctest
import json

import numpy as np
import pytest
from _moasha_oracle import OracleFrontRung

import tunesmith
import tunesmith.multiobjective._chunked as _chunked
import tunesmith.multiobjective._stairs as _stairs
import tunesmith.schedulers.moasha as moasha_module
from tunesmith import AskTell, Decision, uniform
from tunesmith.multiobjective import non_dominated_ranking, non_dominated_sort
from tunesmith.schedulers import (
    ASHA,
    MOASHA,
    EpsilonNetPriority,
    LinearScalarizationPriority,
    NonDominatedPriority,
)
from tunesmith.schedulers.moasha import _FrontRung
from tunesmith.searchers import MultiObjectiveRegularizedEvolution, NSGA2Searcher
from tunesmith.spec import build
from tunesmith.testing.scheduler_contract import SchedulerContract
from tunesmith.trial import Trial, TrialStatus

SPACE = {"x": uniform(0, 1), "epochs": 9}  # rungs [1, 3], quantiles 1/3 and 3/9
C, S = Decision.CONTINUE, Decision.STOP


# -- the contract -------------------------------------------------------------------------------
class TestMOASHAContract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return MOASHA(config_space, metric=metric, mode=mode, max_t=9, random_seed=random_seed)


class TestMOASHAEpsilonNetBracketsContract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return MOASHA(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            brackets=2,
            multiobjective_priority=EpsilonNetPriority(start=1),
            random_seed=random_seed,
        )


class TestMOASHALinearScalarizationContract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return MOASHA(
            config_space,
            metric=metric,
            mode=mode,
            max_t=9,
            reduction_factor=2,
            multiobjective_priority=LinearScalarizationPriority([1.0, 2.0]),
            random_seed=random_seed,
        )


class TestMOASHAWithNSGA2SearcherContract(SchedulerContract):
    metrics = ("loss", "cost")

    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        searcher = NSGA2Searcher(
            config_space, metric=metric, mode=mode, random_seed=random_seed, population_size=4
        )
        return MOASHA(config_space, metric=metric, mode=mode, max_t=9, searcher=searcher)


class TestMOASHASingleMetricContract(SchedulerContract):
    # one metric is allowed (fronts of one objective: ASHA's ranking)
    def make_scheduler(self, config_space, *, metric, mode, random_seed):
        return MOASHA(config_space, metric=metric, mode=mode, max_t=9, random_seed=random_seed)


def test_doctest():
    assert doctest.testmod(moasha_module).failed == 0


def test_public_names():
    assert tunesmith.MOASHA is MOASHA
    assert tunesmith.NonDominatedPriority is NonDominatedPriority
    assert tunesmith.EpsilonNetPriority is EpsilonNetPriority
    assert tunesmith.LinearScalarizationPriority is LinearScalarizationPriority


# -- behaviour ----------------------------------------------------------------------------------
def run_rung(scheduler, points):
    """Start one trial per point and report it at epoch 1 (rung 1); return the decisions."""
    at = AskTell(scheduler)
    decisions = []
    for a, b in points:
        trial = at.ask()
        decisions.append(at.report(trial, {"epoch": 1, "err": a, "ms": b}))
    return decisions


def test_a_rung_goes_on_by_non_dominated_front():
    scheduler = MOASHA(SPACE, metric=["err", "ms"], random_seed=0)
    assert scheduler.rung_levels == [1, 3]
    # front 0, then dominated by it (1 before it of 2), two more of front 0, then front 2
    points = [(1, 1), (2, 2), (0.5, 3), (3, 0.5), (5, 5), (0.9, 0.9)]
    # (0.9, 0.9) dominates (1, 1): it joins front 0, whose other entries tie with it
    assert run_rung(scheduler, points) == [C, S, C, C, S, C]


def test_ties_within_a_front_go_the_newcomers_way_and_the_epsilon_net_breaks_them():
    trade_offs = [(i, 10 - i) for i in range(10)]  # one front
    nd = MOASHA(SPACE, metric=["err", "ms"], random_seed=0)
    assert run_rung(nd, trade_offs) == [C] * 10
    net = MOASHA(
        SPACE, metric=["err", "ms"], multiobjective_priority=EpsilonNetPriority(), random_seed=0
    )
    decisions = run_rung(net, trade_offs)
    for n in range(1, 11):  # the newcomer's place in the epsilon-net order of the first n
        position = non_dominated_ranking(np.array(trade_offs[:n], dtype=float))[-1]
        assert decisions[n - 1] == (C if position * 3 < n else S)
    assert S in decisions


def test_modes_are_applied_before_ranking():
    scheduler = MOASHA(SPACE, metric=["err", "ms"], mode=["max", "min"], random_seed=0)
    # err is maximized: (2, 1) dominates (1, 1)
    assert run_rung(scheduler, [(2, 1), (1, 1)]) == [C, S]


def test_linear_scalarization_priority_decides_as_asha_on_the_weighted_sum():
    rng = np.random.default_rng(0)
    points = rng.random((40, 2)).tolist()
    mo = MOASHA(
        SPACE,
        metric=["err", "ms"],
        multiobjective_priority=LinearScalarizationPriority([1.0, 3.0]),
        random_seed=0,
    )
    asha = ASHA(SPACE, metric="total", max_t=9, random_seed=0)
    at = AskTell(asha)
    expected = []
    for a, b in points:
        trial = at.ask()
        expected.append(at.report(trial, {"epoch": 1, "total": a + 3.0 * b}))
    assert run_rung(mo, points) == expected


def sample(kind, rng, n, d=2):
    if kind == "grid":  # duplicates and ties on one objective
        return rng.integers(0, 5, size=(n, d)).astype(float)
    if kind == "chain":  # perfectly correlated: one point per front
        return np.repeat(rng.random((n, 1)), d, axis=1)
    if kind == "correlated":
        return rng.random((n, 1)) + 0.1 * rng.random((n, d))
    if kind == "conflicting":  # one front
        a = rng.random((n, 1))
        return np.c_[a, 1 - a] if d == 2 else np.c_[a, rng.random((n, d - 2)), 1 - a]
    return rng.random((n, d))


def oracle_decisions(points, quantile):
    """Go-on decisions of the rung as it was before (tests/schedulers/_moasha_oracle.py):
    exact fronts to the cut and an overflow sorted again from time to time; one or three and
    more objectives sorted again at each decision."""
    rung = OracleFrontRung(1, quantile)
    num, den = quantile
    return [rung.add(p) * den < (i + 1) * num for i, p in enumerate(points.tolist())]


@pytest.mark.parametrize("kind", ["uniform", "grid", "chain", "correlated", "conflicting"])
@pytest.mark.parametrize(
    ("quantile", "n", "runs"), [((1, 3), 40, 20), ((9, 10), 40, 5), ((1, 3), 4000, 1)]
)
def test_rung_decisions_are_those_of_the_previous_rung(kind, quantile, n, runs):
    rng = np.random.default_rng(1)
    num, den = quantile
    for _ in range(runs):
        points = sample(kind, rng, n)
        rung = _FrontRung(1, quantile)
        decisions = []
        for i, point in enumerate(points.tolist()):
            before = rung.add(point)
            decisions.append(before * den < (i + 1) * num)
            if i < 300 and decisions[-1]:  # exact when it goes on
                ranks = non_dominated_sort(points[: i + 1])
                assert before == int((ranks < ranks[-1]).sum())
        assert decisions == oracle_decisions(points, quantile)


@pytest.mark.parametrize("kind", ["uniform", "grid", "correlated", "conflicting", "mixed"])
def test_two_objective_rungs_with_fronts_in_parts_decide_as_the_previous_rung(monkeypatch, kind):
    # two-objective fronts past 4 points kept in parts of at most 4 (runs across parts, parts
    # split and emptied); "mixed": a front of trade-offs with dominated points among them
    monkeypatch.setattr(_stairs, "CHUNK", 4)
    rng = np.random.default_rng(11)
    if kind == "mixed":
        points = sample("conflicting", rng, 1500)
        points[rng.random(1500) < 0.3] += 0.02
    else:
        points = sample(kind, rng, 1500)
    rung = _FrontRung(1, (1, 3))
    decisions = [rung.add(p) * 3 < i + 1 for i, p in enumerate(points.tolist())]
    assert decisions == oracle_decisions(points, (1, 3))


@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("kind", ["uniform", "grid", "chain", "correlated"])
def test_rung_decisions_with_one_or_three_objectives_are_those_of_the_previous_rung(d, kind):
    rng = np.random.default_rng(d)
    points = sample(kind, rng, 300, d)
    rung = _FrontRung(1, (1, 3))
    decisions = [rung.add(p) * 3 < i + 1 for i, p in enumerate(points.tolist())]
    assert decisions == oracle_decisions(points, (1, 3))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["uniform", "grid", "chain", "correlated", "conflicting"])
@pytest.mark.parametrize("quantile", [(1, 3), (1, 2)])
def test_rung_decisions_with_three_objectives_at_scale_are_those_of_the_previous_rung(
    monkeypatch, kind, quantile
):
    # 1,200 entries: refills of the kept fronts from a partly sorted pool, and (chunks of 16
    # points) large fronts split in chunks: the decisions stay those of a full sort
    monkeypatch.setattr(_chunked, "CHUNK", 16)
    rng = np.random.default_rng(17)
    points = sample(kind, rng, 1200, 3)
    rung = _FrontRung(1, quantile)
    num, den = quantile
    decisions = [rung.add(p) * den < (i + 1) * num for i, p in enumerate(points.tolist())]
    assert decisions == oracle_decisions(points, quantile)
    assert True in decisions and (kind == "conflicting" or False in decisions)


@pytest.mark.parametrize("kind", ["uniform", "correlated", "conflicting"])
def test_rung_decisions_with_four_objectives_are_those_of_the_previous_rung(kind):
    rng = np.random.default_rng(4)
    points = sample(kind, rng, 400, 4)
    rung = _FrontRung(1, (1, 3))
    decisions = [rung.add(p) * 3 < i + 1 for i, p in enumerate(points.tolist())]
    assert decisions == oracle_decisions(points, (1, 3))


@pytest.mark.parametrize(
    ("kind", "d"), [("uniform", 2), ("correlated", 2), ("uniform", 3), ("conflicting", 3)]
)
def test_scheduler_decisions_are_those_of_the_previous_rungs(monkeypatch, kind, d):
    # two brackets, two rungs each: trials report every epoch; then the same stream again
    # with the previous rungs in place of the new ones
    rng = np.random.default_rng(5)
    curves = sample(kind, rng, 600, d)
    metric = ["err", "ms", "mb"][:d]

    def run():
        scheduler = MOASHA(SPACE, metric=metric, brackets=2, random_seed=3)
        at = AskTell(scheduler)
        decisions = []
        for values in curves.tolist():
            trial = at.ask()
            for epoch in range(1, 10):
                result = {"epoch": epoch, "err": values[0] + 1 / epoch}
                for m, v in zip(metric[1:], values[1:], strict=True):
                    result[m] = v + 0.1 * epoch
                decisions.append(at.report(trial, result))
                if decisions[-1] is S:
                    break
        return decisions

    new = run()
    monkeypatch.setattr(
        NonDominatedPriority, "make_rung", lambda self, level, q: OracleFrontRung(level, q)
    )
    assert new == run()
    assert C in new and (kind == "conflicting" or S in new)  # one front: all go on


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["uniform", "conflicting"])
def test_three_objective_rungs_resume_exactly(monkeypatch, kind):
    # a state taken halfway (rungs with refilled fronts, large fronts in chunks of 8) and
    # loaded into a fresh scheduler gives the decisions of the uninterrupted run
    monkeypatch.setattr(_chunked, "CHUNK", 8)
    curves = sample(kind, np.random.default_rng(9), 400, 3).tolist()
    metric = ["err", "ms", "mb"]

    def make():
        return MOASHA(SPACE, metric=metric, brackets=2, random_seed=1)

    def drive(scheduler, start, stop):
        decisions = []
        for tid in range(start, stop):
            trial = Trial(tid, scheduler.suggest(tid).config, TrialStatus.RUNNING)
            scheduler.on_trial_add(trial)
            a, b, c = curves[tid]
            for epoch in range(1, 10):
                result = {"epoch": epoch, "err": a + 1 / epoch, "ms": b + epoch, "mb": c}
                decisions.append(scheduler.on_trial_result(trial, result))
                if decisions[-1] is S:
                    break
            if decisions[-1] is C:
                scheduler.on_trial_complete(trial, result)
        return decisions

    whole = drive(make(), 0, 400)
    first = make()
    resumed = drive(first, 0, 200)
    second = make()
    second.load_state_dict(json.loads(json.dumps(first.state_dict())))
    assert second.rung_sizes() == first.rung_sizes()
    assert resumed + drive(second, 200, 400) == whole
    assert C in whole


def test_three_objectives_rank_by_fronts():
    scheduler = MOASHA(SPACE, metric=["a", "b", "c"], random_seed=0)
    at = AskTell(scheduler)
    decisions = []
    for point in [(1, 1, 1), (2, 2, 2), (0, 3, 1), (3, 3, 3)]:
        trial = at.ask()
        decisions.append(at.report(trial, dict(zip("abc", point, strict=False), epoch=1)))
    assert decisions == [C, S, C, S]


def test_searchers_inside_moasha_see_rung_results():
    searcher = MultiObjectiveRegularizedEvolution(
        SPACE, metric=["err", "ms"], population_size=3, sample_size=2, random_seed=0
    )
    scheduler = MOASHA(SPACE, metric=["err", "ms"], searcher=searcher)
    run_rung(scheduler, [(1, 1), (2, 2), (0.5, 3)])
    assert [level for _, level, _ in searcher.population] == [1, 1, 1]


def test_spec_rebuilds_with_its_priority():
    scheduler = MOASHA(
        SPACE,
        metric=["err", "ms"],
        multiobjective_priority=LinearScalarizationPriority([1, 2]),
        random_seed=4,
    )
    spec = json.loads(json.dumps(scheduler.spec()))
    rebuilt = build(spec)
    assert rebuilt.multiobjective_priority == LinearScalarizationPriority([1.0, 2.0])
    assert rebuilt.spec() == scheduler.spec()


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"multiobjective_priority": "nd"},
            TypeError,
            r"`multiobjective_priority` must be NonDominatedPriority\(\), .* but got 'nd'",
        ),
        (
            {"multiobjective_priority": EpsilonNetPriority(start=2)},
            ValueError,
            r"`start` must be the index of an objective \(0 to 1\), but got start=2",
        ),
        (
            {"multiobjective_priority": LinearScalarizationPriority([1.0])},
            ValueError,
            r"`weights` must have one weight per objective \(2\), but got weights=\[1.0\]",
        ),
        (
            {"resource_attr": ""},
            ValueError,
            "`resource_attr` must be the non-empty name of the reported resource, but got "
            "resource_attr=''",
        ),
        ({"mode": ["min", "low"]}, ValueError, "`mode`"),
        ({"reduction_factor": 1}, ValueError, "`reduction_factor` must be a number >= 2"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        MOASHA(SPACE, **{"metric": ["err", "ms"], **kwargs})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: EpsilonNetPriority(start=-1), r"`start` must be the index .* start=-1"),
        (lambda: EpsilonNetPriority(start=True), r"`start` must be .* start=True"),
        (
            lambda: LinearScalarizationPriority([1.0, -2.0]),
            r"`weights` must be positive finite numbers, .* but got -2.0 in weights=\[1.0, -2.0\]",
        ),
        (
            lambda: LinearScalarizationPriority("ab"),
            r"`weights` must be a list of positive finite numbers, .* weights='ab'",
        ),
    ],
)
def test_bad_priorities(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_result_lacking_an_objective_names_it():
    at = AskTell(MOASHA(SPACE, metric=["err", "ms"], random_seed=0))
    trial = at.ask()
    with pytest.raises(ValueError, match="the result has no metric 'ms'"):
        at.report(trial, {"epoch": 1, "err": 0.3})
    trial = at.ask()
    with pytest.raises(ValueError, match="metric 'ms' must be finite, but got nan"):
        at.report(trial, {"epoch": 1, "err": 0.3, "ms": float("nan")})
