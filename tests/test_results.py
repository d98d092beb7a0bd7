"""TuningResult: best result/config, also under a constraint (feasible results first)."""

import math

import pytest

from tunesmith import ConstrainedBayesianOptimization, RandomSearch, uniform
from tunesmith.results import TuningResult, constrained_key, constraint_attr_of
from tunesmith.trial import Trial


def make(rows, *, mode="min", constraint_attr=None):
    result = TuningResult(metric="loss", mode=mode, constraint_attr=constraint_attr)
    for tid, row in enumerate(rows):
        result.trials[tid] = Trial(tid, {"x": tid})
        result.results.append({"trial_id": tid, **row})
    return result


ROWS = [
    {"loss": 0.1, "c": 1.0},  # best loss, infeasible
    {"loss": 0.5, "c": -0.2},
    {"loss": 0.3, "c": 0.0},  # best feasible (c <= 0)
    {"loss": 0.05, "c": 0.01},
]


def test_without_a_constraint_the_best_metric_wins():
    assert make(ROWS).best_config() == {"x": 3}
    assert make(ROWS, mode="max").best_config() == {"x": 1}


def test_feasible_results_come_first():
    result = make(ROWS, constraint_attr="c")
    assert result.best_result() == {"trial_id": 2, **ROWS[2]}
    assert result.best_config() == {"x": 2}
    assert result.best_trial().trial_id == 2
    assert make(ROWS, mode="max", constraint_attr="c").best_config() == {"x": 1}


def test_no_feasible_result_gives_the_least_infeasible():
    rows = [
        {"loss": 0.1, "c": 3.0},
        {"loss": 0.9, "c": 0.5},
        {"loss": 0.2},
        {"loss": 0.0, "c": None},
    ]
    assert make(rows, constraint_attr="c").best_config() == {"x": 1}


def test_results_without_a_finite_metric_are_never_best():
    rows = [{"loss": math.nan, "c": -1.0}, {"c": -1.0}, {"loss": 2.0, "c": 5.0}]
    assert make(rows, constraint_attr="c").best_config() == {"x": 2}
    assert make([], constraint_attr="c").best_config() is None


def test_ties_keep_the_earliest_result():
    rows = [{"loss": 1.0, "c": -1.0}, {"loss": 1.0, "c": -2.0}]
    assert make(rows, constraint_attr="c").best_config() == {"x": 0}


@pytest.mark.parametrize(
    ("constraint", "key"),
    [
        (-3.0, (0, 0.0, 1.5)),
        (0, (0, 0.0, 1.5)),
        (0.25, (1, 0.25, 1.5)),
        (None, (1, math.inf, 1.5)),
        (math.nan, (1, math.inf, 1.5)),
        (True, (1, math.inf, 1.5)),
        ("x", (1, math.inf, 1.5)),
    ],
)
def test_constrained_key(constraint, key):
    assert constrained_key(1.5, constraint) == key


def test_constraint_attr_of_schedulers_and_their_searchers():
    space = {"x": uniform(0, 1)}
    constrained = ConstrainedBayesianOptimization(space, metric="loss", constraint_attr="c")
    assert constraint_attr_of(constrained) == "c"
    assert constraint_attr_of(RandomSearch(space, metric="loss")) is None
    assert constraint_attr_of(object()) is None


def test_the_default_scope_is_each_trials_last_report():
    result = TuningResult(metric="loss", mode="min")
    for tid, losses in enumerate([[0.5, 0.1, 0.4], [0.6, 0.3, 0.2]]):
        result.trials[tid] = Trial(tid, {"x": tid})
        result.results.extend({"trial_id": tid, "loss": v} for v in losses)
    assert result.best_config() == {"x": 1}
    assert result.best_result() == {"trial_id": 1, "loss": 0.2}
    assert result.best_config(scope="all") == {"x": 0}
    assert "best loss=0.2 (trial 1, last report)" in result.summary()
    assert "best loss=0.1 (trial 0, best report)" in result.summary(scope="all")


def test_several_objectives_pareto_front_by_scope_and_no_single_best():
    from tunesmith.trial import Trial

    result = TuningResult(metric=["err", "ms"], mode=["min", "max"])
    reports = {
        0: [{"err": 0.1, "ms": 1.0}, {"err": 0.15, "ms": 2.0}],  # the lowest err, first
        1: [{"err": 0.2, "ms": 5.0}],
        2: [{"err": 0.4, "ms": 3.0}],  # dominated by trial 1
        3: [{"err": 0.5, "ms": 9.0}],
        4: [{"err": 0.05}],  # lacks an objective: not ranked
        5: [{"err": float("nan"), "ms": 1.0}],  # not finite: not ranked
    }
    for tid, rows in reports.items():
        result.trials[tid] = Trial(tid, {"x": tid})
        result.results += [{"trial_id": tid, **row} for row in rows]
    assert (result.metrics, result.modes) == (["err", "ms"], ["min", "max"])
    assert [t.trial_id for t in result.pareto_front()] == [0, 3, 1]  # the extremes first
    ranked = [(t.trial_id, front) for t, _, front in result.ranked_trials()]
    assert ranked == [(0, 0), (3, 0), (1, 0), (2, 1)]
    # scope="all": every report is a point; trial 0 stands at its first, an end of the front
    assert [t.trial_id for t in result.pareto_front("all")] == [0, 3, 1]
    assert result.ranked_trials("all")[0][1] == {"trial_id": 0, "err": 0.1, "ms": 1.0}
    for method in (result.best_result, result.best_trial, result.best_config):
        with pytest.raises(ValueError, match=r"needs a single metric.*pareto_front\(\)"):
            method()
    assert "3 on the Pareto front of err, ms (last report)" in result.summary()


def test_one_metric_pareto_front_is_the_best_trial():
    from tunesmith.trial import Trial

    result = TuningResult(metric="loss", mode="min")
    for tid, loss in enumerate([0.3, 0.1, 0.2]):
        result.trials[tid] = Trial(tid, {})
        result.results.append({"trial_id": tid, "loss": loss})
    assert [t.trial_id for t in result.pareto_front()] == [1]
    assert [t.trial_id for t, _, _ in result.ranked_trials()] == [1, 2, 0]


def test_history_groups_the_reports_by_trial_in_order():
    result = TuningResult(metric="loss", mode="min")
    for tid in (0, 1, 2):
        result.trials[tid] = Trial(tid, {"x": tid})
    arrivals = [(1, 1, 0.5), (0, 1, 0.9), (1, 2, 0.4), (0, 2, 0.8), (1, 3, 0.3)]
    for tid, epoch, loss in arrivals:
        result.results.append({"trial_id": tid, "epoch": epoch, "loss": loss, "ts_time": 1.0})
    history = result.history()
    assert list(history) == [1, 0]  # by first report; trial 2 never reported
    assert history[1] == [
        {"epoch": 1, "loss": 0.5},
        {"epoch": 2, "loss": 0.4},
        {"epoch": 3, "loss": 0.3},
    ]
    assert history[0] == [{"epoch": 1, "loss": 0.9}, {"epoch": 2, "loss": 0.8}]
    assert result.history(ts_fields=True)[0][0] == {"epoch": 1, "loss": 0.9, "ts_time": 1.0}
    assert TuningResult(metric="loss", mode="min").history() == {}
