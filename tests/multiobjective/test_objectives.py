"""metric=[...], mode=[...] into the minimization array, and the errors that name the metric."""

from __future__ import annotations

import numpy as np
import pytest

from tunesmith.multiobjective import (
    check_objectives,
    hypervolume,
    objective_array,
    to_minimization,
)


def test_check_objectives():
    assert check_objectives("loss") == (("loss",), ("min",))
    assert check_objectives(["err", "latency"], "max") == (("err", "latency"), ("max", "max"))
    assert check_objectives(("err", "ms"), ["max", "min"]) == (("err", "ms"), ("max", "min"))


@pytest.mark.parametrize(
    ("metric", "mode", "message"),
    [
        ([], "min", r"`metric` must be the name of a reported metric or a non-empty list"),
        (None, "min", r"`metric` must be the name.*metric=None"),
        (["err", ""], "min", r"`metric` must list non-empty names.*got '' in"),
        (["err", 3], "min", r"`metric` must list non-empty names.*got 3 in"),
        (["err", "err", "ms"], "min", r"`metric` names 'err' more than once"),
        (
            ["err", "ms"],
            ["min"],
            r"`mode` must be 'min', 'max' or a list of them with one per "
            r"metric \(2 for metric=\['err', 'ms'\]\), but got mode=\['min'\] \(1 value\)",
        ),
        (
            ["err", "ms"],
            ["min", "maximize"],
            r"`mode` of metric 'ms' must be 'min' or 'max', " r"but got 'maximize'",
        ),
        ("err", "up", r"`mode` of metric 'err' must be 'min' or 'max', but got 'up'"),
        (
            "err",
            None,
            r"`mode` must be 'min', 'max' or a list of them, one per metric, but got " r"mode=None",
        ),
    ],
)
def test_check_objectives_errors(metric, mode, message):
    with pytest.raises(ValueError, match=message):
        check_objectives(metric, mode)


def test_objective_array_negates_the_max_objectives():
    results = [{"acc": 0.9, "ms": 12, "other": "x"}, {"acc": 0.8, "ms": 5.5}]
    array = objective_array(results, ["acc", "ms"], ["max", "min"])
    assert array.tolist() == [[-0.9, 12.0], [-0.8, 5.5]]
    assert objective_array(results, "ms").tolist() == [[12.0], [5.5]]
    assert objective_array([], ["acc", "ms"]).shape == (0, 2)
    # back in the metrics' units
    assert to_minimization(array, ["max", "min"]).tolist() == [[0.9, 12.0], [0.8, 5.5]]
    # a reference point in the metrics' units goes through the same conversion
    ref = to_minimization([0.0, 20.0], ["max", "min"])
    assert hypervolume(array, ref) == pytest.approx(0.9 * 8 + 0.8 * 14.5 - 0.8 * 8)


def test_objective_array_errors_name_the_result_and_the_metric():
    with pytest.raises(ValueError, match=r"result 1: the result has no metric 'ms'"):
        objective_array([{"acc": 1, "ms": 2}, {"acc": 1}], ["acc", "ms"])
    with pytest.raises(ValueError, match=r"result 0: metric 'acc' must be finite, but got nan"):
        objective_array([{"acc": float("nan"), "ms": 2}], ["acc", "ms"])
    with pytest.raises(ValueError, match=r"result 0: metric 'ms' must be a number, but got 'x'"):
        objective_array([{"acc": 1, "ms": "x"}], ["acc", "ms"])
    with pytest.raises(TypeError, match=r"`results` must be a list of dicts.*got dict"):
        objective_array({"acc": 1}, "acc")
    with pytest.raises(TypeError, match=r"result 0 is int"):
        objective_array([3], "acc")
    with pytest.raises(ValueError, match=r"`mode` of metric 'ms' must be 'min' or 'max'"):
        objective_array([{"acc": 1, "ms": 2}], ["acc", "ms"], ["min", "fast"])


def test_to_minimization_checks_its_modes():
    assert to_minimization([1.0, 2.0], "max").tolist() == [-1.0, -2.0]
    with pytest.raises(ValueError, match=r"one per objective \(d=2\), but got mode=\['min'\]"):
        to_minimization(np.ones((3, 2)), ["min"])
    with pytest.raises(ValueError, match=r"`mode` of objective 1 must be 'min' or 'max'"):
        to_minimization(np.ones((3, 2)), ["min", "MAX"])
    with pytest.raises(ValueError, match=r"`values` must be finite"):
        to_minimization([np.nan, 1.0], "min")
    with pytest.raises(ValueError, match=r"`values` must be one point \(d values\) or an \(n, d\)"):
        to_minimization(np.ones((2, 2, 2)), "min")
