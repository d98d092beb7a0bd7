"""One ranking of trials (tunesmith.ranking): by each trial's last report or its best one."""

import math

import pytest

from tunesmith.ranking import check_scope, per_trial, ranked, score

# trial 0 improves then overfits; trial 1 improves steadily; trial 2 diverges at the end
REPORTS = [
    (0, {"epoch": 1, "loss": 0.5}),
    (1, {"epoch": 1, "loss": 0.6}),
    (0, {"epoch": 2, "loss": 0.1}),
    (1, {"epoch": 2, "loss": 0.3}),
    (2, {"epoch": 1, "loss": 0.05}),
    (0, {"epoch": 3, "loss": 0.4}),
    (1, {"epoch": 3, "loss": 0.2}),
    (2, {"epoch": 2, "loss": math.nan}),
]


def order(reports, scope, mode="min", constraint=None):
    return ranked(per_trial(reports, "loss", mode, scope, constraint))


def test_last_ranks_by_the_value_each_trial_ended_with():
    assert order(REPORTS, "last") == [1, 0]  # trial 2 ended with NaN: not ranked
    chosen = per_trial(REPORTS, "loss", "min", "last")
    assert chosen[0][1] == {"epoch": 3, "loss": 0.4}


def test_all_ranks_by_the_best_value_of_any_report():
    assert order(REPORTS, "all") == [2, 0, 1]
    assert per_trial(REPORTS, "loss", "min", "all")[0][1]["epoch"] == 2
    assert order(REPORTS, "all", mode="max") == [1, 0, 2]


def test_a_last_report_without_the_metric_does_not_hide_the_one_before():
    reports = [(0, {"loss": 0.3}), (0, {"note": 1}), (1, {"loss": 0.2}), (2, {"note": 1})]
    assert order(reports, "last") == [1, 0]


def test_constraint_uses_the_same_report_and_feasible_come_first():
    reports = [
        (0, {"loss": 0.1, "c": -1.0}),
        (0, {"loss": 0.05, "c": 2.0}),  # its last report is infeasible
        (1, {"loss": 0.3, "c": 0.0}),
    ]
    assert order(reports, "last", constraint="c") == [1, 0]
    assert order(reports, "all", constraint="c") == [0, 1]


def test_ties_go_to_the_lower_trial_id():
    reports = [(3, {"loss": 1.0}), (1, {"loss": 1.0}), (2, {"loss": 1.0})]
    assert order(reports, "last") == [1, 2, 3] == order(reports, "all")


@pytest.mark.parametrize("value", [True, None, "0.1", math.inf, -math.inf, math.nan])
def test_only_finite_numbers_score(value):
    assert score(value, "min") is None


def test_bad_scope_names_the_choices():
    with pytest.raises(ValueError, match=r"`scope` must be 'last' .* or 'all' .* scope='final'"):
        check_scope("final")
    with pytest.raises(ValueError, match="scope='best'"):
        per_trial(REPORTS, "loss", "min", "best")
