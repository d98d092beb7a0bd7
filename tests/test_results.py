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
